"""Contacts as reps add them twice, with departments and with a half-typed e-mail (user trial)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Contact
from tests.fakes.harness import ChatHarness


async def _named(bot: ChatHarness, name: str) -> list[Contact]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(Contact).where(col(Contact.name) == name))).all())


async def test_the_same_person_again_is_updated_not_filed_twice(bot: ChatHarness) -> None:
    await bot.said("李娜", "联系人 艾克美 Klaus Becker 采购经理 决策者 电话 +49 170 1234567")
    again = await bot.said("李娜", "联系人 艾克美 klaus becker 电话 +49 171 7654321")
    assert "已更新：电话 +491717654321（原 +491701234567 仍保留）" in again
    [klaus] = await _named(bot, "Klaus Becker")
    assert (klaus.phone, klaus.decision_role, klaus.title) == ("+491717654321 / +491701234567", "决策者", "采购经理")
    assert "信息没有变化" in await bot.said("李娜", "联系人 艾克美 Klaus Becker 电话 +49 171 7654321")
    assert "信息没有变化" in await bot.said("李娜", "联系人 艾克美 Klaus Becker 电话 +49 170 1234567")
    await bot.said("李娜", "联系人 艾克美 Klaus Becker 电话 +49 172 0000000")
    await bot.said("李娜", "撤销")
    [klaus] = await _named(bot, "Klaus Becker")
    assert klaus.phone == "+491717654321 / +491701234567"


async def test_a_new_number_keeps_the_old_one_and_either_finds_the_person(bot: ChatHarness) -> None:
    """Trial 3: 张伟换号了 overwrote the only number on file; a rep who dials the old one still finds him."""
    await bot.said("李娜", "联系人 艾克美 张伟 采购总监 决策者 电话13800001111")
    await bot.said("李娜", "联系人 艾克美 张伟 电话13900002222")
    for number in ("13800001111", "13900002222"):
        assert "张伟" in await bot.said("李娜", f"{number}是谁")
    assert "13900002222" in await bot.said("李娜", "张伟电话多少")


async def test_a_department_is_a_title_and_an_unreadable_email_is_said(bot: ChatHarness) -> None:
    await bot.said("李娜", "联系人 艾克美 李工 技术部 使用者")
    [li] = await _named(bot, "李工")
    assert li.title == "技术部"
    saved = await bot.said("李娜", "联系人 艾克美 Anna Schmidt 技术经理 技术影响者 邮箱 anna@hft")
    assert "已添加联系人：Anna Schmidt" in saved and "邮箱“anna@hft”不完整，没有保存" in saved


async def test_an_english_question_about_a_contacts_phone_is_answered(bot: ChatHarness) -> None:
    await bot.said("李娜", "联系人 艾克美 Klaus Becker 采购经理 决策者 电话 +49 170 1234567 邮箱 kb@acme.de")
    assert "+491701234567" in await bot.said("李娜", "Klaus phone?")
    assert "kb@acme.de" in await bot.said("李娜", "what is Klaus Becker's email")
