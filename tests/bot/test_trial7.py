"""Trial 7 (a new user on the WeCom phone view, demo company): nothing lost, nothing misfiled, questions answered."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Customer, FollowUp
from tests.fakes.harness import ChatHarness


async def _notes_of(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def test_a_kind_correction_changes_the_last_follow_up_and_is_undone_by_undo(bot: ChatHarness) -> None:
    """Trial 7: `刚才北欧暖通那条不是视频会议 是电话` was saved as a new 视频会议 follow-up with those words."""
    await bot.said("李娜", "跟进 北欧暖通 今天开了视频会议，讨论了独特报价")
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "视频会议"
    fixed = await bot.said("李娜", "刚才北欧暖通那条不是视频会议 是电话")
    assert "北欧暖通" in fixed and "视频会议 → 电话" in fixed and "已记录" not in fixed
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "电话" and await _notes_of(bot, "不是视频会议") == []
    assert "已撤销" in await bot.said("李娜", "撤销")
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "视频会议"
    fixed = await bot.said("李娜", "上一条跟进改成电话")
    assert "视频会议 → 电话" in fixed and "联系人" not in fixed
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "电话"


async def _count(bot: ChatHarness) -> int:
    async with bot.services.db.session() as s:
        return len((await s.exec(select(FollowUp))).all())


async def test_customers_not_contacted_for_n_days_are_answered_never_saved(bot: ChatHarness) -> None:
    """Trial 7: `我有哪些客户超过30天没联系了` asked 是哪个客户的？, and the answer saved the question as a note."""
    before = await _count(bot)
    mine = await bot.said("李娜", "我有哪些客户超过30天没联系了")
    assert "超过 30 天没联系" in mine and "是哪个客户" not in mine and "天没联系（上次" in mine
    assert "（李娜）" not in mine and "艾克森流体设备" not in mine  # 王强's
    await bot.said("李娜", "跟进 安第斯铜业 今天电话沟通了交期")
    assert "安第斯铜业" not in await bot.said("李娜", "我有哪些客户超过 1 天没联系了")
    team = await bot.said("赵敏", "哪些客户超过30天没跟进")
    assert "（王强）" in team or "（李娜）" in team
    cannot = await bot.said("李娜", "我有多少客户在德国？")
    assert "回答不了" in cannot and "是哪个客户" not in cannot
    assert await _count(bot) == before + 1  # only the follow-up logged in between


async def test_english_and_colleague_questions_are_answered(bot: ChatHarness) -> None:
    """Trial 7: not understood, or 李娜最近怎么样 offered as a new customer."""
    before = await _count(bot)
    assert "您上周跟进了" in await bot.said("李娜", "what did I do last week")
    assert "您这周" in await bot.said("李娜", "这周我都干了啥")
    assert "北欧暖通" in await bot.said("李娜", "my customers")
    await bot.said("李娜", "报价 艾克美 DN50球阀 1000个 单价12美元 FOB上海")
    assert "Q-2026-0001" in await bot.said("李娜", "my quotes")
    assert "李娜的报价" in (quotes := await bot.said("赵敏", "李娜的报价")) and "Q-2026-0001" in quotes
    assert "李娜负责" in (theirs := await bot.said("赵敏", "李娜的客户")) and "北欧暖通" in theirs
    how = await bot.said("赵敏", "李娜最近怎么样")
    assert "李娜最近 7 天跟进了" in how and "未完成待办" in how and "新建" not in how
    for ask in ("李娜的报价", "李娜的客户", "李娜最近怎么样"):
        refused = await bot.said("王强", ask)
        assert "您不能查看李娜的" in refused and "Q-2026" not in refused and "北欧暖通" not in refused
    assert await _count(bot) == before


async def test_the_same_message_sent_twice_is_saved_once_and_said_so(bot: ChatHarness) -> None:
    """Trial 7: `阿兹特克建材需要500个DN25球阀…` sent twice minutes apart was saved twice without a word."""
    text = "阿兹特克建材需要500个DN25球阀，下周三前报价"
    assert "已记录 阿兹特克建材" in await bot.said("李娜", text)
    bot.clock.advance(minutes=3)
    again = await bot.said("李娜", text)
    assert "这条和 3 分钟前记录的一样，没有重复保存。" in again
    assert len(await _notes_of(bot, "DN25球阀")) == 1
    bot.clock.advance(minutes=31)
    assert "已记录 阿兹特克建材" in await bot.said("李娜", text)  # half an hour on: a new note
    assert "已记录" in await bot.said("王强", "跟进 罗西管业 今天电话沟通了DN25球阀")  # someone else's words: kept


async def test_a_person_named_with_a_number_in_a_note_is_offered_as_a_contact(bot: ChatHarness) -> None:
    """Trial 7: `…认识了土耳其的Anatolia Valve Trading 采购经理 Mehmet 电话+90 532 111 2233…` created the customer
    and the follow-up only, without the contact or the country."""
    text = "今天在广交会认识了土耳其的Anatolia Valve Trading 采购经理 Mehmet 电话+90 532 111 2233，他们要DN50球阀"
    assert "回复“是”新建" in await bot.said("李娜", text)
    made = await bot.said("李娜", "是")
    assert "已新建客户“Anatolia Valve Trading”" in made and "已记录 Anatolia Valve Trading" in made
    assert "要把 Mehmet（采购经理，+90 532 111 2233）加为 Anatolia Valve Trading 的联系人吗？回复“是”" in made
    assert "Mehmet" in await bot.said("李娜", "是")
    assert "+90 532 111 2233" in await bot.said("李娜", "Mehmet的电话是多少")
    async with bot.services.db.session() as s:
        [new] = (await s.exec(select(Customer).where(Customer.name == "Anatolia Valve Trading"))).all()
    assert new.country == "TR"
    again = await bot.said("李娜", "跟进 Anatolia Valve Trading 今天又和采购经理 Mehmet 电话+90 532 111 2233 聊了交期")
    assert "已记录" in again and "联系人吗" not in again  # a contact already: nothing to offer


async def test_a_chinese_homophone_of_a_customer_is_offered(bot: ChatHarness) -> None:
    """Trial 7: `穆乐机械…` (穆勒机械 written by sound) asked 是哪个客户的？ with no suggestion."""
    asked = await bot.said("李娜", "穆乐机械今天电话说要独特样品")
    assert "您是说 穆勒机械 吗？" in asked and await _notes_of(bot, "独特样品") == []
    assert "已记录 穆勒机械" in await bot.said("李娜", "1")
    assert "已记录 穆勒机械" in await bot.said("李娜", "穆乐机械今天又来电话问独特交期")  # learned
    assert "是哪个客户的" in await bot.said("李娜", "今天电话说要独特图纸")  # 今天 is no customer's name


async def test_a_person_in_a_note_that_asks_for_a_date_is_offered_as_a_command(bot: ChatHarness) -> None:
    """The next step's date is the open question: the contact is offered as the command to send, never lost."""
    note = "跟进 北欧暖通 今天拜访认识了技术经理 Anna Schmidt 邮箱 anna@hft.de，回头再约时间看样"
    said = await bot.said("李娜", note)
    assert "是哪天" in said
    [hint] = [line for line in said.splitlines() if "加为联系人" in line]
    command = hint.split("请发：")[1]
    assert command == "联系人 北欧暖通 Anna Schmidt 技术经理 anna@hft.de"
    assert "Anna Schmidt" in await bot.said("李娜", command)
    assert "anna@hft.de" in await bot.said("李娜", "Anna Schmidt的邮箱")


async def test_the_same_plan_sent_twice_makes_its_tasks_once(bot: ChatHarness) -> None:
    text = "周五下午3点和北欧暖通开独特视频会"
    assert "已为 北欧暖通 加待办" in await bot.said("李娜", text)
    bot.clock.advance(minutes=2)
    assert "这条和 2 分钟前记录的一样，没有重复保存。" in await bot.said("李娜", text)
    assert sum("独特视频会" in line for line in (await bot.said("李娜", "待办 全部")).splitlines()) == 1


async def test_a_kind_correction_leaves_a_follow_up_of_weeks_ago(bot: ChatHarness) -> None:
    """刚才 is not three weeks ago: the demo's old follow-up of 穆勒机械 stays as it is."""
    said = await bot.said("李娜", "刚才穆勒机械那条是微信")
    assert "不是刚才记的，没有改" in said and "→" not in said
