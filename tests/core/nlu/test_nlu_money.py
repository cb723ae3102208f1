from __future__ import annotations

from decimal import Decimal

import pytest

from core.nlu.money import extract_money


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("50万美元", "500000", "USD"),
        ("12.5万", "125000", None),
        ("USD 120k", "120000", "USD"),
        ("$1.2M", "1200000", "USD"),
        ("3,000欧", "3000", "EUR"),
        ("人民币80万", "800000", "CNY"),
        ("一百二十万", "1200000", None),
        ("¥3.5万", "35000", "CNY"),
        ("€12.80", "12.80", "EUR"),
        ("HK$5000", "5000", "HKD"),
        ("单价80美元", "80", "USD"),
        ("80美元/件", "80", "USD"),
        ("120美金", "120", "USD"),
        ("8块", "8", "CNY"),
        ("3个亿", "300000000", None),
        ("12万5", "125000", None),
        ("50K USD", "50000", "USD"),
        ("RMB 1,280,000", "1280000", "CNY"),
        ("GBP 1.05", "1.05", "GBP"),
        ("5000日元", "5000", "JPY"),
        ("港币3万", "30000", "HKD"),
        ("报价是120", "120", None),
        ("三千美元", "3000", "USD"),
    ],
)
def test_amounts(text: str, amount: str, currency: str | None) -> None:
    (span,) = extract_money(text)
    assert (span.amount, span.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(
    "text",
    [
        "电话13800001111",
        "12月5日交货",
        "1000件",
        "一万件",
        "3家欧洲客户",
        "40HQ",
        "2026-12-01",
        "DN50",
        "报价3天内给",
        "一块去吃饭",
        "电子元器件",
        "降了5%",
        "500 pcs",
        "PO20261123",
    ],
)
def test_no_false_money(text: str) -> None:
    assert extract_money(text) == []


def test_unit_price_and_range() -> None:
    (unit,) = extract_money("单价8块一个")
    assert unit.per_unit and unit.money is not None and str(unit.money) == "¥8"
    low, high = extract_money("5万到8万美元")
    assert (low.amount, low.currency) == (Decimal(50000), "USD")
    assert (high.amount, high.currency) == (Decimal(80000), "USD")
    assert extract_money("12.5万")[0].money is None  # no currency, no Money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("预算 30 万", [("300000", None)]),
        ("首单试订 5 千美元 的法兰", [("5000", "USD")]),
        ("预算 300 万日元", [("3000000", "JPY")]),
        ("预算5万到8万美金", [("50000", "USD"), ("80000", "USD")]),
        ("项目预算 10-15万", [("100000", None), ("150000", None)]),
        ("报价 10-15万元", [("100000", "CNY"), ("150000", "CNY")]),
        ("控制阀 40台 SEK 1,850/台", [("1850", "SEK")]),
        ("CAD 68/pc DDP Toronto", [("68", "CAD")]),
        ("AUD 5,200 each", [("5200", "AUD")]),
        ("500 千克", []),
    ],
)
def test_spaces_ranges_and_more_currencies(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(m.amount, m.currency) for m in extract_money(text)] == [(Decimal(a), c) for a, c in expected]
