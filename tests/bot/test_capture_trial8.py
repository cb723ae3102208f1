"""Issue 8, trial 8 end to end on the demo company, written just after midnight: a task put off with its reason
(那个放到下周一吧 周六不上班) is moved, not two junk tasks; the rep's own promise is her task; a call written up
after midnight is yesterday's, not a task ahead."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from storage.models import Customer, FollowUp, Task, User
from tests.fakes.harness import ChatHarness

AFTER_MIDNIGHT = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # Thursday 3 Dec 01:00 in Shanghai


async def _tasks(bot: ChatHarness) -> list[Task]:
    async with bot.services.db.session() as s:
        lina = (await s.exec(select(User).where(User.name == "李娜"))).one()
        return list((await s.exec(select(Task).where(Task.owner_id == lina.id).order_by(col(Task.id)))).all())


async def _follow_ups(bot: ChatHarness, customer: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return list(
            (await s.exec(select(FollowUp).where(FollowUp.customer_id == c.id).order_by(col(FollowUp.id)))).all()
        )


async def test_that_one_put_to_monday_moves_the_task_and_its_reason_is_no_task(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    await bot.said("李娜", "跟进 艾克美 昨天电话沟通了认证的事，周六发新版认证文件给艾克美")
    before = await _tasks(bot)
    [task] = [t for t in before if "新版认证文件" in t.subject and t.status == "open"]
    out = await bot.said("李娜", "发新版认证文件给艾克美那个放到下周一吧 周六不上班")
    assert "已改期" in out
    after = await _tasks(bot)
    assert len(after) == len(before)  # no 不上班, no 那个放到 吧
    [moved] = [t for t in after if t.id == task.id]
    assert moved.due_at == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


async def test_the_reps_own_promise_is_her_task(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    before = len(await _tasks(bot))
    out = await bot.said("李娜", "给北风泵业王总打了电话 聊了认证的事 我跟她说要请示一下领导明天给答复")
    assert "对方的安排" not in out
    assert [t.subject for t in (await _tasks(bot))[before:]] == ["给答复"]


async def test_a_call_written_up_after_midnight_is_yesterdays(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    before, tasks = len(await _follow_ups(bot, "北风泵业")), len(await _tasks(bot))
    await bot.said("李娜", "下午打电话给北风泵业 刘静说样品收到了")
    [call] = (await _follow_ups(bot, "北风泵业"))[before:]
    assert call.kind == "电话" and call.happened_at is not None
    assert call.happened_at.astimezone(UTC) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # Wednesday 14:00 there
    assert len(await _tasks(bot)) == tasks


async def test_a_new_customer_met_after_a_known_one_is_offered_not_filed_under_it(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    before = len(await _follow_ups(bot, "艾克美工业有限公司"))
    out = await bot.said(
        "李娜",
        "展会第二天 艾克美杨芳来展位了 确认明年框架协议继续 另外新认识一家墨西哥的客户 Grupo Hidraulico del Norte "
        "联系人Carlos Ramirez 电话+52 81 5555 1234 要DN150闸阀报价 下周三前报给他",
    )
    [acme] = (await _follow_ups(bot, "艾克美工业有限公司"))[before:]
    assert "框架协议" in acme.content and "Grupo" not in acme.content
    assert "没有找到客户“Grupo Hidraulico del Norte”" in out and "回复“是”新建" in out
    created = await bot.said("李娜", "是")
    assert "已新建客户“Grupo Hidraulico del Norte”" in created
    [new] = await _follow_ups(bot, "Grupo Hidraulico del Norte")
    assert "DN150闸阀报价" in new.content
    assert any(t.subject == "报DN150闸阀报价给他" for t in await _tasks(bot))


async def test_what_price_was_quoted_is_answered_and_nothing_is_logged(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    before = len(await _follow_ups(bot, "艾克美工业有限公司"))
    out = await bot.said("李娜", "艾克美上次报的什么价")
    assert "已记录" not in out and "艾克美工业有限公司 的报价" in out
    assert len(await _follow_ups(bot, "艾克美工业有限公司")) == before


async def test_which_customers_went_without_a_follow_up_is_a_question_not_a_name(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    out = await bot.said("李娜", "最近一个月没跟进的客户有哪些")
    assert "暂时还回答不了" in out and "没有找到客户" not in out and "是哪个客户" not in out


async def test_a_managers_task_keeps_what_the_call_is_to_confirm(bot: ChatHarness) -> None:
    bot.clock.set(AFTER_MIDNIGHT)
    before = len(await _tasks(bot))
    out = await bot.said("赵敏", "让李娜周五前给穆勒周静回个电话 确认DN50球阀的交期")
    assert "确认DN50球阀的交期" in out
    assert [t.subject for t in (await _tasks(bot))[before:]] == ["给穆勒周静回个电话，确认DN50球阀的交期"]
