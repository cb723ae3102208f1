"""Issue 8 (blind set A's data-loss messages): a note whose customer kabot cannot find in it (pinyin, a typo) waits for
the rep to name the customer, and the answer files it — the rep never types the note again."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import FollowUp, Task
from tests.fakes.harness import ChatHarness


async def _notes(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def test_a_note_without_a_customer_is_filed_under_the_name_given_after(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "aikemei说节后再谈明年采购计划")
    assert "这条还没有保存" in asked and "直接回复客户名" in asked
    assert await _notes(bot, "节后再谈") == []
    assert "已记录 艾克美工业有限公司" in await bot.said("李娜", "艾克美")
    assert len(await _notes(bot, "节后再谈明年采购计划")) == 1


async def test_the_name_given_may_ask_again_and_the_note_still_waits(bot: ChatHarness) -> None:
    await bot.said("李娜", "今天给北凤 Klaus 发了邮件 问技术参数 他说两三天内回复")
    assert "您说的是哪个客户" in await bot.said("李娜", "北")
    assert "已记录 北风泵业 的邮件跟进" in await bot.said("李娜", "1")
    assert len(await _notes(bot, "问技术参数")) == 1


async def test_cancel_or_a_new_message_leaves_nothing_saved_and_says_so(bot: ChatHarness) -> None:
    await bot.said("李娜", "aikemei说下周来验厂")
    assert "没有保存" in await bot.said("李娜", "取消")
    assert await _notes(bot, "下周来验厂") == []


async def test_an_activity_after_new_customer_is_no_customers_name(bot: ChatHarness) -> None:
    """`周五约了新客户开会` offered to create a customer called 开会."""
    reply = await bot.said("李娜", "周五约了新客户开会")
    assert "开会”" not in reply and "是哪个客户的" in reply
    assert "海德堡泵阀" in await bot.said("李娜", "海德堡泵阀")  # a new name: offered for creation
    assert "已新建客户“海德堡泵阀”" in await bot.said("李娜", "是")
    async with bot.services.db.session() as s:
        assert (await s.exec(select(Task).where(col(Task.subject).contains("开会")))).first() is not None
