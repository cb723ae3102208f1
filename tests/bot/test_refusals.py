"""A refusal is answered in one place: the reply, an audit row for a permission refusal, nothing half-saved."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import AuditLog, FollowUp
from tests.fakes.harness import ChatHarness


async def test_looking_at_a_colleagues_account_is_refused_and_audited(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "查 艾克森流体设备")
    assert "不是您的客户" in reply and "王强" in reply
    async with bot.services.db.session() as s:
        rows = (await s.exec(select(AuditLog).where(AuditLog.action == "refused"))).all()
    assert [(r.entity, r.message) for r in rows] == [("customers", "查 艾克森流体设备")]


async def test_a_refused_follow_up_saves_nothing(bot: ChatHarness) -> None:
    async with bot.services.db.session() as s:
        before = len((await s.exec(select(FollowUp))).all())
    reply = await bot.said("李娜", "跟进 艾克森流体设备 今天电话沟通了报价")
    assert "不是您的客户" in reply
    async with bot.services.db.session() as s:
        assert len((await s.exec(select(FollowUp))).all()) == before


async def _refusals(bot: ChatHarness) -> list[tuple[str, str | None]]:
    async with bot.services.db.session() as s:
        rows = (await s.exec(select(AuditLog).where(AuditLog.action == "refused").order_by(col(AuditLog.id)))).all()
    return [(r.entity, r.message) for r in rows]


async def test_setting_a_rate_as_a_rep_is_audited(bot: ChatHarness) -> None:
    assert "只有财务或管理员" in await bot.said("李娜", "汇率 JPY 0.048")
    assert await _refusals(bot) == [("fx_rates", "汇率 JPY 0.048")]


async def test_tapping_a_colleagues_task_is_refused_and_audited(bot: ChatHarness) -> None:
    import uuid

    from bot.cards.actions import TaskDone
    from bot.channels.base import Inbound
    from storage.models import Task, User

    async with bot.services.db.session() as s:
        wang = (await s.exec(select(User).where(User.name == "王强"))).one()
        task = (await s.exec(select(Task).where(Task.owner_id == wang.id, Task.status == "open"))).first()
    assert task is not None
    forged = Inbound(channel="console", sender="李娜", platform_msg_id=uuid.uuid4().hex, action=TaskDone(task.id or 0))
    await bot.pipeline.handle(forged)
    assert "不是您的" in "\n".join(await bot.flush("李娜"))
    assert [e for e, _ in await _refusals(bot)] == ["tasks"]
    async with bot.services.db.session() as s:
        assert (await s.get(Task, task.id)).status == "open"  # type: ignore[union-attr]
