"""Other people's data (issue 12): a name reveals an owner only when it really names the account, and a new
customer cannot shadow a colleague's under another spelling."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.text import clean_text
from storage.models import AuditLog, Customer, TransferRequest
from tests.fakes.harness import ChatHarness


@pytest.mark.parametrize("text", ["查 %", "查 艾_森", "查 _", "查 艾%"])
async def test_wildcards_and_fragments_reveal_no_colleagues_account(bot: ChatHarness, text: str) -> None:
    reply = await bot.said("李娜", text)
    assert "王强" not in reply and "艾克森" not in reply and "负责人" not in reply


async def test_a_transfer_request_for_a_wildcard_names_nothing(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "申请转移 %")
    assert "没有找到客户" in reply and "王强" not in reply
    async with bot.services.db.session() as s:
        assert (await s.exec(select(TransferRequest))).all() == []


async def test_the_clear_start_of_a_colleagues_account_still_says_whose(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "查 艾克森")
    assert "不是您的客户" in reply and "王强" in reply


@pytest.mark.parametrize(
    "name",
    ["艾克美", "ACME", "ＡＣＭＥ", "A\u200bCME", "艾\u200d克美\u202e", "艾克美工业集团", "Acme Industrial GmbH"],
)
async def test_no_shadow_of_a_colleagues_account_under_another_spelling(bot: ChatHarness, name: str) -> None:
    async with bot.services.db.session() as s:
        before = len((await s.exec(select(Customer))).all())
    reply = await bot.said("王强", f"新客户 {name} 德国 B级")
    assert "已存在" in reply and "李娜" in reply and "艾克美工业有限公司" in reply and "申请转移" in reply
    async with bot.services.db.session() as s:
        assert len((await s.exec(select(Customer))).all()) == before
        refused = (await s.exec(select(AuditLog).where(AuditLog.action == "refused"))).all()
    assert [(r.entity, r.message) for r in refused] == [("customers", clean_text(f"新客户 {name} 德国 B级"))]


async def test_a_different_company_sharing_a_word_is_created(bot: ChatHarness) -> None:
    reply = await bot.said("王强", "新客户 北风贸易 德国 B级")
    assert "已新建客户：北风贸易" in reply


async def test_a_new_alias_finds_the_customer_at_once(bot: ChatHarness) -> None:
    assert "已给" in await bot.said("李娜", "别名 北风泵业 NWP")
    assert "北风泵业" in await bot.said("李娜", "查 NWP")
    assert "要撤销它吗" in await bot.said("李娜", "撤销")  # a message came between: asked first
    assert "已撤销" in await bot.said("李娜", "是")
    assert "北风泵业" not in await bot.said("李娜", "查 NWP")


@pytest.mark.parametrize("name", ["ＡＸＯＮ", "AXON", "Axon"])
async def test_the_short_form_of_a_colleagues_latin_alias_is_no_new_customer(bot: ChatHarness, name: str) -> None:
    """Probe (issue 12): `新客户 ＡＸＯＮ` created a shadow of 王强's 艾克森流体设备 (alias Axon Fluid)."""
    reply = await bot.said("李娜", f"新客户 {name}")
    assert "已存在" in reply and "王强" in reply and "申请转移 艾克森流体设备" in reply
    async with bot.services.db.session() as s:
        assert (await s.exec(select(Customer).where(Customer.name == name))).all() == []


async def test_a_colleagues_exact_name_beside_a_near_one_of_mine_says_whose_it_is(bot: ChatHarness) -> None:
    """Trial 2: with her own 艾克森泵业, 李娜's follow-up about 王强's 艾克森流体设备 offered "记到 艾克森泵业 / 新建",
    and `2` created a second 艾克森流体设备 under her name."""
    await bot.said("李娜", "新客户 艾克森泵业 德国 C级")
    reply = await bot.said("李娜", "今天给艾克森流体设备发了邮件 问了止回阀的样品")
    assert "负责人：王强" in reply and "申请转移 艾克森流体设备" in reply and "没有保存" in reply
    assert "名字相近" not in reply
    async with bot.services.db.session() as s:
        rows = (await s.exec(select(Customer).where(Customer.name == "艾克森流体设备"))).all()
    assert len(rows) == 1


async def test_yes_to_create_never_makes_a_second_of_a_colleagues_name(bot: ChatHarness) -> None:
    """The 是 / 2 answers go through the same duplicate guard as 新客户."""
    asked = await bot.said("李娜", "跟进 汉森阀门 今天拜访聊了报价")  # nobody has it: kabot offers to create it
    assert "回复“是”新建" in asked
    await bot.said("王强", "新客户 汉森阀门 中国 B级")  # meanwhile a colleague files it
    refused = await bot.said("李娜", "是")
    assert "已存在，负责人是王强" in refused and "这条消息没有保存" in refused
    async with bot.services.db.session() as s:
        assert len((await s.exec(select(Customer).where(Customer.name == "汉森阀门"))).all()) == 1


async def test_a_colleagues_account_named_beside_mine_is_said_not_dropped(bot: ChatHarness) -> None:
    """Trial 3: 王强's `今天分别拜访了枫叶管道和艾克美工业有限公司` logged 枫叶管道 and said nothing about 艾克美."""
    reply = await bot.said("王强", "今天分别拜访了枫叶管道和艾克美工业有限公司")
    assert "已记录 枫叶管道" in reply
    assert "负责人：李娜" in reply and "关于“艾克美工业有限公司”的部分没有保存" in reply
