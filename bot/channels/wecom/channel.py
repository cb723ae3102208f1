"""The WeCom channel: callbacks in (`/wecom/callback`), message/send and update_template_card out.

Why the outbox drives every retry: the API client is built with a single attempt per call (`build_api`), so
a WeCom outage never stalls a delivery loop in backoff sleeps and every retry is durable and follows the
injected clock; a transient WeCom failure becomes `DeliveryError(permanent=False)` and the outbox tries again.

Cards: a handler names a card with an opaque `Card.ref`; each send of it gets a task_id of its own (`<ref>@<random>`:
WeCom refuses a task_id it has ever seen, 42014), remembered in `wecom_cards` before the send, so a retried send
reuses it and a 42014 then means "already sent". A tap carries the task_id back, and the ref is read from it. An
update finds every card sent under the ref to that member and greys it with the tap's fresh one-shot code (for
the card tapped) or the code its send returned (for everyone else's).
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, assert_never

import aiohttp
from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.cards.actions import BadAction, CardAction
from bot.cards.model import Card
from bot.cards.render import CardRenderer
from bot.channels.base import DeliveryError, OutboxItem, RawInbound
from bot.channels.uploads import media_id_for
from bot.channels.wecom.api import ERR_TASK_ID_EXISTS, SendResult, WeComAPI, WeComPermanentError, WeComTransientError
from bot.channels.wecom.crypto import MAX_BODY_BYTES, CallbackRejected, WeComCrypto
from bot.channels.wecom.inbound import WeComInbound, normalise_userid, parse_event
from bot.channels.wecom.render import Message, card_messages, text_messages
from bot.channels.wecom.text import split_text
from bot.channels.wecom.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.inbound import Inbound
from bot.outbox import PostToTeam, SendCard, SendFile, SendText, UpdateCard
from bot.settings import Settings
from core.clock import Clock
from storage.db import Database
from storage.models import WeComCard

if TYPE_CHECKING:
    from bot.channels.receive import Receiver

log = logging.getLogger("kabot.wecom.channel")

CALLBACK_PATH = "/wecom/callback"
NOT_TEXT = frozenset({"image", "voice", "video", "file", "location", "link"})
ROBOT_LIMIT = 20  # messages per minute per group robot (wecom.md §6)
ROBOT_WINDOW = timedelta(minutes=1)
MEDIA_VALID = timedelta(days=3) - timedelta(hours=1)  # media/upload ids last 3 days


def build_api(settings: Settings, session: aiohttp.ClientSession, clock: Clock, redis: Any = None) -> WeComAPI:
    """The app's API client: the token shared through Redis when configured, one attempt per call."""
    assert settings.wecom_corp_id and settings.wecom_agent_id and settings.wecom_secret
    store: TokenStore = RedisTokenStore(redis) if redis is not None else MemoryTokenStore(clock)
    return WeComAPI(
        session,
        settings.wecom_api_base,
        settings.wecom_corp_id,
        settings.wecom_agent_id,
        settings.wecom_secret.get_secret_value(),
        store,
        max_attempts=1,
    )


def card_ref_of(task_id: str | None) -> str | None:
    """The handler's ref inside one of our task_ids (cards sent before refs had their own ids used the ref)."""
    if not task_id:
        return None
    return task_id.partition("@")[0] or None


def to_inbound(event: WeComInbound) -> Inbound | None:
    """A text message or a card tap becomes an Inbound; media gets one marked `unsupported`; other events
    (enter_agent, subscribe, menu events ...) are None: acknowledged and ignored."""
    common: dict[str, Any] = {
        "channel": WeComChannel.name,
        "sender": event.from_user,
        "platform_msg_id": event.dedup_key,
    }
    if event.msg_type == "text":
        return Inbound(text=event.content or "", **common)
    if event.is_card_click and event.event_key:
        try:
            action = CardAction.unpack(event.event_key)
        except BadAction as exc:  # signed, but not a button of ours (or of an older version): refuse quietly
            log.info("card click with an unknown key ignored: %s", exc)
            return None
        context = {"task_id": event.task_id or "", "response_code": event.response_code or ""}
        return Inbound(action=action, card_ref=card_ref_of(event.task_id), reply_context=context, **common)
    if event.msg_type in NOT_TEXT:
        return Inbound(unsupported=event.msg_type, **common)
    return None


class WeComChannel:
    name = "wecom"

    def __init__(
        self, settings: Settings, renderer: CardRenderer, db: Database, clock: Clock, redis: Any = None
    ) -> None:
        assert settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key
        self.settings = settings
        self.renderer = renderer
        self.db = db
        self.clock = clock
        self.redis = redis
        self.agent_id = settings.wecom_agent_id
        self.source = settings.company_name  # shown at the top of every card
        self.team_webhooks = {team: key.get_secret_value() for team, key in settings.wecom_team_webhooks.items()}
        self.crypto = WeComCrypto(
            settings.wecom_token.get_secret_value(),
            settings.wecom_aes_key.get_secret_value(),
            settings.wecom_corp_id,
            clock,
        )
        self._api: WeComAPI | None = None
        self._robot_sends: dict[str, deque[datetime]] = {}

    # ---- inbound -------------------------------------------------------------------------------

    def routes(self, receiver: Receiver) -> Sequence[web.RouteDef]:
        async def verify_url(request: web.Request) -> web.Response:
            """GET URL verification: the decrypted echostr as the bare body (no quotes, BOM or newline)."""
            q = request.query
            try:
                echo = self.crypto.verify_url(
                    q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr", "")
                )
            except CallbackRejected as err:
                log.warning("wecom URL verification refused from %s: %s %s", request.remote, err.status, err.reason)
                return web.Response(status=err.status)
            return web.Response(body=echo.encode(), content_type="text/plain")

        async def callback(request: web.Request) -> web.Response:
            """Acknowledged with an empty 200 (never "success") once stored; WeCom redelivers anything else."""
            try:
                if (request.content_length or 0) > MAX_BODY_BYTES:
                    raise CallbackRejected("body_too_large", 413)
                body = await request.read()
            except CallbackRejected as err:
                status = err.status
            except web.HTTPRequestEntityTooLarge:  # a chunked body over the app's client_max_size
                status = 413
            else:
                raw = RawInbound(body, request.query, request.headers)
                return web.Response(status=await receiver.accept(self, raw, remote=request.remote))
            log.warning("wecom callback refused from %s: %s body_too_large", request.remote, status)
            return web.Response(status=status)

        return [web.get(CALLBACK_PATH, verify_url), web.post(CALLBACK_PATH, callback)]

    def listening(self, receiver: Receiver) -> AbstractAsyncContextManager[None]:
        return nullcontext()  # WeCom calls us over HTTP

    def decode(self, raw: RawInbound) -> Inbound | None:
        q = raw.query
        event = parse_event(
            self.crypto.decrypt(raw.body, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        )
        if event.agent_id is not None and event.agent_id != self.agent_id:
            raise CallbackRejected("wrong_agent", 403)  # signed by us, but meant for another app
        inbound = to_inbound(event)
        if inbound is None:
            log.debug("wecom %s/%s from %s ignored", event.msg_type, event.event, event.from_user)
        return inbound

    # ---- outbound ------------------------------------------------------------------------------

    @asynccontextmanager
    async def delivering(self) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            self._api = build_api(self.settings, http, self.clock, self.redis)
            try:
                yield
            finally:
                self._api = None

    @property
    def api(self) -> WeComAPI:
        if self._api is None:
            raise DeliveryError("the WeCom channel is not open for delivering")
        return self._api

    def has_team_chat(self, team: str) -> bool:
        return team in self.team_webhooks

    async def deliver(self, item: OutboxItem) -> None:
        with _as_delivery_error():
            await self._deliver(item)

    async def _deliver(self, item: OutboxItem) -> None:
        to = normalise_userid(item.target)
        retry = item.attempt > 1
        match item.payload:
            case SendText(text=text):
                await self._send_all(to, text_messages(text), retry=retry)
            case SendCard(card=card):
                await self._send_card(item.id, to, card, retry=retry)
            case UpdateCard(ref=ref, final_text=final_text):
                await self._update_cards(to, ref, final_text, item.reply_context)
            case SendFile(filename=filename, content=content, caption=caption):
                await self._send_file(item.id, to, filename, content, caption, retry=retry)
            case PostToTeam(markdown=markdown):
                await self.post_to_team(item.target, markdown)
            case _:
                assert_never(item.payload)

    async def _send_all(self, to: str, messages: list[Message], *, retry: bool) -> None:
        """Pieces of one answer in order (a retry after a partial send repeats them; the duplicate check drops
        the ones WeCom already has)."""
        for message in messages:
            await self._send(to, message, retry=retry)

    async def _send(self, to: str, message: Message, *, retry: bool) -> SendResult:
        """message/send to one member; WeCom answers 0 even when it drops an unknown member, so check.

        WeCom's duplicate check is on for retries only: a retry after an ambiguous failure (WeCom took the
        message but the answer was lost, or some pieces of a long text went out) is then dropped by WeCom instead
        of shown twice, while a deliberate identical reply (asking "待办" twice) still arrives.
        """
        result = await self.api.send_message({"touser": to, "enable_duplicate_check": int(retry), **message})
        if to in result.invalid_users:
            raise DeliveryError(f"{to} is not a member the app can reach", permanent=True)
        return result

    # ---- cards ---------------------------------------------------------------------------------

    def render(self, card: Card, task_id: str | None = None) -> list[Message]:
        """The messages a card becomes: markdown without buttons; a button card (after the markdown, when the card
        cannot hold every fact) with them."""
        return card_messages(card, self.renderer, source=self.source, task_id=task_id)

    async def _send_card(self, outbox_id: int, to: str, card: Card, *, retry: bool) -> None:
        if not card.buttons:
            await self._send_all(to, self.render(card), retry=retry)
            return
        row, retried = await self._card_row(outbox_id, card.ref or "card", to)
        *reading, interactive = self.render(card, row.task_id)
        await self._send_all(to, reading, retry=retry)
        try:
            result = await self._send(to, interactive, retry=retry)
        except WeComPermanentError as err:
            if err.errcode == ERR_TASK_ID_EXISTS and retried:
                log.warning("card %s to %s: 42014 on a retry, an earlier attempt went through", row.task_id, to)
                return
            raise
        async with self.db.session() as s:
            row.response_code, row.sent_at = result.response_code, self.clock.now()
            s.add(row)

    async def _card_row(self, outbox_id: int, ref: str, to: str) -> tuple[WeComCard, bool]:
        """The card's row, written before the send; True when it existed already (this send is a retry)."""
        async with self.db.session() as s:
            row = (await s.exec(select(WeComCard).where(WeComCard.outbox_id == outbox_id))).first()
        if row is not None:
            return row, True
        row = WeComCard(
            card_ref=ref,
            task_id=f"{ref}@{secrets.token_hex(6)}",
            outbox_id=outbox_id,
            userid=to,
            created_at=self.clock.now(),
        )
        try:
            async with self.db.session() as s:
                s.add(row)
        except IntegrityError:  # another deliverer wrote it a moment ago
            return await self._card_row(outbox_id, ref, to)
        return row, False

    async def _update_cards(self, to: str, ref: str, final_text: str, context: Mapping[str, str]) -> None:
        """Grey the buttons of every card sent under `ref` to `to` into `final_text`, each once: the tap's own code
        for the card tapped (it is fresh), the send's for the others. Nothing sent here under the ref: nothing to do."""
        async with self.db.session() as s:
            q = select(WeComCard).where(
                WeComCard.card_ref == ref, WeComCard.userid == to, col(WeComCard.finalised_at).is_(None)
            )
            rows = list((await s.exec(q.order_by(col(WeComCard.id)))).all())
        unanswered: list[str] = []
        for row in rows:
            tapped = context.get("task_id") == row.task_id and context.get("response_code")
            code = tapped or row.response_code
            if not code:
                unanswered.append(row.task_id)
                continue
            await self.api.update_template_card(
                {"userids": [to], "response_code": code, "button": {"replace_name": final_text}}
            )
            async with self.db.session() as s:
                row.final_text, row.finalised_at = final_text, self.clock.now()
                s.add(row)
        if unanswered:
            raise DeliveryError(f"no response_code to update card {', '.join(unanswered)} for {to}", permanent=True)

    # ---- files and team posts ------------------------------------------------------------------

    async def _send_file(
        self, outbox_id: int, to: str, filename: str, content: bytes, caption: str, *, retry: bool
    ) -> None:
        if caption:
            await self._send_all(to, text_messages(caption), retry=retry)
        # Kept by outbox row: a retry sends the same message, and WeCom's duplicate check drops it if the first
        # one arrived (a new upload would show the file twice).
        upload = partial(self.api.upload_media, filename, content)
        media_id = await media_id_for(self.db, self.clock, outbox_id, upload, valid_for=MEDIA_VALID)
        await self._send(to, {"msgtype": "file", "file": {"media_id": media_id}}, retry=retry)

    async def post_to_team(self, team: str, markdown: str) -> None:
        """Post markdown to the team's group robot (KABOT_WECOM_TEAM_WEBHOOKS).

        A robot takes at most 20 messages a minute and drops the rest, so over the limit this raises a
        retryable DeliveryError instead of posting; the caller (an outbox row or a scheduled job) tries later.
        """
        key = self.team_webhooks.get(team)
        if key is None:
            raise DeliveryError(f"no group robot configured for team {team}", permanent=True)
        chunks = split_text(markdown)
        now = self.clock.now()
        sent = self._robot_sends.setdefault(key, deque())
        while sent and now - sent[0] >= ROBOT_WINDOW:
            sent.popleft()
        if len(sent) + len(chunks) > ROBOT_LIMIT:
            raise DeliveryError(f"group robot of {team} is at {ROBOT_LIMIT} messages a minute", permanent=False)
        with _as_delivery_error():
            for chunk in chunks:
                sent.append(now)
                await self.api.webhook_send(key, {"msgtype": "markdown", "markdown": {"content": chunk}})


@contextmanager
def _as_delivery_error() -> Iterator[None]:
    """The outbox's vocabulary: permanent failures are recorded on the row, transient ones retried."""
    try:
        yield
    except WeComPermanentError as err:
        raise DeliveryError(str(err), permanent=True) from None
    except WeComTransientError as err:
        raise DeliveryError(str(err), permanent=False) from None
