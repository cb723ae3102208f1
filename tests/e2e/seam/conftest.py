"""Here `bot` talks Loopchat, a chat app kabot's code has never heard of (tests/fakes/loopchat.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services import Services
from tests.fakes.loop_harness import LoopHarness


@pytest.fixture
async def bot(services: Services, aiohttp_server: Any, aiohttp_client: Any) -> LoopHarness:
    """The demo company (from the seeded template, see tests/conftest.py) on Loopchat."""
    return await LoopHarness.start(services, aiohttp_server, aiohttp_client)
