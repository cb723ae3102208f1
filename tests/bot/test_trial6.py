"""Trial 6 (a new user on the WeCom phone view): what read oddly, as conversations on the demo company."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from storage.models import FollowUp, Task
from tests.fakes.harness import ChatHarness


async def test_the_customer_coming_to_visit_us_is_a_note_and_a_task_to_host_them(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "滨海国贸刘总说想下周来工厂参观")
    assert "拜访跟进" not in reply and "不加您的待办" not in reply
    assert "待办：接待滨海国贸刘总来工厂参观" in reply
    async with bot.services.db.session() as s:
        [note] = (await s.exec(select(FollowUp).where(col(FollowUp.content).contains("来工厂参观")))).all()
        [task] = (await s.exec(select(Task).where(col(Task.subject).contains("接待滨海国贸刘总")))).all()
    assert note.kind == "其他" and task.due_at is not None and task.due_at > note.happened_at


async def _notes_of(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def test_a_one_letter_typo_of_a_latin_name_is_offered_never_filed_silently(bot: ChatHarness) -> None:
    """Trial 6: `mullar` for 穆勒机械 (Mueller Maschinenbau) offered to create a new customer."""
    asked = await bot.said("李娜", "跟进 mullar 今天电话沟通了独特价格")
    assert "您是说 穆勒机械 吗？" in asked and await _notes_of(bot, "独特价格") == []
    assert "穆勒机械" in await bot.said("李娜", "是")
    [note] = await _notes_of(bot, "独特价格")
    asked = await bot.said("李娜", "mueler 今天电话沟通了另一个价格")  # without a command word too
    assert "您是说 穆勒机械 吗？" in asked and await _notes_of(bot, "另一个价格") == []
    assert "已记录 穆勒机械" in await bot.said("李娜", "1")
    assert len(await _notes_of(bot, "另一个价格")) == 1
    assert "已记录 穆勒机械" in await bot.said("李娜", "跟进 muller 今天电话沟通了交期")  # ü / ue / u: the name itself


async def test_a_plain_words_date_correction_moves_the_task_the_last_follow_up_created(bot: ChatHarness) -> None:
    """Trial 6: `不对 刚才那条下次跟进应该是周四` was not understood; now it moves that task and says so."""
    await bot.said("李娜", "跟进 北欧暖通 今天电话沟通了报价，下次跟进周二")
    before = await _notes_of(bot, "沟通了报价")
    moved = await bot.said("李娜", "不对 刚才那条下次跟进应该是周四")
    assert "已改期：下次跟进（北欧暖通） —— 11月26日（周四）" in moved
    assert await _notes_of(bot, "沟通了报价") == before and await _notes_of(bot, "应该是周四") == []
    assert "11月27日（周五）" in await bot.said("李娜", "刚才那个日期错了，是周五")


async def test_a_date_correction_with_two_planned_tasks_asks_which(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北欧暖通 今天电话沟通了报价，明天寄独特样品，周二发独特目录")
    asked = await bot.said("李娜", "刚才那个日期错了，是周四")
    assert "是哪一条" in asked and "1." in asked and "2." in asked
    assert "已改期" in await bot.said("李娜", "2") and "11月26日（周四）" in "\n".join(
        line for line in (await bot.said("李娜", "待办")).splitlines() if "独特" in line
    )


@pytest.mark.parametrize(
    "text",
    [
        "Freeport logistics 自由港物流 今天电话沟通了运费 下周再联系",
        "Freeport logistics自由港物流今天电话沟通了运费，下周再联系",
        "FREEPORT LOGISTICS 今天电话沟通了运费",
        "自由港 今天电话沟通了运费 下周再联系",
        "freeport 今天电话沟通了运费 下周再联系",
        "自由港物流（Freeport Logistics）今天电话沟通了运费",
        "跟进 Freeport logistics 自由港物流 今天电话沟通了运费",
        "Freeport Logistics: called about freight today",
    ],
)
async def test_a_colleagues_account_named_any_way_says_whose_and_saves_nothing(bot: ChatHarness, text: str) -> None:
    """Trial 6: 陈静 writing about 王强's 自由港物流 (Freeport Logistics), English and Chinese, got 没太明白; some
    forms said whose it was but not that nothing was saved."""
    reply = await bot.said("陈静", text)
    assert "不是您的客户（负责人：王强）" in reply and "申请转移 自由港物流" in reply and "这条没有保存" in reply
    assert await _notes_of(bot, "运费") == [] and await _notes_of(bot, "freight") == []
