"""The console channel: every open card's buttons tappable by number, through the same pipeline as WeCom."""

from __future__ import annotations

from bot.cards.actions import ApprovalTap, SubmitQuote, Tap, TaskDone
from bot.cards.model import Button, Card
from bot.cards.render import CardRenderer
from bot.channels.base import OutboxItem, RawInbound
from bot.channels.console import USER_HEADER, ConsoleChannel
from bot.outbox import SendCard, SendText, UpdateCard
from tests.fakes.harness import ChatHarness

APPROVAL = Card(
    "notice",
    "报价审批 Q-1",
    {"body": "李娜申请"},
    (Button("同意", ApprovalTap(1, Tap.APPROVE)), Button("驳回", ApprovalTap(1, Tap.REJECT))),
    "apv1-2",
)
DRAFT = Card("notice", "报价 Q-2", {"body": "草稿"}, (Button("提交审批", SubmitQuote(2)),), "q2")


def console() -> tuple[ConsoleChannel, list[str]]:
    shown: list[str] = []
    return ConsoleChannel(CardRenderer(), write=shown.append), shown


def typed(c: ConsoleChannel, line: str, who: str = "赵敏") -> tuple[object, str | None, str | None]:
    inbound = c.decode(RawInbound(line.encode(), headers={USER_HEADER: who}))
    return inbound.action, inbound.card_ref, inbound.text


async def test_buttons_of_every_open_card_keep_their_numbers() -> None:
    c, shown = console()
    await c.deliver(OutboxItem(1, "赵敏", SendCard(APPROVAL)))
    await c.deliver(OutboxItem(2, "赵敏", SendText("已记录")))
    await c.deliver(OutboxItem(3, "赵敏", SendCard(DRAFT)))
    assert "[1] 同意  [2] 驳回（输入编号点按）" in shown[0] and "[3] 提交审批（输入编号点按）" in shown[2]
    assert typed(c, "2") == (ApprovalTap(1, Tap.REJECT), "apv1-2", None)  # an earlier card, after later answers
    assert typed(c, "3") == (SubmitQuote(2), "q2", None)
    assert typed(c, "4") == (None, None, "4")
    assert typed(c, "1", who="李娜") == (None, None, "1")  # someone else's cards are not yours to tap


async def test_a_finalised_card_closes_and_numbering_starts_again() -> None:
    c, shown = console()
    await c.deliver(OutboxItem(1, "赵敏", SendCard(APPROVAL)))
    await c.deliver(OutboxItem(2, "赵敏", SendCard(DRAFT)))
    await c.deliver(OutboxItem(3, "赵敏", UpdateCard("apv1-2", "已同意")))
    assert shown[2] == "（卡片已更新：已同意）"
    assert typed(c, "1") == (None, None, "1") and typed(c, "3")[0] == SubmitQuote(2)
    await c.deliver(OutboxItem(4, "赵敏", UpdateCard("q2", "已提交")))
    await c.deliver(
        OutboxItem(5, "赵敏", SendCard(Card("notice", "提醒", {"body": "x"}, (Button("完成", TaskDone(7)),))))
    )
    assert "[1] 完成" in shown[-1]


async def test_a_number_after_a_numbered_question_answers_it() -> None:
    c, _ = console()
    await c.deliver(OutboxItem(1, "赵敏", SendCard(APPROVAL)))
    await c.deliver(OutboxItem(2, "赵敏", SendText("驳回 Q-1 的原因是？回复编号或原因：\n1. 价格过低\n2. 毛利不足")))
    assert typed(c, "2") == (None, None, "2")  # the reason, not the 驳回 button
    assert typed(c, "2")[0] == ApprovalTap(1, Tap.REJECT)  # asked and answered: numbers tap again
    await c.deliver(OutboxItem(3, "赵敏", SendText("已提交，审批路线：\n1. 直属上级：赵敏")))  # a list, not a question
    assert typed(c, "1")[0] == ApprovalTap(1, Tap.APPROVE)
    await c.deliver(OutboxItem(4, "赵敏", SendText("您说的是哪个客户？回复编号：\n1. 华信阀门\n2. 华信电子")))
    assert typed(c, "查 华信") == (None, None, "查 华信")  # moved on: the question no longer holds numbers back
    assert typed(c, "1")[0] == ApprovalTap(1, Tap.APPROVE)


async def test_tapping_an_older_card_by_number_in_a_conversation(bot: ChatHarness) -> None:
    """Two quotes shown, then the first one's 提交审批 tapped by its number, through the real pipeline."""
    first = await bot.said("李娜", "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    second = await bot.said("李娜", "报价 北风泵业 离心泵 10台 单价900美元 成本 ¥4000 FOB上海")
    assert "[1] 提交审批" in first and "[2] 提交审批" in second
    inbound = bot.console.decode(RawInbound(b"1", headers={USER_HEADER: "李娜"}))
    await bot.pipeline.handle(inbound)
    answer = "\n".join(await bot.flush("李娜"))
    assert "已提交" in answer and "（卡片已更新：已提交" in answer and "Q-2026-0001" in answer
