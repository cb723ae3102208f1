"""A new user's trial (trial1): a colleague's customer named in a free-form follow-up, a rep using a manager-only
command, transfer requests the approver could not see, and `查` offering to create any text as a customer."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Customer, FollowUp, TransferRequest
from tests.fakes.harness import ChatHarness


async def _count(bot: ChatHarness, model) -> int:  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return len((await s.exec(select(model))).all())


# --- 1. a colleague's customer in a free-form follow-up ------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "text", "name", "owner"),
    [
        ("李娜", "今天拜访了大阪机械 谈了阀门价格", "大阪机械", "陈静"),
        ("陈静", "今天拜访艾克美 客户要降价", "艾克美工业有限公司", "李娜"),
    ],
)
async def test_a_colleagues_customer_in_a_free_form_follow_up_says_whose_it_is(
    bot: ChatHarness, who: str, text: str, name: str, owner: str
) -> None:
    before = await _count(bot, FollowUp)
    reply = await bot.said(who, text)
    assert f"负责人：{owner}" in reply and f"申请转移 {name}" in reply and "没有保存" in reply
    assert "请告诉我是哪个客户" not in reply
    assert await _count(bot, FollowUp) == before


async def test_a_free_form_follow_up_about_my_own_customer_is_still_saved(bot: ChatHarness) -> None:
    before = await _count(bot, FollowUp)
    reply = await bot.said("陈静", "今天拜访了大阪机械 谈了阀门价格")
    assert "大阪机械" in reply and "不是您的客户" not in reply
    assert await _count(bot, FollowUp) == before + 1


# --- 2. a rep using the manager's command ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["艾克美工业有限公司", "艾克美"])
async def test_a_rep_moving_an_account_is_told_how_to_ask_for_it(bot: ChatHarness, name: str) -> None:
    reply = await bot.said("王强", f"把{name}转给王强")
    assert "只有经理可以把客户转给别人" in reply and f"申请转移 {name}" in reply
    assert "艾克森" not in reply and "可能是" not in reply


@pytest.mark.parametrize(("exact", "look_alike"), [("艾克美工业有限公司", "艾克曼工业"), ("莱茵化学", "莱茵化工")])
async def test_an_exact_name_outside_the_team_is_never_corrected_to_another_customer(
    bot: ChatHarness, exact: str, look_alike: str
) -> None:
    assert "已新建客户" in await bot.said("陈静", f"新客户 {look_alike} 德国 B级")
    reply = await bot.said("刘洋", f"把{exact}转给陈静")  # 刘洋's team (亚非组) sees 陈静's look-alike only
    assert "不在您的团队里" in reply and look_alike not in reply and "已把客户" not in reply


# --- 3. transfer requests the approver can see -------------------------------------------------------------


async def test_pending_lists_transfer_requests_with_the_commands_to_decide_them(bot: ChatHarness) -> None:
    assert "已把转移申请发给 赵敏" in await bot.said("李娜", "申请转移 莱茵化学")
    await bot.flush("赵敏")
    pending = await bot.said("赵敏", "待审批")
    assert "莱茵化学" in pending and "李娜" in pending and "王强" in pending
    assert "同意转移 莱茵化学" in pending and "拒绝转移 莱茵化学" in pending
    for text in ("转移申请", "待审批转移"):
        listed = await bot.said("赵敏", text)
        assert "莱茵化学" in listed and "同意转移 莱茵化学" in listed and "没有找到客户" not in listed
    assert "已把客户“莱茵化学”转给 李娜" in await bot.said("赵敏", "同意转移 莱茵化学")
    assert "莱茵化学" not in await bot.said("赵敏", "待审批")
    assert "没有" in await bot.said("赵敏", "转移申请")


async def test_a_rep_has_no_transfer_requests_to_decide(bot: ChatHarness) -> None:
    await bot.say("李娜", "申请转移 莱茵化学")
    await bot.flush("王强")  # the owner is told of the request; he does not decide it
    assert "莱茵化学" not in await bot.said("王强", "待审批")
    assert "没有等您处理的转移申请" in await bot.said("王强", "转移申请")
    async with bot.services.db.session() as s:
        assert len((await s.exec(select(TransferRequest))).all()) == 1


# --- 4. a lookup that finds nothing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "text"),
    [("李娜", "查 化学"), ("王强", "查 %克%"), ("王强", "查 ' OR 1=1 --"), ("王强", "查 艾克美%")]
    + [("王强", "查 有限公司")],
)
async def test_a_lookup_of_no_company_name_offers_no_new_customer(bot: ChatHarness, who: str, text: str) -> None:
    reply = await bot.said(who, text)
    assert "没有找到" in reply and "新建" not in reply and "回复“是”" not in reply and "负责人" not in reply
    before = await _count(bot, Customer)
    await bot.say(who, "是")
    assert await _count(bot, Customer) == before


async def test_a_lookup_that_finds_nothing_names_the_closest_visible_customers(bot: ChatHarness) -> None:
    reply = await bot.said("王强", "查 %化学%")
    assert "没有找到客户" in reply and "相近的客户：莱茵化学" in reply and "新建" not in reply


async def test_a_lookup_of_a_real_new_name_still_offers_to_create_it(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "查 汉森阀门")
    assert "回复“是”新建" in reply
    await bot.say("李娜", "是")
    async with bot.services.db.session() as s:
        assert (await s.exec(select(Customer).where(Customer.name == "汉森阀门"))).first() is not None


async def test_a_request_is_decided_by_a_short_form_of_its_customer(bot: ChatHarness) -> None:
    """Trial 2: `同意转移 华信` answered "没有“华信”的待处理转移申请" while one request (华信电子) waited."""
    await bot.said("李娜", "申请转移 艾克森流体设备")  # 艾克 also starts 艾克美 (李娜's own)
    await bot.flush("赵敏")
    assert "已把客户“艾克森流体设备”转给 李娜" in await bot.said("赵敏", "同意转移 艾克")
