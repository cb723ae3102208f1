"""The inbound log's write path: many messages in one statement, redeliveries skipped by the unique key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.models import InboundMessage

TABLE = InboundMessage.__table__  # type: ignore[attr-defined]


async def store_new(db: Database, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the rows not stored before, in one transaction; ids of those inserted, by (channel, message id)."""
    insert = sqlite_insert if db.is_sqlite else pg_insert
    # One statement compiled once and cached, the rows sent as parameters (SQLAlchemy batches them into
    # multi-row INSERTs): a VALUES list built per batch is compiled anew every time, which cost the
    # acknowledging process about half a millisecond per message.
    stmt = (
        insert(TABLE)
        .on_conflict_do_nothing(index_elements=["channel", "platform_msg_id"])
        .returning(TABLE.c.id, TABLE.c.channel, TABLE.c.platform_msg_id)
    )
    async with db.engine.begin() as conn:
        result = await conn.execute(stmt, list(rows))
        return {(channel, msg_id): int(row_id) for row_id, channel, msg_id in result.all()}


async def stored_since(db: Database, channel: str, msg_ids: Sequence[str], *, since: datetime) -> bool:
    """Whether `channel` stored one of these message ids at or after `since` (by the unique key's index)."""
    stmt = (
        select(TABLE.c.id)
        .where(TABLE.c.channel == channel, TABLE.c.platform_msg_id.in_(list(msg_ids)))
        .where(TABLE.c.received_at >= since)
        .limit(1)
    )
    async with db.engine.connect() as conn:
        return (await conn.execute(stmt)).first() is not None
