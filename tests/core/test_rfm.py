from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.rfm import (
    RfmConfig,
    RfmFacts,
    Segment,
    WonDeal,
    facts_from_deals,
    score_rfm,
    segment_customer,
    summarize_segments,
)

D = Decimal
TODAY = date(2026, 11, 23)
FX = {"USD": D("7.1"), "EUR": D("7.7")}


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def won(days_ago: int, amount: str, currency: str = "CNY") -> WonDeal:
    return WonDeal(ago(days_ago), D(amount), currency)


def facts(days: int | None, count: int, amount: str) -> RfmFacts:
    return RfmFacts(None if days is None else ago(days), count, D(amount))


# ----------------------------------------------------------------------------- facts


def test_facts_from_deals_window_currency_and_future():
    deals = [
        won(30, "1000000"),
        won(100, "200000", "USD"),  # ¥1,420,000
        won(3 * 365 + 5, "9999999"),  # outside the 3-year window: not counted, but it is not the latest
        won(-3, "5000000"),  # dated after today (typo / planned): ignored
        won(400, "100", "GBP"),  # no rate: counted as a deal, left out of the sum and reported
    ]
    f = facts_from_deals(deals, today=TODAY, fx=FX)
    assert f.last_won_on == ago(30)
    assert f.won_count == 3
    assert f.won_amount == D("2420000")
    assert f.unconverted == ("GBP",)


def test_window_edge_is_exclusive_of_the_anniversary():
    cfg = RfmConfig()
    assert cfg.window_start(TODAY) == date(2023, 11, 23)
    f = facts_from_deals(
        [WonDeal(date(2023, 11, 23), D(1), "CNY"), WonDeal(date(2023, 11, 24), D(2), "CNY")],
        today=TODAY,
        fx={},
    )
    assert (f.won_count, f.won_amount) == (1, D(2))


def test_window_start_on_leap_day():
    assert RfmConfig(window_years=1).window_start(date(2028, 2, 29)) == date(2027, 2, 28)


def test_last_won_kept_even_when_outside_window():
    f = facts_from_deals([won(2000, "100")], today=TODAY, fx={})
    assert f.last_won_on == ago(2000) and f.won_count == 0


# ----------------------------------------------------------------------------- scores


@pytest.mark.parametrize(
    ("days", "r"),
    [(0, 5), (90, 5), (91, 4), (180, 4), (181, 3), (365, 3), (366, 2), (730, 2), (731, 1), (5000, 1)],
)
def test_recency_score_boundaries(days, r):
    assert score_rfm(facts(days, 1, "1"), today=TODAY).r == r


@pytest.mark.parametrize(("count", "f"), [(1, 1), (2, 2), (3, 3), (5, 3), (6, 4), (11, 4), (12, 5), (40, 5)])
def test_frequency_score_boundaries(count, f):
    assert score_rfm(facts(10, count, "1"), today=TODAY).f == f


@pytest.mark.parametrize(
    ("amount", "m"),
    [("299999.99", 1), ("300000", 2), ("999999", 2), ("1000000", 3), ("3000000", 4), ("10000000", 5)],
)
def test_monetary_score_boundaries(amount, m):
    assert score_rfm(facts(10, 1, amount), today=TODAY).m == m


def test_future_last_won_counts_as_today():
    res = score_rfm(RfmFacts(TODAY + timedelta(days=2), 1, D(1)), today=TODAY)
    assert res.recency_days == 0 and res.r == 5


# ----------------------------------------------------------------------------- segments


@pytest.mark.parametrize(
    ("days", "count", "amount", "segment"),
    [
        (30, 5, "4200000", Segment.IMPORTANT_VALUE),  # R5 F3 M4
        (400, 6, "4200000", Segment.IMPORTANT_KEEP),  # R2 F4 M4
        (30, 1, "5000000", Segment.IMPORTANT_DEVELOP),  # R5 F1 M4: one big recent order
        (800, 2, "3000000", Segment.IMPORTANT_RETAIN),  # R1 F2 M4
        (30, 4, "200000", Segment.NORMAL_VALUE),  # R5 F3 M1
        (60, 1, "50000", Segment.NORMAL_DEVELOP),
        (500, 3, "100000", Segment.NORMAL_KEEP),
        (700, 1, "100000", Segment.NORMAL_RETAIN),
    ],
)
def test_segment_grid(days, count, amount, segment):
    assert score_rfm(facts(days, count, amount), today=TODAY).segment is segment


def test_segment_labels_are_the_chinese_names():
    assert [s.label for s in Segment] == [
        "重要价值客户",
        "重要保持客户",
        "重要发展客户",
        "重要挽留客户",
        "一般价值",
        "一般发展",
        "一般保持",
        "一般挽留",
        "新客户/无成交",
    ]


def test_reason_line():
    res = segment_customer(
        [
            won(30, "1000000"),
            won(200, "1000000"),
            won(300, "200000", "USD"),
            won(500, "500000"),
            won(900, "280000"),
        ],
        today=TODAY,
        fx=FX,
    )
    assert res.reason == "近 30 天成交，3 年内 5 单，累计 ¥420万"
    assert res.segment is Segment.IMPORTANT_VALUE
    assert res.code == "R5F3M4"


def test_reason_today_and_missing_fx():
    res = segment_customer([won(0, "20000"), won(5, "10", "GBP")], today=TODAY, fx={})
    assert res.reason == "今天成交，3 年内 2 单，累计 ¥2万（GBP 缺汇率未计入）"


def test_no_deal_ever():
    res = segment_customer([], today=TODAY, fx=FX)
    assert res.segment is Segment.NO_DEAL
    assert (res.r, res.f, res.m) == (0, 0, 0)
    assert res.recency_days is None
    assert res.reason == "暂无成交记录"


def test_no_deal_in_window_mentions_last_deal():
    res = segment_customer([won(1200, "9000000")], today=TODAY, fx=FX)
    assert res.segment is Segment.NO_DEAL
    assert res.r == 1 and res.f == 0
    assert res.reason == "3 年内无成交（上次成交在 1200 天前）"


# ----------------------------------------------------------------------------- config


def test_custom_thresholds_change_segment():
    small = RfmConfig(monetary=(D(1000), D(5000), D(10000), D(50000)), high_score=4)
    f = facts(30, 6, "20000")
    assert score_rfm(f, today=TODAY).segment is Segment.NORMAL_VALUE
    assert score_rfm(f, today=TODAY, config=small).segment is Segment.IMPORTANT_VALUE


def test_window_years_changes_counting_and_reason():
    cfg = RfmConfig(window_years=2)
    res = segment_customer([won(10, "100000"), won(800, "100000")], today=TODAY, fx={}, config=cfg)
    assert res.facts.won_count == 1
    assert "2 年内 1 单" in res.reason


def test_base_currency_usd():
    cfg = RfmConfig(base_currency="USD", monetary=(D(50_000), D(150_000), D(500_000), D(1_500_000)))
    res = segment_customer(
        [won(10, "1000000", "CNY"), won(20, "100000", "USD")], today=TODAY, fx={"CNY": D("0.14")}, config=cfg
    )
    assert res.facts.won_amount == D("240000")
    assert res.m == 3
    assert res.reason.endswith("累计 $24万")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"recency_days": (90, 90, 365, 730)},
        {"recency_days": (90, 180, 365)},
        {"frequency": (0, 3, 6, 12)},
        {"monetary": (D(-1), D(1), D(2), D(3))},
        {"monetary": (D(3), D(2), D(1), D(0))},
        {"window_years": 0},
        {"high_score": 1},
    ],
)
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        RfmConfig(**kwargs)


def test_config_from_mapping():
    cfg = RfmConfig.from_mapping(
        {
            "recency_days": "60,120,365,730",
            "frequency": [1, 2, 4, 8],
            "monetary": ["1e5", 5e5, "1000000", 5000000],
            "window_years": "2",
            "base_currency": "usd",
        }
    )
    assert cfg.recency_days == (60, 120, 365, 730)
    assert cfg.frequency == (1, 2, 4, 8)
    assert cfg.monetary == (D("1E+5"), D("500000.0"), D("1000000"), D("5000000"))
    assert cfg.window_years == 2 and cfg.base_currency == "USD"
    assert RfmConfig.from_mapping({}) == RfmConfig()


def test_config_from_mapping_rejects_unknown_and_bad_values():
    with pytest.raises(ValueError, match="recencey"):
        RfmConfig.from_mapping({"recencey_days": [1, 2, 3, 4]})
    with pytest.raises(ValueError):
        RfmConfig.from_mapping({"frequency": "1,2,3"})
    with pytest.raises(ValueError):
        RfmConfig.from_mapping({"monetary": "a,b,c,d"})


def test_summarize_segments():
    results = [
        score_rfm(facts(30, 5, "4200000"), today=TODAY),
        score_rfm(facts(30, 6, "5000000"), today=TODAY),
        score_rfm(facts(None, 0, "0"), today=TODAY),
    ]
    summary = {s.segment: s for s in summarize_segments(results)}
    assert len(summary) == len(Segment)
    assert summary[Segment.IMPORTANT_VALUE].customers == 2
    assert summary[Segment.IMPORTANT_VALUE].amount == D("9200000")
    assert summary[Segment.NO_DEAL].customers == 1
    assert summary[Segment.NORMAL_KEEP].customers == 0
