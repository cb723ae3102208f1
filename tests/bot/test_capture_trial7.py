"""Issue 8, trial 7 end to end on the demo company: a manager's instruction inside a visit report is a task for
that rep (the visit is logged too), the purpose of a call stays in the task's title, two calls under one list head
are two 电话 follow-ups, and a rep's promise is the rep's task with the note kept whole."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from storage.models import Customer, FollowUp, Task, User
from tests.fakes.harness import ChatHarness

MORNING = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


async def _follow_ups(bot: ChatHarness, customer: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return list(
            (await s.exec(select(FollowUp).where(FollowUp.customer_id == c.id).order_by(col(FollowUp.id)))).all()
        )


async def _tasks(bot: ChatHarness, owner: str) -> list[Task]:
    async with bot.services.db.session() as s:
        u = (await s.exec(select(User).where(User.name == owner))).one()
        return list((await s.exec(select(Task).where(Task.owner_id == u.id).order_by(col(Task.id)))).all())


async def test_a_managers_instruction_in_a_visit_report_is_the_reps_task_and_the_visit_is_logged(
    bot: ChatHarness,
) -> None:
    bot.clock.set(MORNING)
    hers, mine = len(await _tasks(bot, "李娜")), len(await _tasks(bot, "赵敏"))
    before = len(await _follow_ups(bot, "艾克美工业有限公司"))
    out = await bot.said("赵敏", "今天陪李娜拜访了艾克美张芳 客户对交期很在意 让李娜周五前给出交期承诺")
    assert "不加您的待办" not in out and "对方的安排" not in out
    assert "已给李娜加待办：给出交期承诺（艾克美工业有限公司）" in out and "已通知李娜" in out
    logged = (await _follow_ups(bot, "艾克美工业有限公司"))[before:]
    assert len(logged) == 1 and logged[0].kind == "拜访" and "客户对交期很在意" in logged[0].content
    assert "让李娜" not in logged[0].content
    new = (await _tasks(bot, "李娜"))[hers:]
    assert [t.subject for t in new] == ["给出交期承诺"]
    assert new[0].due_at is not None and new[0].due_at.astimezone(UTC).day == 4  # Friday
    assert len(await _tasks(bot, "赵敏")) == mine
    told = await bot.flush("李娜")
    assert any("赵敏给您加了待办" in t and "给出交期承诺" in t for t in told)


async def test_a_reps_report_naming_a_colleague_is_not_a_task_for_them(bot: ChatHarness) -> None:
    """Only a manager sets a colleague's tasks: a rep's 让王强… stays the rep's own words, and nothing is lost."""
    bot.clock.set(MORNING)
    before = len(await _follow_ups(bot, "北风泵业"))
    theirs = len(await _tasks(bot, "王强"))
    await bot.say("李娜", "今天拜访了北风泵业 对方要DN50样品 让王强周五前寄过去")
    assert len(await _follow_ups(bot, "北风泵业")) == before + 1
    assert len(await _tasks(bot, "王强")) == theirs


async def test_a_managers_task_keeps_what_the_call_is_for(bot: ChatHarness) -> None:
    bot.clock.set(MORNING)
    hers = len(await _tasks(bot, "李娜"))
    out = await bot.said("赵敏", "让李娜明天上午给北风泵业刘静回个电话 问下技术反馈")
    assert "给北风泵业刘静回个电话，问下技术反馈" in out
    assert [t.subject for t in (await _tasks(bot, "李娜"))[hers:]] == ["给北风泵业刘静回个电话，问下技术反馈"]


async def test_two_calls_under_one_list_head_are_two_phone_follow_ups_named_in_the_reply(bot: ChatHarness) -> None:
    bot.clock.set(MORNING)
    tasks = len(await _tasks(bot, "李娜"))
    out = await bot.said("李娜", "今天打了两个电话：伊比利亚水务说报价太高要我们降5%，里斯本船舶确认收到认证文件了")
    iberia, lisbon = (await _follow_ups(bot, "伊比利亚水务"))[-1], (await _follow_ups(bot, "里斯本船舶"))[-1]
    assert iberia.kind == "电话" and lisbon.kind == "电话"
    assert "降5%" in iberia.content and "认证文件" in lisbon.content and "认证文件" not in iberia.content
    assert "伊比利亚水务" in out and "里斯本船舶" in out and "是哪天" not in out
    assert len(await _tasks(bot, "李娜")) == tasks


async def test_a_reps_promise_is_her_task_and_the_note_keeps_the_whole_sentence(bot: ChatHarness) -> None:
    bot.clock.set(MORNING)
    tasks = len(await _tasks(bot, "李娜"))
    out = await bot.said("李娜", "我答应里斯本船舶杨杰下周一前把DN80闸阀的样品寄出去")
    assert "对方的安排" not in out
    new = (await _tasks(bot, "李娜"))[tasks:]
    assert len(new) == 1 and "样品寄出去" in new[0].subject
    assert new[0].due_at is not None and new[0].due_at.astimezone(UTC).day == 7  # Monday
    note = (await _follow_ups(bot, "里斯本船舶"))[-1].content
    assert note != "我答应里斯本船舶杨杰" and "样品" in note
