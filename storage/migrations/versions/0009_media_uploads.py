"""media uploads for every channel

`wecom_uploads` becomes `media_uploads`: DingTalk keeps a file send's media id by outbox row too, so a retried
send reuses its first upload, and `sent_at` marks the file message sent, so a retry does not show it twice
(DingTalk has no duplicate check; bot/channels/uploads.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table('wecom_uploads', 'media_uploads')
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
    op.rename_table('media_uploads', 'wecom_uploads')
