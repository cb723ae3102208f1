from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.funnel import (
    ForecastBucket,
    FunnelInput,
    FunnelReport,
    MoveKind,
    OpportunityFact,
    Quarter,
    StageEvent,
    StageTotal,
    aggregate_facts,
    build_funnel_report,
    clip,
    compute_conversions,
    compute_yesterday,
    conversion_window,
    render_bar_chart,
    render_funnel_text,
    yesterday_bounds,
)
from core.money import format_money_short
from core.stages import OPEN_STAGES, Stage

D = Decimal
SH = "Asia/Shanghai"
# 2026-11-22 18:00 UTC is 2026-11-23 02:00 in Shanghai: "yesterday" differs between the two zones.
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
FX = {"USD": D("7.1"), "EUR": D("7.7")}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ev(opp, frm, to, at, **kw) -> StageEvent:
    return StageEvent(opp, frm, to, at, **kw)


def report(**kw) -> FunnelReport:
    base: dict[str, Any] = dict(now=NOW, tz=SH, base_currency="CNY", fx=FX)
    base.update(kw)
    return build_funnel_report(FunnelInput(**base))


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


# ----------------------------------------------------------------------------- quarters & time


class TestQuarter:
    def test_boundaries(self):
        q = Quarter(2026, 4)
        assert (q.start, q.end) == (date(2026, 10, 1), date(2027, 1, 1))
        assert Quarter(2026, 1).end == date(2026, 4, 1)
        assert q.contains(date(2026, 12, 31)) and not q.contains(date(2027, 1, 1))
        assert not q.contains(date(2026, 9, 30))
        assert q.label == "2026Q4"

    def test_invalid(self):
        with pytest.raises(ValueError):
            Quarter(2026, 5)

    def test_quarter_of_depends_on_viewer_zone(self):
        moment = utc(2026, 12, 31, 20, 0)  # 2027-01-01 04:00 in Shanghai
        assert Quarter.of(moment, SH) == Quarter(2027, 1)
        assert Quarter.of(moment, "UTC") == Quarter(2026, 4)

    def test_bounds_are_local_midnights(self):
        start, end = Quarter(2027, 1).bounds(SH)
        assert start == utc(2026, 12, 31, 16, 0)
        assert end == utc(2027, 3, 31, 16, 0)

    def test_naive_now_rejected(self):
        with pytest.raises(ValueError):
            Quarter.of(datetime(2026, 1, 1), SH)  # noqa: DTZ001


def test_yesterday_bounds_shanghai_vs_utc():
    day, start, end = yesterday_bounds(NOW, SH)
    assert day == date(2026, 11, 22)
    assert (start, end) == (utc(2026, 11, 21, 16), utc(2026, 11, 22, 16))
    day, start, end = yesterday_bounds(NOW, "UTC")
    assert day == date(2026, 11, 21)
    assert (start, end) == (utc(2026, 11, 21), utc(2026, 11, 22))


def test_yesterday_bounds_across_dst():
    # New York falls back on 2026-11-01: that local day is 25 hours long.
    now = utc(2026, 11, 2, 15)
    day, start, end = yesterday_bounds(now, "America/New_York")
    assert day == date(2026, 11, 1)
    assert end - start == timedelta(hours=25)


# ----------------------------------------------------------------------------- stage totals & fx


def test_stage_totals_mixed_currencies_convert_to_base():
    r = report(
        stage_totals=[
            StageTotal(Stage.S1, "CNY", 3, D("300000")),
            StageTotal(Stage.S1, "USD", 2, D("100000")),  # ¥710,000
            StageTotal(Stage.S3, "EUR", 1, D("50000")),  # ¥385,000
            StageTotal(Stage.S3, "usd", 1, D("10")),  # case-insensitive currency
            StageTotal(Stage.WON, "CNY", 9, D("999999")),  # closed stages are not "open"
        ]
    )
    by = {s.stage: s for s in r.stages}
    assert [s.stage for s in r.stages] == list(OPEN_STAGES)
    assert by[Stage.S1].count == 5 and by[Stage.S1].amount == D("1010000")
    assert by[Stage.S3].count == 2 and by[Stage.S3].amount == D("385071")
    assert by[Stage.S2].count == 0 and by[Stage.S2].amount == 0
    assert r.open_count == 7
    assert r.open_amount == D("1395071")
    assert r.missing_fx == ()


def test_missing_fx_rate_is_reported_not_fatal():
    r = report(
        stage_totals=[
            StageTotal(Stage.S2, "GBP", 1, D("1000")),
            StageTotal(Stage.S2, "CNY", 1, D("500")),
            StageTotal(Stage.S2, "JPY", 4, D("0")),  # nothing lost, so not flagged
        ]
    )
    assert r.stages[1].count == 6
    assert r.stages[1].amount == D("500")
    assert r.missing_fx == ("GBP",)
    assert "缺少汇率：GBP" in render_funnel_text(r, {})


def test_base_currency_other_than_cny():
    r = build_funnel_report(
        FunnelInput(
            now=NOW,
            tz=SH,
            base_currency="USD",
            fx={"CNY": D("0.14")},
            stage_totals=[
                StageTotal(Stage.S4, "CNY", 1, D("1000000")),
                StageTotal(Stage.S4, "USD", 1, D("5")),
            ],
        )
    )
    assert r.stages[3].amount == D("140005")


# ----------------------------------------------------------------------------- forecast


def test_weighted_forecast_uses_own_or_default_probability_and_won_at_100():
    r = report(
        quarter=Quarter(2026, 4),
        forecast_buckets=[
            ForecastBucket(Stage.S3, "USD", 2, D("100000"), None),  # 710,000 × 40% default
            ForecastBucket(Stage.S4, "CNY", 1, D("500000"), 90),  # own probability wins
            ForecastBucket(Stage.S5, "EUR", 1, D("10000"), D("50")),  # 77,000 × 50%
            ForecastBucket(Stage.S1, "CNY", 1, D("100000"), 0),  # 0% contributes nothing
            ForecastBucket(Stage.WON, "CNY", 1, D("1000000"), 30),  # won ignores probability
            ForecastBucket(Stage.WON, "USD", 2, D("10000")),
            ForecastBucket(Stage.LOST, "CNY", 1, D("99999")),  # never counted
        ],
    )
    f = r.forecast
    assert f.quarter == Quarter(2026, 4)
    assert f.weighted_open == D("284000") + D("450000") + D("38500")
    assert f.won == D("1071000")
    assert f.total == D("1843500")
    assert (f.open_count, f.won_count) == (5, 3)


def test_probability_out_of_range_rejected():
    with pytest.raises(ValueError):
        report(forecast_buckets=[ForecastBucket(Stage.S3, "CNY", 1, D("1"), 150)])


def test_default_quarter_is_viewers_current_quarter():
    r = report(now=utc(2026, 12, 31, 20))
    assert r.forecast.quarter == Quarter(2027, 1)
    r = report(now=utc(2026, 12, 31, 20), tz="UTC")
    assert r.forecast.quarter == Quarter(2026, 4)


def fact(i, stage, amount, currency="CNY", *, prob=None, close=None, entered=None, closed=None, owner=1):
    return OpportunityFact(
        id=i,
        owner_id=owner,
        stage=stage,
        amount=None if amount is None else D(amount),
        currency=currency,
        probability=prob,
        expected_close=close,
        stage_entered_at=entered or utc(2026, 11, 1),
        closed_at=closed,
    )


def test_aggregate_facts_quarter_boundaries_in_viewer_zone():
    facts = [
        fact(1, Stage.S3, "100", close=date(2027, 1, 1)),  # first day of Q1 → in
        fact(2, Stage.S3, "200", close=date(2026, 12, 31)),  # last day of Q4 → out
        fact(3, Stage.S3, "400", close=date(2027, 3, 31)),  # last day of Q1 → in
        fact(4, Stage.S3, "800", close=date(2027, 4, 1)),  # Q2 → out
        fact(5, Stage.S4, "1000", close=None),  # no expected close → not forecast
        # Won 2026-12-31 17:00 UTC = 2027-01-01 01:00 Shanghai: Q1 for a Shanghai viewer, Q4 in UTC.
        fact(6, Stage.WON, "5000", closed=utc(2026, 12, 31, 17)),
        fact(7, Stage.WON, "7000", closed=utc(2026, 12, 31, 15)),  # 23:00 Shanghai → still Q4
        fact(8, Stage.LOST, "9000", closed=utc(2027, 1, 5)),
        fact(9, Stage.S1, None, close=date(2027, 2, 1)),  # amount unknown: counted, ¥0
    ]
    now = utc(2027, 1, 10)
    agg = aggregate_facts(facts, quarter=Quarter(2027, 1), tz=SH, window_start=now - timedelta(days=90))
    r = build_funnel_report(
        FunnelInput(
            now=now,
            tz=SH,
            base_currency="CNY",
            fx={},
            stage_totals=agg.stage_totals,
            forecast_buckets=agg.forecast_buckets,
            quarter=Quarter(2027, 1),
        )
    )
    assert r.forecast.weighted_open == D("500") * D("0.4")
    assert r.forecast.open_count == 3
    assert (r.forecast.won, r.forecast.won_count) == (D("5000"), 1)
    assert r.open_count == 6

    agg_utc = aggregate_facts(facts, quarter=Quarter(2026, 4), tz="UTC", window_start=now - timedelta(days=90))
    won = [b for b in agg_utc.forecast_buckets if b.stage is Stage.WON]
    assert sum(b.amount for b in won) == D("12000")


def test_aggregate_facts_matches_sql_shape():
    window_start = NOW - timedelta(days=90)
    facts = [
        fact(1, Stage.S2, "100", "USD", prob=30, close=date(2026, 12, 1), entered=utc(2026, 1, 1)),
        fact(2, Stage.S2, "50", "USD", prob=30, close=date(2026, 11, 30), entered=utc(2026, 10, 1)),
        fact(3, Stage.S2, "10", "USD", prob=None, close=date(2026, 11, 30), entered=utc(2026, 1, 1)),
        fact(4, Stage.S2, "1", "CNY", entered=utc(2026, 11, 20)),
    ]
    agg = aggregate_facts(facts, quarter=Quarter(2026, 4), tz=SH, window_start=window_start)
    assert set(agg.stage_totals) == {
        StageTotal(Stage.S2, "USD", 3, D("160")),
        StageTotal(Stage.S2, "CNY", 1, D("1")),
    }
    assert set(agg.forecast_buckets) == {
        ForecastBucket(Stage.S2, "USD", 2, D("150"), 30),
        ForecastBucket(Stage.S2, "USD", 1, D("10"), None),
    }
    assert agg.open_before_window == {Stage.S2: 2}


# ----------------------------------------------------------------------------- conversion


def test_conversion_maths():
    start, end = conversion_window(NOW)
    assert end - start == timedelta(days=90)
    t = start + timedelta(days=1)
    h = timedelta(hours=1)
    events = [
        # A: created in S1, S1→S2→S3. Visits S1, S2, S3; S1 and S2 converted.
        ev("A", None, Stage.S1, t),
        ev("A", Stage.S1, Stage.S2, t + h),
        ev("A", Stage.S2, Stage.S3, t + 2 * h),
        # B: in S2 at window start, falls back to S1, climbs to S2 again: S1 converted, S2 not.
        ev("B", Stage.S2, Stage.S1, t),
        ev("B", Stage.S1, Stage.S2, t + h),
        # C: S3 → lost: in S3, lost never counts as reaching beyond.
        ev("C", Stage.S3, Stage.LOST, t),
        # D: S4 → S5 → won (events given out of order: sorting is the function's job).
        ev("D", Stage.S5, Stage.WON, t + h),
        ev("D", Stage.S4, Stage.S5, t),
        # E: skips S2: counts for S1 (converted) and S3, not for S2.
        ev("E", Stage.S1, Stage.S3, t),
        # F: only an event before the window: ignored entirely.
        ev("F", Stage.S1, Stage.S2, start - h),
        # G: bounces S3→S4→S3→S4 : S3 and S4 each counted once; S3 converted.
        ev("G", Stage.S3, Stage.S4, t),
        ev("G", Stage.S4, Stage.S3, t + h),
        ev("G", Stage.S3, Stage.S4, t + 2 * h),
    ]
    conv = {c.stage: c for c in compute_conversions(events, {Stage.S1: 2, Stage.S3: 1}, start, end)}
    assert [(c.entered, c.reached) for c in conv.values()] == [(5, 3), (2, 1), (5, 1), (2, 1), (1, 1)]
    assert conv[Stage.S1].rate == D("0.6")
    assert conv[Stage.S2].rate == D("0.5")
    assert conv[Stage.S5].next_stage is Stage.WON


def test_conversion_window_edges_and_empty_stage():
    start, end = conversion_window(NOW, 90)
    events = [
        ev("in", Stage.S1, Stage.S2, start),  # start is inclusive
        ev("out", Stage.S1, Stage.S2, end),  # end is exclusive
    ]
    conv = compute_conversions(events, {}, start, end)
    assert (conv[0].entered, conv[0].reached) == (1, 1)
    assert conv[3].entered == 0 and conv[3].rate is None


def test_a_move_into_the_stage_it_was_in_counts_the_opportunity_once():
    """Imported history can hold S5 → S5; one opportunity is still one in the stage's denominator."""
    start, end = conversion_window(NOW)
    t = start + timedelta(days=1)
    alone = compute_conversions([ev("x", Stage.S5, Stage.S5, t)], {}, start, end)
    assert (alone[4].entered, alone[4].reached) == (1, 0)
    twice = compute_conversions([ev("y", Stage.S5, Stage.S5, t), ev("y", Stage.S5, Stage.WON, t)], {}, start, end)
    assert (twice[4].entered, twice[4].reached) == (1, 1)


def test_report_conversions_use_configured_window():
    events = [ev("x", Stage.S1, Stage.S2, NOW - timedelta(days=40))]
    assert report(events=events).conversions[0].reached == 1
    assert report(events=events, conversion_days=30).conversions[0].reached == 0


# ----------------------------------------------------------------------------- yesterday


# Shanghai yesterday (2026-11-22 local) = [11-21 16:00Z, 11-22 16:00Z)
SH_Y = utc(2026, 11, 22, 3)  # 11:00 Shanghai on the 22nd; also UTC "today"
UTC_ONLY = utc(2026, 11, 21, 10)  # UTC yesterday, but the 21st (day before yesterday) in Shanghai


def test_yesterday_shanghai_vs_utc():
    events = [
        ev(1, None, Stage.S1, SH_Y, title="新客户询盘"),
        ev(2, Stage.S2, Stage.S3, UTC_ONLY, title="老客户"),
    ]
    sh = compute_yesterday(events, NOW, SH)
    assert sh.day == date(2026, 11, 22)
    assert [m.opportunity_id for m in sh.new] == [1] and sh.advanced == ()
    u = compute_yesterday(events, NOW, "UTC")
    assert u.day == date(2026, 11, 21)
    assert u.new == () and [m.opportunity_id for m in u.advanced] == [2]


def test_yesterday_kinds_fold_multiple_events_per_opportunity():
    y0 = utc(2026, 11, 21, 16)  # start of Shanghai yesterday
    h = timedelta(hours=1)
    events = [
        ev("new", None, Stage.S1, y0 + h),
        ev("new", Stage.S1, Stage.S2, y0 + 2 * h),  # created then advanced: still "new"
        ev("fast", None, Stage.S5, y0 + h),
        ev("fast", Stage.S5, Stage.WON, y0 + 3 * h),  # created and won the same day: "won"
        ev("adv", Stage.S2, Stage.S3, y0 + h),
        ev("adv", Stage.S3, Stage.S4, y0 + 2 * h),
        ev("won", Stage.S5, Stage.WON, y0),  # exactly at local midnight: included
        ev("lost", Stage.S4, Stage.LOST, y0 + 5 * h),
        ev("back", Stage.S4, Stage.S2, y0 + h),
        ev("noop", Stage.S3, Stage.S4, y0 + h),
        ev("noop", Stage.S4, Stage.S3, y0 + 2 * h),  # ended where it started: not listed
        ev("reopen", Stage.LOST, Stage.S2, y0 + h),  # lost → S2 counts as advanced (lost ranks lowest)
        ev("late", Stage.S1, Stage.S2, y0 + 24 * h),  # today in Shanghai: not yesterday
    ]
    y = compute_yesterday(events, NOW, SH)
    ids = lambda ms: sorted(m.opportunity_id for m in ms)  # noqa: E731
    assert ids(y.new) == ["new"]
    assert ids(y.won) == ["fast", "won"]
    assert ids(y.advanced) == ["adv", "reopen"]
    assert ids(y.lost) == ["lost"]
    assert ids(y.moved_back) == ["back"]
    adv = next(m for m in y.advanced if m.opportunity_id == "adv")
    assert (adv.from_stage, adv.to_stage, adv.kind) == (Stage.S2, Stage.S4, MoveKind.ADVANCED)
    assert y.new[0].from_stage is None and y.new[0].to_stage is Stage.S2


def test_yesterday_lists_biggest_first_in_base_currency():
    t = SH_Y
    events = [
        ev(1, Stage.S5, Stage.WON, t, title="小单", amount=D("500000"), currency="CNY"),
        ev(2, Stage.S5, Stage.WON, t, title="大单", amount=D("100000"), currency="USD"),
        ev(3, Stage.S5, Stage.WON, t, title="无金额"),
    ]
    r = report(events=events)
    assert [m.title for m in r.yesterday.won] == ["大单", "小单", "无金额"]
    assert r.missing_fx == ()


# ----------------------------------------------------------------------------- overdue, approvals


def test_overdue_sorted_and_zero_dropped():
    r = report(overdue_tasks={7: 1, 3: 4, 5: 0, 9: 4}, pending_approvals=2)
    assert [(o.owner_id, o.count) for o in r.overdue] == [(3, 4), (9, 4), (7, 1)]
    assert r.pending_approvals == 2


# ----------------------------------------------------------------------------- rendering


def full_report() -> FunnelReport:
    y = SH_Y
    return report(
        quarter=Quarter(2026, 4),
        stage_totals=[
            StageTotal(Stage.S1, "CNY", 40, D("8000000")),
            StageTotal(Stage.S2, "USD", 20, D("1000000")),
            StageTotal(Stage.S3, "CNY", 12, D("3000000")),
            StageTotal(Stage.S4, "EUR", 5, D("200000")),
            StageTotal(Stage.S5, "CNY", 2, D("9000")),
        ],
        forecast_buckets=[
            ForecastBucket(Stage.S4, "CNY", 2, D("1000000"), None),
            ForecastBucket(Stage.WON, "CNY", 3, D("5000000")),
        ],
        events=[
            ev(
                1,
                Stage.S5,
                Stage.WON,
                y,
                title="德国ABC贸易公司2027年度框架采购协议",
                owner_id=1,
                amount=D("500000"),
                currency="USD",
            ),
            ev(2, Stage.S2, Stage.S3, y, title="越南工厂", owner_id=2, amount=D("300000"), currency="CNY"),
            ev(3, None, Stage.S1, y, title="展会询盘A", owner_id=2),
            ev(4, None, Stage.S1, y, title="展会询盘B", owner_id=2),
            ev(5, None, Stage.S1, y, title="展会询盘C", owner_id=2),
            ev(6, None, Stage.S1, y, title="展会询盘D", owner_id=2),
            ev(7, Stage.S4, Stage.LOST, y, title="巴西项目", owner_id=3),
        ],
        overdue_tasks={1: 3, 2: 1, 3: 2, 4: 1, 5: 1, 6: 1, 7: 9},
        pending_approvals=2,
    )


NAMES = {1: "张伟", 2: "李娜", 3: "王强", 4: "赵敏", 5: "陈静", 6: "刘洋", 7: "欧阳娜娜"}


def test_render_text_contents():
    text = render_funnel_text(full_report(), NAMES)
    assert text.startswith("【销售漏斗】11月23日")  # viewer's date, not UTC's 22nd
    assert "在手 79 单" in text
    assert "S1 初步接触 40单 ¥800万" in text
    assert "S2 需求确认 20单 ¥710万" in text
    assert "S5 合同签订 2单 ¥9,000" in text
    assert "【本季预测 2026Q4】¥560万" in text
    assert "已赢 ¥500万（3单）+ 加权 ¥60万（2单）" in text
    assert "【昨日 11/22】新增4 推进1 赢单1 输单1" in text
    assert "· 赢单 德国ABC贸易公司2… $50万（张伟）" in text
    assert "· 推进 越南工厂 ¥30万 S2→S3（李娜）" in text
    assert "· …另1单新增" in text
    assert "· 输单 巴西项目（王强）" in text
    assert "【逾期任务】18 项 · 7 人" in text
    assert "欧阳娜娜 9" in text and "…另1人" in text
    assert "【待审批】2 项" in text
    assert "缺少汇率" not in text


def test_render_text_fits_a_phone():
    text = render_funnel_text(full_report(), NAMES)
    widest = max(text.splitlines(), key=display_width)
    assert display_width(widest) <= 40, widest
    assert len(text.splitlines()) <= 30


def test_render_long_titles_and_names_are_clipped_to_phone_width():
    title = "Shenzhen Global Electronics Import & Export Co., Ltd. 年度框架协议"
    r = report(
        events=[
            ev(i, Stage.S2, Stage.S4, SH_Y, title=title, owner_id=1, amount=D("123456789"), currency="EUR")
            for i in range(3)
        ],
        overdue_tasks={1: 12},
    )
    text = render_funnel_text(r, {1: "Alexander Hamilton-Smith"})
    moves = [line for line in text.splitlines() if line.startswith("· 推进")]
    assert len(moves) == 3
    assert all(display_width(line) <= 40 for line in moves), moves
    assert moves[0] == "· 推进 Shenzhen Gl… €1.23亿（Alex…）"  # step dropped before the title shrinks more


def test_render_text_empty_report():
    text = render_funnel_text(report(), {})
    assert "在手 0 单 · ¥0" in text
    assert "S1→S2 —" in text  # no data is not 0%
    assert "【逾期任务】无" in text
    assert "【待审批】0 项" in text


def test_render_unknown_owner_falls_back_to_id():
    r = report(overdue_tasks={42: 1})
    assert "42 1" in render_funnel_text(r, {})


def test_conversion_percentages_rendered():
    start, _ = conversion_window(NOW)
    t = start + timedelta(days=1)
    events = [ev(i, Stage.S1, Stage.S2, t) for i in range(2)]
    r = report(events=events, open_before_window={Stage.S1: 1})
    assert "S1→S2 67%" in render_funnel_text(r, {})


def test_bar_chart_scales_to_largest_stage():
    chart = render_bar_chart(full_report(), width=10)
    lines = chart.splitlines()
    assert len(lines) == 5
    assert lines[0] == "S1 初步接触 ██████████ ¥800万·40单"
    assert lines[1].startswith("S2 需求确认 ████████▉ ¥710万")  # 71/80 × 10 = 8.875 → 8 + 7/8
    assert lines[2].startswith("S3 方案报价 ███▊ ¥300万")  # 3.75
    # ¥9,000 of ¥8,000,000 is far below one eighth, yet still shows a sliver
    assert lines[4] == "S5 合同签订 ▏ ¥9,000·2单"


def test_bar_chart_empty_and_bad_width():
    assert render_bar_chart(report()).splitlines()[0] == "S1 初步接触 ¥0·0单"
    with pytest.raises(ValueError):
        render_bar_chart(report(), width=0)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("0", "CNY", "¥0"),
        ("9999", "CNY", "¥9,999"),
        ("10000", "CNY", "¥1万"),
        ("123456", "CNY", "¥12.3万"),
        ("4200000", "CNY", "¥420万"),
        ("99996000", "CNY", "¥1亿"),
        ("123456789", "USD", "$1.23亿"),
        ("-50000", "EUR", "-€5万"),
        ("15000", "XYZ", "XYZ 1.5万"),
    ],
)
def test_format_money_short(amount, currency, text):
    assert format_money_short(D(amount), currency) == text


def test_clip():
    assert clip("短标题", 10) == "短标题"
    assert clip("德国ABC贸易公司", 8) == "德国AB…"  # "…" counts two columns
    assert display_width(clip("一二三四五六七八九十", 9)) <= 9


def test_naive_now_rejected():
    with pytest.raises(ValueError):
        report(now=datetime(2026, 1, 1))  # noqa: DTZ001


# ----------------------------------------------------------------------------- scale


def _scale_facts(n: int, reps: int) -> tuple[list[OpportunityFact], list[StageEvent]]:
    """Every stage, three currencies, half without a probability: the shapes the funnel sees at scale."""
    stages = list(OPEN_STAGES) + [Stage.WON, Stage.LOST]
    currencies = ["CNY", "USD", "EUR"]
    base_t = utc(2026, 6, 1)
    facts = [
        OpportunityFact(
            id=i,
            owner_id=i % reps,
            stage=stages[i % 7],
            amount=D(1000 + i),
            currency=currencies[i % 3],
            probability=None if i % 2 else (i % 10) * 10,
            expected_close=date(2026, 10 + i % 3, 1 + i % 28),
            stage_entered_at=base_t + timedelta(minutes=i),
            closed_at=base_t + timedelta(days=150, minutes=i % 1000),
        )
        for i in range(n)
    ]
    window_start = NOW - timedelta(days=90)
    events = [
        StageEvent(i, OPEN_STAGES[i % 4], OPEN_STAGES[i % 4 + 1], window_start + timedelta(seconds=i * 70))
        for i in range(n // 2)
    ]
    return facts, events


def test_row_level_path_totals_every_open_opportunity():
    """The row-level reference path over many reps (its speed at 200k rows: bench/bench_funnel_core.py)."""
    facts, events = _scale_facts(7_000, reps=200)
    window_start = NOW - timedelta(days=90)
    agg = aggregate_facts(facts, quarter=Quarter(2026, 4), tz=SH, window_start=window_start)
    r = build_funnel_report(
        FunnelInput(
            now=NOW,
            tz=SH,
            base_currency="CNY",
            fx=FX,
            stage_totals=agg.stage_totals,
            forecast_buckets=agg.forecast_buckets,
            events=events,
            open_before_window=agg.open_before_window,
            overdue_tasks={r: r % 7 for r in range(200)},
            pending_approvals=5,
        )
    )
    assert r.open_count == sum(1 for f in facts if f.stage.is_open) == 5_000
    text = render_funnel_text(r, {i: f"销售{i}" for i in range(200)})
    assert "在手 5000 单" in text and "【逾期任务】594 项 · 171 人" in text and "…另165人" in text
    assert render_bar_chart(r)


def test_report_from_sql_aggregates_counts_every_group():
    """The production path: a few hundred GROUP BY rows plus yesterday's events."""
    totals = [StageTotal(s, c, 40_000, D("123456789.12")) for s in OPEN_STAGES for c in ("CNY", "USD", "EUR")]
    buckets = [
        ForecastBucket(s, c, 100, D("1000000"), p)
        for s in OPEN_STAGES
        for c in ("CNY", "USD", "EUR")
        for p in (None, *range(0, 101, 5))
    ]
    r = report(stage_totals=totals, forecast_buckets=buckets, overdue_tasks={i: 3 for i in range(200)})
    render_funnel_text(r, {})
    assert r.open_count == 600_000
    assert ZoneInfo(r.tz).key == SH


def test_rows_straight_from_sql_are_coerced():
    """Storage may hand over 'S1' strings and float/int sums (SQLite); the report must not care."""
    start, _ = conversion_window(NOW)
    r = report(
        stage_totals=[StageTotal("S2", "CNY", 2, 0.1), StageTotal("S2", "CNY", 1, 3)],  # type: ignore[arg-type]
        forecast_buckets=[ForecastBucket("won", "CNY", 1, 100)],  # type: ignore[arg-type]
        events=[StageEvent(1, "S1", "S2", start + timedelta(days=1))],  # type: ignore[arg-type]
        open_before_window={"S1": 1},  # type: ignore[dict-item]
    )
    assert r.stages[1].amount == D("3.1")
    assert r.forecast.won == D("100")
    assert (r.conversions[0].entered, r.conversions[0].reached) == (2, 1)
