"""Trial 4: news followed by a question in one message (…下周签合同 对了穆勒的报价发了吗) lost the news: it is kept, and
the question is said to be not logged."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import FollowUp
from tests.fakes.harness import ChatHarness


async def test_the_news_before_a_question_is_kept_and_the_question_is_not_logged(bot: ChatHarness) -> None:
    for text in ("艾克美张芳说下周签合同 对了穆勒的报价发了吗", "北风泵业说月底前付款 张芳电话多少"):
        reply = await bot.said("李娜", text)
        assert "已记录" in reply and "是个问题，没有记进跟进" in reply
    async with bot.services.db.session() as s:
        notes = [f.content for f in (await s.exec(select(FollowUp).where(col(FollowUp.content).contains("说")))).all()]
    assert any("下周签合同" in n and "报价发了吗" not in n for n in notes)
    assert any("月底前付款" in n and "电话多少" not in n for n in notes)


async def test_a_question_alone_is_still_answered(bot: ChatHarness) -> None:
    assert "【穆勒机械】" in await bot.said("李娜", "穆勒的报价发了吗")


async def test_a_question_whether_a_deal_was_signed_moves_nothing(bot: ChatHarness) -> None:
    """Trial 5: `…合同签了没 张总上周说这周盖章` asked which deal, and `2` marked it won."""
    reply = await bot.said("李娜", "艾克美那个法兰项目合同签了没 张总上周说这周盖章")
    assert "【艾克美工业有限公司】" in reply and "“张总上周说这周盖章”没有记录" in reply
    assert "赢单" not in await bot.said("李娜", "2")


async def test_which_deal_says_what_the_number_will_do(bot: ChatHarness) -> None:
    assert "要标记为赢单的是哪一个" in await bot.said("李娜", "艾克美签了")


async def test_a_command_after_which_customer_is_a_command(bot: ChatHarness) -> None:
    """Trial 5: `查 艾克美` sent after "是哪个客户的？" was filed as the note's customer, words and all."""
    await bot.said("李娜", "昨天下午跟张总吃饭聊了明年的框架协议")
    assert "【艾克美工业有限公司】" in await bot.said("李娜", "查 艾克美")
    async with bot.services.db.session() as s:
        notes = (await s.exec(select(FollowUp).where(col(FollowUp.content).contains("框架协议")))).all()
    assert all("查 艾克美" not in n.content for n in notes)


async def test_a_colleagues_clause_is_dropped_when_mine_is_misspelt(bot: ChatHarness) -> None:
    """Trial 5: 艾克每 (a typo) + 莱茵化学 (王强's): the 莱茵 clause was said unsaved but kept in 艾克美's note."""
    reply = await bot.said("李娜", "艾克每的杨芳刚才来电话问发票什么时候开 莱茵化学的人也顺便问了下我们的法兰价格")
    assert "这条里关于“莱茵化学”的部分没有保存" in reply
    async with bot.services.db.session() as s:
        notes = (await s.exec(select(FollowUp).where(col(FollowUp.content).contains("发票")))).all()
    assert notes and all("莱茵" not in n.content for n in notes)
