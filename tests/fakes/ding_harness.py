"""The chat harness over the fake DingTalk: the same `say` / `tap` / `flush` as ChatHarness, but every message is
a robot message pushed over kabot's real Stream connection, every tap a card callback on it, and every answer comes
back through the fake's sessionWebhook, robot and card APIs, read the way a phone shows it.

Faults, for the whole conversation: `drop=True` cuts the websocket before every message (it waits at the gateway
until kabot reconnects); `redeliver=True` pushes every message a second time after it was answered, as DingTalk
does after a slow ack (taps too), and checks that nothing more is answered.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlmodel import select

from bot.app import PIPELINE, create_app
from bot.cards.actions import CardAction
from bot.channels import registry
from bot.delivery import Deliverer
from bot.inbound import Inbound
from bot.services import Services
from bot.settings import DingTalkSettings
from core.clock import FakeClock
from storage.models import User
from storage.repo import users
from tests.fakes.dingtalk_rig import Sleeps
from tests.fakes.dingtalk_server import BOT_TOPIC, CARD_TOPIC, FakeDingTalk
from tests.fakes.harness import RecordingConsole
from tests.fakes.loop_harness import Phone

TEMPLATE = "kabot-approval-fake.schema"


def ding_settings(fake: FakeDingTalk, base: str, **extra: Any) -> DingTalkSettings:
    return DingTalkSettings(  # type: ignore[call-arg]
        client_id=fake.client_id,
        client_secret=SecretStr(fake.client_secret),
        api_base=base,
        oapi_base=base,
        _env_file=None,
        **extra,
    )


class DingHarness:
    def __init__(self, services: Services, fake: FakeDingTalk, client: TestClient, people: dict[str, str]) -> None:
        self.services = services
        self.fake = fake
        self.client = client
        self.pipeline = client.app[PIPELINE]
        self.deliverer = Deliverer(services)
        self.console = Phone()
        self.people = people  # name -> staff id
        self.drop = False
        self.redeliver = False
        self._seen = 0
        self._tracks: dict[tuple[str, str], str] = {}  # (who, packed action) -> outTrackId of its card
        self._unread: dict[str, list[str]] = {}

    @property
    def clock(self) -> FakeClock:
        """The scenario's clock, to move time on (as ChatHarness.clock)."""
        assert isinstance(self.services.clock, FakeClock)
        return self.services.clock

    @classmethod
    async def start(
        cls,
        services: Services,
        aiohttp_server: Any,
        aiohttp_client: Any,
        *,
        template: str | None = TEMPLATE,
        **settings: Any,
    ) -> DingHarness:
        fake = FakeDingTalk(clock=services.clock)
        server = await aiohttp_server(fake.make_app())
        ding = ding_settings(fake, fake.base_url(server), card_template_id=template, **settings)
        services.settings = services.settings.model_copy(update={"dingtalk": ding})
        registry.configure(services)
        channel = services.channels["dingtalk"]
        channel.stream_sleep = Sleeps()  # type: ignore[attr-defined]
        services.channels["console"] = RecordingConsole(services)
        people: dict[str, str] = {}
        async with services.db.session() as s:
            for user in (await s.exec(select(User))).all():
                assert user.id is not None
                people[user.name] = user.name  # the suites read the outbox by name (tests/bot/test_quotes_support)
                await users.set_identities(s, user.id, {"dingtalk": people[user.name]})
        client = await aiohttp_client(create_app(services, background=False))
        if ding.mode == "stream":
            await fake.until(lambda: fake.open_connections == 1)
        return cls(services, fake, client, people)

    # ---- what the suites call ----------------------------------------------------------------------

    async def say(self, who: str, text: str) -> list[str]:
        return await self._message(who, text, uuid.uuid4().hex)

    async def said(self, who: str, text: str) -> str:
        return "\n".join(await self.say(who, text))

    async def tap(self, who: str, number: int) -> list[str]:
        """Tap button `number` (1-based) of the last card `who` received."""
        return await self._tap(who, self.console.buttons[who][number - 1])

    async def _send(self, who: str, inbound: Inbound) -> list[str]:
        """An Inbound a console test built, sent as the DingTalk push it stands for."""
        if inbound.action is not None:
            return await self._tap(who, inbound.action)
        return await self._message(who, inbound.text or "", inbound.platform_msg_id)

    async def flush(self, who: str) -> list[str]:
        """Finish processing, deliver everything due, and return what `who`'s phone shows since the last look."""
        await self.pipeline.drain()
        await self.deliverer.run_once()
        self._read()
        return self._unread.pop(who, [])

    # ---- pushes ---------------------------------------------------------------------------------------

    async def _message(self, who: str, text: str, msg_id: str) -> list[str]:
        body = self.fake.robot_message(self.people[who], text, msg_id=msg_id)
        await self._push(BOT_TOPIC, body)
        answered = await self.flush(who)
        if self.redeliver:
            await self._again(BOT_TOPIC, body)
        return answered

    async def _tap(self, who: str, action: CardAction) -> list[str]:
        track = self._tracks.get((who, action.pack()), "kabot_unknown")
        body = self.fake.card_callback(self.people[who], track, {"action": action.pack()})
        await self._push(CARD_TOPIC, body)
        answered = await self.flush(who)
        if self.redeliver:
            await self._again(CARD_TOPIC, body)
        return answered

    async def _push(self, topic: str, body: dict[str, Any]) -> None:
        await self._before_push()
        await self._acked(await self.fake.push(topic, body))

    async def _before_push(self) -> None:
        if self.drop:
            made = self.fake.connections_made
            self.fake.drop_connections()
            # The gateway cannot tell at once that the cut socket is gone; the push goes to the newest connection.
            await self.fake.until(lambda: self.fake.connections_made > made)

    async def _acked(self, frame_id: str) -> None:
        def acked() -> bool:
            return any(a.get("headers", {}).get("messageId") == frame_id for a in self.fake.acks)

        await self.fake.until(acked)

    async def _again(self, topic: str, body: dict[str, Any]) -> None:
        """DingTalk's redelivery of a slowly acked message or tap: the same data in a new frame; nothing more is
        said and no card changes."""
        before = len(self.fake.timeline)
        await self._acked(await self.fake.push(topic, body))
        await self.pipeline.drain()
        assert await self.deliverer.run_once() == 0, "a redelivered message was answered again"
        assert len(self.fake.timeline) == before

    # ---- the phone ------------------------------------------------------------------------------------

    def _read(self) -> None:
        by_conversation = {f"cid{sid}": name for name, sid in self.people.items()}
        by_staff = {sid: name for name, sid in self.people.items()}
        new, self._seen = self.fake.timeline[self._seen :], len(self.fake.timeline)
        for event in new:
            who = by_staff.get(event["to"]) or by_conversation.get(event["to"])
            if who is not None:
                self._unread.setdefault(who, []).append(self._show(who, event))

    def _show(self, who: str, event: dict[str, Any]) -> str:
        params = event["params"]
        if event["kind"] == "card":
            actions = [CardAction.unpack(params[f"btn{n}_action"]) for n in range(1, 5) if params.get(f"btn{n}_action")]
            if actions:
                self.console.buttons[who] = actions
                self._tracks.update({(who, a.pack()): event["track"] for a in actions})
            labels = "  ".join(f"[{n}] {params[f'btn{n}_text']}" for n in range(1, len(actions) + 1))
            return "\n".join(x for x in (f"【{params['title']}】", _plain(params["content"]), labels) if x)
        if event["kind"] == "update":
            return f"（卡片已更新：{params['result']}）"
        if event["msgKey"] == "sampleFile":
            return f"[文件] {params['fileName']}"
        if event["msgKey"] == "sampleMarkdown":
            text = _plain(params["text"])
            head, _, rest = text.partition("\n")
            if head.startswith("### "):
                return f"【{head[4:]}】\n{rest.lstrip(chr(10))}"
            return text
        return str(params["content"])


def _plain(markdown: str) -> str:
    return markdown.replace("  \n", "\n")
