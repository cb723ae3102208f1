"""Hostile or careless text from chat: cleaned before it is stored, bounded before it is read or echoed."""

from __future__ import annotations

from sqlmodel import col, select

from bot.cards.render import CardRenderer
from bot.channels.base import OutboxItem
from bot.channels.console import ConsoleChannel
from bot.outbox import SendText
from core.text import MAX_MESSAGE_CHARS, MAX_NAME_CHARS, clean_text
from storage.models import AuditLog, Customer, InboundMessage
from tests.fakes.harness import ChatHarness


async def _customers(bot: ChatHarness, name: str) -> list[Customer]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(Customer).where(col(Customer.name).contains(name)))).all())


def test_clean_text_drops_controls_and_escape_sequences_but_keeps_lines() -> None:
    assert clean_text("艾克美\x00\x1b[31m工业\x1b[0m") == "艾克美工业"
    assert clean_text("a\x1b]0;pwned\x07b\x9b2Jc\x7fd\x08e") == "abcde"
    assert clean_text("第一行\r\n第二行\r第三行\t完") == "第一行\n第二行\n第三行 完"
    assert clean_text("普通消息 ok") == "普通消息 ok"
    assert clean_text("样品\u202e收到了\u2066ok\u2069") == "样品收到了ok"  # bidi overrides turn a note around
    assert clean_text("👨\u200d👩 שלום") == "👨\u200d👩 שלום"  # joiners and right-to-left text stay


async def test_nul_and_escapes_in_a_new_customer_never_reach_the_database(bot: ChatHarness) -> None:
    reply = await bot.said("李娜", "新客户 诺华\x00泵\x1b[31m业 德国 A级")
    assert "已新建客户：诺华泵业" in reply
    [c] = await _customers(bot, "诺华")
    assert c.name == "诺华泵业"
    async with bot.services.db.session() as s:
        stored = [r.payload.get("text") or "" for r in (await s.exec(select(InboundMessage))).all()]
        audited = [a.message or "" for a in (await s.exec(select(AuditLog))).all()]
    assert not any("\x00" in t or "\x1b" in t for t in stored + audited)


async def test_a_huge_message_is_answered_once_briefly_and_keeps_the_open_question(bot: ChatHarness) -> None:
    question = await bot.said("李娜", "跟进 星辰机电 今天电话沟通了报价")
    assert "回复“是”新建" in question
    huge = await bot.say("李娜", "阀" * 10_000)
    assert len(huge) == 1 and "太长" in huge[0] and str(MAX_MESSAGE_CHARS) in huge[0]
    assert "阀阀阀" not in huge[0]  # not echoed back
    done = await bot.said("李娜", "是")  # the question asked before is still open
    assert "已新建客户“星辰机电”" in done


async def test_a_name_longer_than_a_name_is_refused_and_yes_creates_nothing(bot: ChatHarness) -> None:
    long_name = "星" * (MAX_NAME_CHARS + 50)
    for message in (f"跟进 {long_name} 今天电话沟通了报价", f"新客户 {long_name} 德国"):
        reply = await bot.said("李娜", message)
        assert "太长" in reply and str(MAX_NAME_CHARS) in reply and "没有保存" in reply
        assert "回复“是”" not in reply
    await bot.said("李娜", "是")
    assert await _customers(bot, "星星星") == []


async def test_the_terminal_never_gets_an_escape_sequence_from_stored_text() -> None:
    shown: list[str] = []
    console = ConsoleChannel(CardRenderer(), write=shown.append)
    await console.deliver(OutboxItem(1, "李娜", SendText("客户\x1b[2J\x1b]0;pwned\x07艾克美\x00")))
    assert shown == ["客户艾克美"]


async def test_undoing_a_creation_others_built_on_says_what_blocks_it(bot: ChatHarness) -> None:
    assert "已新建客户：星辰机电" in await bot.said("李娜", "新客户 星辰机电 德国")
    assert "已记录" in await bot.said("赵敏", "跟进 星辰机电 今天拜访了采购，谈了交期")  # her manager builds on it
    reply = await bot.said("李娜", "撤销")
    assert "客户“星辰机电”之后已有 1 条跟进记录" in reply and "不能撤销" in reply
    assert "抱歉" not in reply
    assert [c.name for c in await _customers(bot, "星辰机电")] == ["星辰机电"]  # nothing changed


async def test_a_name_with_nothing_readable_or_a_bidi_override_is_not_stored_as_is(bot: ChatHarness) -> None:
    """Probe trial: zero-width-only names made invisible customers; a right-to-left override made a look-alike."""
    for name in ("\u200b\u200b", "\u200c\u200d", "\ufeff", "%", "———", "😀😀"):
        reply = await bot.said("李娜", f"新客户 {name} 德国")
        assert "没有文字" in reply and "已新建" not in reply, name
    assert "已新建客户：易贸海滨" in await bot.said("李娜", "新客户 \u202e易贸海滨 德国")
    assert await _customers(bot, "\u202e") == []
    asked = await bot.said("李娜", "查 %")
    assert "回复“是”" not in asked
