"""Issue 8: a message is never filed under a customer the rep did not name (demo company)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Customer, FollowUp
from tests.fakes.harness import ChatHarness


async def _rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return (await s.exec(select(model).where(*where))).all()


async def test_a_different_company_with_the_same_trade_name_is_asked_not_misfiled(bot: ChatHarness) -> None:
    await bot.said("李娜", "新客户 宏达机电 中国 B级")
    ask = await bot.said("李娜", "跟进 宏达电子 今天拜访了王总，谈了交期")
    assert "宏达电子" in ask and "宏达机电" in ask and "已记录" not in ask
    assert await _rows(bot, FollowUp, col(FollowUp.content).contains("王总")) == []
    saved = await bot.said("李娜", "2")
    assert "已新建客户“宏达电子”" in saved and "已记录 宏达电子" in saved
    [fu] = await _rows(bot, FollowUp, col(FollowUp.content).contains("王总"))
    [new] = await _rows(bot, Customer, Customer.name == "宏达电子")
    assert fu.customer_id == new.id and fu.content.startswith("今天拜访了王总")  # not cut to "电子 …"


async def test_picking_the_existing_customer_learns_the_name(bot: ChatHarness) -> None:
    await bot.said("李娜", "新客户 宏达机电 中国 B级")
    await bot.said("李娜", "跟进 宏达电子 今天拜访了王总")
    assert "已记录 宏达机电" in await bot.said("李娜", "1")
    again = await bot.said("李娜", "跟进 宏达电子 电话确认了交期")
    assert "已记录 宏达机电" in again and "：电话确认了交期" in again  # asked once, then known


async def test_quote_for_another_reps_account_by_full_name_says_whose_it_is(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "报价 艾克森流体设备 DN50球阀 1000个 单价12美元 FOB上海")
    assert "王强" in reply and "申请转移 艾克森流体设备" in reply and "艾克美" not in reply
    bare = await bot.said("李娜", "报价 艾克森流体设备")
    assert "王强" in bare and "申请转移" in bare and "请告诉我是哪个客户" not in bare
