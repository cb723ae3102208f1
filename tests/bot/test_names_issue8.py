"""Issue 8 end to end on the demo company: names as reps write them. A second customer written as it sounds
(安迪斯铜业 for 安第斯铜业) is asked about, its words kept, never filed under the first customer of the message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from storage.models import Contact, Customer, FollowUp
from tests.fakes.harness import ChatHarness

EVENING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 18:00 in Shanghai


async def _follow_ups(bot: ChatHarness, customer: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return list(
            (await s.exec(select(FollowUp).where(FollowUp.customer_id == c.id).order_by(col(FollowUp.id)))).all()
        )


async def _new_follow_ups(bot: ChatHarness, customer: str, before: int) -> list[FollowUp]:
    return (await _follow_ups(bot, customer))[before:]


async def test_a_homophone_of_a_second_customer_is_asked_about_and_never_filed_under_the_first(
    bot: ChatHarness,
) -> None:
    mueller, andes = len(await _follow_ups(bot, "穆勒机械")), len(await _follow_ups(bot, "安第斯铜业"))
    out = await bot.said("李娜", "上午去了穆勒机械聊了阀门 下午去了安迪斯铜业 他们要样品")
    [visit] = await _new_follow_ups(bot, "穆勒机械", mueller)
    assert visit.content == "上午去了穆勒机械聊了阀门"
    assert "您是说 安第斯铜业 吗" in out and "那部分还没有保存" in out
    assert await _new_follow_ups(bot, "安第斯铜业", andes) == []
    filed = await bot.said("李娜", "1")
    assert "已记录 安第斯铜业" in filed
    [theirs] = await _new_follow_ups(bot, "安第斯铜业", andes)
    assert "他们要样品" in theirs.content
    assert visit.happened_at is not None and theirs.happened_at is not None
    assert visit.happened_at.date() == theirs.happened_at.date()  # 上午 and 下午 of one day (at 10:00: yesterday's)
    assert "安第斯" in await bot.said("李娜", "查 安迪斯铜业")  # the written name is learned


async def test_a_homophone_part_told_in_the_evening_is_todays_like_the_first(bot: ChatHarness) -> None:
    bot.clock.set(EVENING)
    mueller, andes = len(await _follow_ups(bot, "穆勒机械")), len(await _follow_ups(bot, "安第斯铜业"))
    await bot.said("李娜", "上午去了穆勒机械聊了阀门 下午去了安迪斯铜业 他们要样品")
    await bot.said("李娜", "1")
    [visit] = await _new_follow_ups(bot, "穆勒机械", mueller)
    [theirs] = await _new_follow_ups(bot, "安第斯铜业", andes)
    assert visit.happened_at is not None and theirs.happened_at is not None
    assert [visit.happened_at.day, theirs.happened_at.day] == [23, 23]


async def test_a_homophone_part_may_be_a_new_customer(bot: ChatHarness) -> None:
    await bot.said("李娜", "上午去了穆勒机械聊了阀门 下午去了安迪斯铜业 他们要样品")
    out = await bot.said("李娜", "2")
    assert "已新建客户“安迪斯铜业”" in out
    [theirs] = await _follow_ups(bot, "安迪斯铜业")
    assert "他们要样品" in theirs.content


async def _contacts(bot: ChatHarness, customer: str) -> list[str]:
    async with bot.services.db.session() as s:
        c = (await s.exec(select(Customer).where(Customer.name == customer))).one()
        return [x.name for x in (await s.exec(select(Contact).where(Contact.customer_id == c.id))).all()]


@pytest.mark.parametrize(
    ("person", "phone"),
    [
        ("Nguyen Van An", "+84 90 123 4567"),
        ("Jan van der Berg", "+31 6 1234 5678"),
        ("Maria de la Cruz", "+34 612 345 678"),
        ("Thomas Müller", "+49 170 1234567"),
    ],
)
async def test_a_latin_person_met_is_offered_and_saved_whole(bot: ChatHarness, person: str, phone: str) -> None:
    out = await bot.said("李娜", f"今天拜访了北欧暖通 认识了采购经理 {person} 电话{phone} 聊了年度框架")
    assert f"要把 {person}（采购经理" in out
    await bot.said("李娜", "是")
    assert person in await _contacts(bot, "北欧暖通")


@pytest.mark.parametrize("person", ["Nguyen Van An", "Jan van der Berg", "Maria de la Cruz", "Thomas Müller"])
async def test_a_latin_contact_added_by_command_is_saved_whole(bot: ChatHarness, person: str) -> None:
    await bot.said("李娜", f"联系人 穆勒机械 {person} 技术总监 决策者")
    assert person in await _contacts(bot, "穆勒机械")
