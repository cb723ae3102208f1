"""Issue 8: a question is answered (or said to be unanswerable), never saved as a follow-up (demo company)."""

from __future__ import annotations

from sqlmodel import func, select

from storage.models import FollowUp
from tests.fakes.harness import ChatHarness


async def _follow_up_count(bot: ChatHarness) -> int:
    async with bot.services.db.session() as s:
        return int((await s.exec(select(func.count()).select_from(FollowUp))).one())


async def test_contact_details_by_name_company_or_phone(bot: ChatHarness) -> None:
    await bot.said("李娜", "联系人 艾克美 张伟 采购总监 决策者 电话13800001111 邮箱 zw@acme.de")
    before = await _follow_up_count(bot)
    assert "13800001111" in await bot.said("李娜", "艾克美张伟电话多少")
    assert "zw@acme.de" in await bot.said("李娜", "张伟的邮箱")
    assert "采购总监" in await bot.said("李娜", "张伟的职位是什么")
    assert "张伟（艾克美工业有限公司）" in await bot.said("李娜", "13800001111是谁")
    boss = await bot.said("李娜", "艾克美张总电话多少")
    assert "电话" in boss and "已记录" not in boss
    assert await _follow_up_count(bot) == before  # nothing was logged
    assert "zw@acme.de" not in await bot.said("王强", "张伟的邮箱")  # 李娜's account: not shown to 王强


async def test_wildcards_are_letters_and_a_long_list_says_there_is_more(bot: ChatHarness) -> None:
    """Trial: `%的电话` / `_的电话` listed ten contacts (a LIKE wildcard) and stopped without saying so."""
    for ask in ("%的电话", "_的电话"):
        assert "没找到" in await bot.said("王强", ask)
    for i in range(12):
        await bot.said("李娜", f"联系人 艾克美 王{i}号 采购 电话1380000{i:04d}")
    listed = await bot.said("李娜", "艾克美王的电话")
    assert listed.count("（艾克美工业有限公司）：电话") == 10 and "还有更多符合的联系人" in listed


async def test_whom_did_i_follow_up_and_my_customers(bot: ChatHarness) -> None:
    last_week = await bot.said("李娜", "上周我跟进了哪些客户")
    assert "您上周跟进了" in last_week and "艾克美工业有限公司" in last_week
    mine = await bot.said("李娜", "我的客户")
    assert "北风泵业" in mine and "艾克森流体设备" not in mine


async def test_quotes_with_their_status(bot: ChatHarness) -> None:
    await bot.said("李娜", "报价 艾克美 DN50球阀 1000个 单价12美元 FOB上海")
    before = await _follow_up_count(bot)
    mine = await bot.said("李娜", "我的报价")
    assert "Q-2026-0001" in mine and "草稿" in mine
    theirs = await bot.said("李娜", "艾克美的报价")
    assert "Q-2026-0001" in theirs and "已记录" not in theirs
    assert await _follow_up_count(bot) == before


async def test_a_manager_asks_about_a_rep_and_a_rep_may_not(bot: ChatHarness) -> None:
    await bot.said("李娜", "跟进 北风 今天电话沟通了交期")
    team = await bot.said("赵敏", "李娜这周跟进了哪些客户")
    assert "李娜这周跟进了 1 个客户" in team and "北风泵业" in team
    refused = await bot.said("王强", "李娜这周跟进了哪些客户")
    assert "不能查看李娜的跟进" in refused and "北风泵业" not in refused
    today = await bot.said("赵敏", "李娜今天干了什么")
    assert "李娜今天跟进了 1 个客户" in today and "北风泵业" in today


async def test_greetings_and_unanswerable_questions(bot: ChatHarness) -> None:
    before = await _follow_up_count(bot)
    assert "您好" in await bot.said("李娜", "你好")
    assert "不客气" in await bot.said("李娜", "谢谢")
    cannot = await bot.said("李娜", "今年一共赢了多少单？")  # not a customer to create
    assert "暂时还回答不了" in cannot and "例如" in cannot
    # a question naming the account gets its view
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "艾克美今年一共下了几单？")
    assert await _follow_up_count(bot) == before
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "ACME?")  # a name with a question mark is a look-up
