"""Approval rows and delegations.

A quote's whole route is written when it is submitted: the current step's rows are `pending`, later steps'
rows `waiting` (so 待审批 is one indexed query on approver and decision, and the card can say "step k of n").
A decision is a conditional UPDATE … WHERE decision = 'pending': of two simultaneous taps only one changes a row.
The cards sent for approvals are kept in storage.repo.quote_cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Approval, Delegation, Quote

OPEN = ("pending", "waiting")
DECIDED = ("approved", "rejected", "conditional")


@dataclass(frozen=True)
class Carried:
    """A step already approved on the revision before (its approver asked for exactly this change)."""

    decided_by_id: int
    comment: str
    decided_at: datetime


@dataclass(frozen=True)
class PlannedStep:
    name: str
    mode: str  # any / all
    reason: str
    approver_ids: tuple[int, ...]
    carried: Carried | None = None
    routed_to: tuple[int, ...] = ()  # the approvers the policy named, before delegations replaced any


async def create_route(
    session: AsyncSession, quote_id: int, steps: Sequence[PlannedStep], *, now: datetime
) -> list[Approval]:
    """One row per approver per step, numbered from 1; the first step not carried over is pending, later ones wait.

    A carried step is written as approved by the one who approved it before (the other approvers of a 或签 step
    as superseded), so the trail shows who decided and when.
    """
    rows: list[Approval] = []
    first_open = next((no for no, step in enumerate(steps, 1) if step.carried is None), None)
    for no, step in enumerate(steps, 1):
        for approver in step.approver_ids:
            row = Approval(
                quote_id=quote_id,
                step_no=no,
                step_name=step.name,
                mode=step.mode,
                reason=step.reason,
                approver_id=approver,
                decision="pending" if no == first_open else "waiting",
                pending_since=now if no == first_open else None,
                created_at=now,
            )
            if step.carried is not None:
                c = step.carried
                mine = approver == c.decided_by_id or step.mode == "all"
                row.decision = "approved" if mine else "superseded"
                row.decided_by_id, row.decided_at, row.comment = c.decided_by_id, c.decided_at, c.comment
            rows.append(row)
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
