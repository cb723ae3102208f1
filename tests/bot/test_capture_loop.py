"""Issue 8: a question asked back never loses what the rep already said (demo company, now = Mon 2026-11-23)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from storage.models import Customer, FollowUp, Opportunity, Task
from tests.fakes.harness import ChatHarness


async def _rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def _follow_ups(bot: ChatHarness, words: str) -> list[FollowUp]:
    return list(await _rows(bot, FollowUp, col(FollowUp.content).contains(words)))


async def test_choosing_a_customer_saves_the_follow_up_then_asks_the_date(bot: ChatHarness) -> None:
    ask = await bot.said("李娜", "跟进 北 今天微信沟通了认证文件，回头再约个时间看样")
    assert "1. 北风泵业" in ask and "2. 北欧暖通" in ask
    saved = await bot.said("李娜", "2")
    assert "已记录 北欧暖通" in saved and "是哪天" in saved
    [fu] = await _follow_ups(bot, "今天微信沟通了认证文件")
    [nordic] = await _rows(bot, Customer, Customer.name == "北欧暖通")
    assert fu.customer_id == nordic.id and fu.kind == "微信"
    filled = await bot.said("李娜", "下周三")
    assert "12月2日（周三）" in filled
    [task] = await _rows(bot, Task, Task.source_id == fu.id)
    assert task.subject == "回头再约个时间看样" and task.customer_id == nordic.id
    assert task.due_at == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 Shanghai


async def test_a_new_message_instead_of_the_date_keeps_the_follow_up(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期，回头再约")
    assert "【北风泵业】" in await bot.said("李娜", "查 北风")  # not taken as the answer
    assert len(await _follow_ups(bot, "沟通了交期")) == 1


async def test_yes_creates_the_customer_and_saves_the_follow_up(bot: ChatHarness) -> None:
    assert "回复“是”新建" in await bot.said("李娜", "跟进 宏达电子 今天拜访了王总，回头再约看样")
    saved = await bot.said("李娜", "是")
    assert "已新建客户“宏达电子”" in saved and "已记录 宏达电子" in saved and "是哪天" in saved
    [c] = await _rows(bot, Customer, Customer.name == "宏达电子")
    [fu] = await _follow_ups(bot, "王总")
    assert fu.customer_id == c.id
    assert "待办" in await bot.said("李娜", "周四下午")
    [task] = await _rows(bot, Task, Task.source_id == fu.id)
    assert task.due_at == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # Thursday 14:00 Shanghai


async def test_guessed_date_after_choosing_a_customer_is_saved_and_confirmed(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北 电话沟通了报价，月底前给答复")
    card = await bot.said("李娜", "1")
    assert "已记录 北风泵业" in card and "推测" in card
    [fu] = await _follow_ups(bot, "电话沟通了报价")
    [task] = await _rows(bot, Task, Task.source_id == fu.id)
    ok = "\n".join(await bot.tap("李娜", 1))
    assert "日期不变" in ok and "没有需要确认" not in ok
    assert len(await _rows(bot, Task, Task.source_id == fu.id)) == 1


async def test_guessed_date_after_creating_a_customer_can_be_corrected(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 宏达电子 电话沟通了报价，月底前给答复")
    card = await bot.said("李娜", "是")
    assert "已新建客户“宏达电子”" in card and "推测" in card
    assert "新的日期" in "\n".join(await bot.tap("李娜", 2))
    assert "12月4日（周五）" in await bot.said("李娜", "12月4日")
    [fu] = await _follow_ups(bot, "电话沟通了报价")
    [task] = await _rows(bot, Task, Task.source_id == fu.id)
    assert task.due_at == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


async def test_stage_move_survives_choosing_the_customer_and_confirming(bot: ChatHarness) -> None:
    assert "1. 北风泵业" in await bot.said("李娜", "推进 北 蝶阀 S5")
    asked = await bot.said("李娜", "1")
    assert "仍然推进" in asked
    done = await bot.said("李娜", "是")
    assert "→ S5 合同签订" in done and "北风泵业" in done
    [north] = await _rows(bot, Customer, Customer.name == "北风泵业")
    opps = await _rows(bot, Opportunity, Opportunity.customer_id == north.id, col(Opportunity.title).contains("蝶阀"))
    assert sorted(o.stage for o in opps) == ["S5", "won"]  # the open one moved; the won one untouched
