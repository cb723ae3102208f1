"""The Loopchat channel itself: the suites in this folder really go through it, and it refuses forged events."""

from __future__ import annotations

from sqlmodel import select

from storage.models import InboundMessage, OutboxMessage
from tests.fakes.loop_harness import LoopHarness
from tests.fakes.loopchat import EVENTS_PATH


async def test_messages_travel_as_loopchat_events_and_api_calls(bot: LoopHarness) -> None:
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "查 艾克美")
    async with bot.services.db.session() as s:
        [inbound] = (await s.exec(select(InboundMessage))).all()
        [outbox] = (await s.exec(select(OutboxMessage))).all()
    assert (inbound.channel, inbound.sender) == ("loopchat", "李娜")
    assert (outbox.channel, outbox.status) == ("loopchat", "sent")
    [card] = bot.app.feeds["李娜"]
    assert card.kind == "card" and card.title == "艾克美工业有限公司"


async def test_a_forged_event_is_refused_and_nothing_is_stored(bot: LoopHarness) -> None:
    body, headers = bot.app.event("李娜", "e-1", text="帮助")
    forged = await bot.client.post(EVENTS_PATH, data=body, headers={**headers, "X-Loop-Signature": "0" * 64})
    assert forged.status == 403
    garbled = await bot.client.post(EVENTS_PATH, data=b"{", headers={"X-Loop-Signature": "x"})
    assert garbled.status == 403
    async with bot.services.db.session() as s:
        assert (await s.exec(select(InboundMessage))).all() == []


async def test_a_tap_comes_back_with_the_cards_ref(bot: LoopHarness) -> None:
    await bot.say("李娜", "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    [draft] = [s for s in bot.app.feeds["李娜"] if s.kind == "card"]
    assert draft.tag and draft.tag.startswith("q")
    done = "\n".join(await bot.tap("李娜", 1))  # 提交审批
    assert "已提交" in done and "（卡片已更新：已提交" in done
    assert not draft.open
