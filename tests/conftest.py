"""Every test gets its own database: a SQLite file, or a fresh schema on KABOT_TEST_DATABASE_URL's PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
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


@pytest.fixture
async def services(database_url: tuple[str, str | None], clock: FakeClock) -> AsyncIterator[Services]:
    url, schema = database_url
    s = build_services(Settings(database_url=url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    if schema:
        await s.db.close()
        s.db = Database(url, schema=schema)
    await s.db.upgrade()
    yield s
    await s.db.close()


@pytest.fixture
async def bot(services: Services) -> ChatHarness:
    """The demo company, and a chat harness to talk to it as anyone in it."""
    from bot.demo import seed_demo

    async with services.db.session() as session:
        await seed_demo(session, services.clock.now())
    return ChatHarness(services)
