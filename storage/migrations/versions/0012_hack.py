"""outbox: an index for the lease's per-target order

`ix_outbox_target_unsent` (channel, target, id) WHERE status IN ('pending', 'sending'): the delivery lease skips a
row while an earlier row to the same target is unsent; without this index each candidate scanned every unsent row,
so a backlog of 7,800 replies took 24 s per lease on PostgreSQL (113 ms with it). Such a backlog builds whenever
answers are produced faster than they go out: a chat app's outage, or a worker catching up after a load (issue 10).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

UNSENT = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_target_unsent', ['channel', 'target', 'id'], unique=False,
                              postgresql_where=UNSENT, sqlite_where=UNSENT)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_target_unsent', postgresql_where=UNSENT, sqlite_where=UNSENT)
