"""Issue 8 (new-user trial on the WeCom phone view, LOST): a question kabot asked back survives messages that are
not its answer, each such reply reminds of it, a new question says what the old one leaves unsaved, and 撤销 / 取消
while it is open withdraw it — never an older change. What was said is saved, or kabot says plainly it was not."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from storage.models import Customer, FollowUp, Opportunity, Task
from tests.bot.test_approvals import SMALL, approvals_of
from tests.bot.test_quotes_support import quote_and_submit
from tests.fakes.harness import ChatHarness

SHANGHAI = ZoneInfo("Asia/Shanghai")
AHMED = "Ahmed在WhatsApp上说他们老板下周到义乌 想顺便来我们工厂看看 我要安排接机和样品间"
NO_CUSTOMER = "下午跟客户通了电话 说下周来验货"
WON = "好消息 穆勒机械的单子签了 合同金额12.6万欧"  # no deal named: which one is asked


async def _tasks(bot: ChatHarness, words: str) -> list[Task]:
    async with bot.services.db.session() as s:
        q = select(Task).where(col(Task.subject).contains(words), Task.status == "open")
        return list((await s.exec(q)).all())


async def _notes(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def _stages(bot: ChatHarness, customer: str, title: str) -> set[str]:
    async with bot.services.db.session() as s:
        q = (
            select(Opportunity.stage)
            .join(Customer, col(Customer.id) == Opportunity.customer_id)
            .where(Customer.name == customer, Opportunity.title == title)
        )
        return set((await s.exec(q)).all())


async def test_the_date_asked_for_arrives_after_a_lookup_and_still_makes_the_task(bot: ChatHarness) -> None:
    """Trial: …海湾贸易 → 查 海湾贸易 → 周五 was `没太明白这条消息，没有记录。` and no task."""
    assert "是哪个客户的" in await bot.said("陈静", AHMED)
    assert "是哪天" in await bot.said("陈静", "海湾贸易")
    looked = await bot.said("陈静", "查 海湾贸易")
    assert "【迪拜海湾贸易】" in looked
    assert looked.splitlines()[-1] == "（还在等您回复：下一步“要安排接机和样品间”是哪天？）"
    done = await bot.said("陈静", "周五")
    assert "待办：要安排接机和样品间" in done and "没太明白" not in done
    [task] = await _tasks(bot, "安排接机和样品间")
    assert task.due_at is not None and task.due_at.astimezone(SHANGHAI).date() == date(2026, 11, 27)
    assert "还在等您回复" not in await bot.said("陈静", "查 海湾贸易")  # answered: no longer reminded


async def test_a_won_deal_picked_by_number_after_a_lookup_is_still_won(bot: ChatHarness) -> None:
    """Trial: 赢单 → 要标记为赢单的是哪一个？ → 查 穆勒机械 → 2 was `现在没有需要确认的事。`"""
    assert "要标记为赢单的是哪一个" in await bot.said("李娜", WON)
    looked = await bot.said("李娜", "查 穆勒机械")
    assert looked.splitlines()[-1] == "（还在等您回复：穆勒机械 有 2 个商机，要标记为赢单的是哪一个？回复编号）"
    asked = await bot.said("李娜", "2")
    assert "现在没有需要确认的事" not in asked and "仍然推进" in asked  # S3 → 赢单 skips stages: asked first
    assert "恭喜赢单" in await bot.said("李娜", "是")
    assert "won" in await _stages(bot, "穆勒机械", "控制阀采购项目")


async def test_still_advance_survives_the_next_message(bot: ChatHarness) -> None:
    """Trial: `仍然推进？` disappeared when the next message was sent."""
    assert "仍然推进" in await bot.said("李娜", "推进 北风泵业 S5")
    listed = await bot.said("李娜", "待办")
    assert listed.splitlines()[-1] == "（还在等您回复：“推进 北风泵业 S5”仍然推进？）"
    assert "已推进" in await bot.said("李娜", "是")
    assert "S5" in await _stages(bot, "北风泵业", "蝶阀采购项目")


@pytest.mark.parametrize("withdraw", ["撤销", "算了", "不用了", "取消"])
async def test_undo_while_a_question_is_open_withdraws_it_and_never_an_older_change(
    bot: ChatHarness, withdraw: str
) -> None:
    """Trial: 撤销 after `这条还没有保存：是哪个客户的？` undid the rep's previous, correct follow-up."""
    assert "待办" in await bot.said("李娜", "跟进 北风泵业 今天电话沟通了防爆认证 下周二再跟进")
    assert "是哪个客户的" in await bot.said("李娜", NO_CUSTOMER)
    assert await bot.said("李娜", withdraw) == "好的，刚才那条（下午跟客户通了电话 说下周来验货）没有保存。"
    assert len(await _notes(bot, "防爆认证")) == 1 and await _tasks(bot, "再跟进")  # the older change stands
    assert await _notes(bot, "下周来验货") == []
    assert "还在等您回复" not in await bot.said("李娜", "待办")  # withdrawn: no longer reminded


async def test_undo_while_the_date_is_asked_takes_back_that_saved_follow_up(bot: ChatHarness) -> None:
    """The follow-up that asked for a date is saved: it is the last change, and 撤销 takes it back as usual."""
    await bot.said("李娜", "阿兹特克建材需要500个DN25球阀 我要安排寄样")
    assert "已撤销" in await bot.said("李娜", "撤销")
    assert await _notes(bot, "DN25球阀") == []
    assert "还在等您回复" not in await bot.said("李娜", "待办")


@pytest.mark.parametrize("answer", ["不用 这是客户的要求", "不需要待办", "没有下一步", "不用"])
async def test_no_task_needed_closes_the_date_question(bot: ChatHarness, answer: str) -> None:
    """Trial: `下一步“要安排寄样”是哪天？` → `不用 这是客户的要求` was `没太明白这条消息`."""
    assert "下一步“要安排寄样”是哪天" in await bot.said("李娜", "阿兹特克建材需要500个DN25球阀 我要安排寄样")
    assert await bot.said("李娜", answer) == "好的，不建待办；跟进已保存。"
    assert len(await _notes(bot, "DN25球阀")) == 1 and await _tasks(bot, "安排寄样") == []
    assert "还在等您回复" not in await bot.said("李娜", "待办")


async def test_a_new_question_says_what_the_old_one_leaves_unsaved(bot: ChatHarness) -> None:
    await bot.said("李娜", NO_CUSTOMER)
    asked = await bot.said("李娜", WON)
    assert "要标记为赢单的是哪一个" in asked
    assert asked.splitlines()[-1] == "刚才那条（下午跟客户通了电话 说下周来验货）没有保存。"
    await bot.said("李娜", "取消")
    await bot.said("李娜", "阿兹特克建材需要500个DN25球阀 我要安排寄样")
    again = await bot.said("李娜", "跟进 北风泵业 今天微信沟通了认证文件，回头再约个时间看样")  # its own date
    assert "是哪天" in again
    assert again.splitlines()[-1] == "上一条跟进的下一步“要安排寄样”没有加待办（跟进已保存）。"
    assert "待办：回头再约个时间看样" in await bot.said("李娜", "下周三")  # the new question is the one answered


async def test_yes_or_a_number_that_is_no_answer_points_at_the_open_question(bot: ChatHarness) -> None:
    await bot.said("李娜", "阿兹特克建材需要500个DN25球阀 我要安排寄样")
    reply = await bot.said("李娜", "是")
    assert "现在没有需要确认的事" not in reply and "还在等您回复：下一步“要安排寄样”是哪天？" in reply
    assert "待办：要安排寄样" in await bot.said("李娜", "下周三")


async def test_a_question_left_unanswered_too_long_says_so_with_the_next_message(bot: ChatHarness) -> None:
    await bot.said("李娜", NO_CUSTOMER)
    bot.clock.advance(minutes=31)
    reply = await bot.said("李娜", "待办")
    assert reply.splitlines()[-1] == "（30 分钟内没有等到回复：刚才那条（下午跟客户通了电话 说下周来验货）没有保存。）"
    assert "没有等到回复" not in await bot.said("李娜", "待办")  # said once


async def test_a_refused_message_still_reminds_of_the_open_question(bot: ChatHarness) -> None:
    """A message refused on its own (another rep's account) leaves the question open, and says so."""
    await bot.said("李娜", "阿兹特克建材需要500个DN25球阀 我要安排寄样")
    refused = await bot.said("李娜", "查 迪拜海湾贸易")
    assert "陈静" in refused and refused.splitlines()[-1] == "（还在等您回复：下一步“要安排寄样”是哪天？）"
    assert "待办：要安排寄样" in await bot.said("李娜", "周四")


async def test_the_note_sent_again_with_its_customer_replaces_the_question(bot: ChatHarness) -> None:
    """No reminder to name a customer for a note the rep has just filed by sending it again."""
    await bot.said("李娜", NO_CUSTOMER)
    again = await bot.said("李娜", f"跟进 北风泵业 {NO_CUSTOMER}")
    assert "已记录 北风泵业" in again and "还在等您回复" not in again and "没有保存" not in again
    assert "还在等您回复" not in await bot.said("李娜", "待办")
    assert len(await _notes(bot, "下周来验货")) == 1


async def test_an_answer_refused_leaves_the_question_open_and_says_so(bot: ChatHarness) -> None:
    await bot.said("李娜", NO_CUSTOMER)
    refused = await bot.said("李娜", "迪拜海湾贸易")  # 陈静's account
    assert "陈静" in refused and "还在等您回复：“下午跟客户通了电话 说下周来验货”是哪个客户的？" in refused
    assert "已记录 北风泵业" in await bot.said("李娜", "北风泵业")
    assert len(await _notes(bot, "下周来验货")) == 1


async def test_a_lookup_after_tapping_reject_is_no_reason_and_the_reason_still_counts(bot: ChatHarness) -> None:
    """`待办` after 驳回 was taken as the reason and rejected the quote."""
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    assert "原因" in "\n".join(await bot.tap("赵敏", 2))
    listed = await bot.said("赵敏", "待办")
    assert "已驳回" not in listed and listed.splitlines()[-1] == f"（还在等您回复：驳回 {number} 的原因是？）"
    assert [a.decision for a in await approvals_of(bot, number)] == ["pending"]
    assert "已驳回（交期）" in await bot.said("赵敏", "交期")


async def test_undo_after_tapping_reject_keeps_the_quote_waiting(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    await bot.tap("赵敏", 2)
    assert await bot.said("赵敏", "撤销") == f"好的，{number} 没有驳回，仍在等您审批。"
    assert [a.decision for a in await approvals_of(bot, number)] == ["pending"]
