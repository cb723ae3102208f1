"""Issue 8, "Understanding": a customer named without a command word is never dropped; questions are not logged;
one sentence about several customers is filed under each; tasks named by their words."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, parse_message

DEMO = [
    (1, "艾克美工业有限公司", ("ACME Industrial GmbH", "ACME")),
    (2, "泰晤士工程", ("Thames Engineering Ltd.",)),
    (3, "南十字矿业", ("Southern Cross Mining Pty",)),
    (4, "北欧暖通", ("Nordic HVAC AB",)),
    (5, "迪拜海湾贸易", ("Gulf Star Trading FZE",)),
]


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(DEMO)


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


@pytest.mark.parametrize(
    "text",
    [
        "艾克美 要 3000 套 DN80闸阀",
        "ACME: 3 x 40' reefer stainless fittings",
        "Southern Cross Mining 矿区项目 总额 2.3M USD 目前在和另外两家比",
    ],
)
def test_a_customer_named_without_a_command_word_is_a_note(names: NameIndex, text: str) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert p.intent is Intent.NOTE and p.customer_id is not None
    assert p.summary


def test_an_unknown_company_opening_a_message_is_kept_to_be_created(names: NameIndex) -> None:
    p = parse_message("Texas Flow Controls: 在展会上认识的，要DN50球阀目录", now=NOW, tz=TZ, names=names)
    assert p.customer == "Texas Flow Controls" and p.customer_id is None
    assert p.intent in (Intent.NOTE, Intent.FOLLOW_UP)


@pytest.mark.parametrize(
    "text", ["艾克美的预付款到账了没", "ACME 的联系人邮箱是多少", "北欧暖通那单现在什么阶段", "泰晤士工程 的 跟进记录"]
)
def test_a_question_about_a_customer_is_not_logged(names: NameIndex, text: str) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert p.intent is Intent.LOOKUP and p.customer_id is not None


def test_reported_questions_stay_follow_ups(names: NameIndex) -> None:
    p = parse_message("艾克美问什么时候能发货", now=NOW, tz=TZ, names=names)
    assert p.intent is Intent.FOLLOW_UP


def test_one_sentence_about_two_customers_is_filed_under_each(names: NameIndex) -> None:
    p = parse_message("艾克美和南十字矿业 都要了离心泵样本 下周一快递", now=NOW, tz=TZ, names=names)
    assert [p.customer_id, *(a.customer_id for a in p.also)] == [1, 3]
    assert p.also[0].summary == p.summary


def test_two_customers_in_space_separated_clauses_are_split(names: NameIndex) -> None:
    p = parse_message("下周三去艾克美 下周四去北欧暖通 出差", now=NOW, tz=TZ, names=names)
    assert [p.customer_id, *(a.customer_id for a in p.also)] == [1, 4]


@pytest.mark.parametrize(
    ("text", "intent", "hint", "due"),
    [
        ("完成 寄样品", Intent.COMPLETE_TASK, "寄样品", None),
        ("完成 ✅ 泰晤士合同盖章", Intent.COMPLETE_TASK, "泰晤士合同盖章", None),
        ("推迟 给泰晤士寄目录 到下周五", Intent.POSTPONE_TASK, "给泰晤士寄目录", local(12, 4)),
    ],
)
def test_a_task_named_by_its_words(
    names: NameIndex, text: str, intent: Intent, hint: str, due: datetime | None
) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.intent, p.task_hint, p.next_due, p.number) == (intent, hint, due, None)


def test_completed_as_a_sentence_is_still_a_follow_up(names: NameIndex) -> None:
    assert parse_message("完成了艾克美的报价，发过去了", now=NOW, tz=TZ, names=names).intent is Intent.FOLLOW_UP


def test_remind_me_is_a_plan(names: NameIndex) -> None:
    p = parse_message("提醒我周五给北欧暖通发方案", now=NOW, tz=TZ, names=names)
    assert p.intent is Intent.PLAN and p.customer_id == 4
    assert (p.next_action, p.next_due) == ("给北欧暖通发方案", local(11, 27))


def test_a_money_range_keeps_both_ends(names: NameIndex) -> None:
    p = parse_message("北欧暖通预算5万到8万美金，两三天内给他们出个方案", now=NOW, tz=TZ, names=names)
    assert (p.amount, p.amount_high, p.currency) == (Decimal(50000), Decimal(80000), "USD")
    assert p.next_due == local(11, 25)


def test_a_reminder_without_a_customer_is_a_plan(names: NameIndex) -> None:
    p = parse_message("提醒我下周一交周报", now=NOW, tz=TZ, names=names)
    assert p.intent is Intent.PLAN and (p.next_action, p.next_due) == ("交周报", local(11, 30))


def test_a_one_word_name_before_a_colon_is_asked_not_dropped(names: NameIndex) -> None:
    p = parse_message("Kiwi: 2 x 20' containers of flanges confirmed, LC to follow", now=NOW, tz=TZ, names=names)
    assert p.intent is not Intent.UNKNOWN and p.customer == "Kiwi" and p.customer_id is None


def test_the_tail_of_a_full_name_is_not_kept_in_the_note(names: NameIndex) -> None:
    """Probe trial: `跟进 艾克美工业有限公司 电话 谈了交期` saved the note as "有限公司 电话 谈了交期"."""
    p = parse_message("跟进 艾克美工业有限公司 电话 谈了交期", now=NOW, tz=TZ, names=names)
    assert p.summary is not None and "有限公司" not in p.summary and "谈了交期" in p.summary
