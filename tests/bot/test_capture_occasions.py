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


async def test_a_colleagues_part_is_neither_saved_nor_left_in_my_note(bot: ChatHarness) -> None:
    """Trial 4: `罗西要报价` (王强's account) was said to be unsaved, then asked a date for and filed under 穆勒机械."""
    reply = await bot.said("李娜", "去了穆勒和罗西管业 穆勒周静要样品 罗西要报价")
    assert "这条里关于“罗西管业”的部分没有保存" in reply and "是哪天" not in reply
    [note] = [f for f in await _follow_ups(bot, "穆勒机械") if "周静" in f.content]
    assert "罗西要报价" not in note.content


async def test_a_colleagues_account_named_after_顺便_is_said(bot: ChatHarness) -> None:
    """Trial 4: `顺便去了趟艾克森流体` was folded into 北欧暖通's note without a word."""
    reply = await bot.said("李娜", "拜访了北欧暖通赵涛 顺便去了趟艾克森流体 聊了泵的交期")
    assert "“艾克森流体设备”不是您的客户（负责人：王强）" in reply
    assert all("艾克森" not in f.content for f in await _follow_ups(bot, "北欧暖通"))


async def test_a_meeting_still_to_come_is_a_task_and_no_contact_today(bot: ChatHarness) -> None:
    """Trial 4: `南十字矿业 下周四 视频会议 …` and `明天上午去拜访雅典能源 …` were logged as contacts held today, so the
    accounts read 今天联系过 and the manager's weekly list counted them."""
    for text, name in (
        ("南十字矿业 下周四 视频会议 讲DN80闸阀方案", "南十字矿业"),
        ("明天上午去拜访雅典能源 带上新样册", "雅典能源"),
    ):
        before = len(await _follow_ups(bot, name))
        reply = await bot.said("王强", text)
        assert f"已为 {name} 加待办" in reply
        assert len(await _follow_ups(bot, name)) == before
    assert "新样册" in await bot.said("王强", "待办")  # the detail goes with the task
