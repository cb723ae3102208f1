"""A refusal is answered in one place: the reply, an audit row for a permission refusal, nothing half-saved."""

from __future__ import annotations

from sqlmodel import select

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
