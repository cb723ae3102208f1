"""Issue 8, trial 7 (a new rep on the phone view): the customer's deliveries, deadlines and wants taken for the rep's
tasks, a rep's promise cut out of its note, a call's purpose lost, two calls under one list head, follow-up kinds
read from a phone number or missed at a fair, and a new customer's name cut at a place word."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nlu_steps import promises, reps_steps

from core.nlu import Intent, NameIndex, Parsed, parse_message
from core.nlu.intents import parse_plan
from core.nlu.task_commands import report_then_assignment

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)  # a Wednesday

DEMO = [
    (1, "北风泵业", ("Nordwind Pumps GmbH",)),
    (2, "阿兹特克建材", ("Azteca Materiales",)),
    (3, "滨海国贸", ("Binhai International",)),
    (4, "伊比利亚水务", ("Iberia Aguas S.A.",)),
    (5, "里斯本船舶", ("Lisboa Naval",)),
    (6, "北欧暖通", ("Nordic HVAC AB", "Nordic HVAC")),
    (7, "艾克美工业有限公司", ("ACME Industrial GmbH", "ACME")),
    (8, "穆勒机械", ("Mueller Maschinenbau",)),
]


@pytest.fixture(scope="module")
def demo() -> NameIndex:
    return NameIndex(DEMO)


def parse(text: str, names: NameIndex) -> Parsed:
    return parse_message(text, now=NOW, tz=TZ, names=names)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=TZ)


# --- 1. the customer's promises, deadlines and wants are theirs: kept in the note, no task of the rep's -------------


@pytest.mark.parametrize(
    ("text", "kept", "due"),
    [
        ("微信上跟北风泵业刘静聊了下 她说样品收到了 下周三之前给我们技术反馈", "给我们技术反馈", at(9)),
        ("北风泵业说样品收到了 周五前给我方发图纸", "给我方发图纸", at(4)),
        ("滨海国贸王经理来电话说要200套DN80闸阀 月底前要货 我报了单价1150元含税", "月底前要货", at(31)),
    ],
)
def test_what_the_customer_delivers_or_wants_by_a_day_is_theirs(
    demo: NameIndex, text: str, kept: str, due: datetime
) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.customer_id is not None
    assert reps_steps(p) == [] and p.next_action is None
    assert promises(p) == [due]
    assert kept in (p.summary or "")


@pytest.mark.parametrize(
    "text",
    [
        "Sent the catalog to Nordic HVAC by email, Mehmet will review it with his boss next week",
        "Sent the catalog to Nordic HVAC by email, she will review it with her boss next week",
        "Sent the catalog to Nordic HVAC by email, Anna Berg will review it with her boss next week",
    ],
)
def test_an_english_third_person_will_is_theirs(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert p.customer_id == 6
    assert reps_steps(p) == [] and promises(p) == [at(7)]
    assert "review it with" in (p.summary or "")


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("Called Nordic HVAC today, I will send the catalog next week", "send the catalog"),
        ("Called Nordic HVAC today, We will visit them next week", "visit them"),
    ],
)
def test_the_reps_own_will_stays_the_reps_step(demo: NameIndex, text: str, step: str) -> None:
    assert [a for a, _ in reps_steps(parse(text, demo))] == [step]


@pytest.mark.parametrize(
    "text",
    [
        "阿兹特克建材需要500个DN25球阀 要CE证书",
        "阿兹特克建材需要500个DN25球阀 还要CE证书 FOB天津",
        "客户需要DN50球阀 要CE证书 阿兹特克建材",
    ],
)
def test_a_further_want_of_the_customer_is_no_step_to_date(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert p.customer_id == 2
    assert p.next_action is None and "next_due" not in p.missing
    assert "CE证书" in (p.summary or "")


def test_reporting_to_our_own_boss_stays_the_reps_step(demo: NameIndex) -> None:
    assert reps_steps(parse("拜访了北风泵业 明天给我们老板汇报一下", demo)) == [("给我们老板汇报一下", at(3))]


def test_a_request_reported_without_a_day_is_no_step(demo: NameIndex) -> None:
    p = parse("伊比利亚水务说报价太高要我们降5%", demo)
    assert p.customer_id == 4 and p.next_action is None and "降5%" in (p.summary or "")


# --- 2. a promise of the rep's: the rep's task, the note kept whole --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "step", "due"),
    [
        ("我答应里斯本船舶杨杰下周一前把DN80闸阀的样品寄出去", "把DN80闸阀的样品寄出去", at(7)),
        ("答应了北风泵业周五前发报价", "发报价", at(4)),
        ("今天拜访了穆勒机械 我答应他们下周三前寄样品", "寄样品", at(9)),
    ],
)
def test_a_promise_of_the_rep_is_the_reps_task_and_the_note_is_whole(
    demo: NameIndex, text: str, step: str, due: datetime
) -> None:
    p = parse(text, demo)
    assert reps_steps(p) == [(step, due)] and promises(p) == []
    assert step.removeprefix("把") in (p.summary or "")  # never cut to 我答应里斯本船舶杨杰


# --- 3. a manager's 让李娜… at the end of a visit report --------------------------------------------------------------


def test_a_managers_instruction_ending_a_report_is_split_off() -> None:
    text = "今天陪李娜拜访了艾克美张芳 客户对交期很在意 让李娜周五前给出交期承诺"
    assert report_then_assignment(text, {"李娜", "赵敏"}) == (
        "今天陪李娜拜访了艾克美张芳 客户对交期很在意",
        "李娜",
        "周五前给出交期承诺",
    )
    assert report_then_assignment("今天拜访了艾克美 让客户周五前确认", {"李娜"}) is None
    assert report_then_assignment("让李娜周五前给出交期承诺", {"李娜"}) is None  # the whole message: assignment()


def test_what_a_colleague_is_told_to_do_is_read_as_a_plan() -> None:
    p = parse_plan("周五前给出交期承诺", now=NOW, tz=TZ)
    assert (p.next_action, p.next_due) == ("给出交期承诺", at(4))


# --- 4. what a call is for stays in the task's title ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("明天上午给北风泵业刘静回个电话 问下技术反馈", "给北风泵业刘静回个电话，问下技术反馈"),
        ("明天给北风泵业打个电话，确认一下交期", "给北风泵业打个电话，确认一下交期"),
    ],
)
def test_the_purpose_of_a_call_is_part_of_the_task(demo: NameIndex, text: str, title: str) -> None:
    p = parse(text, demo)
    assert p.next_action == title and p.next_due is not None and p.next_due.day == 3


# --- 5. a list head (今天打了两个电话：) applies to each customer after it ------------------------------------------


def test_two_calls_under_one_list_head_are_two_calls_and_no_task(demo: NameIndex) -> None:
    p = parse("今天打了两个电话：伊比利亚水务说报价太高要我们降5%，里斯本船舶确认收到认证文件了", demo)
    parts = [p, *p.also]
    assert [(x.intent, x.customer_id, x.kind) for x in parts] == [
        (Intent.FOLLOW_UP, 4, "电话"),
        (Intent.FOLLOW_UP, 5, "电话"),
    ]
    assert all(x.next_steps == () for x in parts)
    assert "降5%" in (p.summary or "") and "认证文件" in (p.also[0].summary or "")


# --- 6. follow-up kinds ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("今天在广交会认识了北欧暖通的Mehmet 电话+90 532 123 4567 对DN50球阀感兴趣", "展会"),
        ("和北欧暖通的Mehmet聊了DN50球阀 他的电话+90 532 123 4567", "其他"),
        ("met 杨芳 from 北欧暖通 at the Hannover fair, she wants a quote", "展会"),
        ("在展会上见了北欧暖通的杨芳", "展会"),
        ("刚从艾克美出来 张总说下周给答复", "拜访"),
        ("刚从北风泵业那儿回来，样品他们很满意", "拜访"),
        ("昨晚和艾克美张总吃饭 聊了明年的采购计划", "拜访"),
        ("had dinner with Nordic HVAC team, they like the new valves", "拜访"),
        ("今天给北风泵业打电话 13800001111 没人接", "电话"),
        ("WhatsApp上跟穆勒机械聊了交期", "其他"),  # 微信 is WeChat's kind: a WhatsApp chat is not filed as one
    ],
)
def test_the_kind_of_a_follow_up(demo: NameIndex, text: str, kind: str) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.kind == kind


# --- 7. names written as they are --------------------------------------------------------------------------------


def test_a_new_customers_name_keeps_a_place_word_it_opens_with(demo: NameIndex) -> None:
    p = parse("新客户 迪拜海湾贸易 阿联酋 B级 行业贸易 来源阿里巴巴", demo)
    assert (p.customer, p.country, p.tier, p.industry, p.source) == ("迪拜海湾贸易", "阿联酋", "B", "贸易", "B2B平台")
    q = parse("新客户 诺华泵业德国A级", demo)
    assert (q.customer, q.country, q.tier) == ("诺华泵业", "德国", "A")


@pytest.mark.parametrize("index", [[(9, "海湾贸易", ())], [(9, "迪拜海湾贸易", ())], []])
def test_a_customer_written_short_keeps_the_contact_and_the_title(
    index: list[tuple[int, str, tuple[str, ...]]],
) -> None:
    names = NameIndex(index)
    contact = parse("联系人 迪拜海湾 Ahmed 采购经理 决策者 电话+971 50 123 4567", names)
    assert (contact.customer, contact.contact_name, contact.title) == ("迪拜海湾", "Ahmed", "采购经理")
    deal = parse("商机 迪拜海湾 DN100蝶阀 2000台 8万美元 S1", names)
    assert (deal.customer, deal.opportunity) == ("迪拜海湾", "DN100蝶阀 2000台")
