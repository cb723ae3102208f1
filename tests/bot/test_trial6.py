"""Trial 6 (a new user on the WeCom phone view): what read oddly, as conversations on the demo company."""

from __future__ import annotations

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
