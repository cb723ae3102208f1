"""The channel seam: how a chat app's messages come in and how kabot's answers go out.

Every chat app (WeCom, DingTalk, the console, the test channel in tests/) implements `Channel`; nothing outside
`bot/channels/<app>/` knows which app it talks to. Inbound, a transport hands the channel a `RawInbound` (an HTTP
callback, or a frame from a connection the channel holds open, as with DingTalk's Stream mode); the channel
verifies and decodes it into a neutral `bot.inbound.Inbound` whose `platform_msg_id` is the dedup key, and
`bot.channels.receive.Receiver` stores it once and acknowledges. Outbound, the outbox hands the channel one
`OutboxItem` at a time: a typed payload (`bot.outbox.Payload`) for one target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.inbound import Inbound
from bot.outbox import Payload

if TYPE_CHECKING:
    from bot.channels.receive import Receiver


@dataclass(frozen=True)
class RawInbound:
    """What a transport received, before the channel looked at it. A Stream frame has no query string and carries
    its headers inside the frame; a terminal line has neither."""

    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


class Rejected(Exception):
    """A callback refused before anything is stored: 403 not from the platform (signature, timestamp, another
    app), 400 malformed, 413 too large. Logged by the receiver with `reason`, never a 500."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(f"{status} {reason}")
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class OutboxItem:
    id: int
    target: str  # the channel's own id for the person, or a team's name for PostToTeam
    payload: Payload
    attempt: int = 1  # >1: an earlier attempt may have reached the platform even though it seemed to fail
    reply_context: Mapping[str, str] = field(default_factory=dict)  # from the Inbound this answers, if any


class DeliveryError(Exception):
    """`permanent` errors are recorded on the outbox row and never retried; others are retried with backoff."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """One chat app. Usage, from the app's side:

    app.router.add_routes(channel.routes(receiver))      # HTTP callbacks, if the app sends them
    async with channel.listening(receiver):              # a connection the app pushes over, if any
        ...
    async with channel.delivering():                     # what delivering needs (API sessions)
        await channel.deliver(item)                      # by the outbox, at least once per item
    """

    name: str  # the key of this channel everywhere: identities, inbound and outbox rows

    def routes(self, receiver: Receiver) -> Sequence[web.RouteDef]:
        """The HTTP callback routes; each hands a `RawInbound` to `receiver.accept(self, raw)`."""
        ...

    def listening(self, receiver: Receiver) -> AbstractAsyncContextManager[None]:
        """Inbound over a connection kabot opens (DingTalk Stream), feeding `receiver`; a no-op for the others.
        Runs in the acknowledging process only."""
        ...

    def decode(self, raw: RawInbound) -> Inbound | None:
        """Verify and decode; raise `Rejected` for what is not genuine or not readable. None: a genuine message
        that needs no answer (WeCom's enter_agent, a menu event)."""
        ...

    def delivering(self) -> AbstractAsyncContextManager[None]:
        """Open what `deliver` needs (an HTTP client session); runs in the process that delivers the outbox."""
        ...

    async def deliver(self, item: OutboxItem) -> None:
        """Send one item, or raise DeliveryError. Called at least once per item; make it idempotent where the
        platform allows (WeCom's duplicate check, a card's unique task_id, a file's media_id kept between tries)."""
        ...

    def has_team_chat(self, team: str) -> bool:
        """Whether `PostToTeam` can reach this team's group chat here."""
        ...
