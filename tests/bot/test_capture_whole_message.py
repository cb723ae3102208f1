"""Issue 8, found in a user trial: every part of a message is kept — a second customer, a second next step, a
meeting still to come — and a message kabot cannot place says it was not saved (now = Mon 2026-11-23)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Customer, FollowUp, Task
from tests.fakes.harness import ChatHarness


async def _customer(bot: ChatHarness, name: str) -> Customer:
    async with bot.services.db.session() as s:
        return (await s.exec(select(Customer).where(Customer.name == name))).one()


async def _follow_ups(bot: ChatHarness, customer: Customer) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(FollowUp.customer_id == customer.id))).all())


async def _tasks(bot: ChatHarness, words: str) -> list[Task]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(Task).where(col(Task.subject).contains(words)))).all())


async def test_two_customers_in_one_message_are_both_logged(bot: ChatHarness) -> None:
    muller, iberia = await _customer(bot, "穆勒机械"), await _customer(bot, "伊比利亚水务")
    before = len(await _follow_ups(bot, muller)), len(await _follow_ups(bot, iberia))
    reply = await bot.said("李娜", "上午去了穆勒机械谈了新年的框架协议，下午去了伊比利亚水务看了他们的新仓库")
    assert "已记录 穆勒机械" in reply and "已记录 伊比利亚水务" in reply
    assert (len(await _follow_ups(bot, muller)), len(await _follow_ups(bot, iberia))) == (before[0] + 1, before[1] + 1)
    assert "已撤销" in await bot.said("李娜", "撤销")  # one undo takes the whole message back
    assert (len(await _follow_ups(bot, muller)), len(await _follow_ups(bot, iberia))) == before


async def test_every_next_step_of_the_rep_becomes_a_task(bot: ChatHarness) -> None:
    reply = await bot.said(
        "李娜", "今天拜访了北欧暖通 客户说月底前付清上批货款 我下周一打电话确认到账 另外月中旬约他们技术来工厂看看"
    )
    assert "打电话确认到账" in reply and "约他们技术来工厂看看" in reply
    assert len(await _tasks(bot, "打电话确认到账")) == 1
    assert len(await _tasks(bot, "约他们技术来工厂看看")) == 1
    assert await _tasks(bot, "付清") == []  # the customer's promise is not the rep's to-do


async def test_a_meeting_still_to_come_is_a_task_not_a_meeting_held_today(bot: ChatHarness) -> None:
    nordic = await _customer(bot, "北欧暖通")
    before = len(await _follow_ups(bot, nordic))
    reply = await bot.said("李娜", "周五下午3点和北欧暖通开视频会")
    assert "已为 北欧暖通 加待办" in reply and "15:00" in reply
    assert len(await _follow_ups(bot, nordic)) == before
    [task] = await _tasks(bot, "开视频会")
    assert task.customer_id == nordic.id


async def test_a_message_kabot_cannot_place_says_it_was_not_saved(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "今天第一次拜访了海德堡泵阀 采购经理Klaus Weber人很好 下周安排寄样")
    assert "没有保存" in reply or "回复“是”新建" in reply


async def test_a_long_note_is_saved_whole_and_echoed_in_one_short_reply(bot: ChatHarness) -> None:
    """Probe trial: a ~2,000-character note came back in four messages."""
    note = "客户说价格太高，" * 200
    replies = await bot.say("李娜", f"跟进 穆勒 {note}")
    assert len(replies) == 1 and len(replies[0]) < 400 and "已保存" in replies[0]
    muller = await _customer(bot, "穆勒机械")
    assert any(len(f.content) > 1500 for f in await _follow_ups(bot, muller))
