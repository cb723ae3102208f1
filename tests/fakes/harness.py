"""Conversations as tests: `await bot.say("李娜", "待办")` returns what kabot answered, as the console shows it."""

from __future__ import annotations

import uuid

from bot.cards.actions import CardAction
from bot.channels.base import OutboxItem
from bot.channels.console import ConsoleChannel
from bot.delivery import Deliverer
from bot.inbound import Inbound
from bot.outbox import SendCard
from bot.pipeline import Pipeline
from bot.services import Services
from core.clock import FakeClock


class RecordingConsole(ConsoleChannel):
    """The real console rendering, kept per person instead of printed; `buttons[who]` are the buttons of the
    last card with buttons `who` received (a test may replace them to tap an older card's)."""

    name = "console"

    def __init__(self, services: Services) -> None:
        super().__init__(services.renderer, write=lambda _text: None)
        self.inbox: dict[str, list[str]] = {}
        self.buttons: dict[str, list[CardAction]] = {}
        self.refs: dict[tuple[str, str], str | None] = {}  # (who, packed action) -> the card's ref

    async def deliver(self, item: OutboxItem) -> None:
        text = self.format(item)
        if isinstance(item.payload, SendCard) and item.payload.card.buttons:
            card = item.payload.card
            self.buttons[item.target] = [b.action for b in card.buttons]
            self.refs.update({(item.target, b.action.pack()): card.ref for b in card.buttons})
        self.inbox.setdefault(item.target, []).append(text)


class ChatHarness:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.console = RecordingConsole(services)
        services.channels["console"] = self.console
        self.pipeline = Pipeline(services)
        self.deliverer = Deliverer(services)

    @property
    def clock(self) -> FakeClock:
        """The scenario's clock, to move time on."""
        assert isinstance(self.services.clock, FakeClock)
        return self.services.clock

    async def say(self, who: str, text: str) -> list[str]:
        return await self._send(
            who, Inbound(channel="console", sender=who, platform_msg_id=uuid.uuid4().hex, text=text)
        )

    async def tap(self, who: str, number: int) -> list[str]:
        """Tap button `number` (1-based) of the last card `who` received."""
        action = self.console.buttons[who][number - 1]
        ref = self.console.refs.get((who, action.pack()))
        return await self._send(
            who, Inbound(channel="console", sender=who, platform_msg_id=uuid.uuid4().hex, action=action, card_ref=ref)
        )

    async def _send(self, who: str, inbound: Inbound) -> list[str]:
        await self.pipeline.handle(inbound)
        return await self.flush(who)

    async def flush(self, who: str) -> list[str]:
        """Deliver everything due, and return what reached `who` since the last look."""
        await self.deliverer.run_once()
        got = self.console.inbox.pop(who, [])
        return got

    async def said(self, who: str, text: str) -> str:
        """One message in, the replies joined: convenient for `in` assertions."""
        return "\n".join(await self.say(who, text))
