"""Opportunity talk from the new-user trial on the WeCom phone view (issue 8, "nothing lost, nothing misfiled"):
the demo company, rep 李娜. What the rep says beside a win, a loss or a move is kept, and an amount change is
made on the deal, not filed as a note."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select

from storage.models import AuditLog, Customer, FollowUp, Opportunity
from tests.fakes.harness import ChatHarness

CUSTOMER_OF = {"控制阀采购项目": "穆勒机械", "法兰采购项目": "艾克美工业有限公司"}


async def _deal(bot: ChatHarness, title: str) -> Opportunity:
    async with bot.services.db.session() as s:
        q = select(Opportunity).join(Customer).where(Opportunity.title == title, Customer.name == CUSTOMER_OF[title])
        return (await s.exec(q)).one()


async def _rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def test_a_won_deal_named_by_its_product_is_booked_at_the_stated_amount(bot: ChatHarness) -> None:
    was = await _deal(bot, "控制阀采购项目")
    asked = await bot.said("李娜", "好消息 穆勒机械控制阀的单子签了 合同金额12.6万欧")
    assert "回复编号" not in asked and "DN50球阀" not in asked  # only one deal is a 控制阀 one
    assert "仍然推进" in asked  # the demo deal is still at S3
    won = await bot.said("李娜", "是")
    assert "恭喜赢单" in won and "控制阀采购项目" in won and "合同金额 €12.6万" in won
    deal = await _deal(bot, "控制阀采购项目")
    assert (deal.stage, deal.amount, deal.currency) == ("won", Decimal(126000), "EUR")
    [change] = await _rows(
        bot, AuditLog, AuditLog.entity == "opportunities", AuditLog.entity_id == deal.id, AuditLog.action == "update"
    )
    assert change.before is not None and change.after is not None
    assert Decimal(str(change.before["amount"])) == was.amount and Decimal(str(change.after["amount"])) == 126000


async def test_the_amount_survives_the_question_which_deal(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "穆勒机械的单子签了 合同金额12.6万欧")
    assert "回复编号" in asked and "控制阀采购项目" in asked
    assert "仍然推进" in await bot.said("李娜", "2")
    assert "合同金额 €12.6万" in await bot.said("李娜", "是")
    assert (await _deal(bot, "控制阀采购项目")).amount == Decimal(126000)


async def test_what_is_said_beside_a_stage_move_is_logged(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "北风泵业蝶阀项目进入合同阶段了 客户法务在审合同")
    assert "仍然推进" in asked
    moved = await bot.said("李娜", "是")
    assert "S4 商务谈判 → S5 合同签订" in moved and "已记录跟进：客户法务在审合同" in moved
    [note] = await _rows(bot, FollowUp, col(FollowUp.content).contains("法务"))
    [deal] = await _rows(bot, Opportunity, Opportunity.id == note.opportunity_id)
    [customer] = await _rows(bot, Customer, Customer.id == note.customer_id)
    assert (note.content, deal.title, deal.stage) == ("客户法务在审合同", "蝶阀采购项目", "S5")
    assert customer.name == "北风泵业"
    assert "客户法务在审合同" in await bot.said("李娜", "查 北风泵业")


async def test_the_words_after_a_loss_are_its_reason(bot: ChatHarness) -> None:
    lost = await bot.said("李娜", "穆勒机械控制阀的单子丢了 客户选了意大利的供应商 价格比我们低15%")
    assert "请写上原因" not in lost
    assert "已记为输单" in lost and "控制阀采购项目" in lost and "意大利的供应商" in lost
    deal = await _deal(bot, "控制阀采购项目")
    assert (deal.stage, deal.lost_reason) == ("lost", "客户选了意大利的供应商 价格比我们低15%")


async def test_a_loss_without_words_after_it_asks_for_the_reason(bot: ChatHarness) -> None:
    assert "输单请写上原因" in await bot.said("李娜", "穆勒机械控制阀的单子丢了")
    assert (await _deal(bot, "控制阀采购项目")).stage == "S3"


async def test_an_amount_change_changes_the_deal_and_can_be_undone(bot: ChatHarness) -> None:
    notes_before = len(await _rows(bot, FollowUp))
    changed = await bot.said("李娜", "艾克美法兰项目金额调整为32万欧")
    assert "法兰采购项目" in changed and "€30.5万 → €32万" in changed and "跟进" not in changed
    deal = await _deal(bot, "法兰采购项目")
    assert (deal.amount, deal.currency) == (Decimal(320000), "EUR")
    assert len(await _rows(bot, FollowUp)) == notes_before  # not filed as an 其他 follow-up
    [change] = await _rows(
        bot, AuditLog, AuditLog.entity == "opportunities", AuditLog.entity_id == deal.id, AuditLog.action == "update"
    )
    assert change.message == "艾克美法兰项目金额调整为32万欧"
    assert "€32万" in await bot.said("李娜", "查 艾克美")
    assert "要撤销它吗" in await bot.said("李娜", "撤销")  # a 查 came between: asked first
    assert "已撤销" in await bot.said("李娜", "是")
    assert (await _deal(bot, "法兰采购项目")).amount == Decimal(305000)


async def test_a_loss_command_takes_the_words_after_the_deal_as_its_reason(bot: ChatHarness) -> None:
    lost = await bot.said("李娜", "输单 穆勒机械 控制阀 客户选了意大利的供应商")
    assert "已记为输单" in lost and "（原因：客户选了意大利的供应商）" in lost
    assert (await _deal(bot, "控制阀采购项目")).lost_reason == "客户选了意大利的供应商"


async def test_undo_takes_back_the_booked_amount_and_the_note(bot: ChatHarness) -> None:
    was = await _deal(bot, "控制阀采购项目")
    await bot.say("李娜", "穆勒机械控制阀的单子签了 合同金额12.6万欧 下周付预付款")
    assert "已记录跟进：下周付预付款" in await bot.said("李娜", "是")
    assert "已撤销" in await bot.said("李娜", "撤销")
    deal = await _deal(bot, "控制阀采购项目")
    assert (deal.stage, deal.amount, deal.currency) == (was.stage, was.amount, was.currency)
    assert await _rows(bot, FollowUp, col(FollowUp.content).contains("预付款")) == []


async def test_a_won_deals_booked_amount_can_be_corrected(bot: ChatHarness) -> None:
    await bot.say("李娜", "穆勒机械控制阀的单子签了 合同金额12.6万欧")
    await bot.say("李娜", "是")
    fixed = await bot.said("李娜", "穆勒机械控制阀项目金额改为13万欧")
    assert "控制阀采购项目" in fixed and "€12.6万 → €13万" in fixed
    deal = await _deal(bot, "控制阀采购项目")
    assert (deal.stage, deal.amount) == ("won", Decimal(130000))


async def test_a_deal_named_after_the_move_is_no_note(bot: ChatHarness) -> None:
    notes_before = len(await _rows(bot, FollowUp))
    assert "仍然推进" in await bot.said("李娜", "穆勒机械 签了 控制阀")  # no list: the words after name one deal
    won = await bot.said("李娜", "是")
    assert "控制阀采购项目" in won and "已记录跟进" not in won
    assert len(await _rows(bot, FollowUp)) == notes_before
    assert "输单请写上原因" in await bot.said("李娜", "穆勒机械 丢了 DN50球阀")  # the deal, not why


async def test_an_amount_without_currency_says_it_took_the_deals(bot: ChatHarness) -> None:
    changed = await bot.said("李娜", "艾克美法兰项目金额调整为32万")
    assert "€30.5万 → €32万（没写币种，按商机原币种）" in changed
