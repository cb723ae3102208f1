"""core.nlu.questions: what is a question to answer, and what is something to log."""

from __future__ import annotations

import pytest

from core.nlu.questions import Ask, Period, Question, asks, parse_question


@pytest.mark.parametrize(
    ("text", "ask", "subject", "field"),
    [
        ("艾克美张总电话多少", Ask.CONTACT, "艾克美张总", "phone"),
        ("张伟的邮箱", Ask.CONTACT, "张伟", "email"),
        ("北风泵业的联系方式", Ask.CONTACT, "北风泵业", "phone"),
        ("13800001111是谁", Ask.CONTACT, "13800001111", "name"),
        ("艾克美的报价", Ask.QUOTES, "艾克美", None),
        ("我的报价", Ask.QUOTES, None, None),
        ("我的客户", Ask.MY_CUSTOMERS, None, None),
        ("你好", Ask.GREETING, None, None),
        ("谢谢！", Ask.THANKS, None, None),
        ("怎么导出报价？", Ask.OTHER, None, None),
    ],
)
def test_questions(text: str, ask: Ask, subject: str | None, field: str | None) -> None:
    q = parse_question(text)
    assert q is not None and (q.ask, q.subject, q.field) == (ask, subject, field)


def test_whose_follow_ups_and_when() -> None:
    mine = parse_question("上周我跟进了哪些客户")
    assert mine is not None and (mine.ask, mine.person, mine.period) == (Ask.FOLLOWED, None, Period.LAST_WEEK)
    hers = parse_question("李娜这周跟进了哪些客户")
    assert hers is not None and (hers.person, hers.period) == ("李娜", Period.THIS_WEEK)


@pytest.mark.parametrize(
    ("text", "person", "period"),
    [
        ("王强今天干啥了", "王强", Period.TODAY),
        ("李娜今天干了什么", "李娜", Period.TODAY),
        ("王强这周做了什么", "王强", Period.THIS_WEEK),
        ("上周我都忙了些什么？", None, Period.LAST_WEEK),
    ],
)
def test_what_someone_did_is_whom_they_followed_up(text: str, person: str | None, period: Period) -> None:
    """Trial 6: a manager's 王强今天干啥了 was not understood."""
    q = parse_question(text)
    assert q is not None and (q.ask, q.person, q.period) == (Ask.FOLLOWED, person, period)


@pytest.mark.parametrize(
    "text",
    [
        "今天拜访了艾克美张总，谈了阀门报价",
        "跟进 艾克美 客户问交期？",
        "查 艾克美",
        "待办",
        "艾克美 5万美元",
        "艾克美怎么样",
    ],
)
def test_things_to_do_or_log_are_not_questions(text: str) -> None:
    assert parse_question(text) is None


@pytest.mark.parametrize("text", ["提醒我明天上午给北风打电话", "明天提醒我给艾克美张总打电话", "下午给穆勒回电话"])
def test_a_call_to_make_is_not_a_question_about_a_phone_number(text: str) -> None:
    question = parse_question(text)
    assert question is None or question.ask is not Ask.CONTACT


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("艾克美现在到哪个阶段了", "艾克美"),
        ("艾克美那单到哪一步了", "艾克美"),
        ("北风泵业的商机什么阶段？", "北风泵业"),
        ("北风泵业目前在什么阶段", "北风泵业"),
        ("北风泵业进展到哪了", "北风泵业"),
        ("what stage is Andes Copper at?", "Andes Copper"),
    ],
)
def test_where_a_customers_deals_stand_is_a_question(text: str, subject: str) -> None:
    q = parse_question(text)
    assert q is not None and (q.ask, q.subject) == (Ask.STAGE, subject)


def test_a_follow_up_about_a_stage_is_not_a_question() -> None:
    q = parse_question("跟进 艾克美 现在到哪个阶段了")
    assert q is None or q.ask is not Ask.STAGE


@pytest.mark.parametrize(
    ("text", "who", "field"),
    [
        ("Klaus phone?", "Klaus", "phone"),
        ("what is Klaus Becker's email", "Klaus Becker", "email"),
        ("ACME contact email?", "ACME", "email"),
        ("phone number of Anna", "Anna", "phone"),
    ],
)
def test_a_contact_question_in_english_is_answered(text: str, who: str, field: str) -> None:
    """Trial 3: English contact questions were not understood."""
    assert parse_question(text) == Question(Ask.CONTACT, subject=who, field=field)


def test_an_instruction_naming_a_phone_is_no_question() -> None:
    assert parse_question("send Klaus the phone") is None


@pytest.mark.parametrize(
    ("text", "days"),
    [("我有哪些客户超过30天没联系了", 30), ("超过60天没跟进的客户", 60), ("哪些客户很久没联系了", 30)],
)
def test_customers_not_contacted_for_days_is_a_question(text: str, days: int) -> None:
    """Trial 7: `我有哪些客户超过30天没联系了` was a note waiting for its customer's name."""
    assert parse_question(text) == Question(Ask.QUIET, days=days)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what did I do last week", Question(Ask.FOLLOWED, period=Period.LAST_WEEK)),
        ("这周我都干了啥", Question(Ask.FOLLOWED, period=Period.THIS_WEEK)),
        ("my customers", Question(Ask.MY_CUSTOMERS)),
        ("my quotes", Question(Ask.QUOTES)),
        ("李娜的客户", Question(Ask.MY_CUSTOMERS, person="李娜")),
        ("李娜的报价", Question(Ask.QUOTES, subject="李娜")),
    ],
)
def test_english_and_colleague_questions(text: str, expected: Question) -> None:
    """Trial 7: these were not understood."""
    assert parse_question(text) == expected


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        ("我有多少客户在德国？", True),
        ("我有哪些客户超过30天没联系了", True),
        ("客户要的DN50报价发了吗", True),
        ("客户问价格多少", False),  # a customer's question, reported: news to keep
        ("客户还在考虑呢", False),
        ("他说没什么", False),
    ],
)
def test_a_message_that_asks_is_told_from_one_that_reports(text: str, asking: bool) -> None:
    """Trial 7: a question naming no customer waited for its customer's name and was then saved as a note."""
    assert asks(text) is asking


def test_how_a_colleague_is_doing() -> None:
    assert parse_question("李娜最近在忙什么") == Question(Ask.COLLEAGUE, person="李娜")
    assert parse_question("我最近在忙什么") == Question(Ask.FOLLOWED)
