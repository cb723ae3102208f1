"""customers' countries as ISO codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:05:00

`德国`, `Germany`, `germany` all become `DE`, so approval policies (`countries = ["DE"]`) match them. A value
that is no country we know is left as it was.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.countries import BY_CODE, country_code


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for (value,) in conn.execute(sa.text("SELECT DISTINCT country FROM customers WHERE country IS NOT NULL")).all():
        code = country_code(value)
        if code is not None and code != value:
            conn.execute(
                sa.text("UPDATE customers SET country = :code WHERE country = :value"), {"code": code, "value": value}
            )


def downgrade() -> None:
    conn = op.get_bind()
    for code, country in BY_CODE.items():
        conn.execute(
            sa.text("UPDATE customers SET country = :name WHERE country = :code"), {"name": country.zh, "code": code}
        )
