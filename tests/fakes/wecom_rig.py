"""A kabot app wired to a fake WeCom, for end-to-end tests that go through the real HTTP callback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlmodel import select

from bot.app import PIPELINE, create_app
from bot.channels import registry
from bot.delivery import Deliverer
from bot.demo import seed_demo
from bot.pipeline import Pipeline
from bot.services import Services
from bot.settings import Settings
from core.clock import FakeClock
from tests.fakes.wecom_screen import shown
from tests.fakes.wecom_server import FakeWeCom


@dataclass
class Rig:
    fake: FakeWeCom
    client: TestClient
    pipeline: Pipeline
    deliverer: Deliverer
    services: Services

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.services.clock, FakeClock)
        return self.services.clock

    async def post(self, callback: tuple[dict[str, str], bytes]) -> tuple[int, bytes]:
        params, body = callback
        resp = await self.client.post("/wecom/callback", params=params, data=body)
        return resp.status, await resp.read()

    async def settle(self) -> int:
        """Finish background processing, then deliver what is due; returns how many were delivered."""
        await self.pipeline.drain()
        return await self.deliverer.run_once()

    def texts(self, to: str) -> list[str]:
        """Every text and markdown message `to` received, as read on the phone."""
        return [shown(m) for m in self.fake.sent if m["touser"] == to and m["msgtype"] in ("text", "markdown")]

    def screen(self, to: str) -> list[str]:
        """Everything `to` received, in order, as read on the phone (cards and files included)."""
        return [shown(m, self.fake.uploads) for m in self.fake.sent if m["touser"] == to]

    async def rows(self, model: Any) -> list[Any]:
        async with self.services.db.session() as s:
            return list((await s.exec(select(model))).all())


def wecom_settings(services: Services, fake: FakeWeCom, api_base: str, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=services.settings.database_url,
        wecom_corp_id=fake.corp_id,
        wecom_agent_id=fake.agent_id,
        wecom_secret=SecretStr(fake.secret),
        wecom_token=SecretStr(fake.callback_token),
        wecom_aes_key=SecretStr(fake.encoding_aes_key),
        wecom_api_base=api_base,
        _env_file=None,
        **extra,
    )


async def make_rig(
    services: Services, clock: FakeClock, aiohttp_server: Any, aiohttp_client: Any, **settings: Any
) -> Rig:
    fake = FakeWeCom(clock=clock)
    server = await aiohttp_server(fake.make_app())
    services.settings = wecom_settings(services, fake, FakeWeCom.base_url(server), **settings)
    if settings.get("redis_url"):
        import redis.asyncio as redis

        services.redis = redis.from_url(settings["redis_url"])
    registry.configure(services)
    async with services.db.session() as s:
        await seed_demo(s, clock.now())
    app = create_app(services, background=False)
    client = await aiohttp_client(app)
    return Rig(fake, client, app[PIPELINE], Deliverer(services), services)
