"""The chat harness over Loopchat (tests/fakes/loopchat.py): the same `say` / `tap` / `flush` as ChatHarness, but
every message goes through kabot's real HTTP app as a signed Loopchat event, and every answer comes back through
the Loopchat API to the fake app, read the way the app shows it. Tests written for the console run unchanged.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.app import PIPELINE, create_app
from bot.cards.actions import CardAction
from bot.delivery import Deliverer
from bot.inbound import Inbound
from bot.services import Services
from core.clock import FakeClock
from storage.models import User
from storage.repo import users
from tests.fakes.harness import RecordingConsole
from tests.fakes.loopchat import EVENTS_PATH, FakeLoopchat, LoopchatChannel, Shown


class Phone:
    """What the tests call `bot.console`: the buttons of the last card each person got, which a test may replace
    to tap an older card's (the tag of the card a button came from is remembered, as the app would)."""

    def __init__(self) -> None:
        self.buttons: dict[str, list[CardAction]] = {}
        self.tags: dict[tuple[str, str], tuple[int, str | None]] = {}  # (who, packed action) -> (message, tag)


class LoopHarness:
    def __init__(self, services: Services, app: FakeLoopchat, client: TestClient, channel: LoopchatChannel) -> None:
        self.services = services
        self.app = app
        self.client = client
        self.channel = channel
        self.pipeline = client.app[PIPELINE]
        self.deliverer = Deliverer(services)
        self.console = Phone()
        self._seen: dict[str, int] = {}

    @property
    def clock(self) -> FakeClock:
        """The scenario's clock, to move time on (as ChatHarness.clock)."""
        assert isinstance(self.services.clock, FakeClock)
        return self.services.clock

    @classmethod
    async def start(cls, services: Services, aiohttp_server: Any, aiohttp_client: Any) -> LoopHarness:
        fake = FakeLoopchat()
        server = await aiohttp_server(fake.make_app())
        channel = LoopchatChannel(
            services.renderer,
            api_base=str(server.make_url("")),
            api_token=fake.api_token,
            signing_secret=fake.signing_secret,
        )
        services.channels.clear()
        services.channels[channel.name] = channel
        # Messages a test hands the pipeline directly as the console still need somewhere to go.
        services.channels["console"] = RecordingConsole(services)
        async with services.db.session() as s:
            for user in (await s.exec(select(User))).all():
                assert user.id is not None
                await users.set_identities(s, user.id, {channel.name: user.name})
        client = await aiohttp_client(create_app(services, background=False))
        return cls(services, fake, client, channel)

    async def say(self, who: str, text: str) -> list[str]:
        return await self._post(who, uuid.uuid4().hex, text=text)

    async def tap(self, who: str, number: int) -> list[str]:
        """Tap button `number` (1-based) of the last card `who` received."""
        return await self._tap(who, uuid.uuid4().hex, self.console.buttons[who][number - 1])

    async def _send(self, who: str, inbound: Inbound) -> list[str]:
        """An Inbound a console test built, sent as the Loopchat event it stands for."""
        if inbound.action is not None:
            return await self._tap(who, inbound.platform_msg_id, inbound.action)
        return await self._post(who, inbound.platform_msg_id, text=inbound.text)

    async def _tap(self, who: str, event_id: str, action: CardAction) -> list[str]:
        message, tag = self.console.tags.get((who, action.pack()), (0, None))
        return await self._post(who, event_id, tap={"message": message, "tag": tag, "value": action.pack()})

    async def _post(self, who: str, event_id: str, **event: Any) -> list[str]:
        body, headers = self.app.event(who, event_id, **event)
        resp = await self.client.post(EVENTS_PATH, data=body, headers=headers)
        assert resp.status == 200, resp.status
        return await self.flush(who)

    async def flush(self, who: str) -> list[str]:
        """Finish processing, deliver everything due, and return what `who`'s app shows since the last look."""
        await self.pipeline.drain()
        await self.deliverer.run_once()
        feed = self.app.feeds.get(who, [])
        new, self._seen[who] = feed[self._seen.get(who, 0) :], len(feed)
        return [self._show(who, s) for s in new]

    async def said(self, who: str, text: str) -> str:
        return "\n".join(await self.say(who, text))

    def _show(self, who: str, shown: Shown) -> str:
        if shown.kind == "card":
            actions = [CardAction.unpack(b["value"]) for b in shown.buttons]
            if actions:
                self.console.buttons[who] = actions
                self.console.tags.update({(who, a.pack()): (shown.id, shown.tag) for a in actions})
            labels = "  ".join(f"[{i}] {b['label']}" for i, b in enumerate(shown.buttons, 1))
            return "\n".join(x for x in (f"【{shown.title}】", shown.text, labels) if x)
        if shown.kind == "closed":
            return f"（卡片已更新：{shown.text}）"
        if shown.kind == "file":
            return f"{shown.text}\n[文件] {shown.title}"
        return shown.text
