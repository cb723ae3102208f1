"""Issue 8 (capture you can trust): a report that ends in what the rep asked the customer (…收到没, …安排好了吗) is a
follow-up to log, not a question for kabot; a question of the rep's own (艾克美的样品到了没) is still one."""

from __future__ import annotations

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, parse_message
from core.nlu.asked_customer import asked_the_customer
from core.nlu.questions import parse_question
from core.nlu.task_commands import parse_task_command

REPORTS = [
    "艾克美 今天电话 问他们样品收到没",
    "艾克美 今天电话问了 样品收到了吗",
    "艾克美 微信问了付款安排好了吗",
    "艾克美 周五再问 付款安排好了吗",
    "今天给艾克美打电话 付款安排好了吗",
    "艾克美 下周一再跟进 样品收到没",
    "艾克美电话沟通 样品收到没",
]
QUESTIONS = [
    "艾克美的样品到了没",
    "艾克美的预付款到账了没",
    "艾克美样品收到了吗？",
    "艾克美张芳说下周签合同 对了穆勒的报价发了吗",
]


@pytest.mark.parametrize("text", REPORTS)
def test_a_report_of_asking_the_customer_is_no_question_for_kabot(text: str, names: NameIndex) -> None:
    assert asked_the_customer(text)
    assert parse_question(text) is None
    parsed = parse_message(text, now=NOW, tz=TZ, names=names)
    assert parsed.intent is Intent.FOLLOW_UP and parsed.customer_id == 1


@pytest.mark.parametrize("text", QUESTIONS)
def test_the_reps_own_question_is_still_a_question(text: str) -> None:
    assert not asked_the_customer(text)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("完成 1 2", (1, 2)),
        ("完成第1条和第2条", (1, 2)),
        ("完成第1、2条", (1, 2)),
        ("1和2完成了", (1, 2)),
        ("1 2 完成", (1, 2)),
        ("第3条做完了", (3,)),
        ("2 3 都完成了", (2, 3)),
    ],
)
def test_tasks_done_by_their_numbers_however_counted(text: str, numbers: tuple[int, ...]) -> None:
    command = parse_task_command(text, now=NOW, tz=TZ)
    assert command is not None and (command.action, command.numbers) == ("done", numbers)


def test_a_sentence_about_something_done_is_no_task_number() -> None:
    assert parse_task_command("完成了报价", now=NOW, tz=TZ) is None
