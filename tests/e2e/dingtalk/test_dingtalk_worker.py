"""`kabot work` holds a Stream connection of its own: a company on DingTalk's Stream mode needs no `kabot serve`."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from bot.app import run_worker
from bot.channels import registry
from bot.demo import seed_demo
from bot.services import Services
from storage.models import User
from storage.repo import users
from tests.fakes.ding_harness import ding_settings
from tests.fakes.dingtalk_rig import Sleeps
from tests.fakes.dingtalk_server import FakeDingTalk


async def test_a_worker_alone_receives_answers_and_stops_cleanly(services: Services, aiohttp_server: Any) -> None:
    async with services.db.session() as session:
        await seed_demo(session, services.clock.now())
    fake = FakeDingTalk(clock=services.clock)
    server = await aiohttp_server(fake.make_app())
    services.settings = services.settings.model_copy(update={"dingtalk": ding_settings(fake, fake.base_url(server))})
    registry.configure(services)
    services.channels["dingtalk"].stream_sleep = Sleeps()  # type: ignore[attr-defined]
    async with services.db.session() as s:
        for user in (await s.exec(select(User))).all():
            assert user.id is not None
            await users.set_identities(s, user.id, {"dingtalk": user.name})
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop))
    await fake.until(lambda: fake.open_connections == 1)
    await fake.push_robot_message("李娜", "查 艾克美")
    await fake.until(lambda: any("艾克美工业有限公司" in t for t in fake.texts_to("cid李娜")))
    stop.set()
    await asyncio.wait_for(worker, 10)
    await fake.until(lambda: fake.open_connections == 0)
    assert len(fake.texts_to("cid李娜")) == 1
