"""The outbox dispatcher: delivers pending rows through their channel, retries with backoff, marks them sent.

Rows are claimed with a lease (status 'sending', lease_until) in their own transaction before the network call,
so two replicas never send the same row at once and a crash mid-send makes the row due again when the lease
ends. One target's messages go out in order: a row waits while an earlier one to the same target is unsent.
A message with one reply costs two statements here: the claim (UPDATE … RETURNING) and the mark as sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, literal_column, or_, select, update
from sqlmodel import col

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


OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Claimed:
    """An outbox row leased for this attempt; `more`: its target has a later row waiting behind it."""

    id: int
    channel: str
    target: str
    kind: str
    payload: dict[str, Any]
    attempt: int
    reply_context: dict[str, str]
    more: bool


def _due(t: Any, now: Any) -> ColumnElement[bool]:
    return or_(
        and_(t.c.status == "pending", t.c.next_attempt_at <= now),
        and_(t.c.status == "sending", t.c.lease_until < now),
    )


# The lease statement's parts, built once: aliases set up their column collections when first built, which cost
# about a millisecond per delivery run when made anew each time.
_CAND, _EARLIER, _LATER = OUTBOX.alias("cand"), OUTBOX.alias("earlier"), OUTBOX.alias("later")
_WAITS_FOR_EARLIER = exists().where(  # a row whose target has an earlier row unsent waits for it
    _EARLIER.c.channel == _CAND.c.channel,
    _EARLIER.c.target == _CAND.c.target,
    _EARLIER.c.id < _CAND.c.id,
    _EARLIER.c.status.in_(("pending", "sending")),
)
# RETURNING renders columns unqualified, where `channel` would mean later's: name the updated row's own.
_THIS: dict[str, ColumnElement[Any]] = {
    name: literal_column(f"{OUTBOX.name}.{name}") for name in ("channel", "target", "id")
}
_MORE = exists().where(  # a later row of the same target waits behind a leased one
    _LATER.c.channel == _THIS["channel"],
    _LATER.c.target == _THIS["target"],
    _LATER.c.id > _THIS["id"],
    _LATER.c.status == "pending",
)


def _claim_statement(*, one_target: bool) -> Any:
    """The lease, built once (and once more for one target): the time, channels and limit are parameters, named
    unlike any column (an UPDATE's parameter named after a column would set it)."""
    now = bindparam("now", type_=OUTBOX.c.next_attempt_at.type)
    pick = select(_CAND.c.id).where(
        _due(_CAND, now), ~_WAITS_FOR_EARLIER, _CAND.c.channel.in_(bindparam("channels", expanding=True))
    )
    if one_target:
        pick = pick.where(_CAND.c.target == bindparam("to_target"))
    return (
        update(OUTBOX)
        .where(
            OUTBOX.c.id.in_(pick.order_by(_CAND.c.id).limit(bindparam("limit")).scalar_subquery()), _due(OUTBOX, now)
        )
        .values(status="sending", lease_until=bindparam("lease_ends"), attempts=OUTBOX.c.attempts + 1)
        .returning(
            OUTBOX.c.id,
            OUTBOX.c.channel,
            OUTBOX.c.target,
            OUTBOX.c.kind,
            OUTBOX.c.payload,
            OUTBOX.c.attempts,
            OUTBOX.c.reply_context,
            _MORE.label("more"),
        )
    )


_CLAIM_FOR = {one_target: _claim_statement(one_target=one_target) for one_target in (False, True)}
_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="sent", sent_at=bindparam("now"), lease_until=None, last_error=None)
)


class Deliverer:
    def __init__(self, services: Services) -> None:
        self.s = services

    async def run_once(self, *, channel: str | None = None, target: str | None = None, limit: int = 100) -> int:
        """Deliver what is due now, including what waited behind a row sent in this run; returns how many."""
        total = 0
        while True:
            sent, again = await self._run_batch(channel=channel, target=target, limit=limit)
            total += sent
            if not again:
                return total

    async def _run_batch(self, *, channel: str | None, target: str | None, limit: int) -> tuple[int, bool]:
        """Deliver one claimed batch; (how many were sent, whether more may be due now). The rows delivered are
        marked sent together at the end: one write instead of one per row (on SQLite every write takes the
        database's only write lock, which the acknowledging process needs too). A crash in between leaves them
        'sending'; their lease ends and they go out again, which the channels' idempotence (WeCom's duplicate
        check, task_id, kept media_id) makes harmless."""
        items = await self._claim(channel=channel, target=target, limit=limit)
        sent: list[int] = []
        again = len(items) == limit
        for item in items:
            ch = self.s.channels.get(item.channel)
            try:
                if ch is None:
                    raise DeliveryError(f"channel {item.channel} is not configured", permanent=False)
                try:
                    payload = decode(item.kind, item.payload)
                except UnknownPayload as err:
                    raise DeliveryError(str(err), permanent=True) from None
                await ch.deliver(OutboxItem(item.id, item.target, payload, item.attempt, item.reply_context))
            except DeliveryError as err:
                await self._failed(item.id, item.attempt, err)
                continue
            except Exception as err:  # noqa: BLE001 — an unexpected failure is retried, never lost
                log.exception("delivery of outbox %s crashed", item.id)
                await self._failed(item.id, item.attempt, DeliveryError(f"{type(err).__name__}: {err}"))
                continue
            sent.append(item.id)
            again = again or item.more
        await self._sent(sent)
        return len(sent), again

    async def _claim(self, *, channel: str | None, target: str | None, limit: int) -> list[_Claimed]:
        """Lease the due rows, oldest first, in one statement: a row whose target has an earlier row unsent waits
        for it (so one target's messages go out in order, one per batch). A replica that picked the same rows
        finds them no longer due when its UPDATE gets to them, and skips them."""
        now = self.s.clock.now()
        # Only channels this process has: a terminal's replies wait for `kabot chat`, and `serve` on the demo's
        # database neither retries them for ever nor fails them.
        params = {
            "now": now,
            "lease_ends": now + LEASE,
            "channels": [channel] if channel else list(self.s.channels),
            "limit": limit,
            "to_target": target,
        }
        async with self.s.db.session() as session:
            conn = await session.connection()
            rows = (await conn.execute(_CLAIM_FOR[bool(target)], params)).all()
        return sorted(
            (
                _Claimed(r.id, r.channel, r.target, r.kind, r.payload, r.attempts, r.reply_context or {}, bool(r.more))
                for r in rows
            ),
            key=lambda c: c.id,
        )

    async def _sent(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        async with self.s.db.session() as session:
            conn = await session.connection()
            await conn.execute(_SENT, {"ids": outbox_ids, "now": self.s.clock.now()})

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
