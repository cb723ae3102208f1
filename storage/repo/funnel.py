"""The funnel's SQL: a few aggregate statements (see core.funnel's contract), filtered to the viewer's team.

Six statements whatever the team's size: one scan of opportunities for every opportunity figure, one for the
conversion counts over the window's stage changes, yesterday's moves row by row, overdue tasks, pending approvals
and the fx rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, text
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


def _total(n: int, amount: object) -> tuple[int, Decimal]:
    return int(n), Decimal(0) if amount is None else Decimal(str(amount))


async def funnel_input(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, now: datetime, tz: str, base_currency: str
) -> FunnelInput:
    quarter = Quarter.of(now, tz)
    window_start, _ = conversion_window(now)
    _, y_start, y_end = yesterday_bounds(now, tz)
    q_start, q_end = quarter.bounds(tz)

    # Every opportunity figure in one scan (core.funnel.aggregate_facts is the reference): open ones by
    # (stage, currency, probability) with what falls in the quarter and what sat still the whole window
    # counted beside, and the deals won in the quarter.
    is_open = col(Opportunity.stage).in_(OPEN)
    amount = col(Opportunity.amount)
    in_quarter = and_(col(Opportunity.expected_close) >= quarter.start, col(Opportunity.expected_close) < quarter.end)
    won_at = func.coalesce(col(Opportunity.closed_at), col(Opportunity.stage_entered_at))
    groups = (
        await session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types at most four columns
                Opportunity.stage,
                Opportunity.currency,
                Opportunity.probability,
                func.count(),
                func.sum(amount),
                func.count().filter(in_quarter),
                func.sum(amount).filter(in_quarter),
                func.count().filter(col(Opportunity.stage_entered_at) < window_start),
            )
            .where(
                or_(is_open, and_(col(Opportunity.stage) == Stage.WON.value, won_at >= q_start, won_at < q_end)),
                _owned(owner_ids),
            )
            .group_by(Opportunity.stage, Opportunity.currency, Opportunity.probability)
        )
    ).all()
    totals: dict[tuple[Stage, str], tuple[int, Decimal]] = {}
    forecast: list[ForecastBucket] = []
    won: dict[str, tuple[int, Decimal]] = {}
    before: dict[Stage, int] = defaultdict(int)
    for stage_value, currency, probability, n, amount_sum, n_q, amount_q, n_before in groups:
        stage = Stage(stage_value)
        if stage is Stage.WON:
            count, total = won.get(currency, (0, Decimal(0)))
            n_won, amount_won = _total(n, amount_sum)
            won[currency] = (count + n_won, total + amount_won)
            continue
        count, total = totals.get((stage, currency), (0, Decimal(0)))
        n_all, amount_all = _total(n, amount_sum)
        totals[(stage, currency)] = (count + n_all, total + amount_all)
        if n_q:
            forecast.append(ForecastBucket(stage, currency, *_total(n_q, amount_q), probability))
        if n_before:
            before[stage] += int(n_before)

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
        stage_totals=[StageTotal(s, c, n, a) for (s, c), (n, a) in totals.items()],
        forecast_buckets=forecast + [ForecastBucket(Stage.WON, c, n, a) for c, (n, a) in won.items()],
        events=[
            StageEvent(oid, Stage(f) if f else None, Stage(t), at, title, owner, amount, cur)
            for oid, f, t, at, title, owner, amount, cur in event_rows
        ],
        open_before_window=dict(before),
        overdue_tasks=dict(overdue),
        pending_approvals=int(pending),
        quarter=quarter,
        conversion_counts=conversions,
    )


def _rank(column: str) -> str:
    """A stage's rank in SQL (core.stages.stage_rank: S1..S5 = 0..4, won = 5; lost and NULL = -1)."""
    return (
        f"CASE {column} WHEN 'S1' THEN 0 WHEN 'S2' THEN 1 WHEN 'S3' THEN 2 WHEN 'S4' THEN 3 WHEN 'S5' THEN 4 "
        "WHEN 'won' THEN 5 ELSE -1 END"
    )


# core.funnel.compute_conversions' definition in one statement and one sort. An opportunity's path through the
# window is (the stage it started the window in = the from_stage of its first event) + every stage it moved to, in
# order; a stage on the path converted when a later position on the path ranks higher. Per event, over its
# opportunity's events in order: `later` = the best rank moved to after it, `here_on` = the same including its own
# move (what the start stage is compared with). Per opportunity, one 0/1 flag per open stage for "was in it" and
# "got past it"; summed over opportunities, they are the counts. Works on PostgreSQL and SQLite.
_CONVERSIONS_SQL = """
WITH ev AS (
  SELECT sc.opportunity_id AS opp, {from_rank} AS fr, {to_rank} AS tr,
         row_number() OVER w AS n,
         max({to_rank}) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later,
         max({to_rank}) OVER (w ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS here_on
  FROM stage_changes sc {join}
  WHERE sc.at >= :start AND sc.at < :end {owned}
  WINDOW w AS (PARTITION BY sc.opportunity_id ORDER BY sc.at, sc.id)
), per_opp AS (
  SELECT {flags} FROM ev GROUP BY opp
)
SELECT {sums} FROM per_opp
"""


def _conversions_sql(owned: bool) -> str:
    flags: list[str] = []
    for r in range(len(OPEN_STAGES)):
        flags.append(f"max(CASE WHEN tr = {r} OR (n = 1 AND fr = {r}) THEN 1 ELSE 0 END) AS e{r}")
        flags.append(
            f"max(CASE WHEN (tr = {r} AND later > {r}) OR (n = 1 AND fr = {r} AND here_on > {r}) "
            f"THEN 1 ELSE 0 END) AS r{r}"
        )
    return _CONVERSIONS_SQL.format(
        from_rank=_rank("sc.from_stage"),
        to_rank=_rank("sc.to_stage"),
        join="JOIN opportunities o ON o.id = sc.opportunity_id" if owned else "",
        owned="AND o.owner_id IN :owner_ids" if owned else "",
        flags=", ".join(flags),
        sums=", ".join(f"coalesce(sum(e{r}), 0), coalesce(sum(r{r}), 0)" for r in range(len(OPEN_STAGES))),
    )


_SQL = {owned: _conversions_sql(owned) for owned in (False, True)}


async def conversion_counts(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, start: datetime, end: datetime
) -> dict[Stage, tuple[int, int]]:
    """(entered, reached) per open stage entered by stage changes in [start, end), by the viewer's team."""
    owned = owner_ids is not None
    stmt = text(_SQL[owned]).bindparams(
        bindparam("start", start, type_=UTCDateTime()), bindparam("end", end, type_=UTCDateTime())
    )
    if owned:
        stmt = stmt.bindparams(bindparam("owner_ids", list(owner_ids or []), expanding=True))
    row = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    counts = {s: (int(row[2 * r]), int(row[2 * r + 1])) for r, s in enumerate(OPEN_STAGES)}
    return {s: c for s, c in counts.items() if c[0]}
