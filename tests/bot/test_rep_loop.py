"""The rep's daily loop, as conversations with the demo company (now = Monday 2026-11-23 10:00 Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from storage.models import AuditLog, Contact, Customer, FollowUp, Opportunity, StageChange, Task
from tests.fakes.harness import ChatHarness


async def _one(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def test_new_customer_is_created_with_its_facts(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "新客户 诺华泵业 德国 A级 行业水泵 来源展会")
    assert "已新建客户：诺华泵业" in reply and "德国" in reply and "A级" in reply and "撤销" in reply
    [c] = await _one(bot, Customer, Customer.name == "诺华泵业")
    assert (c.country, c.tier, c.industry, c.source) == ("DE", "A", "水泵", "展会")  # countries as ISO codes


async def test_duplicate_of_another_reps_customer_shows_only_owner(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "新客户 艾克森流体设备 美国 B级")
    assert "已存在" in reply and "王强" in reply and "申请转移" in reply
    assert "泵阀" not in reply  # nothing of 王强's account leaks
    assert len(await _one(bot, Customer, Customer.name == "艾克森流体设备")) == 1
    transfer = await bot.said("李娜", "申请转移 艾克森流体设备")
    assert "已把转移申请发给 赵敏" in transfer  # 王强's manager decides
    assert any("李娜 申请把您的客户“艾克森流体设备”转给自己" in m for m in await bot.flush("王强"))


async def test_update_tier_and_alias(bot: ChatHarness) -> None:
    assert "等级 A → B" in await bot.said("李娜", "客户 艾克美 等级 B")
    assert "别名" in await bot.said("李娜", "别名 北风泵业 NWP")
    view = await bot.said("李娜", "查 NWP")
    assert "北风泵业" in view


async def test_contact_shows_in_decision_chain(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "联系人 艾克美 张伟 采购总监 决策者 电话13800001111 邮箱 zw@acme.de")
    assert "张伟" in reply and "决策者" in reply and "13800001111" in reply
    [c] = await _one(bot, Contact, Contact.title == "采购总监")
    assert (c.name, c.decision_role, c.email) == ("张伟", "决策者", "zw@acme.de")
    view = await bot.said("李娜", "查 艾克美")
    assert "决策者：" in view and "张伟" in view
    assert "没有技术影响者联系人" in view  # the demo account misses one on purpose


async def test_opportunity_lifecycle_with_stage_evidence(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "商机 艾克美 DN50球阀年度采购 50万美元 S2 预计12月底签约")
    assert "DN50球阀年度采购" in reply and "$50万" in reply and "S2" in reply and "12月31日" in reply
    [opp] = await _one(bot, Opportunity, Opportunity.title == "DN50球阀年度采购")
    assert (opp.amount, opp.currency, opp.stage) == (500000, "USD", "S2")

    ask = await bot.said("李娜", "推进 艾克美 球阀 S3")
    assert "缺" in ask and "仍然推进" in ask
    assert (await _one(bot, Opportunity, Opportunity.id == opp.id))[0].stage == "S2"
    done = await bot.said("李娜", "是")
    assert "S2 需求确认 → S3 方案报价" in done

    assert "S4 商务谈判" in await bot.said("李娜", "艾克美球阀 进入商务谈判")
    lost = await bot.said("李娜", "输单 艾克美 球阀 原因 价格")
    assert "输单" in lost and "价格" in lost
    [opp] = await _one(bot, Opportunity, Opportunity.id == opp.id)
    assert (opp.stage, opp.lost_reason) == ("lost", "价格") and opp.closed_at is not None
    moves = await _one(bot, StageChange, StageChange.opportunity_id == opp.id)
    assert [(m.from_stage, m.to_stage) for m in moves] == [(None, "S2"), ("S2", "S3"), ("S3", "S4"), ("S4", "lost")]
    audit = await _one(bot, AuditLog, AuditLog.entity == "opportunities", AuditLog.entity_id == opp.id)
    assert [a.action for a in audit] == ["create", "update", "update", "update"]
    assert audit[-1].message == "输单 艾克美 球阀 原因 价格"  # the rep's own words


async def test_follow_up_creates_task_due_in_reps_timezone(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "跟进 艾克美 今天电话沟通了DN50球阀需求，客户关心交期，下周二再电话跟进")
    assert "已记录" in reply and "电话" in reply and "12月1日（周二）09:00" in reply
    [task] = await _one(bot, Task, Task.subject.contains("再电话跟进"))  # type: ignore[attr-defined]
    assert "下周二" not in task.subject  # the day is in the due date, not in the title (issue 8)
    assert task.due_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    [f] = await _one(bot, FollowUp, col(FollowUp.content).contains("DN50球阀需求"))
    assert f.next_due == task.due_at


async def test_free_text_visit_without_a_verb_and_english(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "今天拜访了艾克美张总，谈了报价，客户觉得贵，周五前给答复")
    assert "艾克美工业有限公司" in reply and "拜访" in reply and "11月27日（周五）" in reply
    english = await bot.said("李娜", "visited ACME today, send samples next Friday")
    assert "艾克美工业有限公司" in english and "待办" in english


async def test_tasks_list_complete_postpone(bot: ChatHarness) -> None:
    listing = await bot.said("李娜", "待办")
    lines = [line for line in listing.splitlines() if line[:1].isdigit()]
    assert "逾期" in lines[0] and "已逾期" in listing
    first_subject = lines[0].split(" ")[-1]
    assert "已完成" in await bot.said("李娜", "完成 1")
    assert "已改期" in await bot.said("李娜", "推迟 2 明天")
    assert "11月24日（周二）09:00" in await bot.said("李娜", "待办")
    assert "没有第 99 条待办" in await bot.said("李娜", "完成 99")
    assert first_subject


async def test_undo_reverts_the_last_message_within_ten_minutes(bot: ChatHarness) -> None:
    await bot.say("李娜", "跟进 艾克美 今天电话沟通了样品，下周二再电话跟进")
    undone = await bot.said("李娜", "撤销")
    assert "已撤销" in undone and "跟进记录" in undone and "待办" in undone
    assert await _one(bot, Task, Task.subject.contains("再电话跟进")) == []  # type: ignore[attr-defined]
    assert "没有可以撤销" in await bot.said("李娜", "撤销")  # the one change is already undone
    await bot.say("李娜", "客户 艾克美 等级 B")
    bot.clock.advance(minutes=11)
    assert "超过 10 分钟，不能撤销" in await bot.said("李娜", "撤销")  # says why (issue 8), undoes nothing older
    [c] = await _one(bot, Customer, Customer.name == "艾克美工业有限公司")
    assert c.tier == "B"


async def test_ambiguous_customer_is_offered_by_number(bot: ChatHarness) -> None:
    ask = await bot.said("陈静", "查 华信")
    assert "回复编号" in ask and "华信阀门" in ask and "华信电子" in ask
    number = next(line[0] for line in ask.splitlines() if "华信电子" in line)
    view = await bot.said("陈静", number)
    assert "【华信电子】" in view


async def test_unknown_customer_can_be_created_and_the_command_completes(bot: ChatHarness) -> None:
    ask = await bot.said("李娜", "跟进 泰科电子 今天电话沟通了需求，明天下午3点再联系")
    assert "没有找到客户“泰科电子”" in ask and "是" in ask
    done = await bot.said("李娜", "是")
    assert "已新建客户“泰科电子”" in done and "已记录" in done
    [task] = await _one(bot, Task, Task.subject.contains("再联系"))  # type: ignore[attr-defined]
    assert task.due_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


async def test_visibility_rep_manager_director(bot: ChatHarness) -> None:
    refused = await bot.said("李娜", "查 艾克森流体设备")
    assert "不是您的客户" in refused and "王强" in refused and "泵阀" not in refused
    assert "【艾克森流体设备】" in await bot.said("赵敏", "查 艾克森流体设备")  # her team
    assert "不是您的客户" in await bot.said("刘洋", "查 艾克美")  # another team
    assert "【艾克美工业有限公司】" in await bot.said("孙丽", "查 艾克美")  # director


async def test_funnel_scope_follows_the_org(bot: ChatHarness) -> None:
    assert "全公司销售漏斗" in await bot.said("孙丽", "漏斗")
    team = await bot.said("赵敏", "日报")
    assert "欧美组团队销售漏斗" in team and "本季预测" in team and "█" in team
    assert "李娜的销售漏斗" in await bot.said("李娜", "漏斗")
    finance = await bot.said("吴芳", "漏斗")  # trial: an all-zero "吴芳的销售漏斗" read as "no business"
    assert "销售漏斗" not in finance and "财务名下没有商机" in finance


async def test_the_funnel_counts_the_teams_quotes_waiting_for_approval(bot: ChatHarness) -> None:
    """Trial: a manager's team funnel counted only the approvals waiting on the manager, not the team's quotes."""
    await bot.said("李娜", "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海")
    await bot.said("李娜", "提交")
    await bot.said("赵敏", "同意 Q-2026-0001")  # now waiting on the director, no longer on the manager
    assert "【待审批】1 项" in await bot.said("赵敏", "漏斗")
    assert "【待审批】1 项" in await bot.said("李娜", "漏斗")
    assert "【待审批】0 项" in await bot.said("王强", "漏斗")


async def test_help_lists_what_the_person_can_do(bot: ChatHarness) -> None:
    """帮助 fits one WeCom message for a rep: approving, moving accounts and setting rates are for others."""
    rep, manager, finance = [await bot.said(n, "帮助") for n in ("李娜", "赵敏", "吴芳")]
    assert "待办" in rep and "同意 Q-" not in rep and "把北欧暖通转给王强" not in rep and "汇率 USD" not in rep
    assert len(rep.encode()) < 2048
    assert "同意 Q-" in manager and "把北欧暖通转给王强" in manager and "汇率 USD" not in manager
    assert "汇率 USD 7.12" in finance


async def test_nonsense_gets_a_chinese_answer_with_examples(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "asdf qwer")
    assert "没太明白" in reply and "可以这样说" in reply, reply
    assert "帮助" in reply


async def test_unsure_date_is_saved_and_shown_for_confirmation(bot: ChatHarness) -> None:
    draft = await bot.said("李娜", "跟进 艾克美 电话沟通了报价，月底前给答复")
    assert "已记录" in draft  # saved first, whether or not the date was a guess
    assert len(await _one(bot, FollowUp, col(FollowUp.content).contains("电话沟通了报价"))) == 1
    if "推测" in draft:
        assert "日期不变" in "\n".join(await bot.tap("李娜", 1))


async def test_unclear_message_says_what_was_understood(bot: ChatHarness) -> None:
    kept = await bot.said("李娜", "艾克美 5万美元")  # issue 8: a customer with a price is a note, never dropped
    assert "已记录 艾克美工业有限公司" in kept and "5万美元" in kept
    reply = await bot.said("李娜", "5万美元 看看再说")
    assert "哪个客户" in reply and "没有保存" in reply and "例如" in reply
    assert "日期 12月5日" in await bot.said("李娜", "12月5日 5万美元")


async def test_other_ways_to_ask_for_the_360_view(bot: ChatHarness) -> None:
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "艾克美怎么样")
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "ACME?")
