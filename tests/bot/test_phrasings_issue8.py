"""Issue 8, "Understanding": commands in the forms reps really type them, end to end through the bot (demo company).

Quotes with the customer anywhere: a request that lacks products or prices keeps what was said and asks for the
rest, the answer makes the draft; a revision names the customer instead of the quote number; a report of a quote
already sent stays a follow-up.
"""

from __future__ import annotations

from decimal import Decimal as D

from sqlmodel import col, select

from storage.models import Customer, FollowUp, Quote, QuoteLine
from tests.fakes.harness import ChatHarness


async def _quotes(bot: ChatHarness, customer: str) -> list[tuple[Quote, list[QuoteLine]]]:
    async with bot.services.db.session() as s:
        q = select(Quote).join(Customer).where(Customer.name == customer).order_by(col(Quote.id))
        found = list((await s.exec(q)).all())
        return [
            (quote, list((await s.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id))).all()))
            for quote in found
        ]


async def _notes(bot: ChatHarness, customer: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        q = select(FollowUp).join(Customer).where(Customer.name == customer, FollowUp.happened_at == bot.clock.now())
        return list((await s.exec(q)).all())


async def test_a_request_without_products_keeps_its_terms_and_asks_for_them(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "帮我给北风做个报价 FOB 宁波 美元")
    assert "给 北风泵业 报价" in asked and "FOB 宁波" in asked and "还缺：产品、数量、单价" in asked
    assert "还没有保存" in asked
    assert await _quotes(bot, "北风泵业") == [] and await _notes(bot, "北风泵业") == []  # not a follow-up
    drafted = await bot.said("李娜", "DN50球阀 1000件 单价80")
    assert "已生成报价 Q-2026-0001" in drafted
    [(quote, [line])] = await _quotes(bot, "北风泵业")
    assert (quote.incoterm, quote.port, quote.currency) == ("FOB", "宁波", "USD")
    assert (line.product, line.quantity, line.unit_price) == ("DN50球阀", D(1000), D(80))


async def test_a_total_for_the_lot_with_a_validity_day_asks_only_for_the_product(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "给穆勒机械出个报价单 CIF 汉堡 总价8万美元 有效期到月底")
    assert "还缺：产品名称" in asked and "有效期 7 天" in asked
    assert "已生成报价" in await bot.said("李娜", "控制阀")
    [(quote, [line])] = await _quotes(bot, "穆勒机械")
    assert (quote.incoterm, quote.port, quote.validity_days, quote.currency) == ("CIF", "汉堡", 7, "USD")
    assert (line.product, line.quantity, line.unit, line.unit_price) == ("控制阀", D(1), "批", D(80000))


async def test_a_quote_to_the_customer_named_after_the_word_keeps_the_customer(bot: ChatHarness) -> None:
    """报价给X …: the customer was lost with a refusal for want of a quantity."""
    drafted = await bot.said("李娜", "报价给北欧暖通 不锈钢管件 人民币 15万")
    assert "已生成报价" in drafted and "¥150,000" in drafted
    [(quote, [line])] = await _quotes(bot, "北欧暖通")
    assert (quote.currency, line.product, line.quantity, line.unit_price) == ("CNY", "不锈钢管件", D(1), D(150000))


async def test_the_customer_first_asks_for_the_price_and_the_answer_drafts_it(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "艾克美 报个价 法兰 200件")
    assert "还缺：法兰的单价" in asked and "法兰 200件" in asked
    await bot.say("李娜", "待办")  # another message first: the request stays open
    assert "已生成报价" in await bot.said("李娜", "单价 12欧元")
    [(quote, [line])] = await _quotes(bot, "艾克美工业有限公司")
    assert (quote.currency, line.product, line.quantity, line.unit_price) == ("EUR", "法兰", D(200), D(12))
    assert await _notes(bot, "艾克美工业有限公司") == []


async def test_a_new_quote_with_its_currency_word_asks_for_the_unit_price(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "新建报价 北风泵业 离心泵 30台 欧元")
    assert "还缺：离心泵的单价" in asked and "EUR" in asked
    assert "€24,000" in await bot.said("李娜", "800欧")
    [(quote, [line])] = await _quotes(bot, "北风泵业")
    assert (quote.currency, line.quantity, line.unit_price) == ("EUR", D(30), D(800))


async def test_a_currency_without_a_rate_says_who_sets_it_then_the_request_works(bot: ChatHarness) -> None:
    refused = await bot.said("王强", "枫叶管道 出个报价 加元 DAP Calgary")
    assert "CAD" in refused and "吴芳" in refused and await _quotes(bot, "枫叶管道") == []
    await bot.say("吴芳", "汇率 CAD 5.2")
    asked = await bot.said("王强", "枫叶管道 出个报价 加元 DAP Calgary")
    assert "DAP Calgary" in asked and "CAD" in asked and "还缺：产品、数量、单价" in asked
    assert "已生成报价" in await bot.said("王强", "止回阀 20只 单价 300")
    [(quote, [line])] = await _quotes(bot, "枫叶管道")
    assert (quote.currency, quote.incoterm, quote.port, line.unit_price) == ("CAD", "DAP", "Calgary", D(300))


async def test_singapore_dollars_named_in_chinese_are_read(bot: ChatHarness) -> None:
    await bot.say("吴芳", "汇率 SGD 5.3")
    asked = await bot.said("陈静", "华信阀门 开个报价 新币 5万")
    assert "还缺：产品名称" in asked and "SGD" in asked
    assert "已生成报价" in await bot.said("陈静", "阀门备件")
    [(quote, [line])] = await _quotes(bot, "华信阀门")
    assert (quote.currency, line.product, line.unit_price) == ("SGD", "阀门备件", D(50000))


async def test_a_request_cancelled_saves_nothing_and_says_so(bot: ChatHarness) -> None:
    await bot.say("李娜", "给艾克美报个价")
    assert "没有保存" in await bot.said("李娜", "取消")
    assert await _quotes(bot, "艾克美工业有限公司") == []


async def test_quotes_written_in_full_with_the_customer_anywhere(bot: ChatHarness) -> None:
    for who, text, customer, total in (
        ("李娜", "quote ACME 500 flanges EUR 7 CIF Hamburg pls", "艾克美工业有限公司", "€3,500"),
        ("王强", "做一份报价给Axon fluid，离心泵50台，每台USD 860", "艾克森流体设备", "$43,000"),
        ("陈静", "报个价 曼谷水务 蝶阀 500个 单价 45美元", "曼谷水务", "$22,500"),
        ("李娜", "给伊比利亚水务报个价 蝶阀 40台 每台 1200欧", "伊比利亚水务", "€48,000"),
    ):
        drafted = await bot.said(who, text)
        assert "已生成报价" in drafted and customer in drafted and total in drafted, text
        assert len(await _quotes(bot, customer)) == 1
    [(acme, [flanges])] = await _quotes(bot, "艾克美工业有限公司")
    assert (acme.incoterm, acme.port, flanges.product, flanges.quantity) == ("CIF", "Hamburg", "flanges", D(500))


async def test_a_quote_revised_by_naming_its_customer(bot: ChatHarness) -> None:
    await bot.say("李娜", "报价 穆勒 控制阀 10台 单价 3500欧元")
    revised = await bot.said("李娜", "给穆勒重新报个价 降到3万欧")
    assert "Q-2026-0001" in revised and "€30,000" in revised  # the total said, the unit price follows
    [(_quote, [line])] = await _quotes(bot, "穆勒机械")
    assert line.unit_price == 3000
    await bot.say("李娜", "提交 Q-2026-0001")
    again = await bot.said("李娜", "穆勒机械报价改一下 单价 2900欧")
    assert "第2版" in again and "€29,000" in again


async def test_a_pound_quote_revised_with_the_code_before_the_amount(bot: ChatHarness) -> None:
    await bot.say("王强", "报价 泰晤士工程 离心泵 2台 单价 2万英镑")
    assert "£38,000" in await bot.said("王强", "泰晤士工程报价改一下 GBP 3.8万")
    [(_quote, [line])] = await _quotes(bot, "泰晤士工程")
    assert line.unit_price == D(19000)


async def test_revising_a_customer_without_a_quote_says_so(bot: ChatHarness) -> None:
    out = await bot.said("李娜", "给北欧暖通重新报个价 降到2万欧")
    assert "北欧暖通 还没有您的报价" in out and "例如：报价 北欧暖通" in out


async def test_a_report_of_a_quote_sent_stays_a_follow_up(bot: ChatHarness) -> None:
    for who, text, customer in (
        ("李娜", "报价 12.5万 给 北风，他们嫌贵", "北风泵业"),
        ("李娜", "给穆勒的报价发了 用美元报的 2.4万", "穆勒机械"),
        ("陈静", "大阪机械的报价 日元 350万 已发", "大阪机械"),
    ):
        out = await bot.said(who, text)
        assert "已记录" in out and "还缺" not in out, text
        assert len(await _notes(bot, customer)) == 1 and await _quotes(bot, customer) == []
