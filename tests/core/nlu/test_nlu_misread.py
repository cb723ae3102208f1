"""Issue 8, "Sentences misread": each message a rep sent that the parser read wrongly, with what it must yield."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import NOW, TZ

from core.countries import country_code
from core.nlu import Intent, NameIndex, Parsed, parse_message

DEMO = [
    (101, "艾克美工业有限公司", ("ACME Industrial GmbH", "ACME")),
    (102, "穆勒机械", ("Mueller Maschinenbau",)),
    (103, "北欧暖通", ("Nordic HVAC AB",)),
    (104, "北风泵业", ("Nordwind Pumps GmbH",)),
]


@pytest.fixture(scope="module")
def demo() -> NameIndex:
    return NameIndex(DEMO)


def parse(text: str, names: NameIndex) -> Parsed:
    return parse_message(text, now=NOW, tz=TZ, names=names)


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def test_two_next_steps_become_two_tasks(demo: NameIndex) -> None:
    p = parse("跟进 艾克美 今天电话沟通了报价，明天发样品，下周三再约视频会", demo)
    assert [(s.action, s.due) for s in p.next_steps] == [
        ("发样品", local(11, 24)),
        ("再约视频会", local(12, 2)),
    ]
    assert (p.next_action, p.next_due) == ("发样品", local(11, 24))
    assert "电话沟通了报价" in (p.summary or "")


def test_a_planned_meeting_is_a_task_not_a_meeting_held_today(demo: NameIndex) -> None:
    p = parse("周五下午3点和北欧暖通开视频会", demo)
    assert p.intent is Intent.PLAN
    assert p.customer_id == 103
    assert p.occurred_at is None
    assert [(s.action, s.due) for s in p.next_steps] == [("和北欧暖通开视频会", local(11, 27, 15))]


def test_the_customers_promise_is_not_the_reps_task(demo: NameIndex) -> None:
    p = parse("跟进 艾克美 合同已经签了，对方说月底前付", demo)
    assert p.next_action is None and p.next_due is None
    assert [(s.action, s.due, s.by_customer) for s in p.next_steps] == [("对方说月底前付", local(11, 30), True)]
    assert "对方说月底前付" in (p.summary or "")


def test_the_reps_own_step_after_a_customers_promise_is_kept(demo: NameIndex) -> None:
    p = parse("跟进 艾克美 客户说下周给答复，我明天先把样品寄过去", demo)
    assert (p.next_action, p.next_due) == ("把样品寄过去", local(11, 24))
    assert [s.by_customer for s in p.next_steps] == [False, True]  # soonest first


def test_voice_to_text_without_punctuation_gives_short_tasks(demo: NameIndex) -> None:
    text = "跟进 艾克美 今天上午去拜访了张总 聊了新项目的阀门需求 我明天把样品寄过去 下周三再电话跟进"
    p = parse(text, demo)
    assert [(s.action, s.due) for s in p.next_steps] == [
        ("把样品寄过去", local(11, 24)),
        ("再电话跟进", local(12, 2)),
    ]
    assert p.kind == "拜访"


def test_voice_to_text_with_no_spaces_at_all_still_splits_at_time_words(demo: NameIndex) -> None:
    p = parse("跟进 艾克美 今天拜访了张总聊了阀门需求明天把样品寄过去下周三再电话跟进", demo)
    assert [s.due for s in p.next_steps] == [local(11, 24), local(12, 2)]
    assert all(len(s.action) <= 12 for s in p.next_steps), p.next_steps


def test_two_customers_in_one_message_give_two_records(demo: NameIndex) -> None:
    p = parse("上午去了穆勒机械，下午去了北欧暖通", demo)
    assert p.intent is Intent.FOLLOW_UP and p.customer_id == 102
    assert [a.customer_id for a in p.also] == [103]
    assert "北欧暖通" not in (p.summary or "")
    assert p.also[0].intent is Intent.FOLLOW_UP and "北欧暖通" in (p.also[0].summary or "")
    # 下午 said at 10:00 is yesterday's, and so is the 上午 of the same message: one day, both parts
    assert (p.occurred_at, p.also[0].occurred_at) == (local(11, 22, 9), local(11, 22, 14))


@pytest.mark.parametrize(
    ("text", "action", "due"),
    [
        ("跟进 艾克美 电话沟通了报价，明天发样品", "发样品", local(11, 24)),
        ("跟进 艾克美 电话沟通了报价，过两天再打电话", "再打电话", local(11, 25)),
        ("跟进 艾克美 电话沟通了报价，下周三之前出报价", "出报价", local(12, 2)),
        ("跟进 艾克美 called Tom, send the catalogue next Friday", "send the catalogue", local(12, 4)),
    ],
)
def test_task_titles_drop_the_resolved_date(demo: NameIndex, text: str, action: str, due: datetime) -> None:
    p = parse(text, demo)
    assert (p.next_action, p.next_due) == (action, due)


def test_a_contact_name_with_an_umlaut_is_kept_whole(demo: NameIndex) -> None:
    p = parse("联系人 艾克美 Thomas Müller 采购经理 决策者", demo)
    assert p.contact_name == "Thomas Müller"
    assert p.title == "采购经理"


def test_english_new_customer_with_country_and_tier(demo: NameIndex) -> None:
    p = parse("new customer Hamburg Valve GmbH Germany B", demo)
    assert p.intent is Intent.NEW_CUSTOMER
    assert p.customer == "Hamburg Valve GmbH"
    assert country_code(p.country) == "DE"
    assert p.tier == "B"


def test_two_dated_steps_after_a_latin_word_are_two(demo: NameIndex) -> None:
    p = parse("跟进 艾克美 周五前确认PI 下周五之前付定金", demo)
    assert [s.due for s in p.next_steps] == [local(11, 27), local(12, 4)]
