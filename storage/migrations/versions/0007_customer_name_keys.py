"""customer name keys

`customer_name_keys`: every alias, pinyin spelling and gram of every customer's name, so a message finds the
customers it may mean with index lookups (issue 8, name lookup at scale). Filled here for existing customers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:40:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_name_keys',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kind', 'key', 'customer_id')
    )
    with op.batch_alter_table('customer_name_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_name_keys_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_customer_name_keys_prefix', ['kind', 'key'], unique=False,
                              postgresql_ops={'key': 'text_pattern_ops'})
    from core.nlu.names import name_keys

    conn = op.get_bind()
    table = sa.table('customer_name_keys', sa.column('kind'), sa.column('key'), sa.column('customer_id'))
    rows = []
    for cid, name, aliases in conn.execute(sa.text("SELECT id, name, aliases FROM customers")):
        extra = json.loads(aliases) if isinstance(aliases, str) else (aliases or [])
        rows += [{"kind": k, "key": v, "customer_id": cid} for k, v in name_keys(name, extra)]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table('customer_name_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_name_keys_prefix', postgresql_ops={'key': 'text_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_customer_name_keys_customer_id'))
    op.drop_table('customer_name_keys')
