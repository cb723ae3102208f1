"""quote cards, transfer requests, VAT on quotes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00

Cards sent to approvers were remembered in the audit log (action `card_sent`); they move to `quote_cards`,
closed where their approval is no longer open.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import storage.types  # noqa: F401


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (the default fills existing rows): no table rebuild, which SQLite could not do while
    # other tables' foreign keys point at quotes.
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tax_included', sa.Boolean(), nullable=True))
    op.create_table(
        'quote_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('card_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('quote_id', sa.Integer(), nullable=False),
        sa.Column('approval_id', sa.Integer(), nullable=True),
        sa.Column('to_user_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('closed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('final_text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['approval_id'], ['approvals.id']),
        sa.ForeignKeyConstraint(['quote_id'], ['quotes.id']),
        sa.ForeignKeyConstraint(['to_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('card_id'),
    )
    with op.batch_alter_table('quote_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_cards_approval_id'), ['approval_id'], unique=False)
        batch_op.create_index('ix_quote_cards_open', ['quote_id', 'closed_at'], unique=False)
    op.create_table(
        'transfer_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('from_owner_id', sa.Integer(), nullable=True),
        sa.Column('to_user_id', sa.Integer(), nullable=False),
        sa.Column('decider_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('card_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decider_id'], ['users.id']),
        sa.ForeignKeyConstraint(['from_owner_id'], ['users.id']),
        sa.ForeignKeyConstraint(['to_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_requests_customer_id'), ['customer_id'], unique=False)
    _copy_cards_from_audit()


def _copy_cards_from_audit() -> None:
    """In SQL, so timestamps keep their stored form on both databases; JSON is read the dialect's way."""
    dialect = op.get_bind().dialect.name
    field = (lambda key: f"a.after->>'{key}'") if dialect == "postgresql" else (lambda key: f"json_extract(a.after, '$.{key}')")
    op.execute(
        "INSERT INTO quote_cards (card_id, kind, quote_id, approval_id, to_user_id, sent_at, closed_at) "
        f"SELECT {field('card_id')}, 'approval', p.quote_id, p.id, CAST({field('to_user_id')} AS INTEGER), a.at, "
        "CASE WHEN p.decision IN ('pending', 'waiting') THEN NULL ELSE COALESCE(p.decided_at, a.at) END "
        "FROM audit_log a JOIN approvals p ON p.id = a.entity_id "
        "WHERE a.action = 'card_sent' AND a.entity = 'approvals' AND a.after IS NOT NULL ORDER BY a.id"
    )


def downgrade() -> None:
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_requests_customer_id'))
    op.drop_table('transfer_requests')
    with op.batch_alter_table('quote_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_cards_open')
        batch_op.drop_index(batch_op.f('ix_quote_cards_approval_id'))
    op.drop_table('quote_cards')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_column('tax_included')
        batch_op.drop_column('vat_rate')
