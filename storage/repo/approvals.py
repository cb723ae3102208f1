"""Approval rows, the cards sent for them, and delegations.

A quote's whole route is written when it is submitted: the current step's rows are `pending`, later steps'
rows `waiting` (so 待审批 is one indexed query on approver and decision, and the card can say "step k of n").
A decision is a conditional UPDATE … WHERE decision = 'pending': of two simultaneous taps only one changes a row.

Which card went to whom for which approval is kept in the audit log (action `card_sent`, entity `approvals`,
`after = {"card_id", "to_user_id"}`): approvals have no column for it, and a row may get more than one card
(re-sent after a delegation), each of which must be finalised when the step is decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Approval, AuditLog, Delegation, Quote

OPEN = ("pending", "waiting")
CARD_SENT = "card_sent"


@dataclass(frozen=True)
class PlannedStep:
    name: str
    mode: str  # any / all
    reason: str
    approver_ids: tuple[int, ...]


async def create_route(
    session: AsyncSession, quote_id: int, steps: Sequence[PlannedStep], *, now: datetime
) -> list[Approval]:
    """One row per approver per step, numbered from 1; the first step is pending, the rest wait."""
    rows = [
        Approval(
            quote_id=quote_id,
            step_no=no,
            step_name=step.name,
            mode=step.mode,
            reason=step.reason,
            approver_id=approver,
            decision="pending" if no == 1 else "waiting",
            pending_since=now if no == 1 else None,
            created_at=now,
        )
        for no, step in enumerate(steps, 1)
        for approver in step.approver_ids
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def for_quote(session: AsyncSession, quote_id: int) -> list[Approval]:
    q = select(Approval).where(Approval.quote_id == quote_id).order_by(col(Approval.step_no), col(Approval.id))
    return list((await session.exec(q.execution_options(populate_existing=True))).all())


async def decide(
    session: AsyncSession,
    approval_id: int,
    *,
    decision: str,
    by: int,
    now: datetime,
    reason_code: str | None = None,
    comment: str | None = None,
) -> bool:
    """Record one decision, only if the row is still pending; False means someone got there first."""
    result = await session.exec(  # type: ignore[call-overload]
        update(Approval)
        .where(col(Approval.id) == approval_id, col(Approval.decision) == "pending")
        .values(decision=decision, decided_by_id=by, decided_at=now, reason_code=reason_code, comment=comment)
    )
    return bool(result.rowcount == 1)


async def close_open(session: AsyncSession, ids: Iterable[int], *, by: int | None, now: datetime, comment: str) -> None:
    """Rows nobody needs to decide any more (a 或签 settled, a reject, a new revision) become superseded."""
    ids = list(ids)
    if ids:
        await session.exec(  # type: ignore[call-overload]
            update(Approval)
            .where(col(Approval.id).in_(ids), col(Approval.decision).in_(OPEN))
            .values(decision="superseded", decided_by_id=by, decided_at=now, comment=comment)
        )


async def open_step(session: AsyncSession, quote_id: int, step_no: int, *, now: datetime) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(Approval)
        .where(
            col(Approval.quote_id) == quote_id, col(Approval.step_no) == step_no, col(Approval.decision) == "waiting"
        )
        .values(decision="pending", pending_since=now)
    )


async def pending_for(session: AsyncSession, user_id: int) -> list[tuple[Approval, Quote]]:
    """What waits for this user now, oldest first."""
    q = (
        select(Approval, Quote)
        .join(Quote, col(Quote.id) == Approval.quote_id)
        .where(Approval.approver_id == user_id, Approval.decision == "pending", Quote.status == "pending")
        .order_by(col(Quote.submitted_at), col(Approval.id))
    )
    return [(a, qt) for a, qt in (await session.exec(q)).all()]


async def open_for(session: AsyncSession, user_id: int) -> list[Approval]:
    """Pending or waiting rows of this approver on quotes still under approval (for a delegation)."""
    q = (
        select(Approval)
        .join(Quote, col(Quote.id) == Approval.quote_id)
        .where(Approval.approver_id == user_id, col(Approval.decision).in_(OPEN), Quote.status == "pending")
    )
    return list((await session.exec(q)).all())


async def cards_for(session: AsyncSession, approval_ids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(approval id, card id, recipient) of every decision card sent for these approvals."""
    ids = list(approval_ids)
    if not ids:
        return []
    q = (
        select(AuditLog)
        .where(AuditLog.entity == "approvals", AuditLog.action == CARD_SENT, col(AuditLog.entity_id).in_(ids))
        .order_by(col(AuditLog.id))
    )
    return [
        (int(r.entity_id or 0), str(r.after["card_id"]), int(r.after["to_user_id"]))
        for r in (await session.exec(q)).all()
        if r.after
    ]


# --- delegation -----------------------------------------------------------------------------------------


async def active_delegations(session: AsyncSession, now: datetime) -> dict[int, Delegation]:
    """from_user_id → the delegation in force now (the latest one if several overlap)."""
    q = (
        select(Delegation)
        .where(
            col(Delegation.cancelled).is_(False),
            Delegation.starts_at <= now,
            Delegation.ends_at > now,
        )
        .order_by(col(Delegation.id))
    )
    return {d.from_user_id: d for d in (await session.exec(q)).all()}


async def cancel_delegations(session: AsyncSession, from_user_id: int, now: datetime) -> list[Delegation]:
    q = select(Delegation).where(
        Delegation.from_user_id == from_user_id,
        Delegation.cancelled == False,  # noqa: E712
        Delegation.ends_at > now,
    )
    rows = list((await session.exec(q)).all())
    for row in rows:
        row.cancelled = True
        session.add(row)
    await session.flush()
    return rows
