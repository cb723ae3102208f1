"""Issue 8: 撤销 undoes exactly the last change, or says why not — never an older one (demo company)."""

from __future__ import annotations

from sqlmodel import col, select

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
    assert "您上一条消息没有改动任何内容" in asked
    assert "10:00 发“完成 1”时的：完成待办「确认交期」（安第斯铜业）" in asked
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
