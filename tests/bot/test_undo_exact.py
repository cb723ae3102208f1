"""Issue 8: 撤销 undoes exactly the last change, or says why not — never an older one (demo company)."""

from __future__ import annotations

from sqlmodel import col, select

from bot.sales.undo_views import quoted
from storage.models import Customer, FollowUp
from tests.fakes.harness import ChatHarness


async def _rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def test_a_quote_is_not_undone_and_the_older_follow_up_is_left_alone(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期")
    await bot.said("李娜", "报价 艾克美 DN50球阀 1000个 单价12美元 FOB上海")
    reply = await bot.said("李娜", "撤销")
    assert "不能用“撤销”撤回" in reply and "报价" in reply
    assert len(await _rows(bot, FollowUp, col(FollowUp.content).contains("今天电话沟通了交期"))) == 1


async def test_a_change_someone_else_edited_since_is_left_with_a_message(bot: ChatHarness) -> None:
    assert "等级 A → B" in await bot.said("李娜", "客户 艾克美 等级 B")
    edited = await bot.said("赵敏", "客户 艾克美 等级 C")
    if "等级 B → C" not in edited:  # the manager may not edit here: nothing to test
        return
    reply = await bot.said("李娜", "撤销")
    assert "赵敏" in reply and "没有撤销" in reply
    [acme] = await _rows(bot, Customer, Customer.name == "艾克美工业有限公司")
    assert acme.tier == "C"


async def test_the_last_change_is_undone(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期")
    assert "已撤销" in await bot.said("李娜", "撤销")
    assert await _rows(bot, FollowUp, col(FollowUp.content).contains("今天电话沟通了交期")) == []


async def test_undo_after_a_refused_command_names_the_change_it_undoes(bot: ChatHarness) -> None:
    """Trial 6: 撤销 after a command that changed nothing undid an earlier 完成 and said only "修改待办"."""
    await bot.said("李娜", "待办")
    done = await bot.said("李娜", "完成 1")
    assert "已完成：确认交期（安第斯铜业）" in done
    bot.clock.advance(minutes=3)
    await bot.said("李娜", "asdf 嗯嗯 好的")  # not understood: nothing saved, nothing asked
    asked = await bot.said("李娜", "撤销")  # trial 7: 撤销 after a message that saved nothing undid an older change
    assert "“撤销”会撤回的是您 10:00 发“完成 1”时的修改" in asked
    assert "完成待办「确认交期」（安第斯铜业）" in asked
    assert "回复“是”撤销" in asked
    reply = await bot.said("李娜", "是")
    assert "完成待办「确认交期」（安第斯铜业），待办已恢复为未完成" in reply
    assert "发“完成 1”时的修改" in reply  # not the previous message: it says which one it was


async def test_undo_asked_first_is_kept_when_the_person_says_no(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期")
    await bot.said("李娜", "asdf 嗯嗯 好的")
    assert "要撤销它吗" in await bot.said("李娜", "撤销")
    assert "没有撤销" in await bot.said("李娜", "不用")
    assert len(await _rows(bot, FollowUp, col(FollowUp.content).contains("今天电话沟通了交期"))) == 1


async def test_undo_of_the_previous_message_names_record_and_customer(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期")
    reply = await bot.said("李娜", "撤销")
    assert "新建跟进记录「今天电话沟通了交期」（北风泵业），已删除" in reply
    assert "时的修改" not in reply


async def test_a_change_too_old_to_undo_is_named_with_its_time(bot: ChatHarness) -> None:
    await bot.said("李娜", "待办")
    await bot.said("李娜", "完成 1")
    bot.clock.advance(minutes=30)
    await bot.said("李娜", "asdf 嗯嗯 好的")  # not understood: nothing saved, nothing asked
    reply = await bot.said("李娜", "撤销")
    assert "您最近一次修改（10:00 “完成 1”）改的待办「确认交期」已超过 10 分钟" in reply


def test_quoted_words_are_never_cut_inside_a_number_or_a_latin_word() -> None:
    """Trial 8: 发“阿兹特克建材来电话 问铜管的交期 我说4”时 — the message said 45天."""
    assert quoted("阿兹特克建材来电话 问铜管的交期 我说45天 下周", 20) == "阿兹特克建材来电话 问铜管的交期 我说45…"
    assert quoted("call with acme Mr Zhang wants", 16) == "call with acme Mr…"
    assert quoted("完成 1", 20) == "完成 1"


async def test_undoing_a_task_made_for_a_rep_tells_the_rep(bot: ChatHarness) -> None:
    """Trial 8: 赵敏 undid 让王强… but 王强 was not told, and looked for the task in vain."""
    made = await bot.said("赵敏", "让李娜明天给艾克美张总回个电话")
    assert "已给李娜加待办" in made
    assert "赵敏给您加了待办" in "\n".join(await bot.flush("李娜"))
    assert "已撤销" in await bot.said("赵敏", "撤销")
    told = "\n".join(await bot.flush("李娜"))
    assert "赵敏撤销了给您的待办：给艾克美张总回个电话" in told and "不用再做了" in told
