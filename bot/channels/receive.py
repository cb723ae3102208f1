"""The inbound side every channel shares: verify and decode, store once under the dedup key, acknowledge.

Why store before acknowledging: platforms redeliver what they got no acknowledgement for (WeCom within 5 s, up
to 3-4 times; DingTalk after about a minute), so the answer must not wait for handlers, and once it is given the
message must already be durable. The inbound log (unique on channel + dedup key) makes a redelivery a no-op, and
`Pipeline.recover` finishes what a crash interrupted. Refusals are logged 4xx statuses, never a 500; nothing is
stored for them.

    status = await receiver.accept(channel, RawInbound(body, query, headers))   # 200, 4xx, or 503
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.base import Channel, RawInbound, Rejected
from bot.inbound import Inbound
from bot.pipeline import Pipeline

log = logging.getLogger("kabot.receive")


class RedisSeen:
    """A fast path for redeliveries shared by replicas: `SET NX` on the dedup key before the database insert.

    The key says "pending" until the message is stored, then "stored". Only "stored" short-circuits, so a
    replica that died between the SET and the insert cannot make a redelivery be dropped: a pending key falls
    through to the database, whose unique key stays the guarantee.
    """

    PENDING_TTL_S = 30
    STORED_TTL_S = 600  # redeliveries come within seconds (WeCom) or about a minute (DingTalk)

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    @staticmethod
    def key(inbound: Inbound) -> str:
        return f"kabot:{inbound.channel}:seen:{inbound.platform_msg_id}"

    async def stored_before(self, inbound: Inbound) -> bool:
        key = self.key(inbound)
        if await self.redis.set(key, "pending", nx=True, ex=self.PENDING_TTL_S):
            return False
        return await self.redis.get(key) in (b"stored", "stored")

    async def stored(self, inbound: Inbound) -> None:
        await self.redis.set(self.key(inbound), "stored", ex=self.STORED_TTL_S)

    async def forget(self, inbound: Inbound) -> None:
        await self.redis.delete(self.key(inbound))


class Receiver:
    def __init__(self, pipeline: Pipeline, redis: Any = None) -> None:
        self.pipeline = pipeline
        self.seen = RedisSeen(redis) if redis is not None else None

    async def accept(self, channel: Channel, raw: RawInbound, *, remote: str | None = None) -> int:
        """The status to acknowledge with: 200 once the message is stored (now or before) or needs no answer,
        the refusal's 4xx, or 503 when it could not be stored (the platform will deliver it again)."""
        try:
            inbound = channel.decode(raw)
        except Rejected as err:
            log.warning("%s callback refused from %s: %s %s", channel.name, remote or "?", err.status, err.reason)
            return err.status
        return await self.take(inbound)

    async def take(self, inbound: Inbound | None) -> int:
        """Store a message a channel decoded itself (a push over a connection it holds open, as DingTalk's Stream
        frames); the same answer as `accept`."""
        if inbound is None:
            return 200
        try:
            await self._store(inbound)
        except Exception:  # noqa: BLE001 — no 200 without the message stored: the platform will redeliver
            log.exception("storing %s message %s failed", inbound.channel, inbound.platform_msg_id)
            return 503
        return 200

    async def _store(self, inbound: Inbound) -> None:
        if self.seen and await self.seen.stored_before(inbound):
            log.info("duplicate %s message ignored (redis): %s", inbound.channel, inbound.platform_msg_id)
            return
        try:
            inbound_id = await self.pipeline.receive(inbound)
        except Exception:
            if self.seen:
                await self.seen.forget(inbound)
            raise
        if self.seen:
            await self.seen.stored(inbound)
        if inbound_id is not None:
            self.pipeline.process_soon(inbound_id, inbound)
