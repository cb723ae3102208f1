"""Transfer commands are claimed only when they name a colleague: `把报价转给客户了` stays a follow-up."""

from __future__ import annotations

import pytest

from core.nlu.intents import Intent
from core.nlu.transfer_commands import TransferCommand, might_be_transfer, parse_transfer_command

PEOPLE = {"王强", "李娜", "赵敏"}


def parse(text: str) -> TransferCommand | None:
    return parse_transfer_command(text, people=PEOPLE)


@pytest.mark.parametrize(
    ("text", "customer", "to"),
    [
        ("把北欧暖通转给王强", "北欧暖通", "王强"),
        ("北欧暖通转给王强", "北欧暖通", "王强"),
        ("转移 北欧暖通 给 李娜", "北欧暖通", "李娜"),
        ("把北欧暖通交给王强吧", "北欧暖通", "王强"),
        ("transfer Nordic HVAC to 王强", "Nordic HVAC", "王强"),
    ],
)
def test_reassign(text: str, customer: str, to: str) -> None:
    cmd = parse(text)
    assert cmd is not None and (cmd.intent, cmd.customer, cmd.to) == ("transfer_account", customer, to)


@pytest.mark.parametrize("text", ["王强离职，客户转给李娜", "离职 王强 转给 李娜", "把王强的客户都转给李娜"])
def test_offboard(text: str) -> None:
    cmd = parse(text)
    assert cmd is not None and (cmd.intent, cmd.person, cmd.to) == ("offboard", "王强", "李娜")


def test_requests_and_decisions() -> None:
    req = parse("申请转移 艾克森")
    assert req is not None and (req.intent, req.customer) == ("transfer_request", "艾克森")
    assert "请写上客户名称" in (parse("申请转移").error or "")  # type: ignore[union-attr]
    yes = parse("同意转移 艾克森")
    assert yes is not None and (yes.intent, yes.customer, yes.approve) == ("transfer_decide", "艾克森", True)
    no = parse("拒绝转移 艾克森 客户在谈判中")
    assert no is not None and (no.approve, no.note) == (False, "客户在谈判中")


@pytest.mark.parametrize("text", ["把报价转给客户了", "把资料转给张总", "今天拜访了艾克美", "转给王总看看"])
def test_sentences_that_are_not_transfers(text: str) -> None:
    assert parse(text) is None


def test_an_explicit_transfer_to_an_unknown_colleague_says_so() -> None:
    cmd = parse("转移 北欧暖通 给 李那")
    assert cmd is not None and "没有找到同事“李那”" in (cmd.error or "")


@pytest.mark.parametrize("text", ["转移申请", "待审批转移", "待审批的转移申请", "客户转移申请", "待处理转移申请"])
def test_listing_the_pending_transfer_requests(text: str) -> None:
    """`转移申请` read as a request for a customer called 申请 (trial1): it lists the requests waiting for me."""
    cmd = parse_transfer_command(text, people={"王强"})
    assert cmd is not None and cmd.intent is Intent.TRANSFER_PENDING and cmd.customer is None


@pytest.mark.parametrize(
    ("text", "customer", "approve"),
    [
        ("同意 莱茵化学", "莱茵化学", True),
        ("批准 莱茵化学的转移申请", "莱茵化学", True),
        ("审批 转移 莱茵化学", "莱茵化学", None),
        ("驳回 莱茵化学 客户在谈判", "莱茵化学", False),
    ],
)
def test_a_managers_shorter_decision_words_are_a_transfer_decision(
    text: str, customer: str, approve: bool | None
) -> None:
    """Issue 8 trial: `同意 莱茵化学` was saved as a 其他 follow-up. A decision word opening a message is never one."""
    assert might_be_transfer(text)
    cmd = parse_transfer_command(text, people=set())
    assert cmd is not None and cmd.intent is Intent.TRANSFER_DECIDE
    assert (cmd.customer, cmd.approve) == (customer, approve)
