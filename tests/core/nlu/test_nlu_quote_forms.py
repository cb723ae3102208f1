"""Quote commands with the customer anywhere (issue 8, "Understanding"); a report of a past quote is not one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, parse_message
from core.nlu.quote_commands import gaps, parse_quote_command


@pytest.mark.parametrize(
    ("text", "customer", "price", "currency"),
    [
        ("给北风报个价：DN80闸阀 500台，单价 EUR 86，CIF Hamburg", "北风", "86", "EUR"),
        ("报价给布莱特星：法兰 2000片 单价4.8美金 FOB Shanghai", "布莱特星", "4.8", "USD"),
        (
            "Quote for Delta Pumps Inc: DN50 ball valve 5000 pcs, USD 35 each, FOB Ningbo",
            "Delta Pumps Inc",
            "35",
            "USD",
        ),
        ("大阪机械 报价 控制阀 200台 单价 JPY 98,000 CIF Osaka", "大阪机械", "98000", "JPY"),
        ("Osaka Kikai quote: check valve DN65 x 500, USD 19.5, FOB Shanghai", "Osaka Kikai", "19.5", "USD"),
        ("给河内钢构出报价 法兰 3000片 单价 ¥26 FOB 上海", "河内钢构", "26", "CNY"),
        ("报价：止回阀 DN100 200个，€41/个，CIF Lisbon，给里斯本船舶", "里斯本船舶", "41", "EUR"),
        ("帮忙出个报价 离心泵 6台 每台 USD 2,200 FOB Ningbo 客户是自由港物流", "自由港物流", "2200", "USD"),
        ("报价 滨海国贸：离心泵 12台 每台 8,600元 含税", "滨海国贸", "8600", "CNY"),
        ("报枫叶管道 止回阀 DN100 400个 CAD 68/pc DDP Toronto", "枫叶管道", "68", "CAD"),
    ],
)
def test_quote_with_the_customer_anywhere(text: str, customer: str, price: str, currency: str) -> None:
    cmd = parse_quote_command(text, now=NOW, tz=TZ)
    assert cmd is not None and cmd.error is None, cmd
    assert cmd.intent is Intent.QUOTE_CREATE
    assert cmd.customer == customer
    assert (cmd.lines[0].unit_price, cmd.lines[0].currency) == (Decimal(price), currency)


@pytest.mark.parametrize(
    "text",
    [
        "报价 12.5万 给罗西了，他们嫌贵，说意大利本地货便宜15%",
        "上周给罗西报价 12.5万，已经发过去了",
        "报价已发给艾克美 单价8美元",
    ],
)
def test_a_report_of_a_past_quote_is_a_follow_up(text: str) -> None:
    assert parse_quote_command(text, now=NOW, tz=TZ) is None
    parsed = parse_message(text, now=NOW, tz=TZ)
    assert parsed.intent is Intent.FOLLOW_UP
    assert parsed.amount is not None


def test_a_cost_in_wan() -> None:
    cmd = parse_quote_command("报价给 Baltic Energy：控制阀 15台 €2,100/台 DAP Gdansk 成本 1.1万元", now=NOW, tz=TZ)
    assert cmd is not None and cmd.customer == "Baltic Energy"
    assert (cmd.lines[0].unit_cost, cmd.lines[0].cost_currency) == (Decimal(11000), "CNY")


@pytest.mark.parametrize(
    ("text", "customer", "quantity", "price", "currency", "place"),
    [
        (
            "Alpen Precision AG 报价 控制阀 DN40 x 30 CHF 1,320 each DAP Zürich",
            "Alpen Precision AG",
            30,
            "1320",
            "CHF",
            "Zürich",
        ),
        ("报价 Alpen Precision AG: 控制阀 DN40 x 30 CHF 1,320 each", "Alpen Precision AG", 30, "1320", "CHF", None),
        ("报价 Rhein Chemie 搅拌泵 x 12 EUR 4,800 each DAP Hamburg", "Rhein Chemie", 12, "4800", "EUR", "Hamburg"),
        ("Nordic HVAC AB 报价 风机盘管 200台 SEK 3,150 each", "Nordic HVAC AB", 200, "3150", "SEK", None),
        (
            "报价 Sao Paulo Quimica 储罐 x 4 USD 12,500 each CIF São Paulo",
            "Sao Paulo Quimica",
            4,
            "12500",
            "USD",
            "São Paulo",
        ),
    ],
)
def test_a_quote_led_by_an_english_name_with_a_code_before_the_price(
    text: str, customer: str, quantity: int, price: str, currency: str, place: str | None
) -> None:
    """Held-out miss: `DN40 x 30 CHF 1,320` read 30 as the price; the name was cut to its first word."""
    cmd = parse_quote_command(text, now=NOW, tz=TZ)
    assert cmd is not None and cmd.error is None and cmd.customer == customer
    [line] = cmd.lines
    assert (line.quantity, line.unit_price, line.currency) == (Decimal(quantity), Decimal(price), currency)
    assert cmd.terms.port == place


@pytest.mark.parametrize(
    ("text", "product", "unit", "price"),
    [
        ("报价 迪拜海湾贸易 总价 26 万美元 含 法兰 止回阀 CFR Jebel Ali", "法兰 止回阀", "批", "260000"),
        ("quote ACME valves lump sum USD 5000", "valves", "lot", "5000"),
    ],
)
def test_a_total_for_the_lot_is_one_line_of_one_lot(text: str, product: str, unit: str, price: str) -> None:
    """Blind set A180: a quote given as a total (总价 26 万美元) was refused for want of a quantity."""
    q = parse_quote_command(text, now=NOW, tz=TZ)
    assert q is not None and q.error is None
    [line] = q.lines
    assert (line.product, line.quantity, line.unit, line.unit_price) == (product, Decimal(1), unit, Decimal(price))


def test_a_unit_price_without_a_quantity_still_asks_for_it() -> None:
    q = parse_quote_command("报价 艾克美 DN50球阀 单价80美元", now=NOW, tz=TZ)
    assert q is not None and q.error is None and gaps(q) == ("DN50球阀的数量",)
