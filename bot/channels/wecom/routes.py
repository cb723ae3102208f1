"""`/wecom/callback`: verify, decrypt, store, and answer an empty 200 at once; the work runs in the background.

Why store before answering: WeCom redelivers a callback it got no 200 for within 5 s (up to 3-4 times), so the
answer must not wait for handlers, and once it is given the message must already be durable. The inbound log
(unique on the dedup key) makes a redelivery a no-op and `Pipeline.recover` finishes what a crash interrupted.
Every refusal (signature, stale timestamp, oversize, malformed XML, DTD, bad padding) is a logged 4xx, never
a 500, and nothing is stored or sent for it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy import update
from sqlmodel import col

from bot.cards.actions import BadAction, CardAction
from bot.channels.wecom.crypto import MAX_BODY_BYTES, CallbackRejected, WeComCrypto
from bot.channels.wecom.inbound import WeComInbound, parse_event
from bot.inbound import Inbound
from bot.pipeline import Pipeline, enqueue
from bot.replies import TextReply
from bot.services import Services
from storage.models import InboundMessage

log = logging.getLogger("kabot.wecom.callback")

CALLBACK_PATH = "/wecom/callback"
UNSUPPORTED = "暂时只能处理文字消息，请用文字描述您要做的事，例如“跟进 艾克美 今天电话沟通了报价”。发“帮助”查看用法。"
NOT_TEXT = frozenset({"image", "voice", "video", "file", "location", "link"})


def to_inbound(event: WeComInbound) -> Inbound | None:
    """A text message or a card tap becomes an Inbound; media gets one marked `unsupported`; other events
    (enter_agent, subscribe, menu events ...) are None: acknowledged and ignored."""
    common: dict[str, Any] = {"channel": "wecom", "sender": event.from_user, "platform_msg_id": event.dedup_key}
    if event.msg_type == "text":
        return Inbound(text=event.content or "", **common)
    if event.is_card_click and event.event_key:
        try:
            action = CardAction.unpack(event.event_key)
        except BadAction as exc:  # signed, but not a button of ours (or of an older version): refuse quietly
            log.info("card click with an unknown key ignored: %s", exc)
            return None
        meta = {"task_id": event.task_id, "response_code": event.response_code, "card_type": event.card_type}
        return Inbound(action=action, meta=meta, **common)
    if event.msg_type in NOT_TEXT:
        return Inbound(meta={"unsupported": event.msg_type}, **common)
    return None


class RedisSeen:
    """A fast path for redeliveries shared by replicas: `SET NX` on the dedup key before the database insert.

    The key says "pending" until the message is stored, then "stored". Only "stored" short-circuits, so a
    replica that died between the SET and the insert cannot make WeCom's redelivery be dropped: a pending
    key falls through to the database, whose unique key stays the guarantee.
    """

    PENDING_TTL_S = 30
    STORED_TTL_S = 600  # WeCom's redeliveries come within seconds

    def __init__(self, redis: Any, prefix: str = "kabot:wecom:seen:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def stored_before(self, key: str) -> bool:
        if await self.redis.set(self.prefix + key, "pending", nx=True, ex=self.PENDING_TTL_S):
            return False
        return await self.redis.get(self.prefix + key) in (b"stored", "stored")

    async def stored(self, key: str) -> None:
        await self.redis.set(self.prefix + key, "stored", ex=self.STORED_TTL_S)

    async def forget(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


class WeComCallback:
    def __init__(self, services: Services, pipeline: Pipeline) -> None:
        settings = services.settings
        assert settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key
        self.s = services
        self.pipeline = pipeline
        self.agent_id = settings.wecom_agent_id
        self.crypto = WeComCrypto(
            settings.wecom_token.get_secret_value(),
            settings.wecom_aes_key.get_secret_value(),
            settings.wecom_corp_id,
            services.clock,
        )
        self.seen = RedisSeen(services.redis) if services.redis is not None else None

    async def verify_url(self, request: web.Request) -> web.Response:
        """GET URL verification: the decrypted echostr as the bare body (no quotes, BOM or newline)."""
        q = request.query
        try:
            echo = self.crypto.verify_url(
                q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr", "")
            )
        except CallbackRejected as err:
            return self._refuse(request, err)
        return web.Response(body=echo.encode(), content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise CallbackRejected("body_too_large", 413)
            body = await request.read()
            event = parse_event(
                self.crypto.decrypt(body, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
            )
            if event.agent_id is not None and event.agent_id != self.agent_id:
                raise CallbackRejected("wrong_agent", 403)  # signed by us, but meant for another app
        except CallbackRejected as err:
            return self._refuse(request, err)
        except web.HTTPRequestEntityTooLarge:  # a chunked body over the app's client_max_size
            return self._refuse(request, CallbackRejected("body_too_large", 413))
        inbound = to_inbound(event)
        if inbound is None:
            log.debug("wecom %s/%s from %s ignored", event.msg_type, event.event, event.from_user)
            return web.Response()
        try:
            await self._store(inbound)
        except Exception:  # noqa: BLE001 — no 200 without the message stored: WeCom will redeliver
            log.exception("storing wecom callback %s failed", inbound.platform_msg_id)
            return web.Response(status=503)
        return web.Response()

    async def _store(self, inbound: Inbound) -> None:
        key = inbound.platform_msg_id
        if self.seen and await self.seen.stored_before(key):
            log.info("duplicate wecom callback ignored (redis): %s", key)
            return
        try:
            inbound_id = await self.pipeline.receive(inbound)
        except Exception:
            if self.seen:
                await self.seen.forget(key)
            raise
        if self.seen:
            await self.seen.stored(key)
        if inbound_id is None:
            return
        if "unsupported" in inbound.meta:
            await self._answer_unsupported(inbound_id, inbound)
        else:
            self.pipeline.process_soon(inbound_id)

    async def _answer_unsupported(self, inbound_id: int, inbound: Inbound) -> None:
        """Media needs no handler: mark it done and queue the notice in one transaction (a crash before this
        leaves the row 'new', and recovery answers it through the normal fallback instead)."""
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            claimed = await session.exec(  # type: ignore[call-overload]
                update(InboundMessage)
                .where(col(InboundMessage.id) == inbound_id, col(InboundMessage.status) == "new")
                .values(status="done", processed_at=now)
            )
            if claimed.rowcount:
                await enqueue(
                    session, self.s, [TextReply(UNSUPPORTED)], inbound=inbound, inbound_id=inbound_id, now=now
                )
        self.s.outbox_ready.set()

    @staticmethod
    def _refuse(request: web.Request, err: CallbackRejected) -> web.Response:
        log.warning("wecom callback refused from %s: %s %s", request.remote, err.status, err.reason)
        return web.Response(status=err.status)


def add_callback_routes(app: web.Application, services: Services, pipeline: Pipeline) -> None:
    callback = WeComCallback(services, pipeline)
    app.router.add_get(CALLBACK_PATH, callback.verify_url)
    app.router.add_post(CALLBACK_PATH, callback.receive)
