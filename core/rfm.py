"""Customer value segment from RFM over won deals.

Choices (and why):

* Recency = days since the last WON deal, not the last follow-up. Follow-ups measure our effort, not
  the customer's value: a buyer we call every week who has stopped ordering is exactly the 挽留 case the
  segment must reveal.
* Frequency = won deals in the last `window_years` (default 3). Export key accounts order per season
  or per trade-fair cycle, so one year is too short to tell a steady buyer from a one-off.
* Monetary = sum of those same won deals in the base currency. Same window as frequency so the reason
  line ("3 年内 5 单，累计 ¥420万") describes one set of deals.

Storage can compute `RfmFacts` in SQL (max(closed_at), count(*), sum(amount * rate_to_base)) or pass won
deals to `facts_from_deals`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from core.money import format_money_short


class Segment(StrEnum):
    IMPORTANT_VALUE = "重要价值客户"  # R高 F高 M高
    IMPORTANT_KEEP = "重要保持客户"  # R低 F高 M高
    IMPORTANT_DEVELOP = "重要发展客户"  # R高 F低 M高
    IMPORTANT_RETAIN = "重要挽留客户"  # R低 F低 M高
    NORMAL_VALUE = "一般价值"  # R高 F高 M低
    NORMAL_DEVELOP = "一般发展"  # R高 F低 M低
    NORMAL_KEEP = "一般保持"  # R低 F高 M低
    NORMAL_RETAIN = "一般挽留"  # R低 F低 M低
    NO_DEAL = "新客户/无成交"

    @property
    def label(self) -> str:
        return self.value


# (R high, F high, M high) -> segment; the classic 8-cell RFM grid.
_GRID: dict[tuple[bool, bool, bool], Segment] = {
    (True, True, True): Segment.IMPORTANT_VALUE,
    (False, True, True): Segment.IMPORTANT_KEEP,
    (True, False, True): Segment.IMPORTANT_DEVELOP,
    (False, False, True): Segment.IMPORTANT_RETAIN,
    (True, True, False): Segment.NORMAL_VALUE,
    (True, False, False): Segment.NORMAL_DEVELOP,
    (False, True, False): Segment.NORMAL_KEEP,
    (False, False, False): Segment.NORMAL_RETAIN,
}


def _ascending(values: Sequence[int | Decimal], what: str) -> None:
    if len(values) != 4:
        raise ValueError(f"{what}: need 4 thresholds (for scores 5..2), got {len(values)}")
    if any(v < 0 for v in values):
        raise ValueError(f"{what}: thresholds must not be negative")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError(f"{what}: thresholds must be strictly increasing, got {list(values)}")


@dataclass(frozen=True)
class RfmConfig:
    """Thresholds tuned for key accounts of Chinese export companies (base currency CNY).

    recency_days: last won deal within [0] days → 5, within [1] → 4, [2] → 3, [3] → 2, older → 1.
      Defaults 90/180/365/730: a quarter, a trade-fair season, a year, two years.
    frequency: won deals in the window ≥ [3] → 5, ≥ [2] → 4, ≥ [1] → 3, ≥ [0] → 2, else 1.
      Defaults 2/3/6/12 over 3 years: 12 = quarterly repeat buyer.
    monetary: base-currency sum ≥ [3] → 5, … ≥ [0] → 2, else 1.
      Defaults ¥30万/¥100万/¥300万/¥1000万.
    high_score: a dimension counts as "高" at this score or above (3 = above the middle band).
    """

    recency_days: tuple[int, int, int, int] = (90, 180, 365, 730)
    frequency: tuple[int, int, int, int] = (2, 3, 6, 12)
    monetary: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal(300_000),
        Decimal(1_000_000),
        Decimal(3_000_000),
        Decimal(10_000_000),
    )
    window_years: int = 3
    high_score: int = 3
    base_currency: str = "CNY"

    def __post_init__(self) -> None:
        _ascending(self.recency_days, "recency_days")
        _ascending(self.frequency, "frequency")
        _ascending(self.monetary, "monetary")
        if self.frequency[0] < 1:
            raise ValueError("frequency: the lowest threshold must be at least 1 deal")
        if not 1 <= self.window_years <= 10:
            raise ValueError("window_years must be 1..10")
        if not 2 <= self.high_score <= 5:
            raise ValueError("high_score must be 2..5")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RfmConfig:
        """Build from TOML/env-style values; unknown keys are errors so typos do not pass silently."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown RFM settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            try:
                if key in ("recency_days", "frequency"):
                    kwargs[key] = tuple(int(str(v)) for v in _as_list(value))
                elif key == "monetary":
                    kwargs[key] = tuple(Decimal(str(v)) for v in _as_list(value))
                elif key in ("window_years", "high_score"):
                    kwargs[key] = int(str(value))
                else:
                    kwargs[key] = str(value).strip().upper()
            except (ArithmeticError, TypeError) as err:  # decimal.InvalidOperation is an ArithmeticError
                raise ValueError(f"RFM setting {key}: bad value {value!r}") from err
        return cls(**kwargs)  # type: ignore[arg-type]

    def window_start(self, today: date) -> date:
        """Deals strictly after this day count: same calendar day `window_years` ago (29 Feb → 28 Feb)."""
        try:
            return today.replace(year=today.year - self.window_years)
        except ValueError:
            return today.replace(year=today.year - self.window_years, day=28)


def _as_list(value: object) -> list[object]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return list(value)
    raise ValueError(f"expected a list or comma-separated string, got {value!r}")


@dataclass(frozen=True)
class WonDeal:
    closed_on: date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class RfmFacts:
    """What the score needs, computable in SQL. Counts and sums cover the config's window only."""

    last_won_on: date | None  # latest won deal ever (may be older than the window)
    won_count: int
    won_amount: Decimal  # base currency
    unconverted: tuple[str, ...] = ()  # currencies left out of won_amount for want of a rate


@dataclass(frozen=True)
class RfmResult:
    segment: Segment
    r: int  # 1..5, 0 when there is no won deal at all
    f: int  # 1..5, 0 when no won deal in the window
    m: int  # 1..5, 0 when no won deal in the window
    recency_days: int | None
    facts: RfmFacts
    reason: str

    @property
    def code(self) -> str:
        """`R5F3M4`: compact for lists and sorting."""
        return f"R{self.r}F{self.f}M{self.m}"


def facts_from_deals(
    deals: Iterable[WonDeal],
    *,
    today: date,
    fx: Mapping[str, Decimal],
    config: RfmConfig | None = None,
) -> RfmFacts:
    """Reduce won deals to RfmFacts. `fx[c]` = base units per unit of `c`; deals after `today` are ignored."""
    cfg = config or RfmConfig()
    start = cfg.window_start(today)
    base = cfg.base_currency
    last: date | None = None
    count = 0
    total = Decimal(0)
    missing: set[str] = set()
    for d in deals:
        if d.closed_on > today:
            continue
        if last is None or d.closed_on > last:
            last = d.closed_on
        if d.closed_on <= start:
            continue
        count += 1
        cur = d.currency.upper()
        if cur == base:
            total += d.amount
        elif cur in fx:
            total += d.amount * Decimal(fx[cur])
        else:
            missing.add(cur)
    return RfmFacts(last, count, total, tuple(sorted(missing)))


def _score_up(value: int | Decimal, thresholds: Sequence[int | Decimal]) -> int:
    """Bigger is better: ≥ t[3] → 5 … ≥ t[0] → 2, else 1."""
    return 1 + sum(1 for t in thresholds if value >= t)


def _score_recency(days: int, thresholds: Sequence[int]) -> int:
    """Fewer days is better: ≤ t[0] → 5 … ≤ t[3] → 2, else 1."""
    return 1 + sum(1 for t in thresholds if days <= t)


def score_rfm(facts: RfmFacts, *, today: date, config: RfmConfig | None = None) -> RfmResult:
    """Scores and segment; no won deal inside the window means 新客户/无成交 whatever came before."""
    cfg = config or RfmConfig()
    days = None if facts.last_won_on is None else max(0, (today - facts.last_won_on).days)
    r = 0 if days is None else _score_recency(days, cfg.recency_days)
    if facts.won_count <= 0:
        if days is None:
            reason = "暂无成交记录"
        else:
            reason = f"{cfg.window_years} 年内无成交（上次成交在 {days} 天前）"
        return RfmResult(Segment.NO_DEAL, r, 0, 0, days, facts, reason)

    f = _score_up(facts.won_count, cfg.frequency)
    m = _score_up(facts.won_amount, cfg.monetary)
    hi = cfg.high_score
    segment = _GRID[(r >= hi, f >= hi, m >= hi)]
    when = "今天成交" if days == 0 else f"近 {days} 天成交" if days is not None else "成交时间不详"
    reason = (
        f"{when}，{cfg.window_years} 年内 {facts.won_count} 单，"
        f"累计 {format_money_short(facts.won_amount, cfg.base_currency)}"
    )
    if facts.unconverted:
        reason += f"（{'、'.join(facts.unconverted)} 缺汇率未计入）"
    return RfmResult(segment, r, f, m, days, facts, reason)


def segment_customer(
    deals: Iterable[WonDeal],
    *,
    today: date,
    fx: Mapping[str, Decimal],
    config: RfmConfig | None = None,
) -> RfmResult:
    """Convenience: deals in, segment out."""
    cfg = config or RfmConfig()
    return score_rfm(facts_from_deals(deals, today=today, fx=fx, config=cfg), today=today, config=cfg)


@dataclass(frozen=True)
class SegmentCount:
    segment: Segment
    customers: int
    amount: Decimal = field(default=Decimal(0))


def summarize_segments(results: Iterable[RfmResult]) -> tuple[SegmentCount, ...]:
    """Customers and won amount per segment, in the enum's (importance) order, empty segments kept."""
    counts = {s: 0 for s in Segment}
    amounts = {s: Decimal(0) for s in Segment}
    for res in results:
        counts[res.segment] += 1
        amounts[res.segment] += res.facts.won_amount
    return tuple(SegmentCount(s, counts[s], amounts[s]) for s in Segment)
