"""The manager's daily funnel (`漏斗` / `日报`): pure maths over pre-aggregated facts.

Contract with storage (why the inputs look the way they do): a team can hold 200k opportunities, so
the heavy lifting is one GROUP BY per section, done in SQL, and this module only combines a few hundred
small rows. Every input below names the query that fills it:

* `stage_totals` — open opportunities, one row per (stage, currency)::

      SELECT stage, currency, count(*), coalesce(sum(amount), 0) FROM opportunities
      WHERE stage IN ('S1'..'S5') [AND owner_id IN (:team)] GROUP BY stage, currency

* `forecast_buckets` — open opportunities whose `expected_close` lies in the quarter
  (`quarter.start <= expected_close < quarter.end`), grouped by (stage, currency, probability); plus won
  opportunities whose `closed_at` lies in `quarter.bounds(tz)`, grouped by currency with stage 'won'.
  `probability` NULL means "use DEFAULT_PROBABILITY for the stage".
* `events` — `stage_changes` rows with `at` in `[min(conversion window start, yesterday start), now)`.
  Only events inside yesterday need `title/owner_id/amount/currency` (for the lists); the rest may leave
  them empty. `from_stage` NULL marks creation.
* `open_before_window` — open opportunities whose `stage_entered_at < window_start` (they sat in one stage
  the whole window and so have no events in it), counted per stage.
* `overdue_tasks` — `SELECT owner_id, count(*) FROM tasks WHERE status='open' AND due_at < now GROUP BY 1`.

`aggregate_facts` builds the three aggregate inputs from plain rows, for tests and small installs; it is
the reference for what the SQL must return.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.money import format_money_short
from core.stages import DEFAULT_PROBABILITY, OPEN_STAGES, Stage, stage_rank

OwnerId = int | str
OppId = int | str

CONVERSION_DAYS = 90
PHONE_COLUMNS = 40
_HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- quarters and time


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter; `start` inclusive, `end` exclusive, so SQL ranges never double count."""

    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise ValueError(f"quarter must be 1..4, got {self.q}")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo | str) -> Quarter:
        """The quarter a moment falls in *for the viewer* (31 Dec 20:00 UTC is already Q1 in Shanghai)."""
        return cls.containing(_aware(moment).astimezone(_zone(tz)).date())

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.q - 1) + 1, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 1) if self.q == 4 else date(self.year, 3 * self.q + 1, 1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def bounds(self, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
        """UTC instants of local midnight at start and end, for filtering `closed_at`."""
        zone = _zone(tz)
        return (
            datetime.combine(self.start, time(), zone).astimezone(UTC),
            datetime.combine(self.end, time(), zone).astimezone(UTC),
        )

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"


def local_day_bounds(day: date, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
    """UTC instants of a local calendar day `[00:00, next 00:00)`; DST-safe."""
    zone = _zone(tz)
    return (
        datetime.combine(day, time(), zone).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC),
    )


def yesterday_bounds(now: datetime, tz: ZoneInfo | str) -> tuple[date, datetime, datetime]:
    """Yesterday as the viewer sees it: (local date, UTC start, UTC end)."""
    day = _aware(now).astimezone(_zone(tz)).date() - timedelta(days=1)
    start, end = local_day_bounds(day, tz)
    return day, start, end


def conversion_window(now: datetime, days: int = CONVERSION_DAYS) -> tuple[datetime, datetime]:
    now = _aware(now)
    return now - timedelta(days=days), now


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("funnel needs aware datetimes (UTC from storage)")
    return moment


def _dec(value: object) -> Decimal:
    """SQL SUM() may come back as int/float (SQLite); go through str so 0.1 stays 0.1."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _coerce(obj: object, **fields: object) -> None:
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class StageTotal:
    """Open opportunities of one stage in one currency (a GROUP BY row)."""

    stage: Stage
    currency: str
    count: int
    amount: Decimal

    def __post_init__(self) -> None:
        """Rows come straight from SQL: accept 'S1' strings and int/float sums."""
        _coerce(self, stage=Stage(self.stage), amount=_dec(self.amount or 0))


@dataclass(frozen=True)
class ForecastBucket:
    """Opportunities counted by the quarter forecast, grouped by (stage, currency, probability).

    Open stages: expected close in the quarter. `Stage.WON`: won (closed_at) in the quarter; its
    probability is ignored (always 100%). `probability` None means DEFAULT_PROBABILITY[stage].
    """

    stage: Stage
    currency: str
    count: int
    amount: Decimal
    probability: int | Decimal | None = None

    def __post_init__(self) -> None:
        _coerce(self, stage=Stage(self.stage), amount=_dec(self.amount or 0))


@dataclass(frozen=True)
class StageEvent:
    """One row of stage history. `from_stage` None = the opportunity was created (in `to_stage`)."""

    opportunity_id: OppId
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    title: str = ""
    owner_id: OwnerId | None = None
    amount: Decimal | None = None
    currency: str = ""

    def __post_init__(self) -> None:
        _coerce(
            self,
            from_stage=None if self.from_stage is None else Stage(self.from_stage),
            to_stage=Stage(self.to_stage),
        )


@dataclass(frozen=True)
class OpportunityFact:
    """One opportunity row, for `aggregate_facts` (small installs and tests)."""

    id: OppId
    owner_id: OwnerId
    stage: Stage
    amount: Decimal | None
    currency: str
    probability: int | Decimal | None
    expected_close: date | None
    stage_entered_at: datetime
    closed_at: datetime | None = None  # for won deals; falls back to stage_entered_at

    def __post_init__(self) -> None:
        _coerce(self, stage=Stage(self.stage))


@dataclass(frozen=True)
class FunnelInput:
    """Everything the report needs; see the module docstring for the SQL behind each field.

    `fx[c]` is how many base-currency units one unit of `c` is worth (`fx_rates.rate_to_base`); the base
    currency itself needs no entry. `quarter` None = the quarter containing `now` in `tz`.
    """

    now: datetime
    tz: str
    base_currency: str
    fx: Mapping[str, Decimal]
    stage_totals: Sequence[StageTotal] = ()
    forecast_buckets: Sequence[ForecastBucket] = ()
    events: Sequence[StageEvent] = ()
    open_before_window: Mapping[Stage, int] = field(default_factory=dict)
    overdue_tasks: Mapping[OwnerId, int] = field(default_factory=dict)
    pending_approvals: int = 0
    quarter: Quarter | None = None
    conversion_days: int = CONVERSION_DAYS
    # Storage's fast path: (entered, reached) per open stage over the window's events, aggregated in SQL with
    # `compute_conversions`' definition (open_before_window is still added here). When given, `events` need
    # only cover yesterday.
    conversion_counts: Mapping[Stage, tuple[int, int]] | None = None


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class StageLine:
    stage: Stage
    count: int
    amount: Decimal  # base currency; amounts without an FX rate are left out (see missing_fx)


@dataclass(frozen=True)
class StageConversion:
    """`reached` of `entered` opportunities that were in `stage` during the window got past it."""

    stage: Stage
    next_stage: Stage
    entered: int
    reached: int

    @property
    def rate(self) -> Decimal | None:
        """Share 0..1, None when nobody was in the stage (no data is not 0%)."""
        if not self.entered:
            return None
        return Decimal(self.reached) / Decimal(self.entered)


@dataclass(frozen=True)
class Forecast:
    quarter: Quarter
    weighted_open: Decimal  # Σ amount × probability, open opps closing this quarter
    won: Decimal  # won this quarter at 100%
    open_count: int
    won_count: int

    @property
    def total(self) -> Decimal:
        return self.weighted_open + self.won


class MoveKind(StrEnum):
    NEW = "new"
    ADVANCED = "advanced"
    WON = "won"
    LOST = "lost"
    MOVED_BACK = "moved_back"


MOVE_LABELS: dict[MoveKind, str] = {
    MoveKind.NEW: "新增",
    MoveKind.ADVANCED: "推进",
    MoveKind.WON: "赢单",
    MoveKind.LOST: "输单",
    MoveKind.MOVED_BACK: "回退",
}


@dataclass(frozen=True)
class Movement:
    """What happened to one opportunity yesterday, net of all its changes that day."""

    opportunity_id: OppId
    kind: MoveKind
    from_stage: Stage | None  # stage at the start of yesterday (None if created yesterday)
    to_stage: Stage  # stage at the end of yesterday
    title: str
    owner_id: OwnerId | None
    amount: Decimal | None  # in `currency`, as given
    currency: str


@dataclass(frozen=True)
class Yesterday:
    day: date
    new: tuple[Movement, ...]
    advanced: tuple[Movement, ...]
    won: tuple[Movement, ...]
    lost: tuple[Movement, ...]
    moved_back: tuple[Movement, ...]

    def of(self, kind: MoveKind) -> tuple[Movement, ...]:
        return {
            MoveKind.NEW: self.new,
            MoveKind.ADVANCED: self.advanced,
            MoveKind.WON: self.won,
            MoveKind.LOST: self.lost,
            MoveKind.MOVED_BACK: self.moved_back,
        }[kind]


@dataclass(frozen=True)
class OverdueLine:
    owner_id: OwnerId
    count: int


@dataclass(frozen=True)
class FunnelReport:
    generated_at: datetime
    tz: str
    base_currency: str
    stages: tuple[StageLine, ...]  # always S1..S5, in order
    conversions: tuple[StageConversion, ...]  # S1→S2 … S5→won
    conversion_days: int
    forecast: Forecast
    yesterday: Yesterday
    overdue: tuple[OverdueLine, ...]  # most overdue first, zero counts dropped
    pending_approvals: int
    missing_fx: tuple[str, ...]  # currencies with no rate; their amounts are not in any total

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.stages)

    @property
    def open_amount(self) -> Decimal:
        return sum((s.amount for s in self.stages), Decimal(0))


# --------------------------------------------------------------------------- building


class _Fx:
    """Converts to base, remembering currencies it could not convert instead of failing the report."""

    def __init__(self, base: str, rates: Mapping[str, Decimal]) -> None:
        self.base = base.upper()
        self.rates = {k.upper(): Decimal(v) for k, v in rates.items()}
        self.missing: set[str] = set()

    def to_base(self, amount: Decimal | None, currency: str, *, record: bool = True) -> Decimal:
        if amount is None:
            return Decimal(0)
        cur = (currency or self.base).upper()
        if cur == self.base:
            return Decimal(amount)
        rate = self.rates.get(cur)
        if rate is None:
            if amount and record:
                self.missing.add(cur)
            return Decimal(0)
        return Decimal(amount) * rate

    def sort_key(self, amount: Decimal | None, currency: str) -> Decimal:
        """For ordering lists only: does not mark totals as incomplete."""
        return self.to_base(amount, currency, record=False)


def build_funnel_report(inp: FunnelInput) -> FunnelReport:
    """Combine the pre-aggregated inputs into the report; O(rows given), no I/O."""
    now = _aware(inp.now)
    fx = _Fx(inp.base_currency, inp.fx)
    quarter = inp.quarter or Quarter.of(now, inp.tz)
    window_start, window_end = conversion_window(now, inp.conversion_days)
    return FunnelReport(
        generated_at=now,
        tz=inp.tz,
        base_currency=fx.base,
        stages=_stage_lines(inp.stage_totals, fx),
        conversions=(
            compute_conversions(inp.events, inp.open_before_window, window_start, window_end)
            if inp.conversion_counts is None
            else _conversions_from_counts(inp.conversion_counts, inp.open_before_window)
        ),
        conversion_days=inp.conversion_days,
        forecast=_forecast(inp.forecast_buckets, quarter, fx),
        yesterday=compute_yesterday(inp.events, now, inp.tz, to_base=fx.sort_key),
        overdue=tuple(
            OverdueLine(owner, n)
            for owner, n in sorted(inp.overdue_tasks.items(), key=lambda kv: (-kv[1], str(kv[0])))
            if n > 0
        ),
        pending_approvals=inp.pending_approvals,
        missing_fx=tuple(sorted(fx.missing)),
    )


def _stage_lines(totals: Iterable[StageTotal], fx: _Fx) -> tuple[StageLine, ...]:
    count: dict[Stage, int] = defaultdict(int)
    amount: dict[Stage, Decimal] = defaultdict(Decimal)
    for row in totals:
        if row.stage.is_open:
            count[row.stage] += row.count
            amount[row.stage] += fx.to_base(row.amount, row.currency)
    return tuple(StageLine(s, count[s], amount[s]) for s in OPEN_STAGES)


def _probability(stage: Stage, given: int | Decimal | None) -> Decimal:
    p = Decimal(DEFAULT_PROBABILITY[stage] if given is None else given)
    if not 0 <= p <= 100:
        raise ValueError(f"probability must be 0..100, got {given}")
    return p / _HUNDRED


def _forecast(buckets: Iterable[ForecastBucket], quarter: Quarter, fx: _Fx) -> Forecast:
    weighted = Decimal(0)
    won = Decimal(0)
    open_count = won_count = 0
    for b in buckets:
        if b.stage is Stage.WON:
            won += fx.to_base(b.amount, b.currency)
            won_count += b.count
        elif b.stage.is_open:
            weighted += fx.to_base(b.amount, b.currency) * _probability(b.stage, b.probability)
            open_count += b.count
    return Forecast(quarter, weighted, won, open_count, won_count)


_RANK: dict[Stage, int] = {s: stage_rank(s) for s in Stage}
_OPEN: frozenset[Stage] = frozenset(OPEN_STAGES)


def _at(ev: StageEvent) -> datetime:
    return ev.at


def compute_conversions(
    events: Iterable[StageEvent],
    open_before_window: Mapping[Stage, int],
    window_start: datetime,
    window_end: datetime,
) -> tuple[StageConversion, ...]:
    """Stage-to-stage conversion over `[window_start, window_end)`.

    Definition. An opportunity *was in stage X during the window* if it occupied X at any instant of
    the window: it was in X at `window_start` (the `from_stage` of its first event in the window, or it
    had no event in the window and is counted in `open_before_window[X]`) or an event in the window
    moved it into X. It *reached the next stage or beyond* if, after being in X, an event in the window
    moved it to a stage ranked above X (S1<…<S5<won; lost never counts). For S5 the next stage is won.

        conversion(X) = #opps in X during window that then reached > X  /  #opps in X during window

    Each opportunity counts at most once per stage however often it bounces. Skipped stages are not
    "visited" (S1→S3 counts for S1 and S3, not S2). Opportunities still sitting in X stay in the
    denominator, so young pipelines read low: this is a cohort share, not a closed-deal win rate.
    """
    per_opp: dict[OppId, list[StageEvent]] = {}
    for ev in events:
        if window_start <= ev.at < window_end:
            evs = per_opp.get(ev.opportunity_id)
            if evs is None:
                per_opp[ev.opportunity_id] = [ev]
            else:
                evs.append(ev)

    entered: dict[Stage, int] = dict.fromkeys(Stage, 0)
    reached: dict[Stage, int] = dict.fromkeys(Stage, 0)
    for key, n in open_before_window.items():
        stage = Stage(key)
        if stage.is_open:
            entered[stage] += n

    rank = _RANK
    for evs in per_opp.values():
        if len(evs) == 1:  # the common case, kept cheap
            ev = evs[0]
            to_rank = rank[ev.to_stage]
            if ev.from_stage is not None and ev.from_stage in _OPEN:
                entered[ev.from_stage] += 1
                if to_rank > rank[ev.from_stage]:
                    reached[ev.from_stage] += 1
            if ev.to_stage in _OPEN and ev.to_stage is not ev.from_stage:
                entered[ev.to_stage] += 1
            continue
        evs.sort(key=_at)
        path: list[Stage] = [] if evs[0].from_stage is None else [evs[0].from_stage]
        path.extend(e.to_stage for e in evs)
        # Walk backwards keeping the best rank seen later: X converted iff a later stage outranks it.
        best_later = -1
        seen: set[Stage] = set()
        converted: set[Stage] = set()
        for stage in reversed(path):
            r = rank[stage]
            if stage in _OPEN:
                seen.add(stage)
                if best_later > r:
                    converted.add(stage)
            best_later = max(best_later, r)
        for stage in seen:
            entered[stage] += 1
        for stage in converted:
            reached[stage] += 1

    nexts = (*OPEN_STAGES[1:], Stage.WON)
    return tuple(StageConversion(s, n, entered[s], reached[s]) for s, n in zip(OPEN_STAGES, nexts, strict=True))


def _conversions_from_counts(
    counts: Mapping[Stage, tuple[int, int]], open_before_window: Mapping[Stage, int]
) -> tuple[StageConversion, ...]:
    nexts = (*OPEN_STAGES[1:], Stage.WON)
    return tuple(
        StageConversion(s, n, counts.get(s, (0, 0))[0] + open_before_window.get(s, 0), counts.get(s, (0, 0))[1])
        for s, n in zip(OPEN_STAGES, nexts, strict=True)
    )


def compute_yesterday(
    events: Iterable[StageEvent],
    now: datetime,
    tz: str | ZoneInfo,
    *,
    to_base: Callable[[Decimal | None, str], Decimal] | None = None,
) -> Yesterday:
    """Net movement per opportunity over the viewer's yesterday.

    Lists are biggest first (by `to_base(amount, currency)` when given, else raw amount), so the phone
    shows the deals that matter before "…另N单".

    Per opportunity, its events inside yesterday are folded: from = stage before the first, to = stage
    after the last. Kind, first match wins: ended won → WON; ended lost → LOST; created yesterday → NEW;
    ended above where it started → ADVANCED; ended below → MOVED_BACK; back where it started → not listed.
    """
    day, start, end = yesterday_bounds(now, tz)
    per_opp: dict[OppId, list[StageEvent]] = defaultdict(list)
    for ev in events:
        if start <= ev.at < end:
            per_opp[ev.opportunity_id].append(ev)

    buckets: dict[MoveKind, list[Movement]] = {k: [] for k in MoveKind}
    for opp_id, evs in per_opp.items():
        evs.sort(key=lambda e: e.at)
        first, last = evs[0], evs[-1]
        created = any(e.from_stage is None for e in evs)
        src = None if created else first.from_stage
        dst = last.to_stage
        if dst is Stage.WON:
            kind: MoveKind | None = MoveKind.WON
        elif dst is Stage.LOST:
            kind = MoveKind.LOST
        elif created:
            kind = MoveKind.NEW
        elif src is not None and stage_rank(dst) > stage_rank(src):
            kind = MoveKind.ADVANCED
        elif src is not None and stage_rank(dst) < stage_rank(src):
            kind = MoveKind.MOVED_BACK
        else:
            kind = None
        if kind is None:
            continue
        detail = next((e for e in reversed(evs) if e.title or e.amount is not None), last)
        buckets[kind].append(
            Movement(
                opportunity_id=opp_id,
                kind=kind,
                from_stage=src,
                to_stage=dst,
                title=detail.title,
                owner_id=detail.owner_id,
                amount=detail.amount,
                currency=detail.currency,
            )
        )

    def size(m: Movement) -> Decimal:
        if to_base is not None:
            return to_base(m.amount, m.currency)
        return m.amount if m.amount is not None else Decimal(0)

    for items in buckets.values():
        items.sort(key=lambda m: (-size(m), str(m.opportunity_id)))
    return Yesterday(
        day=day,
        new=tuple(buckets[MoveKind.NEW]),
        advanced=tuple(buckets[MoveKind.ADVANCED]),
        won=tuple(buckets[MoveKind.WON]),
        lost=tuple(buckets[MoveKind.LOST]),
        moved_back=tuple(buckets[MoveKind.MOVED_BACK]),
    )


@dataclass(frozen=True)
class Aggregates:
    stage_totals: tuple[StageTotal, ...]
    forecast_buckets: tuple[ForecastBucket, ...]
    open_before_window: dict[Stage, int]


def aggregate_facts(
    facts: Iterable[OpportunityFact],
    *,
    quarter: Quarter,
    tz: str | ZoneInfo,
    window_start: datetime,
) -> Aggregates:
    """Reference implementation of the SQL GROUP BYs, for tests and small installs (one pass)."""
    q_start, q_end = quarter.bounds(tz)
    d_start, d_end = quarter.start, quarter.end
    totals: dict[tuple[Stage, str], list] = {}
    buckets: dict[tuple[Stage, str, int | Decimal | None], list] = {}
    before: dict[Stage, int] = defaultdict(int)
    for f in facts:
        stage = f.stage
        amount = f.amount if f.amount is not None else Decimal(0)
        if stage.is_open:
            acc = totals.get((stage, f.currency))
            if acc is None:
                totals[(stage, f.currency)] = [1, amount]
            else:
                acc[0] += 1
                acc[1] += amount
            if f.stage_entered_at < window_start:
                before[stage] += 1
            if f.expected_close is not None and d_start <= f.expected_close < d_end:
                key = (stage, f.currency, f.probability)
            else:
                continue
        elif stage is Stage.WON:
            won_at = f.closed_at or f.stage_entered_at
            if not q_start <= won_at < q_end:
                continue
            key = (stage, f.currency, None)
        else:
            continue
        b = buckets.get(key)
        if b is None:
            buckets[key] = [1, amount]
        else:
            b[0] += 1
            b[1] += amount
    return Aggregates(
        stage_totals=tuple(StageTotal(s, c, n, a) for (s, c), (n, a) in totals.items()),
        forecast_buckets=tuple(ForecastBucket(s, c, n, a, p) for (s, c, p), (n, a) in buckets.items()),
        open_before_window=dict(before),
    )


# --------------------------------------------------------------------------- rendering


def _pct(rate: Decimal | None) -> str:
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"


def _width(text: str) -> int:
    """Display columns: CJK, full-width and ambiguous (…, →, █ in Chinese fonts) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def clip(text: str, columns: int) -> str:
    """Cut to `columns` display columns with "…", so one long deal title cannot wrap a phone line."""
    if _width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > columns - 2:  # room for the "…"
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _name(names: Mapping[OwnerId, str], owner: OwnerId | None) -> str:
    if owner is None:
        return ""
    return names.get(owner) or names.get(str(owner)) or str(owner)


def render_funnel_text(report: FunnelReport, names: Mapping[Any, str], *, max_items: int = 3) -> str:
    """Compact Chinese daily report; one fact per line so it reads on a phone without wrapping.

    `names` maps owner ids to display names (missing ids show as the id). Deal titles are clipped,
    lists show the `max_items` biggest per kind, overdue shows the top 6 reps. Lines aim at
    PHONE_COLUMNS display columns (CJK = 2), about what a chat bubble on a phone shows unwrapped.
    """
    base = report.base_currency
    money = lambda a: format_money_short(a, base)  # noqa: E731
    local = report.generated_at.astimezone(_zone(report.tz))
    lines = [
        f"【销售漏斗】{local.month}月{local.day}日",
        f"在手 {report.open_count} 单 · {money(report.open_amount)}",
    ]
    for s in report.stages:
        lines.append(f"{s.stage.value} {s.stage.label} {s.count}单 {money(s.amount)}")

    conv = [
        f"{c.stage.value}→{'赢' if c.next_stage is Stage.WON else c.next_stage.value} {_pct(c.rate)}"
        for c in report.conversions
    ]
    lines.append(f"【转化率·近{report.conversion_days}天】")
    lines.append(" ".join(conv[:3]))
    lines.append(" ".join(conv[3:]))

    f = report.forecast
    lines.append(f"【本季预测 {f.quarter.label}】{money(f.total)}")
    lines.append(f"已赢 {money(f.won)}（{f.won_count}单）+ 加权 {money(f.weighted_open)}（{f.open_count}单）")

    y = report.yesterday
    lines.append(
        f"【昨日 {y.day.month}/{y.day.day}】新增{len(y.new)} 推进{len(y.advanced)} "
        f"赢单{len(y.won)} 输单{len(y.lost)}" + (f" 回退{len(y.moved_back)}" if y.moved_back else "")
    )
    for kind in (MoveKind.WON, MoveKind.LOST, MoveKind.ADVANCED, MoveKind.NEW, MoveKind.MOVED_BACK):
        items = y.of(kind)
        for m in items[:max_items]:
            amount = f" {format_money_short(m.amount, m.currency or base)}" if m.amount is not None else ""
            who = _name(names, m.owner_id)
            step = (
                f" {m.from_stage.value}→{m.to_stage.value}"
                if kind in (MoveKind.ADVANCED, MoveKind.MOVED_BACK) and m.from_stage
                else ""
            )
            prefix = f"· {MOVE_LABELS[kind]} "
            owner = f"（{clip(who, 6)}）" if who else ""
            title = m.title or str(m.opportunity_id)
            room = PHONE_COLUMNS - _width(prefix + amount + step + owner)
            if room < min(12, _width(title)):  # the deal's name matters more than its stage step
                step = ""
                room = PHONE_COLUMNS - _width(prefix + amount + owner)
            title = clip(title, max(room, 8))
            lines.append(f"{prefix}{title}{amount}{step}{owner}")
        if len(items) > max_items:
            lines.append(f"· …另{len(items) - max_items}单{MOVE_LABELS[kind]}")

    if report.overdue:
        total = sum(o.count for o in report.overdue)
        lines.append(f"【逾期任务】{total} 项 · {len(report.overdue)} 人")
        shown = [f"{clip(_name(names, o.owner_id), 8)} {o.count}" for o in report.overdue[:6]]
        for i in range(0, len(shown), 3):
            lines.append("  ".join(shown[i : i + 3]))
        if len(report.overdue) > 6:
            lines.append(f"…另{len(report.overdue) - 6}人")
    else:
        lines.append("【逾期任务】无")
    lines.append(f"【待审批】{report.pending_approvals} 项")
    if report.missing_fx:
        lines.append(f"⚠ 缺少汇率：{'、'.join(report.missing_fx)}（相关金额未计入）")
    return "\n".join(lines)


_PARTIAL = " ▏▎▍▌▋▊▉"


def render_bar_chart(report: FunnelReport, *, width: int = 12) -> str:
    """Amount per open stage as █ bars, the 'chart' for channels that cannot show images.

    Bars scale to the largest stage; eighth-blocks keep small stages visible; a non-zero amount always
    gets at least one sliver so "small" never looks like "none". The amount follows the bar with no
    padding because CJK phone fonts draw █ at varying widths, so padded columns would not line up anyway;
    the bars themselves start aligned since every stage label has the same width.
    """
    if width < 1:
        raise ValueError("bar width must be at least 1")
    top = max((s.amount for s in report.stages), default=Decimal(0))
    lines = []
    for s in report.stages:
        if top > 0 and s.amount > 0:
            eighths = int((s.amount / top * width * 8).to_integral_value(rounding=ROUND_HALF_UP))
            eighths = max(eighths, 1)
            bar = "█" * (eighths // 8) + (_PARTIAL[eighths % 8] if eighths % 8 else "")
        else:
            bar = ""
        amount = format_money_short(s.amount, report.base_currency)
        lines.append(f"{s.stage.value} {s.stage.label} {bar + ' ' if bar else ''}{amount}·{s.count}单")
    return "\n".join(lines)
