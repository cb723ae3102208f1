"""Issue 8, "Understanding": the parser reads commands in the forms reps really type them (own examples)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import NOW, TZ

from core.nlu import Intent
from core.nlu.quote_commands import completed, gaps, parse_quote_command

# --- A. quotes with the customer anywhere ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "customer", "currency", "missing"),
    [
        ("帮我给北风做个报价 FOB 宁波 美元", "北风", "USD", ("产品", "数量", "单价")),
        ("给艾克美报个价", "艾克美", None, ("产品", "数量", "单价", "币种")),
        ("给穆勒机械出个报价单 CIF 汉堡 总价8万美元 有效期到月底", "穆勒机械", "USD", ("产品名称",)),
        ("枫叶管道 出个报价 加元 DAP Calgary", "枫叶管道", "CAD", ("产品", "数量", "单价")),
        ("新建报价 北风泵业 离心泵 30台 欧元", "北风泵业", "EUR", ("离心泵的单价",)),
        ("华信阀门 开个报价 新币 5万", "华信阀门", "SGD", ("产品名称",)),
        ("艾克美 报个价 法兰 200件", "艾克美", None, ("法兰的单价", "币种")),
        ("阿尔卑斯精工 报个价 瑞士法郎 控制阀 10台", "阿尔卑斯精工", "CHF", ("控制阀的单价",)),
        ("首尔精密 开个报价 韩元 3000万", "首尔精密", "KRW", ("产品名称",)),
        ("给南十字矿业做一份报价 澳元 渣浆泵", "南十字矿业", "AUD", ("渣浆泵的数量", "渣浆泵的单价")),
        ("大阪机械 出个报价 日元 CIF 大阪", "大阪机械", "JPY", ("产品", "数量", "单价")),
        ("帮忙给泰晤士工程出个报价单 英镑", "泰晤士工程", "GBP", ("产品", "数量", "单价")),
    ],
)
def test_a_quote_request_keeps_what_it_gives_and_names_what_it_lacks(
    text: str, customer: str, currency: str | None, missing: tuple[str, ...]
) -> None:
    cmd = parse_quote_command(text, now=NOW, tz=TZ)
    assert cmd is not None and cmd.intent is Intent.QUOTE_CREATE and cmd.error is None
    assert (cmd.customer, cmd.currency, gaps(cmd)) == (customer, currency, missing)


@pytest.mark.parametrize(
    ("text", "customer", "product", "quantity", "price", "currency"),
    [
        ("报价给北欧暖通 不锈钢管件 人民币 15万", "北欧暖通", "不锈钢管件", "1", "150000", "CNY"),
        ("quote ACME 500 flanges EUR 7 CIF Hamburg pls", "ACME", "flanges", "500", "7", "EUR"),
        ("做一份报价给Axon fluid，离心泵50台，每台USD 860", "Axon fluid", "离心泵", "50", "860", "USD"),
        ("报个价 曼谷水务 蝶阀 500个 单价 45美元", "曼谷水务", "蝶阀", "500", "45", "USD"),
        ("里斯本船舶 做个报价 澳元 止回阀 100只 每只 12", "里斯本船舶", "止回阀", "100", "12", "AUD"),
        ("给伊比利亚水务报个价 蝶阀 40台 每台 1200欧", "伊比利亚水务", "蝶阀", "40", "1200", "EUR"),
        ("新建报价 北风泵业 离心泵 30台 单价 800 欧元", "北风泵业", "离心泵", "30", "800", "EUR"),
    ],
)
def test_a_quote_in_full_with_the_customer_anywhere(
    text: str, customer: str, product: str, quantity: str, price: str, currency: str
) -> None:
    cmd = parse_quote_command(text, now=NOW, tz=TZ)
    assert cmd is not None and cmd.intent is Intent.QUOTE_CREATE and cmd.error is None and not gaps(cmd)
    [line] = cmd.lines
    assert (cmd.customer, line.product, line.quantity, line.unit_price, line.currency) == (
        customer,
        product,
        Decimal(quantity),
        Decimal(price),
        currency,
    )


@pytest.mark.parametrize(
    ("text", "customer", "price", "currency"),
    [
        ("给穆勒重新报个价 降到3万欧", "穆勒", "30000", "EUR"),
        ("泰晤士工程报价改一下 GBP 3.8万", "泰晤士工程", "38000", "GBP"),
        ("穆勒机械报价改一下 单价 2900欧", "穆勒机械", "2900", "EUR"),
        ("修改 北风 的报价 总价 5万美元", "北风", "50000", "USD"),
        ("艾克美的报价调整为 4.5万美元", "艾克美", "45000", "USD"),
    ],
)
def test_a_revision_named_by_its_customer(text: str, customer: str, price: str, currency: str) -> None:
    cmd = parse_quote_command(text, now=NOW, tz=TZ)
    assert cmd is not None and cmd.intent is Intent.QUOTE_REVISE and cmd.error is None and cmd.number is None
    [change] = cmd.lines
    assert (cmd.customer, change.unit_price, change.currency) == (customer, Decimal(price), currency)


@pytest.mark.parametrize(
    "text",
    [
        "报价 12.5万 给 北风，他们嫌贵",
        "给穆勒的报价发了 用美元报的 2.4万",
        "大阪机械的报价 日元 350万 已发",
        "给艾克美报个价 下周一前",  # a day to do it by: a plan, not a quote to draft now
        "明天给艾克美报个价",
        "艾克美让我们报个价",
        "艾克美 报价 偏高",
        "给艾克美报个价了吗",
        "完成 报价单更新",
        "艾克美报价改一下",  # no change said
    ],
)
def test_news_about_a_quote_is_not_a_quote_command(text: str) -> None:
    assert parse_quote_command(text, now=NOW, tz=TZ) is None


def test_the_answer_completes_the_kept_request() -> None:
    text, cmd = completed("新建报价 北风泵业 离心泵 30台 欧元", "单价 800", now=NOW, tz=TZ) or ("", None)
    assert cmd is not None and not gaps(cmd) and cmd.lines[0].unit_price == 800 and "单价 800" in text
    two_lines = "A阀 10件 单价8\nB阀 5件 单价9"
    text, cmd = completed("帮我给北风做个报价 FOB 宁波 美元", two_lines, now=NOW, tz=TZ) or ("", None)
    assert cmd is not None and [ln.product for ln in cmd.lines] == ["A阀", "B阀"] and cmd.terms.port == "宁波"
    assert completed("新建报价 北风泵业 离心泵 30台 欧元", "查 艾克美", now=NOW, tz=TZ) is None
