"""Reminders, escalation and the daily digest: once each, batched per person, driven by the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from scheduler import jobs
from storage.models import Task, User
from tests.bot.test_quotes_support import quote_and_submit
from tests.fakes.harness import ChatHarness


async def _user(bot: ChatHarness, name: str) -> User:
    async with bot.services.db.session() as s:
        return (await s.exec(select(User).where(User.name == name))).one()


async def test_due_tasks_are_reminded_once_in_one_message(bot: ChatHarness) -> None:
    await bot.say("李娜", "跟进 艾克美 今天电话沟通了样品，明天上午10点再确认")
    await bot.flush("李娜")
    first = await jobs.remind_due_tasks(bot.services)  # the demo's overdue tasks
    assert first == 3  # one message each to the three people with overdue tasks
    reminders = await bot.flush("李娜")
    assert len(reminders) == 1 and "条待办到期" in reminders[0] and "[1] 全部完成" in reminders[0]
    assert await jobs.remind_due_tasks(bot.services) == 0  # already claimed

    bot.clock.set(datetime(2026, 11, 24, 2, 1, tzinfo=UTC))  # 10:01 the next day in Shanghai
    assert await jobs.remind_due_tasks(bot.services) == 2  # 李娜 and one colleague whose task fell due
    [msg] = await bot.flush("李娜")
    assert "再确认" in msg and "11月24日" in msg
    done = await bot.tap("李娜", 1)
    assert any("已完成" in m for m in done)


async def test_ignored_reminders_escalate_to_the_manager_once(bot: ChatHarness) -> None:
    await jobs.remind_due_tasks(bot.services)
    await bot.flush("李娜")
    assert await jobs.escalate_ignored_tasks(bot.services) == 0  # not yet a day
    bot.clock.advance(hours=25)
    assert await jobs.escalate_ignored_tasks(bot.services) == 19  # every reminded task, once
    [note] = await bot.flush("赵敏")
    assert "李娜" in note and "仍未处理" in note
    assert await jobs.escalate_ignored_tasks(bot.services) == 0


async def test_daily_digest_goes_to_managers_once_a_day_after_eight(bot: ChatHarness) -> None:
    bot.clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # 07:00 on the 24th in Shanghai
    assert await jobs.send_daily_digests(bot.services) == 0
    bot.clock.advance(hours=1, minutes=5)
    sent = await jobs.send_daily_digests(bot.services)
    assert sent == 4  # 2 managers, the director, the GM: nobody else
    assert await jobs.send_daily_digests(bot.services) == 0
    [digest] = await bot.flush("赵敏")
    assert "每日销售日报" in digest and "本季预测" in digest
    assert await bot.flush("李娜") == []
    bot.clock.advance(days=1)
    assert await jobs.send_daily_digests(bot.services) == sent


async def test_completing_a_task_stops_its_escalation(bot: ChatHarness) -> None:
    lina = await _user(bot, "李娜")
    await jobs.remind_due_tasks(bot.services)
    async with bot.services.db.session() as s:
        for t in (await s.exec(select(Task).where(Task.owner_id == lina.id, Task.status == "open"))).all():
            t.status = "done"
            s.add(t)
    bot.clock.advance(hours=25)
    await jobs.escalate_ignored_tasks(bot.services)
    assert not [m for m in await bot.flush("赵敏") if "李娜" in m]


async def test_waiting_approvals_are_reminded_then_escalated_once(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    await bot.flush("赵敏")
    assert await jobs.remind_waiting_approvals(bot.services) == 0  # not waited long enough
    bot.clock.advance(hours=5)
    assert await jobs.remind_waiting_approvals(bot.services) == 1
    [reminder] = await bot.flush("赵敏")
    assert number in reminder and "等待审批" in reminder and "已等 5 小时" in reminder
    assert await jobs.remind_waiting_approvals(bot.services) == 0
    assert await jobs.escalate_waiting_approvals(bot.services) == 0
    bot.clock.advance(hours=25)
    assert await jobs.escalate_waiting_approvals(bot.services) == 1
    assert any(number in m and "赵敏" in m for m in await bot.flush("孙丽"))  # the approver's manager
    assert any(number in m for m in await bot.flush("李娜"))  # and the requester
    assert await jobs.escalate_waiting_approvals(bot.services) == 0
    await bot.say("赵敏", f"同意 {number}")
    bot.clock.advance(hours=30)
    assert await jobs.remind_waiting_approvals(bot.services) == 0  # decided: nothing left to chase


async def test_reminder_buttons_act_on_every_task_listed(bot: ChatHarness) -> None:
    """Issue 8: 全部推迟到明天 moves every listed task, not only the first; "完成 2" means the card's second."""
    assert await jobs.remind_due_tasks(bot.services) >= 1
    [card] = await bot.flush("李娜")
    listed = [line for line in card.splitlines() if line[:1].isdigit() and ". " in line]
    assert len(listed) > 1
    moved = "\n".join(await bot.tap("李娜", 2))
    assert moved.count("已改期") == len(listed)
