"""Engine, sessions and the schema gate (SQLite upgrades itself, PostgreSQL must be upgraded on purpose)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.repo.names  # noqa: F401 — keeps customer name keys in step on every flush

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaBehind(Exception):
    """The database's schema is older than this code; `str(err)` tells which command to run."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process crash, one fsync per checkpoint
    cur.close()


def _drop_if_closed(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection the server closed (a restart, an idle timeout, a terminated backend) is
    replaced at checkout: asyncpg notices the closed socket by itself, within a turn of the event loop, so asking
    it costs no round trip. SQLAlchemy's pre-ping would ask the server (BEGIN, an empty statement, ROLLBACK: three
    round trips) on every checkout, and a message takes several."""
    if dbapi_conn.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")  # the pool connects anew and checks again


def _sqlite_writer(path: str) -> sqlite3.Connection:
    """The acknowledging writer's own SQLite connection, used on the event loop without a thread hop.

    It never waits inside SQLite (busy_timeout 0: `InboundWriter` waits for the lock on the loop instead, so
    the loop is never blocked), and leaves checkpoints (which sync the file) to the other connections."""
    conn = sqlite3.connect(path, isolation_level=None)
    _sqlite_pragmas(conn, None)
    conn.execute("PRAGMA busy_timeout=0")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


class Database:
    """One engine and session factory per app; passed in, never a module global."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False, log_bodies: bool = False) -> None:
        """`schema` (PostgreSQL only) puts every table in that schema: tests get one each.

        Statement parameters hold decrypted message bodies, so neither SQLAlchemy (in errors and its INFO log)
        nor aiosqlite (whose DEBUG log prints every call with its arguments) shows them, unless `log_bodies`
        (KABOT_LOG_MESSAGE_BODIES, for local debugging only).
        """
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": not log_bodies}
        if self.is_sqlite:
            logging.getLogger("aiosqlite").setLevel(logging.NOTSET if log_bodies else logging.INFO)
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=20)
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine.sync_engine, "checkout", _drop_if_closed)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._sqlite_writer: sqlite3.Connection | None = None
        self._pg_writer: AsyncConnection | None = None  # checked out of the pool for good
        self._writer_lock = asyncio.Lock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: commits on success, rolls back on any error.

        Usage: `async with db.session() as s: s.add(row)`.
        """
        async with self._sessions() as s, s.begin():
            yield s

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[Any]:
        """The driver connection kept for the inbound log's acknowledging writes (sqlite3 or asyncpg), one user at
        a time.

        Why its own: these writes are on every acknowledgement's path, and a pooled checkout costs a round trip
        each (PostgreSQL's pre-ping is three: BEGIN, an empty statement, ROLLBACK) and on SQLite four thread hops
        (execute, fetch, commit, the pool's reset). This one is checked out once and pinged then; a PostgreSQL
        connection the server closed since (a restart, an idle timeout) is replaced before use, never a
        statement retried that may have committed.
        """
        async with self._writer_lock:
            if self.is_sqlite:
                if self._sqlite_writer is None:
                    self._sqlite_writer = _sqlite_writer(self.engine.url.database or "")
                yield self._sqlite_writer
                return
            driver = None
            if self._pg_writer is not None:
                driver = (await self._pg_writer.get_raw_connection()).driver_connection
                if driver is None or driver.is_closed():
                    await self._pg_writer.invalidate()
                    await self._pg_writer.close()
                    self._pg_writer = driver = None
            if self._pg_writer is None:
                self._pg_writer = await self.engine.connect()
                driver = (await self._pg_writer.get_raw_connection()).driver_connection
            yield driver

    async def close(self) -> None:
        if self._sqlite_writer is not None:
            self._sqlite_writer.close()
            self._sqlite_writer = None
        if self._pg_writer is not None:
            await self._pg_writer.close()
            self._pg_writer = None
        await self.engine.dispose()

    # --- schema -------------------------------------------------------------------------------
    async def upgrade(self) -> None:
        def run(conn: Connection) -> None:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

        async with self.engine.connect() as conn:
            if self.is_sqlite:
                # A batch migration rebuilds a table others point at (drop, then rename the copy); SQLite would
                # refuse the drop, and its foreign-key switch only works outside a transaction.
                await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                await conn.commit()
            try:
                async with conn.begin():
                    await conn.run_sync(run)
                    if self.is_sqlite and (await conn.exec_driver_sql("PRAGMA foreign_key_check")).first():
                        raise RuntimeError("a migration left rows pointing at rows that do not exist")
            finally:
                if self.is_sqlite:
                    await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    await conn.commit()

    async def revisions(self) -> tuple[str | None, str | None]:
        """(current, head) revision ids."""

        def current(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            cur = await conn.run_sync(current)
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        return cur, head

    async def ensure_schema(self) -> None:
        """SQLite is brought up to date silently; a PostgreSQL behind its code is refused."""
        cur, head = await self.revisions()
        if cur == head:
            return
        if self.is_sqlite:
            await self.upgrade()
            return
        raise SchemaBehind(f"数据库结构版本 {cur or '（空）'} 落后于程序需要的 {head}。请先运行：kabot db upgrade")

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — health reporting must not raise
            return False
