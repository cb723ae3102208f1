"""Issue 8, a new rep's first day (trial 1) end to end on the demo company: what was done this morning is logged
as done today, a plan is only a task, two customers keep their own parts, questions and a manager's decision words
are answered and never logged, and what the customer asks the rep to send becomes the rep's task."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, func, select

from storage.models import Customer, FollowUp, Task, TransferRequest
from tests.fakes.harness import ChatHarness

AFTERNOON = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday 15:30 in Shanghai


async def _follow_ups(bot: ChatHarness, customer: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return list(
            (await s.exec(select(FollowUp).where(FollowUp.customer_id == c.id).order_by(col(FollowUp.id)))).all()
        )


async def _tasks(bot: ChatHarness, customer: str) -> list[Task]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return list((await s.exec(select(Task).where(Task.customer_id == c.id).order_by(col(Task.id)))).all())


async def _count(bot: ChatHarness) -> int:
    async with bot.services.db.session() as s:
        return int((await s.exec(select(func.count()).select_from(FollowUp))).one())


async def test_a_call_made_this_morning_is_logged_today_with_the_customers_promise(bot: ChatHarness) -> None:
    bot.clock.set(AFTERNOON)
    tasks_before = len(await _tasks(bot, "北风泵业"))
    out = await bot.said("李娜", "上午给北风泵业打电话催付款，对方说月底前付清30%尾款")
    assert "已记录 北风泵业 的电话跟进（11月23日" in out and "催付款" in out
    assert "对方的安排" in out and "不加您的待办" in out
    last = (await _follow_ups(bot, "北风泵业"))[-1]
    assert "催付款" in last.content and "30%尾款" in last.content
    assert last.happened_at.astimezone(UTC).hour == 1  # 09:00 in Shanghai, today
    assert len(await _tasks(bot, "北风泵业")) == tasks_before  # no task for tomorrow morning


async def test_two_customers_in_one_run_on_message_each_get_their_own_part(bot: ChatHarness) -> None:
    bot.clock.set(AFTERNOON)
    before_a, before_b = len(await _tasks(bot, "滨海国贸")), len(await _tasks(bot, "阿兹特克建材"))
    await bot.say("李娜", "上午拜访滨海国贸下午电话阿兹特克建材 两家都问DN50球阀交期 滨海国贸周五要报价单")
    binhai, aztec = (await _follow_ups(bot, "滨海国贸"))[-1], (await _follow_ups(bot, "阿兹特克建材"))[-1]
    assert binhai.kind == "拜访" and aztec.kind == "电话"
    assert "交期" in binhai.content and "交期" in aztec.content and "报价单" not in aztec.content
    new_binhai = (await _tasks(bot, "滨海国贸"))[before_a:]
    assert [t.subject for t in new_binhai] == ["发报价单"]
    assert len(await _tasks(bot, "阿兹特克建材")) == before_b


async def test_a_plan_is_a_task_and_no_visit_done_today(bot: ChatHarness) -> None:
    bot.clock.set(AFTERNOON)
    before = len(await _follow_ups(bot, "伊比利亚水务"))
    for text in ("打算下周去拜访伊比利亚水务", "准备下周三去伊比利亚水务拜访一下，带新样品过去"):
        out = await bot.said("李娜", text)
        assert "已为 伊比利亚水务 加待办" in out and "跟进（" not in out
    assert len(await _follow_ups(bot, "伊比利亚水务")) == before
    subjects = [t.subject for t in await _tasks(bot, "伊比利亚水务")]
    assert "去拜访伊比利亚水务" in subjects
    assert any("带新样品过去" in s for s in subjects)  # the plan's detail is kept with its task
    undated = await bot.said("李娜", "打算去拜访伊比利亚水务")
    assert "计划备注" in undated and "没加待办" in undated


async def test_a_stage_question_is_answered_and_not_logged(bot: ChatHarness) -> None:
    await bot.say("李娜", "商机 北风泵业 蝶阀改造项目 20万美元 S3")
    before = await _count(bot)
    for ask in ("北风泵业现在到哪个阶段了", "北风泵业那单到哪一步了", "北风泵业的商机什么阶段？"):
        out = await bot.said("李娜", ask)
        assert "北风泵业 在谈的商机" in out and "蝶阀改造项目：S3" in out
    assert await _count(bot) == before


async def test_decision_words_are_never_a_follow_up(bot: ChatHarness) -> None:
    before = await _count(bot)
    waiting = await bot.said("赵敏", "同意 莱茵化学")
    assert "没有“莱茵化学”的待处理转移申请" in waiting and "没有记录" in waiting
    await bot.say("李娜", "申请转移 莱茵化学")
    await bot.flush("赵敏")
    how = await bot.said("赵敏", "审批 转移 莱茵化学")
    assert "莱茵化学：李娜 申请转给自己" in how and "同意转移 莱茵化学" in how and "拒绝转移 莱茵化学" in how
    done = await bot.said("赵敏", "同意 莱茵化学")
    assert "已把客户“莱茵化学”转给 李娜" in done
    async with bot.services.db.session() as s:
        [req] = (await s.exec(select(TransferRequest))).all()
    assert req.status == "approved"
    assert "没有记录" in await bot.said("赵敏", "批准 北风泵业")
    assert await _count(bot) == before


async def test_a_command_after_pasted_markup_still_runs(bot: ChatHarness) -> None:
    before = await _count(bot)
    out = await bot.said("李娜", "<script>alert(1)</script> 查 艾克美")
    assert "艾克美工业有限公司" in out and "已记录" not in out
    assert await _count(bot) == before


async def test_what_the_customer_asks_the_rep_to_send_is_the_reps_task(bot: ChatHarness) -> None:
    out = await bot.said("李娜", "call with Andes Copper today, they want samples by next Friday")
    assert "待办：send samples" in out
    out = await bot.said(
        "李娜",
        "Visited Nordic HVAC yesterday, met their CTO, they promised to send the RFQ next week. Follow up on Monday.",
    )
    assert "待办：Follow up" in out and "对方的安排" in out
    out = await bot.said("陈静", "跟进 大阪机械 met Mr Tanaka today he want 500pcs DN25 valve quote by friday")
    assert "待办：send 500pcs DN25 valve quote" in out
    out = await bot.said("李娜", "阿兹特克建材说月底前付款")
    assert "对方的安排" in out and "待办：" not in out


async def test_a_command_kabot_does_not_have_says_nothing_was_saved(bot: ChatHarness) -> None:
    before = await _count(bot)
    for text in ("删除 北风泵业", "合并 北风泵业 阿兹特克建材"):
        out = await bot.said("李娜", text)
        assert "没有记录" in out and "查 北风泵业" in out
    assert await _count(bot) == before
