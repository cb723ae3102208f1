"""Here `bot` talks to a fake DingTalk over kabot's real Stream connection (tests/fakes/ding_harness.py).

`bot` runs each suite twice: as is, and with faults on every message (the websocket dropped before it, and the
message pushed again after it was answered, as after a slow ack): every message must be answered exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.demo import seed_demo
from bot.services import Services
from tests.fakes.ding_harness import DingHarness


@pytest.fixture(params=["clean", "faults"])
async def bot(request: Any, services: Services, aiohttp_server: Any, aiohttp_client: Any) -> DingHarness:
    async with services.db.session() as session:
        await seed_demo(session, services.clock.now())
    harness = await DingHarness.start(services, aiohttp_server, aiohttp_client)
    harness.drop = harness.redeliver = request.param == "faults"
    return harness
