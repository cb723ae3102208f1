"""Counting platform calls per month: one atomic upsert per call, readable by `kabot doctor` and /healthz."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.models import QuotaUsage

TABLE = QuotaUsage.__table__  # type: ignore[attr-defined]


async def add(db: Database, *, channel: str, month: str, kind: str, n: int, now: datetime) -> int:
    """Add `n` to the month's count and return the new total; concurrent callers each see a distinct total."""
    insert = sqlite_insert if db.is_sqlite else pg_insert
    stmt = (
        insert(TABLE)
        .values(channel=channel, month=month, kind=kind, count=n, updated_at=now)
        .on_conflict_do_update(
            index_elements=["channel", "month", "kind"],
            set_={"count": TABLE.c.count + n, "updated_at": now},
        )
        .returning(TABLE.c.count)
    )
    async with db.engine.begin() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def counts(db: Database, *, channel: str, month: str) -> dict[str, int]:
    """This month's count per kind (kinds never used are absent)."""
    stmt = select(TABLE.c.kind, TABLE.c.count).where(TABLE.c.channel == channel, TABLE.c.month == month)
    async with db.engine.connect() as conn:
        return {str(kind): int(count) for kind, count in (await conn.execute(stmt)).all()}
