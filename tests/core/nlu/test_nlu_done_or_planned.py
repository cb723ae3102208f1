"""Issue 8, a new rep's first day (trial 1): what was done today without 了 is a follow-up, not tomorrow's task; a
plan is a task, not a visit done today; two customers in one run-on message each keep their own part; what the
customer asks the rep to deliver by a day is the rep's task. The injected clock decides which times are past."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nlu_steps import promises, reps_steps

from core.nlu import Intent, NameIndex, Parsed, parse_message

TZ = ZoneInfo("Asia/Shanghai")
AFTERNOON = datetime(2026, 12, 2, 15, 30, tzinfo=TZ)  # a Wednesday
MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=TZ)

DEMO = [
    (1, "北风泵业", ("Nordwind Pumps GmbH",)),
    (2, "阿兹特克建材", ("Azteca Materiales",)),
    (3, "滨海国贸", ("Binhai International",)),
    (4, "伊比利亚水务", ("Iberia Aguas S.A.",)),
    (5, "穆勒机械", ("Müller Maschinenbau",)),
    (6, "安第斯铜业", ("Andes Copper",)),
    (7, "北欧暖通", ("Nordic HVAC AB", "Nordic HVAC")),
    (8, "大阪机械", ("Osaka Kikai",)),
]


@pytest.fixture(scope="module")
def demo() -> NameIndex:
    return NameIndex(DEMO)


def parse(text: str, names: NameIndex, now: datetime = AFTERNOON) -> Parsed:
    return parse_message(text, now=now, tz=TZ, names=names)


def at(day: int, hour: int = 9, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


# --- 1. a time of day already past, an activity, no future word: it happened today ------------------------


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("上午给北风泵业打电话催付款，对方说月底前付清30%尾款", 9),
        ("早上给北风泵业打电话催付款 对方说月底前付30%", 9),
        ("上午拜访北风泵业，对方说这个月底前付清尾款", 9),
        ("下午给北风泵业打电话催尾款，对方说月底前付清", 14),
    ],
)
def test_a_past_time_of_day_is_a_follow_up_done_today_with_the_customers_promise(
    demo: NameIndex, text: str, hour: int
) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.customer_id == 1
    assert p.occurred_at == at(2, hour)
    assert reps_steps(p) == []  # nothing is the rep's to do tomorrow
    assert promises(p) == [at(31)]  # 月底前: their promise, kept in the note
    assert "催" in (p.summary or "") or "拜访" in (p.summary or "")


@pytest.mark.parametrize(
    "text",
    ["上午给阿兹特克建材打电话问交期，对方说下周能确认", "早上电话阿兹特克建材问了下交期 对方说下周能给确认"],
)
def test_the_customers_reply_is_part_of_the_call_done_this_morning(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.customer_id == 2
    assert p.occurred_at == at(2, 9)
    assert reps_steps(p) == []
    assert "交期" in (p.summary or "")


@pytest.mark.parametrize(
    "text",
    ["上午给北风泵业打电话催付款", "下午要给北风泵业打电话催付款", "上午准备去拜访北风泵业"],
)
def test_a_time_of_day_still_ahead_or_a_future_word_is_a_plan(demo: NameIndex, text: str) -> None:
    p = parse(text, demo, now=MORNING if text.startswith("上午给") else AFTERNOON)
    assert p.intent is Intent.PLAN and p.customer_id == 1
    assert len(reps_steps(p)) == 1 and reps_steps(p)[0][1] is not None


def test_a_past_time_alone_in_a_postponement_still_means_the_next_one(demo: NameIndex) -> None:
    p = parse("推迟 3 上午", demo)
    assert p.intent is Intent.POSTPONE_TASK and p.next_due == at(3, 9)


# --- 2. two customers in one message: each customer's part goes to that customer --------------------------


def test_a_run_on_message_about_two_customers_splits_their_parts(demo: NameIndex) -> None:
    p = parse("上午拜访滨海国贸下午电话阿兹特克建材 两家都问DN50球阀交期 滨海国贸周五要报价单", demo)
    by_customer = {part.customer_id: part for part in (p, *p.also)}
    assert set(by_customer) == {2, 3} and p.intent is Intent.FOLLOW_UP
    binhai, aztec = by_customer[3], by_customer[2]
    assert (binhai.kind, binhai.occurred_at) == ("拜访", at(2, 9))
    assert (aztec.kind, aztec.occurred_at) == ("电话", at(2, 14))
    assert "交期" in (binhai.summary or "") and "交期" in (aztec.summary or "")  # 两家都…: both
    assert [due for _, due in reps_steps(binhai)] == [at(4)]  # the quote on Friday is 滨海国贸's only
    assert reps_steps(aztec) == [] and "报价单" not in (aztec.summary or "")


@pytest.mark.parametrize(
    "text",
    [
        "上午拜访滨海国贸，下午电话阿兹特克建材",
        "上午去了滨海国贸 下午给阿兹特克建材打了电话",
        "早上拜访滨海国贸下午电话阿兹特克建材",
    ],
)
def test_two_visits_done_today_are_two_follow_ups_and_no_task(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    parts = (p, *p.also)
    assert sorted(part.customer_id or 0 for part in parts) == [2, 3]
    assert all(part.intent is Intent.FOLLOW_UP and not reps_steps(part) for part in parts)
    assert all(part.occurred_at is not None and part.occurred_at.date() == at(2).date() for part in parts)


def test_a_piece_naming_one_customer_goes_back_to_that_customer(demo: NameIndex) -> None:
    p = parse("今天拜访了北风泵业 聊了交期 阿兹特克建材打电话来问价格 北风泵业下周二再约", demo)
    by_customer = {part.customer_id: part for part in (p, *p.also)}
    assert [due for _, due in reps_steps(by_customer[1])] == [at(8)]
    assert reps_steps(by_customer[2]) == [] and "价格" in (by_customer[2].summary or "")
    assert "交期" not in (by_customer[2].summary or "")


def test_a_shared_opening_then_one_line_each(demo: NameIndex) -> None:
    p = parse("今天分别给北风泵业和穆勒机械打了电话，北风泵业下周要样品，穆勒机械还在比价", demo)
    by_customer = {part.customer_id: part for part in (p, *p.also)}
    assert set(by_customer) == {1, 5}
    assert "比价" in (by_customer[5].summary or "") and "样品" not in (by_customer[5].summary or "")
    assert "比价" not in (by_customer[1].summary or "")


def test_one_sentence_about_two_customers_is_still_filed_under_both(demo: NameIndex) -> None:
    p = parse("北风泵业和阿兹特克建材都要了样本", demo)
    assert sorted(part.customer_id or 0 for part in (p, *p.also)) == [1, 2]


# --- 3. a plan is a task (or a plan note), never a follow-up dated today -----------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("打算下周去拜访伊比利亚水务", at(7)),
        ("准备下周三去伊比利亚水务拜访一下", at(9)),
        ("计划月中旬拜访伊比利亚水务，带新样品过去", at(15)),
        ("我们想下周约伊比利亚水务的采购吃个饭", at(7)),
        ("跟进 伊比利亚水务 打算下周去拜访", at(7)),
    ],
)
def test_a_plan_is_only_a_task(demo: NameIndex, text: str, due: datetime) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.PLAN and p.customer_id == 4 and p.occurred_at is None
    assert [d for _, d in reps_steps(p)] == [due]
    assert not any(w in reps_steps(p)[0][0] for w in ("打算", "准备", "计划"))


def test_a_plan_done_is_a_follow_up(demo: NameIndex) -> None:
    p = parse("打算的事今天办了：拜访了伊比利亚水务，下周二再电话", demo)
    assert p.intent is Intent.FOLLOW_UP and [d for _, d in reps_steps(p)] == [at(8)]


# --- 5. what the customer asks the rep to deliver by a day is the rep's; what they do is theirs --------------


@pytest.mark.parametrize(
    ("text", "action", "due"),
    [
        ("call with Andes Copper today, they want samples by next Friday", "send samples", at(11)),
        (
            "跟进 大阪机械 met Mr Tanaka today he want 500pcs DN25 valve quote by friday",
            "send 500pcs DN25 valve quote",
            at(4),
        ),
        ("Andes Copper needs our price by Friday", "send price", at(4)),
        ("大阪机械周五要报价单", "发报价单", at(4)),
        ("大阪机械客户周四要样品", "发样品", at(3)),
    ],
)
def test_what_they_ask_of_the_rep_by_a_day_is_the_reps_task(
    demo: NameIndex, text: str, action: str, due: datetime
) -> None:
    p = parse(text, demo)
    assert (action, due) in reps_steps(p)
    assert not promises(p)


def test_follow_up_on_monday_after_a_full_stop_is_a_task(demo: NameIndex) -> None:
    p = parse(
        "Visited Nordic HVAC yesterday, met their CTO, they promised to send the RFQ next week. Follow up on Monday.",
        demo,
    )
    assert p.occurred_at == at(1) and ("Follow up", at(7)) in reps_steps(p)
    assert promises(p) == [at(7)] and "RFQ" in (p.summary or "")


@pytest.mark.parametrize(
    "text",
    [
        "北欧暖通说下周给答复",
        "北欧暖通月底前下单",
        "北欧暖通说月底前付清尾款",
        "Nordic HVAC will pay by end of month",
        "Nordic HVAC they'll place the order next week",
    ],
)
def test_what_the_customer_will_do_themselves_stays_their_promise(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert reps_steps(p) == [] and len(promises(p)) == 1


# --- 4. a command kabot does not have, naming a customer, is never logged as a note ----------------------


@pytest.mark.parametrize(
    "text", ["删除 北风泵业", "合并 北风泵业 阿兹特克建材", "导出 北欧暖通", "修改 北风泵业 电话 123"]
)
def test_an_unknown_command_with_a_customer_is_not_a_note(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.UNKNOWN and not p.also


def test_a_sentence_starting_with_such_a_verb_is_still_a_follow_up(demo: NameIndex) -> None:
    assert parse("修改了北风泵业的报价，下周二再电话", demo).intent is Intent.FOLLOW_UP


# --- the command word after the customer (孟买工程 新增联系人 …) -------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("北欧暖通 新联系人 Klaus Weber，决策者，CEO，klaus.weber@nordic.se", "Klaus Weber"),
        ("北风泵业 加个联系人 王磊 采购经理 电话13812345678", "王磊"),
        ("Andes Copper 添加联系人 Diego Soto buyer", "Diego Soto"),
    ],
)
def test_a_contact_command_after_the_customer(demo: NameIndex, text: str, name: str) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.NEW_CONTACT and p.customer_id is not None and p.contact_name == name


def test_a_question_about_contacts_after_the_customer_stays_a_question(demo: NameIndex) -> None:
    assert parse("北风泵业联系人有哪些", demo).intent is not Intent.NEW_CONTACT
    assert parse("大阪机械 新商机 阀门改造 S2", demo).intent is Intent.NEW_OPPORTUNITY


def test_went_to_a_customer_is_a_visit(demo: NameIndex) -> None:
    p = parse("上午去了滨海国贸 下午给阿兹特克建材打了电话", demo)
    assert {part.customer_id: part.kind for part in (p, *p.also)} == {3: "拜访", 2: "电话"}
    assert parse("样品寄去了北风泵业", demo).kind != "拜访"


@pytest.mark.parametrize("text", ["上午和北风泵业开了个会", "早上北风泵业来电话说要加单", "上午跟北风泵业开会讨论交期"])
def test_what_they_said_they_want_or_a_meeting_held_this_morning_is_done_today(demo: NameIndex, text: str) -> None:
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.occurred_at == at(2, 9) and reps_steps(p) == []


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("已经约好了12月10号拜访北风泵业", at(10)),
        ("和北欧暖通约了下周四视频会议", at(10)),
        ("下下周一约了穆勒机械的Klaus开会", at(14)),
    ],
)
def test_an_appointment_made_is_a_task_on_its_day_never_a_follow_up_dated_then(
    demo: NameIndex, text: str, due: datetime
) -> None:
    """Trial 2: `已经约好了12月10号拜访…` was a visit logged on 12-10 (or today) and no task: 约好了 is not 了."""
    p = parse(text, demo)
    assert p.intent is Intent.PLAN and p.occurred_at is None
    assert [d for _, d in reps_steps(p)] == [due]


def test_a_run_on_message_about_two_customers_is_cut_where_the_second_begins() -> None:
    """Trial 2: the cut fell at the first date (下周给图纸) instead of the last one before the second name, so the
    first customer's promise became a task of the second, and 月底前下单 was noted as 约12月2日 (the 下午)."""
    names = NameIndex([(1, "泰晤士工程", ()), (2, "莱茵化学", ())])
    p = parse(
        "今天上午去了泰晤士工程聊了管件的规格他们说下周给图纸然后下午又给莱茵化学打电话李洋说预算批下来了月底前下单"
        "我下周四过去一趟",
        names,
    )
    thames, rhine = p, p.also[0]
    assert thames.customer_id == 1 and rhine.customer_id == 2
    assert "下周给图纸（约12月7日）" in (thames.summary or "") and reps_steps(thames) == []
    assert "月底前下单（约12月31日）" in (rhine.summary or "")
    assert reps_steps(rhine) == [("过去一趟", at(10))]


def test_an_appointment_with_a_named_contact_is_a_plan(demo: NameIndex) -> None:
    """Trial 3: `约了艾克美张芳下周四…` left "约了艾克美张芳" as a visit logged today beside the task."""
    names = NameIndex([*DEMO, (9, "艾克美", ())])
    p = parse("约了艾克美张芳下周四下午两点来公司开会", names)
    assert p.intent is Intent.PLAN and reps_steps(p) == [("来公司开会", at(10, 14))]


def test_something_to_send_to_them_is_the_reps_task_even_in_their_words(demo: NameIndex) -> None:
    """Trial 3: `…她说价格可以再谈明天上午十点前把新报价发给她` was her promise, so no reminder for the quote."""
    p = parse("下午三点半给北风泵业刘静打电话她说价格可以再谈明天上午十点前把新报价发给她", demo, now=at(2, 16))
    assert reps_steps(p) == [("把新报价发给她", at(3, 10))]
    theirs = parse("北风泵业他们说下周发给我们图纸", demo)
    assert reps_steps(theirs) == []


def test_what_the_customer_asked_for_stays_in_the_note(demo: NameIndex) -> None:
    """Trial 3: `…客户要求周五前报价DN100闸阀` was noted as "…客户要求": once the task was done, nobody knew why."""
    p = parse("刚才给穆勒机械打了电话，客户要求周五前报价DN100闸阀", demo)
    assert (p.summary or "").endswith("客户要求周五前报价DN100闸阀")
    assert reps_steps(p) == [("报价DN100闸阀", at(4))]


def test_a_person_introduced_with_a_number_is_a_new_contact(demo: NameIndex) -> None:
    """Trial 3: `北风泵业新来的采购叫刘强 电话139… 商务对接` was logged as a phone call; no contact was made."""
    p = parse("北风泵业新来的采购叫刘强 电话13912345678 商务对接", demo)
    assert p.intent is Intent.NEW_CONTACT and p.customer_id == 1
    assert (p.contact_name, p.phone, p.decision_role) == ("刘强", "13912345678", "商务对接人")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("滨海国贸刘总说想下周来工厂参观", "接待滨海国贸刘总来工厂参观"),
        ("北风泵业 老王表示下周三过来看厂", "接待老王过来看厂"),
        ("滨海国贸刘总下周想来我们工厂看看", "接待滨海国贸刘总来我们工厂看看"),
    ],
)
def test_the_customer_planning_to_visit_us_is_a_note_and_the_reps_task_to_host_them(
    demo: NameIndex, text: str, title: str
) -> None:
    """Trial 6: `滨海国贸刘总说想下周来工厂参观` was logged as a visit (拜访) held today, with no task."""
    p = parse(text, demo)
    assert p.intent is Intent.FOLLOW_UP and p.kind == "其他"
    assert p.summary is not None and "来" in p.summary  # what they said stays in the note
    [(action, due)] = reps_steps(p)
    assert action == title and due is not None and due > AFTERNOON


def test_the_customer_coming_to_us_as_a_plan_is_the_reps_task_to_host_them(demo: NameIndex) -> None:
    p = parse("滨海国贸刘总下周来厂参观", demo)
    assert p.intent is Intent.PLAN and [a for a, _ in reps_steps(p)] == ["接待滨海国贸刘总来厂参观"]


JUST_AFTER_MIDNIGHT = datetime(2026, 12, 3, 0, 10, tzinfo=TZ)


@pytest.mark.parametrize("now", [JUST_AFTER_MIDNIGHT, MORNING, AFTERNOON], ids=["00:10", "08:00", "15:30"])
@pytest.mark.parametrize(
    "text",
    [
        "今天电话跟伊比利亚水务周芳沟通，客户嫌报价高，希望降价5%",
        "今天展会上碰到北欧暖通的黄涛 聊了控制阀的技术参数",
        "今天电话穆勒机械杨杰，他确认收到认证文件了",
    ],
)
def test_today_without_a_time_is_a_report_at_any_hour(demo: NameIndex, text: str, now: datetime) -> None:
    """Trial 7 wrote at 00:10: 今天 resolved to 09:00, still ahead, so what was done became a to-do due at 09:00."""
    p = parse(text, demo, now)
    assert p.intent is Intent.FOLLOW_UP
    assert p.next_steps == ()
    assert p.occurred_at is not None and p.occurred_at <= now


def test_english_today_after_its_activity_is_the_day_it_happened(demo: NameIndex) -> None:
    p = parse(
        "call with Iberia today, Mr Zhang wants DN50 ball valve price for 2000pcs, will send quote by monday",
        demo,
        JUST_AFTER_MIDNIGHT,
    )
    assert p.intent is Intent.FOLLOW_UP and p.kind == "电话"
    assert [s.action for s in p.next_steps] == ["send quote"]


def test_a_plan_for_today_said_in_the_afternoon_is_due_later_today(demo: NameIndex) -> None:
    """Not 09:00 (overdue the moment it is made) and not a question asking which day."""
    p = parse("北欧暖通 今天要给黄总回电话", demo)
    assert [(s.action, s.due) for s in p.next_steps] == [("给黄总回电话", at(2, 16))]
    early = parse("北欧暖通 今天要给黄总回电话", demo, JUST_AFTER_MIDNIGHT)
    assert [(s.action, s.due) for s in early.next_steps] == [("给黄总回电话", at(3, 9))]
