"""Issue 8, trial 8 (a new rep on the phone view, writing just after midnight): the rep's own promise read as the
customer's, the customer's answers read as the rep's tasks, and a report of today's visit taken for a task."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nlu_steps import promises, reps_steps

from core.nlu import Intent, NameIndex, Parsed, parse_message
from core.nlu.questions import Ask, Question, parse_question
from core.nlu.task_commands import TaskCommand, parse_task_command

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 1, 0, tzinfo=TZ)  # a Thursday, just after midnight

DEMO = [
    (1, "北风泵业", ("Nordwind Pumps GmbH",)),
    (2, "北欧暖通", ("Nordic HVAC AB", "Nordic HVAC")),
    (3, "艾克美工业有限公司", ("ACME Industrial GmbH", "ACME")),
    (4, "穆勒机械", ("Mueller Maschinenbau",)),
    (5, "波罗的海贸易", ("Baltic Trading",)),
]


@pytest.fixture(scope="module")
def demo() -> NameIndex:
    return NameIndex(DEMO)


def parse(text: str, names: NameIndex) -> Parsed:
    return parse_message(text, now=NOW, tz=TZ, names=names)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=TZ)


# --- 1. whose promise: 我跟她说… is the rep's; after 他说 a dated answer is the customer's --------------------------


def test_the_rep_telling_the_customer_is_the_reps_own_step(demo: NameIndex) -> None:
    p = parse("给北风泵业王总打了电话 聊了认证的事 我跟她说要请示一下领导明天给答复", demo)
    assert reps_steps(p) == [("给答复", at(4))]
    assert promises(p) == []


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("北风泵业刘静来电 客户说样品收到了 下周一给测试结果", at(7)),
        ("给波罗的海黄伟打了电话催PI 他说周五前回复", at(4)),
        ("PI已经发给穆勒周静了 需要他们确认PI 对方说这周五回复", at(4)),
    ],
)
def test_a_dated_answer_after_they_said_is_theirs(text: str, due: datetime, demo: NameIndex) -> None:
    p = parse(text, demo)
    assert reps_steps(p) == []
    assert promises(p) == [due]


def test_an_answer_given_to_them_stays_the_reps(demo: NameIndex) -> None:
    p = parse("北风泵业刘静说样品收到了 明天给他们回复", demo)
    assert reps_steps(p) == [("给他们回复", at(4))]


def test_the_reps_promise_after_their_haggling_is_cut_from_it(demo: NameIndex) -> None:
    p = parse("今天请北风泵业刘总吃饭 我报了单价650美金 他嫌贵 要求降到600 我答应下周一前发正式报价", demo)
    assert reps_steps(p) == [("发正式报价", at(7))]
    assert "他嫌贵 要求降到600" in (p.summary or "")
    assert "发正式报价" not in (p.summary or "")


# --- 2. reports that became tasks: today's visit told, and a time of day written up just after midnight ----------


def test_todays_visit_followed_by_what_happened_is_a_report(demo: NameIndex) -> None:
    p = parse("今天去穆勒机械拜访 认识了他们新来的技术经理Thomas Berger 聊了DN50球阀的需求", demo)
    assert p.intent == Intent.FOLLOW_UP and p.customer_id == 4
    assert p.next_steps == ()


@pytest.mark.parametrize(
    ("text", "kind", "occurred"),
    [
        ("下午打电话给北风泵业 刘静说样品收到了", "电话", datetime(2026, 12, 2, 14, 0, tzinfo=TZ)),
        ("上午给穆勒机械打电话 聊了交期", "电话", datetime(2026, 12, 2, 9, 0, tzinfo=TZ)),
    ],
)
def test_a_time_of_day_told_just_after_midnight_is_the_day_just_ended(
    text: str, kind: str, occurred: datetime, demo: NameIndex
) -> None:
    p = parse(text, demo)
    assert p.intent == Intent.FOLLOW_UP and p.next_steps == ()
    assert p.kind == kind and p.occurred_at == occurred


def test_a_time_of_day_planned_just_after_midnight_stays_ahead(demo: NameIndex) -> None:
    p = parse("下午要给北风泵业打电话", demo)
    assert reps_steps(p) == [("给北风泵业打电话", at(3, 14))]


# --- 3. lost steps: two English steps each with its day, a call's purpose, what is sent -------------------------


def test_two_english_steps_keep_their_own_days(demo: NameIndex) -> None:
    p = parse(
        "visited 北欧暖通 today, talked about the new project. "
        "I will send catalog by friday and we meet their engineer next tuesday 3pm",
        demo,
    )
    assert reps_steps(p) == [("send catalog", at(4)), ("meet their engineer", at(8, 15))]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("让李娜周五前给穆勒机械周静回个电话 确认DN50球阀的交期", "给穆勒机械周静回个电话，确认DN50球阀的交期"),
        ("周五给北风泵业刘静打电话 了解项目进度", "给北风泵业刘静打电话，了解项目进度"),
    ],
)
def test_a_calls_purpose_without_yixia_stays_in_its_title(text: str, title: str, demo: NameIndex) -> None:
    assert reps_steps(parse(text, demo)) == [(title, at(4))]


def test_what_they_asked_for_is_what_is_sent(demo: NameIndex) -> None:
    p = parse("wechat with 北欧暖通 Mehmet today he asked for catalog and price list 明天发给他", demo)
    assert reps_steps(p) == [("发catalog and price list给他", at(4))]


# --- 6. a new customer's name, never a quantifier phrase or a clause ----------------------------------------------


def test_a_new_customer_after_a_quantifier_is_named_by_its_own_name(demo: NameIndex) -> None:
    p = parse("今天在广交会上认识了一个新客户 Nordic Pipe Solutions 联系人Erik 要目录", demo)
    assert p.customer == "Nordic Pipe Solutions" and p.customer_id is None


def test_a_latin_name_ends_where_the_chinese_starts() -> None:
    names = NameIndex([(1, "北风泵业", ()), (2, "Nordic Pipe Solutions", ())])
    p = parse("Nordik Pipe的Erik来电 说样品收到了", names)
    assert p.customer == "Nordik Pipe" and p.customer_id is None
    assert [m.customer_id for m in p.customer_candidates] == [2]  # offered as the near match it is


# --- 7. 那个放到下周一吧 周六不上班: a reschedule of that task, its reason no task -----------------------------------


def test_that_one_put_to_monday_is_a_reschedule() -> None:
    command = parse_task_command("发认证文件给艾克美那个放到下周一吧 周六不上班", now=NOW, tz=TZ)
    assert command == TaskCommand("postpone", subject="发认证文件给艾克美", due=at(7))


def test_put_somewhere_is_no_reschedule() -> None:
    assert parse_task_command("我把样品放到仓库了 明天发", now=NOW, tz=TZ) is None


# --- 4. a new customer met after a known one: what follows is the new one's, not filed under the known one --------


def test_a_new_customer_after_a_known_one_is_its_own_part(demo: NameIndex) -> None:
    p = parse(
        "展会第二天 艾克美杨芳来展位了 确认明年框架协议继续 另外新认识一家墨西哥的客户 Grupo Hidraulico del Norte "
        "联系人Carlos Ramirez 电话+52 81 5555 1234 要DN150闸阀报价 下周三前报给他",
        demo,
    )
    assert p.customer_id == 3 and "Grupo" not in (p.summary or "") and p.next_steps == ()
    [new] = p.also
    assert new.customer == "Grupo Hidraulico del Norte" and new.customer_id is None
    assert reps_steps(new) == [("报DN150闸阀报价给他", at(9))]


# --- 5. a question about a price quoted is asked of the account's quotes, never a record -------------------------


@pytest.mark.parametrize(("text", "who"), [("艾克美上次报的什么价", "艾克美"), ("穆勒机械报了多少钱？", "穆勒机械")])
def test_what_price_was_quoted_is_a_question_of_the_quotes(text: str, who: str) -> None:
    assert parse_question(text) == Question(Ask.QUOTES, subject=who)


def test_which_customers_without_a_question_mark_is_a_question() -> None:
    assert parse_question("最近一个月没跟进的客户有哪些") == Question(Ask.OTHER)
