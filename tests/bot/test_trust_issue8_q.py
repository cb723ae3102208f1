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
