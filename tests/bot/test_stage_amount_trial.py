"""Trial 8 on the WeCom phone view (issue 8, "nothing lost"): the demo company, rep 李娜, manager 赵敏. An amount
said with a win or a move is the deal's new amount, a dated step beside a move is the rep's task, and a task a
manager assigns on a customer the rep does not have says so."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select

from storage.models import AuditLog, Customer, FollowUp, Opportunity, Task, User
from tests.fakes.harness import ChatHarness


async def _deal(bot: ChatHarness, customer: str, product: str) -> Opportunity:
    async with bot.services.db.session() as s:
        q = (
            select(Opportunity)
            .join(Customer)
            .where(Customer.name == customer, col(Opportunity.title).contains(product))
        )
        return (await s.exec(q)).one()


async def _rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def test_a_final_amount_with_a_win_is_booked_and_the_rest_is_logged(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "北风泵业的蝶阀项目签了 最终金额11.8万美元 客户接受了我们的交期")
    assert "回复编号" not in asked
    won = await bot.said("李娜", "是") if "仍然推进" in asked else asked
    assert "恭喜赢单" in won and "合同金额 $11.8万" in won
    assert "已记录跟进：客户接受了我们的交期" in won
    async with bot.services.db.session() as s:  # the open 蝶阀 deal (another one was won before)
        q = select(Opportunity).join(Customer).where(Customer.name == "北风泵业", Opportunity.amount == 118000)
        [deal] = (await s.exec(q)).all()
    assert (deal.title, deal.stage, deal.currency) == ("蝶阀采购项目", "won", "USD")
    [note] = await _rows(bot, FollowUp, FollowUp.content == "客户接受了我们的交期")
    assert note.opportunity_id == deal.id


async def test_a_move_with_a_new_amount_and_a_dated_step_changes_both_and_adds_the_task(bot: ChatHarness) -> None:
    was = await _deal(bot, "穆勒机械", "控制阀")
    asked = await bot.said("李娜", "穆勒机械控制阀项目推进到S4了 金额改成220万人民币 下周二跟周静谈合同条款")
    assert "回复编号" not in asked  # 控制阀 names one of the two deals
    moved = await bot.said("李娜", "是") if "仍然推进" in asked else asked
    assert "S4 商务谈判" in moved and "¥220万" in moved and "→ ¥220万" in moved
    deal = await _deal(bot, "穆勒机械", "控制阀")
    assert (deal.stage, deal.amount, deal.currency) == ("S4", Decimal(2200000), "CNY")
    changes = await _rows(
        bot, AuditLog, AuditLog.entity == "opportunities", AuditLog.entity_id == deal.id, AuditLog.action == "update"
    )
    assert any(c.before and Decimal(str(c.before["amount"])) == was.amount for c in changes)
    [task] = await _rows(bot, Task, col(Task.subject).contains("合同条款"))
    assert task.due_at is not None and task.due_at.weekday() in (0, 1)  # 下周二 (in UTC, possibly Monday evening)
    assert "合同条款" in moved and "待办" in moved


async def test_a_budget_with_a_move_sets_the_amount_as_an_estimate(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "安第斯铜业蝶阀项目客户确认需求了 推到S2 预算大概45万美元")
    moved = await bot.said("李娜", "是") if "仍然推进" in asked else asked
    assert "S2" in moved and "$45万" in moved and "估" in moved
    assert "已记录跟进：客户确认需求了" in moved  # the news before the move is kept too
    deal = await _deal(bot, "安第斯铜业", "蝶阀")
    assert (deal.stage, deal.amount, deal.currency) == ("S2", Decimal(450000), "USD")


async def test_the_win_command_books_its_amount(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "赢单 里斯本船舶 DN80闸阀 金额95万元")
    assert "仍然推进（金额按 ¥95万 记）？" in asked  # the deal is at S1: the question says what a 是 books
    won = await bot.said("李娜", "是")
    assert "恭喜赢单" in won and "合同金额 ¥95万" in won
    deal = await _deal(bot, "里斯本船舶", "DN80闸阀")
    assert (deal.stage, deal.amount, deal.currency) == ("won", Decimal(950000), "CNY")


async def test_an_assigned_task_on_a_customer_the_rep_does_not_have_says_so(bot: ChatHarness) -> None:
    said = await bot.said("赵敏", "让王强明天下午给汉堡阀门打个电话 问下样品反馈")
    assert "王强的客户里没有“汉堡阀门”" in said and "没有关联客户" in said
    [wang] = await _rows(bot, User, User.name == "王强")
    [task] = await _rows(bot, Task, Task.owner_id == wang.id, col(Task.subject).contains("样品反馈"))
    assert task.customer_id is None


async def test_an_amount_beside_a_move_without_amount_words_leaves_the_deal(bot: ChatHarness) -> None:
    was = await _deal(bot, "穆勒机械", "DN50球阀")
    await bot.say("李娜", "穆勒机械 DN50球阀 推进到S4 报了12万美元")
    await bot.say("李娜", "是")
    deal = await _deal(bot, "穆勒机械", "DN50球阀")
    assert (deal.stage, deal.amount) == ("S4", was.amount)  # what was quoted is no new value of the deal


async def test_an_assigned_task_on_another_reps_customer_says_whose_it_is(bot: ChatHarness) -> None:
    said = await bot.said("赵敏", "让王强明天给北风泵业打个电话")
    assert "北风泵业不是王强的客户" in said
    assert "不是" not in await bot.said("赵敏", "让王强明天给莱茵化学打个电话")  # his own customer
    assert "客户" not in await bot.said("赵敏", "让王强明天给张总回个电话")  # a person, no company


async def test_undo_takes_back_the_move_the_amount_and_the_task(bot: ChatHarness) -> None:
    was = await _deal(bot, "穆勒机械", "控制阀")
    moved = await bot.said("李娜", "穆勒机械控制阀项目推进到S4了 金额改成220万人民币 下周二跟周静谈合同条款")
    assert "¥204万 → ¥220万" in moved and "待办：跟周静谈合同条款" in moved
    assert "已撤销" in await bot.said("李娜", "撤销")
    deal = await _deal(bot, "穆勒机械", "控制阀")
    assert (deal.stage, deal.amount, deal.currency) == (was.stage, was.amount, was.currency)
    assert [t.status for t in await _rows(bot, Task, col(Task.subject).contains("合同条款"))] in ([], ["cancelled"])
