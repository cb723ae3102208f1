"""name keys carry the customer's owner

`customer_name_keys.visible_to`: the owner of the customer (0 in the public pool), so a rep's or a manager's
name lookup filters visibility inside the index instead of joining every candidate to `customers` (issue 8,
name lookup at scale). Filled here from `customers`; kept in step on flush by storage/repo/names.py.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 08:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BACKFILL = """
UPDATE customer_name_keys SET visible_to = COALESCE((
    SELECT CASE WHEN c.status = 'pool' OR c.owner_id IS NULL THEN 0 ELSE c.owner_id END
    FROM customers c WHERE c.id = customer_name_keys.customer_id), 0)
"""


def upgrade() -> None:
    with op.batch_alter_table('customer_name_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visible_to', sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    with op.batch_alter_table('customer_name_keys', schema=None) as batch_op:
        batch_op.alter_column('visible_to', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_customer_name_keys_visible', ['kind', 'key', 'visible_to', 'customer_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_name_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_name_keys_visible')
        batch_op.drop_column('visible_to')
