"""The funnel's SQL: one GROUP BY per section (see core.funnel's contract), filtered to the viewer's team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.funnel import (
    ForecastBucket,
    FunnelInput,
    Quarter,
    StageEvent,
    StageTotal,
    conversion_window,
    yesterday_bounds,
)
from core.stages import OPEN_STAGES, Stage
from storage.models import Approval, FxRate, Opportunity, StageChange, Task
from storage.types import UTCDateTime

OPEN = [s.value for s in OPEN_STAGES]


def _owned(owner_ids: Sequence[int] | None) -> Any:
    return True if owner_ids is None else col(Opportunity.owner_id).in_(owner_ids)


async def funnel_input(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, now: datetime, tz: str, base_currency: str
) -> FunnelInput:
    quarter = Quarter.of(now, tz)
    window_start, _ = conversion_window(now)
    _, y_start, y_end = yesterday_bounds(now, tz)
    q_start, q_end = quarter.bounds(tz)

    totals = (
        await session.exec(
            select(
                Opportunity.stage, Opportunity.currency, func.count(), func.coalesce(func.sum(Opportunity.amount), 0)
            )
            .where(col(Opportunity.stage).in_(OPEN), _owned(owner_ids))
            .group_by(Opportunity.stage, Opportunity.currency)
        )
    ).all()
    open_buckets = (
        await session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types at most four columns
                Opportunity.stage,
                Opportunity.currency,
                Opportunity.probability,
                func.count(),
                func.coalesce(func.sum(Opportunity.amount), 0),
            )
            .where(
                col(Opportunity.stage).in_(OPEN),
                _owned(owner_ids),
                col(Opportunity.expected_close) >= quarter.start,
                col(Opportunity.expected_close) < quarter.end,
            )
            .group_by(Opportunity.stage, Opportunity.currency, Opportunity.probability)
        )
    ).all()
    won_buckets = (
        await session.exec(
            select(Opportunity.currency, func.count(), func.coalesce(func.sum(Opportunity.amount), 0))
            .where(
                Opportunity.stage == Stage.WON.value,
                _owned(owner_ids),
                col(Opportunity.closed_at) >= q_start,
                col(Opportunity.closed_at) < q_end,
            )
            .group_by(Opportunity.currency)
        )
    ).all()
    # Only yesterday's moves are listed, so only they are fetched row by row; conversion is counted in SQL.
    event_rows = (
        await session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types at most four columns
                StageChange.opportunity_id,
                StageChange.from_stage,
                StageChange.to_stage,
                StageChange.at,
                Opportunity.title,
                Opportunity.owner_id,
                Opportunity.amount,
                Opportunity.currency,
            )
            .join(Opportunity, col(Opportunity.id) == StageChange.opportunity_id)
            .where(col(StageChange.at) >= y_start, col(StageChange.at) < y_end, _owned(owner_ids))
        )
    ).all()
    conversions = await conversion_counts(session, owner_ids=owner_ids, start=window_start, end=now)
    before = (
        await session.exec(
            select(Opportunity.stage, func.count())
            .where(
                col(Opportunity.stage).in_(OPEN), _owned(owner_ids), col(Opportunity.stage_entered_at) < window_start
            )
            .group_by(Opportunity.stage)
        )
    ).all()
    overdue = (
        await session.exec(
            select(Task.owner_id, func.count())
            .where(
                Task.status == "open",
                col(Task.due_at) < now,
                True if owner_ids is None else col(Task.owner_id).in_(owner_ids),
            )
            .group_by(col(Task.owner_id))
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
        stage_totals=[StageTotal(Stage(s), c, n, a if a is not None else Decimal(0)) for s, c, n, a in totals],
        forecast_buckets=[ForecastBucket(Stage(s), c, n, a, p) for s, c, p, n, a in open_buckets]
        + [ForecastBucket(Stage.WON, c, n, a if a is not None else Decimal(0)) for c, n, a in won_buckets],
        events=[
            StageEvent(oid, Stage(f) if f else None, Stage(t), at, title, owner, amount, cur)
            for oid, f, t, at, title, owner, amount, cur in event_rows
        ],
        open_before_window={Stage(s): n for s, n in before},
        overdue_tasks=dict(overdue),
        pending_approvals=int(pending),
        quarter=quarter,
        conversion_counts=conversions,
    )


_RANK_SQL = (
    "CASE {s} WHEN 'S1' THEN 0 WHEN 'S2' THEN 1 WHEN 'S3' THEN 2 WHEN 'S4' THEN 3 WHEN 'S5' THEN 4 "
    "WHEN 'won' THEN 5 ELSE -1 END"
)
# core.funnel.compute_conversions' definition, in one statement: each opportunity's path through the window is
# (the stage it started the window in) + every stage it moved to, in order; a stage on the path converted when a
# later position on the path ranks higher. Works on PostgreSQL and SQLite (window functions and FILTER).
_CONVERSIONS_SQL = """
WITH ev AS (
  SELECT sc.opportunity_id AS opp, sc.from_stage, sc.to_stage,
         row_number() OVER (PARTITION BY sc.opportunity_id ORDER BY sc.at, sc.id) AS n
  FROM stage_changes sc {join}
  WHERE sc.at >= :start AND sc.at < :end {owned}
), path AS (
  SELECT opp, 0 AS pos, from_stage AS stage FROM ev WHERE n = 1 AND from_stage IS NOT NULL
  UNION ALL SELECT opp, n AS pos, to_stage AS stage FROM ev
), ranked AS (
  SELECT opp, stage, {rank_stage} AS r,
         max({rank_stage}) OVER (PARTITION BY opp ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
           AS best_later
  FROM path
)
SELECT stage, count(DISTINCT opp) AS entered, count(DISTINCT opp) FILTER (WHERE best_later > r) AS reached
FROM ranked WHERE stage IN ('S1', 'S2', 'S3', 'S4', 'S5') GROUP BY stage
"""


async def conversion_counts(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, start: datetime, end: datetime
) -> dict[Stage, tuple[int, int]]:
    """(entered, reached) per open stage for stage changes in [start, end), by the viewer's team."""
    owned = owner_ids is not None
    sql = _CONVERSIONS_SQL.format(
        join="JOIN opportunities o ON o.id = sc.opportunity_id" if owned else "",
        owned="AND o.owner_id IN :owner_ids" if owned else "",
        rank_stage=_RANK_SQL.format(s="stage"),
    )
    stmt = text(sql).bindparams(
        bindparam("start", start, type_=UTCDateTime()), bindparam("end", end, type_=UTCDateTime())
    )
    if owned:
        stmt = stmt.bindparams(bindparam("owner_ids", list(owner_ids or []), expanding=True))
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {Stage(stage): (int(entered), int(reached)) for stage, entered, reached in rows}
