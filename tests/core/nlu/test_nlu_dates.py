from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from conftest import NOW, TZ

from core.nlu.dates import resolve_dates
from core.nlu.normalize import normalize


def at(text: str, when: datetime = NOW) -> list[tuple[str, str]]:
    norm = normalize(text)
    return [(norm[s.start : s.end], s.value.strftime("%Y-%m-%d %H:%M")) for s in resolve_dates(text, when, TZ)]


# Reference: Monday 2026-11-23 10:00 Asia/Shanghai.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", "2026-11-23 09:00"),
        ("明天", "2026-11-24 09:00"),
        ("后天", "2026-11-25 09:00"),
        ("明天下午3点", "2026-11-24 15:00"),
        ("下午三点半", "2026-11-23 15:30"),
        ("下周二", "2026-12-01 09:00"),
        ("周五", "2026-11-27 09:00"),
        ("这周五", "2026-11-27 09:00"),
        ("周一", "2026-11-30 09:00"),  # today is Monday but 09:00 has passed
        ("周五前", "2026-11-27 09:00"),
        ("3天后", "2026-11-26 09:00"),
        ("两周后", "2026-12-07 09:00"),
        ("一周后", "2026-11-30 09:00"),
        ("半个月后", "2026-12-08 09:00"),
        ("月底", "2026-11-30 09:00"),
        ("下月底", "2026-12-31 09:00"),
        ("下个月底", "2026-12-31 09:00"),
        ("下个月5号", "2026-12-05 09:00"),
        ("5号", "2026-12-05 09:00"),
        ("30号", "2026-11-30 09:00"),
        ("12月5日", "2026-12-05 09:00"),
        ("3月2日", "2027-03-02 09:00"),
        ("12.5交货", "2026-12-05 09:00"),
        ("2026-12-01", "2026-12-01 09:00"),
        ("2026/12/1", "2026-12-01 09:00"),
        ("12月底", "2026-12-31 09:00"),
        ("年底", "2026-12-31 09:00"),
        ("下周", "2026-11-30 09:00"),
        ("下下周一", "2026-12-07 09:00"),
        ("月初", "2026-12-01 09:00"),
        ("中旬", "2026-12-15 09:00"),
        ("12月下旬", "2026-12-25 09:00"),
        ("Q1", "2027-03-31 09:00"),
        ("一季度", "2027-03-31 09:00"),
        ("明年Q1开始", "2027-01-04 09:00"),
        ("年前", "2027-02-05 09:00"),
        ("元旦前", "2026-12-31 09:00"),
        ("元旦后", "2027-01-04 09:00"),
        ("国庆前", "2027-09-30 09:00"),
        ("节后", "2027-02-15 09:00"),
        ("春节后", "2027-02-15 09:00"),
        ("明年再说", "2027-01-04 09:00"),
        ("上半年", "2027-01-04 09:00"),
        ("下半年", "2027-07-01 09:00"),
        ("Q1启动", "2027-01-04 09:00"),
        ("两三天内", "2026-11-25 09:00"),
        ("by end of next week", "2026-12-04 09:00"),
        ("next Friday", "2026-12-04 09:00"),
        ("Friday", "2026-11-27 09:00"),
        ("tomorrow", "2026-11-24 09:00"),
        ("tmr", "2026-11-24 09:00"),
        ("today", "2026-11-23 09:00"),
        ("in 3 days", "2026-11-26 09:00"),
        ("next week", "2026-11-30 09:00"),
        ("Dec 5", "2026-12-05 09:00"),
        ("5 Dec", "2026-12-05 09:00"),
        ("end of month", "2026-11-30 09:00"),
        ("EOD", "2026-11-23 18:00"),
        ("3pm tomorrow", "2026-11-24 15:00"),
        ("明早9点半", "2026-11-24 09:30"),
        ("周5之前", "2026-11-27 09:00"),
        ("下礼拜二", "2026-12-01 09:00"),
        ("１２月３日", "2026-12-03 09:00"),
        ("1个半月后", "2027-01-07 09:00"),
        ("这两天给他算个价", "2026-11-25 09:00"),  # user trial: a couple of days, the near end
        ("这几天回复", "2026-11-26 09:00"),
    ],
)
def test_single_expression(text: str, expected: str) -> None:
    spans = at(text)
    assert len(spans) == 1, spans
    assert spans[0][1] == expected


@pytest.mark.parametrize(
    "text",
    [
        "1000件",
        "40HQ",
        "$1.2M",
        "单价12.5美元",
        "12.5万",
        "电话13800001111",
        "2000 pcs",
        "一个月",
        "两个人",
        "便宜一点",
        "3x40HQ",
        "DN50球阀",
        "5号楼",
        "降5%",
        "客户提了3点要求",
        "sat down with them",
    ],
)
def test_no_false_dates(text: str) -> None:
    assert at(text) == []


def test_flags() -> None:
    (deadline,) = resolve_dates("周五前给答复", NOW, TZ)
    assert deadline.is_deadline and not deadline.has_time and not deadline.past
    (timed,) = resolve_dates("明天下午3点", NOW, TZ)
    assert timed.has_time and not timed.guessed
    (period,) = resolve_dates("月底", NOW, TZ)
    assert period.guessed
    (bare_hour,) = resolve_dates("明天3点", NOW, TZ)
    assert bare_hour.value.hour == 15 and bare_hour.guessed


def test_past_context_keeps_dates_in_the_past() -> None:
    assert at("周五拜访了客户") == [("周五", "2026-11-20 09:00")]
    assert at("11月20日拜访了") == [("11月20日", "2026-11-20 09:00")]
    assert resolve_dates("昨天下午打了电话", NOW, TZ)[0].past
    assert at("3天前") == [("3天前", "2026-11-20 09:00")]


def test_several_expressions_in_one_message() -> None:
    assert at("今天电话沟通了，下周二再电话跟进") == [("今天", "2026-11-23 09:00"), ("下周二", "2026-12-01 09:00")]
    assert at("visited ACME today, send samples next Friday")[1] == ("next Friday", "2026-12-04 09:00")


def test_now_in_utc_resolves_in_local_time() -> None:
    # 01:00 in Shanghai is still the previous day in UTC (parsing.md pitfall 6).
    now_utc = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 2026-11-24 01:00 +08:00
    assert at("明天", now_utc) == [("明天", "2026-11-25 09:00")]
    assert resolve_dates("明天", now_utc, TZ)[0].value.tzinfo == TZ


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("客户说节后再谈明年采购计划", date(2027, 2, 15)),  # 节后 after 说: the Spring Festival
        ("等节后再说", date(2027, 2, 15)),
        ("明年1月中下旬交货", date(2027, 1, 20)),
        ("本月上中旬", date(2026, 12, 10)),
    ],
)
def test_periods_after_a_speech_verb_and_two_thirds_of_a_month(text: str, day: date) -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
    [span] = resolve_dates(text, now, TZ)
    assert (span.value.date(), span.guessed) == (day, True)


@pytest.mark.parametrize("text", ["这个环节后再看", "季节后", "细节之后再聊"])
def test_jie_inside_a_word_is_no_holiday(text: str) -> None:
    assert resolve_dates(text, datetime(2026, 12, 2, 10, 0, tzinfo=TZ), TZ) == []
