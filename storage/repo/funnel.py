"""The funnel's SQL: one GROUP BY per section (see core.funnel's contract), filtered to the viewer's team."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.funnel import ForecastBucket, FunnelInput, Quarter, StageEvent, StageTotal, conversion_window, yesterday_bounds
from core.stages import OPEN_STAGES, Stage
from storage.models import Approval, FxRate, Opportunity, StageChange, Task

OPEN = [s.value for s in OPEN_STAGES]


def _owned(owner_ids: Sequence[int] | None) -> Any:
    return True if owner_ids is None else col(Opportunity.owner_id).in_(owner_ids)


async def funnel_input(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, now: datetime, tz: str, base_currency: str
) -> FunnelInput:
    quarter = Quarter.of(now, tz)
    window_start, _ = conversion_window(now)
    _, y_start, _ = yesterday_bounds(now, tz)
    q_start, q_end = quarter.bounds(tz)

    totals = (
        await session.exec(
            select(Opportunity.stage, Opportunity.currency, func.count(), func.coalesce(func.sum(Opportunity.amount), 0))
            .where(col(Opportunity.stage).in_(OPEN), _owned(owner_ids))
            .group_by(Opportunity.stage, Opportunity.currency)
        )
    ).all()
    open_buckets = (
        await session.exec(
            select(Opportunity.stage, Opportunity.currency, Opportunity.probability, func.count(),
                   func.coalesce(func.sum(Opportunity.amount), 0))
            .where(col(Opportunity.stage).in_(OPEN), _owned(owner_ids),
                   col(Opportunity.expected_close) >= quarter.start, col(Opportunity.expected_close) < quarter.end)
            .group_by(Opportunity.stage, Opportunity.currency, Opportunity.probability)
        )
    ).all()
    won_buckets = (
        await session.exec(
            select(Opportunity.currency, func.count(), func.coalesce(func.sum(Opportunity.amount), 0))
            .where(Opportunity.stage == Stage.WON.value, _owned(owner_ids),
                   col(Opportunity.closed_at) >= q_start, col(Opportunity.closed_at) < q_end)
            .group_by(Opportunity.currency)
        )
    ).all()
    event_rows = (
        await session.exec(
            select(StageChange.opportunity_id, StageChange.from_stage, StageChange.to_stage, StageChange.at,
                   Opportunity.title, Opportunity.owner_id, Opportunity.amount, Opportunity.currency)
            .join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id)
            .where(col(StageChange.at) >= min(window_start, y_start), col(StageChange.at) < now, _owned(owner_ids))
        )
    ).all()
    before = (
        await session.exec(
            select(Opportunity.stage, func.count())
            .where(col(Opportunity.stage).in_(OPEN), _owned(owner_ids), col(Opportunity.stage_entered_at) < window_start)
            .group_by(Opportunity.stage)
        )
    ).all()
    overdue = (
        await session.exec(
            select(Task.owner_id, func.count())
            .where(Task.status == "open", col(Task.due_at) < now,
                   True if owner_ids is None else col(Task.owner_id).in_(owner_ids))
            .group_by(Task.owner_id)
        )
    ).all()
    pending_q = select(func.count(func.distinct(Approval.quote_id))).where(Approval.decision == "pending")
    if owner_ids is not None:
        pending_q = pending_q.where(col(Approval.approver_id).in_(owner_ids))
    pending = (await session.exec(pending_q)).one()
    fx = {r.currency: r.rate_to_base for r in (await session.exec(select(FxRate))).all()}

    return FunnelInput(
        now=now,
        tz=tz,
        base_currency=base_currency,
        fx=fx,
        stage_totals=[StageTotal(Stage(s), c, n, a) for s, c, n, a in totals],
        forecast_buckets=[ForecastBucket(Stage(s), c, n, a, p) for s, c, p, n, a in open_buckets]
        + [ForecastBucket(Stage.WON, c, n, a) for c, n, a in won_buckets],
        events=[
            StageEvent(oid, Stage(f) if f else None, Stage(t), at, title, owner, amount, cur)
            for oid, f, t, at, title, owner, amount, cur in event_rows
        ],
        open_before_window={Stage(s): n for s, n in before},
        overdue_tasks=dict(overdue),
        pending_approvals=int(pending),
        quarter=quarter,
    )
