"""The DingTalk channel: Stream pushes (or signed HTTP callbacks) in, robot messages and template cards out.

Why these choices (facts in ../shared/protocols/dingtalk.md and the modules beside this one):
- Inbound is stored, then acknowledged, by the same `Receiver` as every channel: a slowly acknowledged push comes
  back about a minute later with the same msgId, and the inbound log's unique (channel, msgId) key drops it on
  whichever replica it lands. So every `kabot serve` and `kabot work` process may hold a Stream connection.
- A text answer carries the message's reply route (its sessionWebhook and conversation) as the reply context, so
  an answer goes back into the same 1:1 or group chat while the webhook is valid, else through the robot APIs.
- Priority for the monthly quota is read from the row: an answer to a message (it has a reply context) is a
  REPLY, a card with buttons a CARD, any other push a REMINDER, and a card nobody asked for just now (a digest,
  the funnel) or a team post a DIGEST.
- Approval cards: a template card per approver whose outTrackId is derived from the card's ref and the person,
  so "finalise every approver's card" is one update per outbox row with no lookup table. A tap's button carries
  the packed `bot.cards.actions` key; the approval services make a double tap count once. Without a template the
  card goes out as markdown listing the text commands that do what its buttons do.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, assert_never

import aiohttp
from aiohttp import web

from bot.cards.actions import (
    AcceptConditions,
    ApprovalTap,
    BadAction,
    CardAction,
    ConfirmDraft,
    SubmitQuote,
    Tap,
)
from bot.cards.model import Card
from bot.channels.base import DeliveryError, OutboxItem, RawInbound, Rejected
from bot.channels.dingtalk.api import DingTalkAPI
from bot.channels.dingtalk.inbound import (
    CardCallback,
    InboundError,
    MessageKind,
    ReplyRoute,
    RobotMessage,
    decode_robot_message,
    read_http_callback,
)
from bot.channels.dingtalk.outbound import CardContent, DingTalkOutbound
from bot.channels.dingtalk.quota import OnWarning, QuotaMeter
from bot.channels.dingtalk.stream import Sleep, StreamClient, StreamDelivery
from bot.channels.uploads import kept_upload, mark_sent, media_id_for
from bot.channels.wecom.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.inbound import Inbound
from bot.outbox import PostToTeam, SendCard, SendFile, SendText, UpdateCard
from bot.pipeline import WITHHELD
from bot.settings import DingTalkSettings
from core.clock import Clock
from core.quotas import Priority, QuotaKind, Usage
from storage.db import Database
from storage.repo import inbound as inbound_repo

if TYPE_CHECKING:
    from bot.cards.render import CardRenderer
    from bot.channels.receive import Receiver

log = logging.getLogger("kabot.dingtalk.channel")

CALLBACK_PATH = "/dingtalk/callback"
MAX_BODY_BYTES = 64 * 1024
QUOTE_NUMBER = re.compile(r"Q-\d{4}-\d+")
TOKEN_PREFIX = "kabot:dingtalk:token:"
TAP_REDELIVERY_WINDOW = timedelta(minutes=10)  # DingTalk pushes an unacked callback again after about 60 s


def build_api(
    ding: DingTalkSettings,
    http: aiohttp.ClientSession,
    clock: Clock,
    redis: Any = None,
    meter: QuotaMeter | None = None,
) -> DingTalkAPI:
    """The app's API client: the token cached, and shared through Redis when configured."""
    assert ding.client_id and ding.robot_code
    store: TokenStore = RedisTokenStore(redis, TOKEN_PREFIX) if redis is not None else MemoryTokenStore(clock)
    return DingTalkAPI(
        http,
        api_base=ding.api_base,
        oapi_base=ding.oapi_base,
        client_id=ding.client_id,
        client_secret=ding.secret,
        robot_code=ding.robot_code,
        token_store=store,
        meter=meter,
    )


def route_context(message: RobotMessage) -> dict[str, str]:
    """The reply route as the string map an Inbound carries (and the outbox copies onto the answers)."""
    route = message.reply_route().to_dict()
    return {k: str(v) for k, v in route.items() if v is not None}


def route_of(context: Mapping[str, str]) -> ReplyRoute | None:
    """The route a text answer carried; None for pushes and for answers to taps (the robot API then)."""
    if not context or "conversation_id" not in context:
        return None
    return ReplyRoute.from_dict(dict(context))


def to_inbound(message: RobotMessage) -> Inbound | None:
    """Text in 1:1 chats and @-mentions in groups; other kinds marked unsupported (answered briefly)."""
    if message.is_group and not message.mentioned:
        return None
    common: dict[str, Any] = {
        "channel": DingTalkChannel.name,
        "sender": message.sender,
        "platform_msg_id": message.msg_id,
        "conversation": message.conversation_id if message.is_group else None,
        "reply_context": route_context(message),
    }
    if message.kind is MessageKind.TEXT:
        return Inbound(text=message.text or "", **common)
    if message.kind is MessageKind.QUOTA_EXHAUSTED:
        log.warning("dingtalk withheld a message's text: the monthly Webhook&Stream quota is used up")
        return Inbound(unsupported=WITHHELD, **common)  # the sender is told, through whatever way is left
    return Inbound(unsupported=message.msgtype or "unknown", **common)


def tap_inbound(tap: CardCallback, dedup_key: str) -> Inbound | None:
    """A tap on one of our buttons; anything else is ignored (a button of an older version, another app's)."""
    try:
        action = CardAction.unpack(tap.action_key or "")
    except BadAction as exc:
        log.info("dingtalk card tap with an unknown key ignored: %s", exc)
        return None
    # The reply context only marks the answers as replies (for the quota); a tap has no sessionWebhook.
    return Inbound(
        channel=DingTalkChannel.name,
        sender=tap.user,
        platform_msg_id=dedup_key,
        action=action,
        reply_context={"tap": tap.out_track_id},
    )


def text_commands(card: Card) -> tuple[str, ...]:
    """What to type instead of tapping, for the card without a template."""
    found = QUOTE_NUMBER.search(card.title)
    number = found.group(0) if found else "Q-…"
    commands: list[str] = []
    for button in card.buttons:
        match button.action:
            case ApprovalTap(tap=Tap.APPROVE):
                commands.append(f"同意 {number}")
            case ApprovalTap(tap=Tap.REJECT):
                commands.append(f"驳回 {number} 原因")
            case ApprovalTap(tap=Tap.CONDITIONAL):
                commands.append(f"有条件同意 {number} 条件：…")
            case ApprovalTap(tap=Tap.DETAILS):
                commands.append(f"查看 {number}")
            case SubmitQuote():
                commands.append(f"提交 {number}")
            case AcceptConditions():
                commands.append(f"接受条件 {number}")
            case ConfirmDraft():
                commands.append("确认")
    return tuple(commands)


class DingTalkChannel:
    name = "dingtalk"

    def __init__(
        self,
        ding: DingTalkSettings,
        renderer: CardRenderer,
        db: Database,
        clock: Clock,
        redis: Any = None,
        *,
        on_quota_warning: OnWarning | None = None,
        stream_sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`stream_sleep` paces the Stream client's reconnects (tests inject one that does not wait)."""
        assert ding.enabled, "DingTalk is not configured"
        self.ding = ding
        self.renderer = renderer
        self.clock = clock
        self.db = db
        self.redis = redis
        self.meter = QuotaMeter(db, clock, on_warning=on_quota_warning)
        self.stream_sleep = stream_sleep
        self.stream: StreamClient | None = None
        self._out: DingTalkOutbound | None = None

    # ---- inbound -------------------------------------------------------------------------------

    def routes(self, receiver: Receiver) -> Sequence[web.RouteDef]:
        if self.ding.mode != "http":
            return []

        async def callback(request: web.Request) -> web.Response:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                return web.Response(status=413)
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return web.Response(status=413)
            raw = RawInbound(body, request.query, request.headers)
            status = await receiver.accept(self, raw, remote=request.remote)
            if status == 200:  # a genuine push spends the Webhook&Stream quota (Stream pushes count in the client)
                await self.meter.record(QuotaKind.WEBHOOK_STREAM)
                with suppress(InboundError):  # signed and read already: 200 says so
                    await self._count_withheld(decode_robot_message(body))
            return web.Response(status=status)

        return [web.post(CALLBACK_PATH, callback)]

    def decode(self, raw: RawInbound) -> Inbound | None:
        """HTTP mode: the signature (±1 h) first, then the body; 403 for a forgery, 400 for what cannot be read."""
        try:
            message = read_http_callback(raw.headers, raw.body, self.ding.secret, now=self.clock.now())
        except InboundError as err:
            raise Rejected(type(err).__name__, err.status) from None
        return to_inbound(message)

    def listening(self, receiver: Receiver) -> AbstractAsyncContextManager[None]:
        """Stream mode; in HTTP mode too when cards have buttons: cards are created with callbackType STREAM (the
        console's message mode does not apply to cards), so their taps always come over a Stream connection."""
        if self.ding.mode != "stream" and not self.ding.card_template_id:
            return nullcontext()
        return self._streaming(receiver)

    @asynccontextmanager
    async def _streaming(self, receiver: Receiver) -> AsyncIterator[None]:
        """Hold a Stream connection in a task of its own (never blocking the loop) for as long as the app runs."""

        async def store(delivery: StreamDelivery) -> None:
            event = delivery.event
            if isinstance(event, RobotMessage):
                inbound = to_inbound(event)
                await self._count_withheld(event)
            elif (key := await self._tap_key(delivery.dedup_key)) is None:
                log.info("dingtalk card tap pushed again after a slow ack: already taken")
                return
            else:
                inbound = tap_inbound(event, key)
            if await receiver.take(inbound) >= 500:
                raise RuntimeError("not stored")  # acked with 500: DingTalk pushes it again

        assert self.ding.client_id
        async with aiohttp.ClientSession() as http:
            self.stream = StreamClient(
                http,
                api_base=self.ding.api_base,
                client_id=self.ding.client_id,
                client_secret=self.ding.secret,
                handler=store,
                clock=self.clock,
                meter=self.meter,
                sleep=self.stream_sleep,
            )
            await self.stream.start()
            try:
                yield
            finally:
                await self.stream.stop()
                self.stream = None

    async def _count_withheld(self, message: RobotMessage) -> None:
        """A message DingTalk pushed without its text: counted (the month's first tells the admins, for
        `kabot doctor` too); the sender is answered by the pipeline."""
        if message.kind is MessageKind.QUOTA_EXHAUSTED:
            await self.meter.record(QuotaKind.WITHHELD)

    async def _tap_key(self, tap: str) -> str | None:
        """The inbound log key of a tap, or None when it is DingTalk pushing a tap again after a slow ack.

        Such a push comes in a new frame with nothing to tell it from the first, so the same person tapping the same
        button of the same card within TAP_REDELIVERY_WINDOW is taken as that push (a real second tap so soon would
        repeat a decision or an answer already on screen), and a later one as a new tap. The key is the tap and the
        window it falls in: a push in the same window is refused by the log's unique key, one in the next window is
        found here by the previous window's key (an exact lookup on that index)."""
        now = self.clock.now()
        window = int(now.timestamp() // TAP_REDELIVERY_WINDOW.total_seconds())
        earlier = f"{tap}@{window - 1}"
        if await inbound_repo.stored_since(self.db, self.name, [earlier], since=now - TAP_REDELIVERY_WINDOW):
            return None
        return f"{tap}@{window}"

    # ---- outbound ------------------------------------------------------------------------------

    @asynccontextmanager
    async def delivering(self) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            api = build_api(self.ding, http, self.clock, self.redis, self.meter)
            self._out = DingTalkOutbound(api, self.clock, meter=self.meter, card_template_id=self.ding.card_template_id)
            try:
                yield
            finally:
                self._out = None

    @property
    def out(self) -> DingTalkOutbound:
        if self._out is None:
            raise DeliveryError("the DingTalk channel is not open for delivering")
        return self._out

    def has_team_chat(self, team: str) -> bool:
        return team in self.ding.team_groups

    async def deliver(self, item: OutboxItem) -> None:
        route = route_of(item.reply_context)
        answer = bool(item.reply_context)
        match item.payload:
            case SendText(text=text):
                priority = Priority.REPLY if answer else Priority.REMINDER
                multiline = "\n" in text.strip()
                await self.out.send_text(item.target, text, markdown=multiline, route=route, priority=priority)
            case SendCard(card=card):
                await self._send_card(item, card, route)
            case UpdateCard(ref=ref, final_text=final_text):
                await self.out.finish_card(ref, [item.target], final_text)
            case SendFile(filename=filename, content=content, caption=caption):
                priority = Priority.REPLY if answer else Priority.REMINDER
                await self._send_file(item, filename, content, caption, route, priority)
            case PostToTeam(markdown=markdown):
                group = self.ding.team_groups.get(item.target)
                if group is None:
                    raise DeliveryError(f"no DingTalk group configured for team {item.target}", permanent=True)
                await self.out.post_to_group(group, markdown)
            case _:
                assert_never(item.payload)

    async def _send_file(
        self,
        item: OutboxItem,
        filename: str,
        content: bytes,
        caption: str,
        route: ReplyRoute | None,
        priority: Priority,
    ) -> None:
        """Caption, upload, file, each once: the upload is kept by outbox row and marked when the file went out, so
        a retry (a failed send, or the process died before the outbox heard) repeats neither the caption, nor the
        upload, nor a file DingTalk took (it has no duplicate check: the person would see it twice). A DingTalk
        media id does not expire (help.dingtalk.io, media files: "no time limit")."""
        kept = await kept_upload(self.db, item.id, now=self.clock.now(), valid_for=None)
        if kept is not None and kept.sent:
            log.info("file of outbox row %s went out before: not sent again", item.id)
            return
        if caption and kept is None:
            await self.out.send_text(item.target, caption, route=route, priority=priority)
        upload = partial(self.out.upload_file, filename, content, priority=priority)
        media_id = kept.media_id if kept else await media_id_for(self.db, self.clock, item.id, upload, valid_for=None)
        await self.out.send_file(item.target, filename, media_id, priority=priority)
        await mark_sent(self.db, item.id, now=self.clock.now())

    async def _send_card(self, item: OutboxItem, card: Card, route: ReplyRoute | None) -> None:
        body = self.renderer.text(card, self.name)
        if not card.buttons:
            priority = Priority.REPLY if item.reply_context else Priority.DIGEST
            text = f"### {card.title}\n\n{body}"
            await self.out.send_text(item.target, text, markdown=True, title=card.title, route=route, priority=priority)
            return
        content = CardContent(
            title=card.title,
            markdown=body.replace("\n", "  \n"),
            buttons=tuple((b.text, b.action.pack()) for b in card.buttons),
            text_commands=text_commands(card),
        )
        ref = card.ref or f"outbox{item.id}"  # a card without a ref is never updated; its id only has to be stable
        await self.out.send_card(ref, item.target, content, retry=item.attempt > 1)

    # ---- quota ---------------------------------------------------------------------------------

    async def quota_usage(self) -> list[Usage]:
        """This month's use of DingTalk's quotas (for `kabot doctor` and /healthz)."""
        return await self.meter.usage()
