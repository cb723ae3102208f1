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
