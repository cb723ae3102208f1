"""Fixtures for the end-to-end tests: kabot's real HTTP app in front of a fake WeCom."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services import Services
from core.clock import FakeClock
from tests.fakes.wecom_rig import Rig, make_rig


@pytest.fixture
async def rig(services: Services, clock: FakeClock, aiohttp_server: Any, aiohttp_client: Any) -> Rig:
    return await make_rig(services, clock, aiohttp_server, aiohttp_client)
