"""funnel indexes

`ix_stage_changes_opportunity_at` (opportunity_id, at, id) INCLUDE (from_stage, to_stage): the funnel's conversion
window reads each opportunity's moves in order from the index alone (no heap, no sort); it replaces the plain
opportunity_id index, which it covers. `ix_tasks_open_due`: everyone's overdue tasks without reading the done ones.
(issue 12, the director's 漏斗)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OPEN_TASK = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_opportunity_at', ['opportunity_id', 'at', 'id'], unique=False,
                              postgresql_include=['from_stage', 'to_stage'])
        batch_op.drop_index('ix_stage_changes_opportunity_id')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_open_due', ['due_at'], unique=False, postgresql_include=['owner_id'],
                              postgresql_where=OPEN_TASK, sqlite_where=OPEN_TASK)


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_due', postgresql_where=OPEN_TASK, sqlite_where=OPEN_TASK)
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_opportunity_id', ['opportunity_id'], unique=False)
        batch_op.drop_index('ix_stage_changes_opportunity_at')
