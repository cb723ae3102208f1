"""Message bodies stay out of the log at every level, DEBUG on SQLite included, unless asked for.

SQLite only (its driver is the one that logs calls); SQLAlchemy's hidden parameters hold on any database.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.app import build_services
from bot.demo import seed_demo
from bot.settings import Settings
from core.clock import FakeClock
from tests.fakes.harness import ChatHarness

SECRET = "机密客户甲乙丙"


async def _talk(url: str, clock: FakeClock, **settings: Any) -> None:
    services = build_services(Settings(database_url=url, _env_file=None, **settings), clock=clock)  # type: ignore[call-arg]
    await services.db.upgrade()
    async with services.db.session() as session:
        await seed_demo(session, clock.now())
    bot = ChatHarness(services)
    await bot.say("李娜", f"新客户 {SECRET} 德国")
    await bot.say("李娜", f"跟进 {SECRET} 今天电话沟通了报价")
    await services.db.close()


async def test_debug_logging_on_sqlite_never_shows_a_message_body(
    tmp_path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    await _talk(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", clock)
    assert logging.getLogger().isEnabledFor(logging.DEBUG)  # DEBUG really was on
    assert SECRET not in caplog.text


async def test_kabot_log_message_bodies_shows_them_for_local_debugging(
    tmp_path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    await _talk(f"sqlite+aiosqlite:///{tmp_path / 'debug.db'}", clock, log_message_bodies=True)
    assert SECRET in caplog.text
