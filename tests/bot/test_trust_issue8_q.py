"""Issue 8 (capture you can trust), through the bot: a report that ends like a question is saved, 撤销 and 完成 while
a question is open say what they did, a manager's team question is answered, the last follow-up's date can be
corrected, and a report sent after midnight is dated the day it speaks of."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from storage.models import FollowUp, Task
from tests.fakes.harness import ChatHarness


async def _notes(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def _open_tasks(bot: ChatHarness, words: str) -> list[Task]:
    async with bot.services.db.session() as s:
        q = select(Task).where(col(Task.subject).contains(words), Task.status == "open")
        return list((await s.exec(q)).all())


@pytest.mark.parametrize(
    ("text", "saved", "step"),
    [
        ("北风泵业 微信问了付款安排好了吗", "付款安排好了吗", None),
        ("艾克美 下周一再跟进 样品收到没", "样品收到没", "再跟进"),
        ("今天给北风泵业打电话 付款安排好了吗", "付款安排好了吗", None),
        ("艾克美电话沟通 样品收到没", "样品收到没", None),
        ("艾克美 今天电话问了 样品收到了吗", "样品收到了吗", None),
        ("艾克美 今天电话 问他们样品收到没 下周一再跟进", "样品收到没", "再跟进"),
        ("北风泵业 微信问了 付款安排好了吗 周五再问", "付款安排好了吗", "再问"),
    ],
)
async def test_a_report_ending_in_what_was_asked_is_saved_with_its_step(
    bot: ChatHarness, text: str, saved: str, step: str | None
) -> None:
    """Trial: `北风泵业 微信问了付款安排好了吗` was `这个问题我暂时还回答不了`, `艾克美 下周一再跟进 样品收到没`
    showed the account and saved nothing; `…今天电话问了 样品收到了吗` dropped what was asked as 'a question'."""
    reply = await bot.said("李娜", text)
    assert "已记录" in reply and "回答不了" not in reply and "是个问题" not in reply
    assert await _notes(bot, saved)
    if step is not None:
        assert f"待办：{step}" in reply and await _open_tasks(bot, step)


async def test_a_question_of_the_reps_own_is_still_answered(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "艾克美的样品到了没")
    assert "【艾克美工业有限公司】" in reply and "已记录" not in reply
    assert not await _notes(bot, "样品到了没")


async def test_undo_while_the_next_steps_day_is_asked_says_the_follow_up_is_gone_and_the_question_closed(
    bot: ChatHarness,
) -> None:
    """Trial: 撤销 after `下一步“回头再约”是哪天？` said only `已撤销：新建跟进记录…，已删除。`: nothing said whether
    the follow-up was still saved, nor that the question asked was withdrawn."""
    asked = await bot.said("李娜", "今天拜访了艾克美张总，谈了阀门报价，回头再约")
    assert "下一步“回头再约”是哪天" in asked
    undone = await bot.said("李娜", "撤销")
    assert (
        "新建跟进记录「今天拜访了艾克美张总，谈了阀门报价」（艾克美工业有限公司），已删除，这条跟进现在没有保存"
        in undone
    )
    assert undone.splitlines()[-1] == "（不再等您回复：下一步“回头再约”是哪天？）"
    assert not await _notes(bot, "谈了阀门报价") and not await _open_tasks(bot, "回头再约")
    assert "待办：回头再约" not in await bot.said("李娜", "下周三")  # the question is closed: no task appears


@pytest.mark.parametrize(
    "done", ["完成 1 2", "1和2完成了", "完成第1条和第2条", "1 2 完成"], ids=["cmd", "he", "di", "after"]
)
@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("跟进 北 今天微信沟通了认证文件，回头再约个时间看样", "您说的是哪个客户？回复编号"),
        ("今天拜访了艾克美张总，谈了阀门报价，回头再约", "下一步“回头再约”是哪天？"),
    ],
    ids=["which-customer", "which-day"],
)
async def test_tasks_done_by_number_while_a_question_is_open(
    bot: ChatHarness, done: str, message: str, asks: str
) -> None:
    """Trial: `完成 1 2` sent while kabot waited for a customer's number or a day: the tasks are completed and the
    question is said to be still open (1 is never taken as its answer); `1和2完成了` / `完成第1条和第2条` were
    `没太明白` or searched for a task titled “第1条和第2条”."""
    await bot.said("李娜", "待办")
    assert asks in await bot.said("李娜", message)
    reply = await bot.said("李娜", done)
    assert reply.count("✅ 已完成") == 2 and "没太明白" not in reply and "没有找到" not in reply
    assert reply.splitlines()[-1].startswith("（还在等您回复：") and asks.removesuffix("回复编号") in reply
    assert "已记录" not in reply  # 1 is not the customer's number, nor a day
