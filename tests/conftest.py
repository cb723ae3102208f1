"""Every test gets its own database: a SQLite file, or a database / schema on KABOT_TEST_DATABASE_URL's PostgreSQL.

Migrating and seeding the demo company once per test took twice as long as the tests themselves; they are done
once per session into two templates (migrated; migrated and seeded), and each test gets a copy: SQLite copies the
file, PostgreSQL creates the test's database with `CREATE DATABASE … TEMPLATE`. `database_url` stays empty (for
the migration tests)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_services
from bot.services import Services
from bot.settings import Settings
from core.clock import FakeClock
from storage.db import Database
from tests.fakes.harness import ChatHarness

PG_URL = os.environ.get("KABOT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("KABOT_TEST_REDIS_URL")
# Monday 2026-11-23 10:00 in Shanghai: the reference "now" of every scenario.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SEEDED_BY = {"bot", "rig"}  # fixtures that start from the demo company


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings read KABOT_* and .env: keep the developer's own out of the tests."""
    for key in list(os.environ):
        if key.startswith("KABOT_") and not key.startswith("KABOT_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    """(url, schema) of an empty database private to this test."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'kabot.db'}", None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield PG_URL, schema
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def _build_template(url: str, *, seeded: bool) -> None:
    db = Database(url)
    try:
        await db.upgrade()
        if seeded:
            from bot.demo import seed_demo

            async with db.session() as session:
                await seed_demo(session, NOW)
    finally:
        await db.close()


def _pg_database(name: str) -> str:
    assert PG_URL
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def _pg_admin(*statements: str) -> None:
    """CREATE / DROP DATABASE run outside a transaction."""
    assert PG_URL
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, str]]:
    """{seeded: template} — SQLite file paths, or PostgreSQL database names private to this session."""
    if not PG_URL:
        folder = tmp_path_factory.mktemp("templates")
        files = {seeded: str(folder / f"{'seeded' if seeded else 'migrated'}.db") for seeded in (False, True)}
        for seeded, path in files.items():
            asyncio.run(_build_template(f"sqlite+aiosqlite:///{path}", seeded=seeded))
        yield files
        return
    tag = uuid.uuid4().hex[:8]
    names = {seeded: f"kabot_tpl_{tag}_{'seeded' if seeded else 'migrated'}" for seeded in (False, True)}
    for seeded, name in names.items():
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(_build_template(_pg_database(name), seeded=seeded))
    yield names
    asyncio.run(_pg_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values())))


@pytest.fixture
async def _prepared_url(
    request: pytest.FixtureRequest, _templates: dict[bool, str], tmp_path: Path
) -> AsyncIterator[str]:
    """A private copy of the migrated database, seeded with the demo company when the test asks for a harness
    that seeds it (their own `seed_demo` then finds it there)."""
    template = _templates[bool(SEEDED_BY & set(request.fixturenames))]
    if not PG_URL:
        target = tmp_path / "kabot.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"kabot_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_database(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def services(_prepared_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    s = build_services(Settings(database_url=_prepared_url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    await s.db.upgrade()  # a no-op on the copy: keeps the schema gate's path the app takes
    yield s
    await s.db.close()


@pytest.fixture
async def bot(services: Services) -> ChatHarness:
    """The demo company (already in the copied template), and a chat harness to talk to it as anyone in it."""
    return ChatHarness(services)
