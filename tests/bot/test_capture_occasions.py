"""Issue 8, trial 3: a visit yesterday and a call today with the same customer, said in one message, are two
follow-ups each on its own day, and one 撤销 takes both back (now = Mon 2026-11-23, evening in the demo clock)."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Customer, FollowUp
from tests.fakes.harness import ChatHarness


async def _follow_ups(bot: ChatHarness, name: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        customer = (await s.exec(select(Customer).where(Customer.name == name))).one()
        return list((await s.exec(select(FollowUp).where(FollowUp.customer_id == customer.id))).all())


async def test_a_visit_yesterday_and_a_call_today_are_two_follow_ups(bot: ChatHarness) -> None:
    before = {f.id for f in await _follow_ups(bot, "北风泵业")}
    reply = await bot.said("李娜", "昨天下午拜访了北风泵业 今天又电话跟进了一次 他们说月底下单")
    new = sorted((f for f in await _follow_ups(bot, "北风泵业") if f.id not in before), key=lambda f: f.happened_at)
    assert [f.kind for f in new] == ["拜访", "电话"]
    assert (new[1].happened_at - new[0].happened_at).days >= 0 and new[0].happened_at.date() < new[1].happened_at.date()
    assert "月底下单" in new[1].content and "月底下单" not in new[0].content
    assert reply.count("已记录 北风泵业") == 2
    assert "已撤销" in await bot.said("李娜", "撤销")
    assert {f.id for f in await _follow_ups(bot, "北风泵业")} == before
