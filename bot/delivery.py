"""The outbox dispatcher: delivers pending rows through their channel, retries with backoff, marks them sent.

Rows are claimed with a lease (status 'sending', lease_until) in their own transaction before the network call,
so two replicas never send the same row at once and a crash mid-send makes the row due again when the lease
ends. One target's messages go out in order: a row waits while an earlier one to the same target is unsent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from sqlalchemy import and_, exists, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.channels.base import DeliveryError, OutboxItem
from bot.outbox import UnknownPayload, decode
from bot.services import Services
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with full jitter, capped at 10 minutes: 2s, 4s, 8s … on average half of that."""
    cap = min(600.0, 2.0**attempt)
    return timedelta(seconds=cap / 2 + (rng or random).random() * cap / 2)


class Deliverer:
    def __init__(self, services: Services) -> None:
        self.s = services

    async def run_once(self, *, channel: str | None = None, target: str | None = None, limit: int = 100) -> int:
        """Deliver what is due now, including what waited behind a row sent in this run; returns how many."""
        total = 0
        while sent := await self._run_batch(channel=channel, target=target, limit=limit):
            total += sent
        return total

    async def _run_batch(self, *, channel: str | None, target: str | None, limit: int) -> int:
        """Deliver one claimed batch. The rows delivered are marked sent together at the end: one write instead
        of one per row (on SQLite every write takes the database's only write lock, which the acknowledging
        process needs too). A crash in between leaves them 'sending'; their lease ends and they go out again,
        which the channels' idempotence (WeCom's duplicate check, task_id, kept media_id) makes harmless."""
        items = await self._claim(channel=channel, target=target, limit=limit)
        sent: list[int] = []
        blocked: set[tuple[str, str]] = set()
        for ch_name, row, attempts in items:
            key = (ch_name, row.target)
            assert row.id is not None
            if key in blocked:
                await self._release(row.id)
                continue
            ch = self.s.channels.get(ch_name)
            try:
                if ch is None:
                    raise DeliveryError(f"channel {ch_name} is not configured", permanent=False)
                try:
                    payload = decode(row.kind, row.payload)
                except UnknownPayload as err:
                    raise DeliveryError(str(err), permanent=True) from None
                await ch.deliver(OutboxItem(row.id, row.target, payload, attempts, row.reply_context or {}))
            except DeliveryError as err:
                blocked.add(key)
                await self._failed(row.id, attempts, err)
                continue
            except Exception as err:  # noqa: BLE001 — an unexpected failure is retried, never lost
                log.exception("delivery of outbox %s crashed", row.id)
                blocked.add(key)
                await self._failed(row.id, attempts, DeliveryError(f"{type(err).__name__}: {err}"))
                continue
            sent.append(row.id)
        await self._sent(sent)
        return len(sent)

    async def _claim(
        self, *, channel: str | None, target: str | None, limit: int
    ) -> list[tuple[str, OutboxMessage, int]]:
        now = self.s.clock.now()
        earlier = aliased(OutboxMessage)
        due = or_(
            and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now),
            and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.lease_until) < now),
        )
        waits_for_earlier = exists().where(
            col(earlier.channel) == col(OutboxMessage.channel),
            col(earlier.target) == col(OutboxMessage.target),
            col(earlier.id) < col(OutboxMessage.id),
            col(earlier.status).in_(("pending", "sending")),
        )
        q = select(OutboxMessage).where(due, ~waits_for_earlier).order_by(col(OutboxMessage.id)).limit(limit)
        # Only channels this process has: a terminal's replies wait for `kabot chat`, and `serve` on the demo's
        # database neither retries them for ever nor fails them.
        q = q.where(col(OutboxMessage.channel).in_([channel] if channel else list(self.s.channels)))
        if target:
            q = q.where(OutboxMessage.target == target)
        out: list[tuple[str, OutboxMessage, int]] = []
        async with self.s.db.session() as session:
            rows = (await session.exec(q)).all()
            for row in rows:
                attempts = row.attempts + 1
                res = await session.exec(  # type: ignore[call-overload]
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row.id, due)
                    .values(status="sending", lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
                )
                if res.rowcount:
                    out.append((row.channel, row, attempts))
        return out

    async def _sent(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        async with self.s.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(outbox_ids))
                .values(status="sent", sent_at=self.s.clock.now(), lease_until=None, last_error=None)
            )

    async def _release(self, outbox_id: int) -> None:
        async with self.s.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == outbox_id)
                .values(status="pending", lease_until=None, attempts=OutboxMessage.attempts - 1)
            )

    async def _failed(self, outbox_id: int, attempts: int, err: DeliveryError) -> None:
        permanent = err.permanent or attempts >= MAX_ATTEMPTS
        log.warning(
            "delivery of outbox %s failed (attempt %s, %s): %s",
            outbox_id,
            attempts,
            "permanent" if permanent else "will retry",
            err,
        )
        values: dict[str, object] = {"last_error": str(err)[:500], "lease_until": None}
        if permanent:
            values["status"] = "failed"
        else:
            values.update(status="pending", next_attempt_at=self.s.clock.now() + backoff(attempts))
        async with self.s.db.session() as session:
            await session.exec(  # type: ignore[call-overload]
                update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id).values(**values)
            )

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver whenever the pipeline says there is something new, and at least every poll interval."""
        while not stop.is_set():
            self.s.outbox_ready.clear()
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 — the loop must survive a database hiccup
                log.exception("outbox run failed")
            try:
                await asyncio.wait_for(self.s.outbox_ready.wait(), timeout=self.s.settings.outbox_poll_seconds)
            except TimeoutError:
                pass
