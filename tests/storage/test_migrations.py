"""The migrations build exactly the schema the models describe, on an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from bot.services import Services


async def test_migrations_match_models(services: Services) -> None:
    def diff(conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, SQLModel.metadata)

    async with services.db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
    cur, head = await services.db.revisions()
    assert cur == head
