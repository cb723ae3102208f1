"""`kabot serve` on the demo's database: the terminal's replies are left for `kabot chat`, not retried for ever."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlmodel import select

from bot.delivery import Deliverer
from bot.inbound import Inbound
from core.clock import FakeClock
from storage.models import OutboxMessage
from tests.fakes.harness import ChatHarness


async def test_a_server_without_the_terminal_leaves_its_replies_alone(
    bot: ChatHarness, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.pipeline.handle(Inbound("console", "李娜", uuid.uuid4().hex, text="待办"))  # typed, then chat quit
    server = bot.services.channels.pop("console")  # what `serve` has: no terminal
    caplog.set_level(logging.WARNING)
    for _ in range(20):
        await Deliverer(bot.services).run_once()
        clock.advance(hours=1)
    async with bot.services.db.session() as s:
        [row] = (await s.exec(select(OutboxMessage))).all()
    assert (row.status, row.attempts) == ("pending", 0)
    assert "not configured" not in caplog.text  # no warning an hour for ever
    bot.services.channels["console"] = server  # the next `kabot chat` shows it
    assert await bot.deliverer.run_once(channel="console", target="李娜") == 1
