"""The funnel's SQL: a few aggregate statements (see core.funnel's contract), filtered to the viewer's team.

Six statements whatever the team's size: one scan of opportunities for every opportunity figure, one for the
conversion counts over the window's stage changes, yesterday's moves row by row, overdue tasks, pending approvals
and the fx rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
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
    compute_conversions,
    conversion_window,
    yesterday_bounds,
)
from core.stages import OPEN_STAGES, Stage
from storage.models import Approval, FxRate, Opportunity, Quote, StageChange, Task
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
    if owner_ids is not None:  # the quotes of these people waiting on anyone, not what waits on these people
        pending_q = pending_q.join(Quote, col(Quote.id) == col(Approval.quote_id)).where(
            col(Quote.owner_id).in_(owner_ids)
        )
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


# Conversions over the window, counted by core.funnel.compute_conversions itself without shipping 100k events:
# compute_conversions reads of an opportunity only its path (the from_stage of its first event in the window, then
# every stage it moved to, in order), so SQL packs each path into one integer, 3 bits a position (0 = none, then
# list(Stage) order), and counts the opportunities per distinct path: a few hundred rows however big the window.
# Paths of more than SLOTS - 1 moves do not fit 63 bits; their (rare) opportunities come back by id instead.
_DIGIT = {stage: i + 1 for i, stage in enumerate(Stage)}
_STAGE = {d: s for s, d in _DIGIT.items()}
assert max(_DIGIT.values()) < 8, "a stage no longer fits 3 bits"
SLOTS = 21
_CONVERSIONS_SQL = """
WITH ev AS (
  SELECT sc.opportunity_id AS opp, {from_digit} AS f, {to_digit} AS t,
         row_number() OVER (PARTITION BY sc.opportunity_id ORDER BY sc.at, sc.id) AS n
  FROM stage_changes sc {join}
  WHERE sc.at >= :start AND sc.at < :end {owned}
), paths AS (
  SELECT opp, count(*) AS moves,
         CAST(sum(CASE WHEN n = 1 THEN f ELSE 0 END
             + CASE WHEN n < {slots} THEN CAST(t AS BIGINT) << CAST(3 * n AS INTEGER) ELSE 0 END) AS BIGINT) AS path
  FROM ev GROUP BY opp
)
SELECT CASE WHEN moves < {slots} THEN path END AS path, CASE WHEN moves < {slots} THEN NULL ELSE opp END AS opp,
       count(*) AS opportunities
FROM paths GROUP BY 1, 2
"""


def _digit(column: str) -> str:
    return "CASE " + column + "".join(f" WHEN '{s.value}' THEN {d}" for s, d in _DIGIT.items()) + " ELSE 0 END"


def _conversions_sql(owned: bool) -> str:
    return _CONVERSIONS_SQL.format(
        from_digit=_digit("sc.from_stage"),
        to_digit=_digit("sc.to_stage"),
        join="JOIN opportunities o ON o.id = sc.opportunity_id" if owned else "",
        owned="AND o.owner_id IN :owner_ids" if owned else "",
        slots=SLOTS,
    )


_SQL = {owned: _conversions_sql(owned) for owned in (False, True)}


def _path_events(path: int, start: datetime) -> list[StageEvent]:
    """The events compute_conversions needs to see the packed path (one microsecond apart from `start`)."""
    digits = [(path >> (3 * i)) & 7 for i in range(SLOTS)]
    stages = [_STAGE[d] for d in digits[1:] if d]
    previous = _STAGE.get(digits[0])
    events = []
    for i, stage in enumerate(stages):
        events.append(StageEvent(0, previous, stage, start + timedelta(microseconds=i)))
        previous = stage
    return events


async def conversion_counts(
    session: AsyncSession, *, owner_ids: Sequence[int] | None, start: datetime, end: datetime
) -> dict[Stage, tuple[int, int]]:
    """(entered, reached) per open stage over the stage changes in [start, end), by the viewer's team."""
    owned = owner_ids is not None
    stmt = text(_SQL[owned]).bindparams(
        bindparam("start", start, type_=UTCDateTime()), bindparam("end", end, type_=UTCDateTime())
    )
    if owned:
        stmt = stmt.bindparams(bindparam("owner_ids", list(owner_ids or []), expanding=True))
    counts = dict.fromkeys(OPEN_STAGES, (0, 0))

    def add(events: list[StageEvent], times: int) -> None:
        for c in compute_conversions(events, {}, start, end):
            entered, reached = counts[c.stage]
            counts[c.stage] = (entered + c.entered * times, reached + c.reached * times)

    long_paths: list[int] = []
    for path, opp, n in (await session.exec(stmt)).all():  # type: ignore[call-overload]
        if path is None:
            long_paths.append(opp)
        else:
            add(_path_events(int(path), start), int(n))
    if long_paths:
        rows = (
            await session.exec(
                select(StageChange)
                .where(col(StageChange.opportunity_id).in_(long_paths), col(StageChange.at) >= start)
                .where(col(StageChange.at) < end)
                .order_by(col(StageChange.at), col(StageChange.id))
            )
        ).all()
        add(
            [
                StageEvent(r.opportunity_id, Stage(r.from_stage) if r.from_stage else None, Stage(r.to_stage), r.at)
                for r in rows
            ],
            1,
        )
    return {s: c for s, c in counts.items() if c[0]}
