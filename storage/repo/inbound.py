"""The inbound log's write path: many messages in one statement, redeliveries skipped by the unique key.

This is the acknowledging process's only database work, so it is written for CPU and waits: the statement is plain
SQL sent straight through the driver of the connection the database keeps for it (`Database.writer`: sqlite3 on the
event loop, or asyncpg), with the columns' own bind processors applied to the values. Through SQLAlchemy's
execution layer the same insert cost the acknowledging process more than decrypting the callback did (statement
bookkeeping and result processing per row), and a pooled connection added round trips or thread hops per batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Dialect

from storage.db import Database
from storage.models import InboundMessage

LOCK_WAIT_S = 5.0  # as long as the other connections' busy_timeout
TABLE = InboundMessage.__table__  # type: ignore[attr-defined]
COLUMNS = ("channel", "platform_msg_id", "sender", "conversation", "payload", "status", "received_at")
_RETURNING = "ON CONFLICT (channel, platform_msg_id) DO NOTHING RETURNING id, channel, platform_msg_id"
# PostgreSQL: one prepared statement whatever the batch size, the columns as arrays.
_PG_TYPES = ("text", "text", "text", "text", "json", "text", "timestamptz")
_PG_INSERT = (
    f"INSERT INTO {TABLE.name} ({', '.join(COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"${n}::{t}[]" for n, t in enumerate(_PG_TYPES, 1))
    + f") {_RETURNING}"
)


@cache
def _sqlite_insert(rows: int) -> str:
    """SQLite has no arrays: one VALUES group per row (text cached per batch size)."""
    group = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    return f"INSERT INTO {TABLE.name} ({', '.join(COLUMNS)}) VALUES {', '.join([group] * rows)} {_RETURNING}"


async def _sqlite_store(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[Any]:
    """Take SQLite's write lock, insert, commit: on the event loop, which it blocks only while it holds the lock
    (a fraction of a millisecond: nothing is synced on commit in WAL mode, see `Database`).

    While another process (a worker) holds the lock this waits on the loop, trying again every millisecond,
    instead of in SQLite's busy handler, whose sleeps grow 1, 2, 5, 10 … ms and would block the loop."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.001)
    try:
        inserted = conn.execute(sql, params).fetchall()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return inserted


@cache
def _processors(dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    """What SQLAlchemy would do to each value on the way in (JSON encoding, UTC datetimes)."""
    return tuple(TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in COLUMNS)


async def store_new(db: Database, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the rows not stored before, in one statement (its own transaction); ids of those inserted, by
    (channel, message id). A redelivery, stored before or earlier in `rows`, gets no id."""
    procs = _processors(db.engine.dialect)
    columns = [[(p(row[name]) if p else row[name]) for row in rows] for name, p in zip(COLUMNS, procs, strict=True)]
    async with db.writer() as driver:
        if db.is_sqlite:
            params = [value for values in zip(*columns, strict=True) for value in values]
            inserted = await _sqlite_store(driver, _sqlite_insert(len(rows)), params)
        else:  # asyncpg outside a transaction: the statement commits by itself
            inserted = await driver.fetch(_PG_INSERT, *columns)
    return {(channel, msg_id): int(row_id) for row_id, channel, msg_id in inserted}


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
