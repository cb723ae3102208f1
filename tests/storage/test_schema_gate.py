"""SQLite brings itself up to date; a PostgreSQL that is behind is refused with the command to run."""

from __future__ import annotations

import pytest

from storage.db import Database, SchemaBehind


async def test_empty_database_is_upgraded_or_refused(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url
    db = Database(url, schema=schema)
    try:
        if db.is_sqlite:
            await db.ensure_schema()
            cur, head = await db.revisions()
            assert cur == head
        else:
            with pytest.raises(SchemaBehind, match="kabot db upgrade"):
                await db.ensure_schema()
            await db.upgrade()
            await db.ensure_schema()
    finally:
        await db.close()
