"""Trial 3: a manager asks for one rep's 待办 and 漏斗 (待办 李娜, 李娜的漏斗); a rep cannot look at a colleague's."""

from __future__ import annotations

from tests.fakes.harness import ChatHarness


async def test_a_manager_reads_one_reps_tasks_without_numbers_to_act_on(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风泵业 电话沟通了认证文件 明天寄样品")
    for asked in ("李娜的待办", "待办 李娜"):
        reply = await bot.said("赵敏", asked)
        assert reply.startswith("李娜有 ") and "寄样品（北风泵业）" in reply
        assert "这是李娜的待办，由李娜本人完成或改期" in reply
    assert "没有第 1 条待办" in await bot.said("赵敏", "完成 1")  # her list gave the manager nothing to tick off


async def test_a_manager_sees_one_reps_funnel(bot: ChatHarness) -> None:
    reply = await bot.said("赵敏", "漏斗 李娜")
    assert "李娜的销售漏斗" in reply
    assert "李娜的销售漏斗" in await bot.said("赵敏", "李娜的漏斗")


async def test_a_rep_or_another_team_cannot_look(bot: ChatHarness) -> None:
    assert "您不能查看王强的待办" in await bot.said("李娜", "王强的待办")
    assert "您不能查看陈静的漏斗" in await bot.said("赵敏", "漏斗 陈静")


async def test_a_name_that_is_nobodys_lists_my_own(bot: ChatHarness) -> None:
    assert (await bot.said("李娜", "待办 全部")).startswith("您有 ")
    assert "亚非组团队销售漏斗" in await bot.said("刘洋", "亚非组的漏斗")


async def test_a_manager_gives_a_rep_a_task_and_she_is_told(bot: ChatHarness) -> None:
    """Trial 4: 赵敏's `让李娜明天给张总回个电话` went into 赵敏's own 待办 and 李娜 heard nothing."""
    reply = await bot.say("赵敏", "让李娜明天给艾克美张总回个电话")
    told = await bot.flush("李娜")
    assert "已给李娜加待办" in "\n".join(reply) and "已通知李娜" in "\n".join(reply)
    assert any("赵敏给您加了待办" in t and "回个电话" in t for t in told)
    assert "回个电话" in await bot.said("李娜", "待办 全部")
    assert "回个电话" not in await bot.said("赵敏", "待办 全部")
    assert "您不能查看陈静的待办" in await bot.said("赵敏", "让陈静明天寄样品")
