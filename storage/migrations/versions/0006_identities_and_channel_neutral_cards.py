"""identities and channel-neutral cards

One identity per person and chat app in `user_identities` instead of a column per app (the WeCom and DingTalk
ids move there); WeCom's cards are found by the handler's card reference; outbox rows carry the reply context
of the message they answer; file messages remember their media_id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:12:27.380055
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import storage.types  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_identities',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'channel'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_identity_channel_external')
    )
    # WeCom UserIDs are case-insensitive and were stored lower-cased already; lower() keeps it so.
    op.execute(
        "INSERT INTO user_identities (user_id, channel, external_id) "
        "SELECT id, 'wecom', lower(wecom_userid) FROM users WHERE wecom_userid IS NOT NULL AND wecom_userid <> ''"
    )
    op.execute(
        "INSERT INTO user_identities (user_id, channel, external_id) "
        "SELECT id, 'dingtalk', dingtalk_userid FROM users WHERE dingtalk_userid IS NOT NULL AND dingtalk_userid <> ''"
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('dingtalk_userid')
        batch_op.drop_column('wecom_userid')

    op.create_table('wecom_uploads',
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uploaded_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('outbox_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_context', sa.JSON(), nullable=True))

    with op.batch_alter_table('wecom_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('outbox_id', sa.Integer(), nullable=True))
    # Cards sent before: their task_id was the handler's card id, which is what their handlers still refer to.
    op.execute("UPDATE wecom_cards SET card_ref = task_id")
    with op.batch_alter_table('wecom_cards', schema=None) as batch_op:
        batch_op.alter_column('card_ref', existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False)
        batch_op.create_index('ix_wecom_cards_ref_user', ['card_ref', 'userid'], unique=False)
        batch_op.create_unique_constraint('uq_wecom_cards_outbox', ['outbox_id'])


def downgrade() -> None:
    with op.batch_alter_table('wecom_cards', schema=None) as batch_op:
        batch_op.drop_constraint('uq_wecom_cards_outbox', type_='unique')
        batch_op.drop_index('ix_wecom_cards_ref_user')
        batch_op.drop_column('outbox_id')
        batch_op.drop_column('card_ref')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('reply_context')
    op.drop_table('wecom_uploads')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wecom_userid', sa.VARCHAR(), nullable=True))
        batch_op.add_column(sa.Column('dingtalk_userid', sa.VARCHAR(), nullable=True))
        batch_op.create_unique_constraint('uq_users_wecom_userid', ['wecom_userid'])
        batch_op.create_unique_constraint('uq_users_dingtalk_userid', ['dingtalk_userid'])
    op.execute(
        "UPDATE users SET wecom_userid = (SELECT external_id FROM user_identities i "
        "WHERE i.user_id = users.id AND i.channel = 'wecom')"
    )
    op.execute(
        "UPDATE users SET dingtalk_userid = (SELECT external_id FROM user_identities i "
        "WHERE i.user_id = users.id AND i.channel = 'dingtalk')"
    )
    op.drop_table('user_identities')
