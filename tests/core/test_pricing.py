"""Quote arithmetic: totals, FX at the locked rate, margin and the incoterm price stack."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import UserInputError
from core.money import Money
from core.pricing import (
    FxRates,
    Incoterm,
    MissingRateError,
    PricingError,
    QuoteInput,
    QuoteLine,
    format_rate,
    parse_incoterm,
    price_quote,
    price_stack,
    rate_change_pct,
    rate_problem,
    usd_equivalent,
)

RATES = FxRates("CNY", {"USD": D("7.12"), "EUR": D("7.75")})


def line(qty: str, price: str, cost: str | None = None, cost_cur: str = "CNY", product: str = "LED") -> QuoteLine:
    return QuoteLine(product, D(qty), "pcs", D(price), Money(D(cost), cost_cur) if cost is not None else None)


# ---------------------------------------------------------------- totals and FX


def test_line_totals_and_quote_total_round_each_line_to_cents() -> None:
    q = QuoteInput("USD", (line("3", "0.125"), line("1000", "2.5"), line("2.5", "10.333")))
    p = price_quote(q, RATES)
    assert [lp.amount for lp in p.lines] == [D("0.38"), D("2500.00"), D("25.83")]
    assert p.total == D("2526.21")
    assert p.total_money == Money(D("2526.21"), "USD")


def test_total_in_base_uses_rate_table_and_returns_the_rate_to_lock() -> None:
    p = price_quote(QuoteInput("USD", (line("1000", "10"),)), RATES)
    assert p.fx_rate == D("7.12")
    assert p.total_base == D("71200.00")
    assert p.base_currency == "CNY"


def test_locked_rate_wins_over_todays_table() -> None:
    p = price_quote(QuoteInput("USD", (line("1000", "10"),), fx_rate=D("7.05")), RATES)
    assert p.fx_rate == D("7.05")
    assert p.total_base == D("70500.00")


def test_quote_in_base_currency_needs_no_rate() -> None:
    p = price_quote(QuoteInput("CNY", (line("10", "100", "80"),)), FxRates("CNY", {}))
    assert p.fx_rate == 1 and p.total_base == D("1000.00") and p.margin_pct == D("20.00")


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", "汇率未设置：USD。请财务或管理员发送“汇率 USD 7.12”设置"),
        ("GBP", "汇率未设置：GBP。请财务或管理员发送“汇率 GBP 9.05”设置"),
    ],
)
def test_missing_rate_says_who_sets_it(currency: str, expected: str) -> None:
    with pytest.raises(MissingRateError) as err:
        price_quote(QuoteInput(currency, (line("1", "1"),)), FxRates("CNY", {}))
    assert str(err.value) == expected
    assert err.value.currency == currency
    assert isinstance(err.value, UserInputError)  # handlers can reply with it as is


def test_missing_rate_for_a_cost_currency_is_reported_too() -> None:
    with pytest.raises(MissingRateError, match="JPY"):
        price_quote(QuoteInput("USD", (line("1", "10", "500", "JPY"),)), RATES)


def test_usd_equivalent() -> None:
    assert usd_equivalent(D("71200"), RATES) == D("10000")
    assert usd_equivalent(D("71199.99"), RATES) < D("10000")  # not rounded up into a threshold
    assert usd_equivalent(D("5000"), FxRates("USD", {})) == D("5000")
    with pytest.raises(MissingRateError, match="USD"):
        usd_equivalent(D("1"), FxRates("CNY", {"EUR": D("7.75")}))


def test_fx_helpers() -> None:
    assert format_rate("USD", D("7.1200")) == "1 USD = 7.12 CNY"
    assert RATES.convert(D("100"), "EUR", "USD") == D("775") / D("7.12")
    assert RATES.with_rate("usd", D("7")).rate("USD") == D("7")
    assert RATES.rate("CNY") == 1
    with pytest.raises(PricingError):
        FxRates("CNY", {"USD": D("0")})


# ---------------------------------------------------------------- margin


def test_margin_on_base_amounts_with_cost_in_another_currency() -> None:
    # revenue 1000 x $10 x 7.12 = ¥71,200; cost 1000 x ¥60 = ¥60,000 → 15.73 %
    p = price_quote(QuoteInput("USD", (line("1000", "10", "60"),), Incoterm.EXW), RATES)
    assert p.cost_base == D("60000.00")
    assert p.margin_pct == D("15.73")
    assert p.lines[0].margin_pct == D("15.73")


def test_margin_with_cost_in_eur_and_price_in_usd() -> None:
    # revenue $1,000 → ¥7,120; cost €800 → ¥6,200; margin 920/7120 = 12.92 %
    p = price_quote(QuoteInput("USD", (line("1", "1000", "800", "EUR"),), Incoterm.EXW), RATES)
    assert p.cost_base == D("6200.00") and p.margin_pct == D("12.92")


def test_margin_unknown_when_any_line_lacks_cost() -> None:
    p = price_quote(QuoteInput("USD", (line("1", "10", "50"), line("1", "10"))), RATES)
    assert p.margin_pct is None and p.cost_base is None
    assert p.lines[0].margin_pct is not None and p.lines[1].margin_pct is None
    assert any("未填成本" in n for n in p.notes)


def test_negative_margin_is_reported_not_hidden() -> None:
    p = price_quote(QuoteInput("CNY", (line("1", "100", "120"),)), RATES)
    assert p.margin_pct == D("-20.00")


def test_cif_quote_margin_takes_off_freight_and_insurance_the_seller_pays() -> None:
    # CIF $11,737.17 with $1,200 freight, 0.3 % on 110 % → premium $38.73, FOB-equivalent $10,498.44
    q = QuoteInput(
        "USD",
        (line("1", "11737.17", "60000"),),
        Incoterm.CIF,
        freight=Money(D("1200"), "USD"),
        insurance_rate_pct=D("0.3"),
    )
    p = price_quote(q, RATES)
    logistics_base = (D("1200") + D("38.73")) * D("7.12")
    assert p.cost_base == D("60000") + logistics_base.quantize(D("0.01"))
    assert p.margin_pct == ((p.total_base - p.cost_base) / p.total_base * 100).quantize(D("0.01"))
    assert p.notes == ()


def test_cif_quote_without_freight_warns_margin_may_be_high() -> None:
    q = QuoteInput("USD", (line("1", "1000", "5000"),), Incoterm.CIF, insurance_rate_pct=D("0.3"))
    p = price_quote(q, RATES)
    assert p.margin_pct is not None
    assert any("运费" in n and "偏高" in n for n in p.notes)


def test_freight_in_another_currency_is_converted_to_the_quote_currency() -> None:
    q = QuoteInput("USD", (line("1", "10000"),), Incoterm.FOB, freight=Money(D("7120"), "CNY"))
    p = price_quote(q, RATES)
    assert p.stack.amount_at(Incoterm.CFR) == D("11000.00")


# ---------------------------------------------------------------- price stack


def test_fob_builds_up_to_cif_with_insurance_on_110_percent() -> None:
    s = price_stack(D("10000"), Incoterm.FOB, "USD", port="Ningbo", freight=D("1200"), insurance_rate_pct=D("0.3"))
    # CIF = (FOB + freight) / (1 - 1.1 x 0.003) = 11200 / 0.9967
    assert [(st.term, st.amount) for st in s.steps] == [
        (Incoterm.FOB, D("10000.00")),
        (Incoterm.CFR, D("11200.00")),
        (Incoterm.CIF, D("11237.08")),
    ]
    assert s.steps[0].quoted and not s.steps[2].quoted
    cif = s.steps[2]
    assert cif.added == D("37.08")  # = CIF x 110 % x 0.3 %, to the cent
    assert (cif.amount * D("1.1") * D("0.003")).quantize(D("0.01")) == cif.added
    assert s.lines()[0] == "FOB Ningbo $10,000（报价）"
    assert s.lines()[1] == "+ 运费 $1,200 → CFR $11,200"
    assert s.lines()[2] == "+ 保险费（110% × 0.3%） $37.08 → CIF $11,237.08"


def test_cif_breaks_down_to_fob_and_round_trips() -> None:
    s = price_stack(D("11237.08"), Incoterm.CIF, "USD", freight=D("1200"), insurance_rate_pct=D("0.3"))
    assert [(st.term, st.amount, st.quoted) for st in s.steps] == [
        (Incoterm.FOB, D("10000.00"), False),
        (Incoterm.CFR, D("11200.00"), False),
        (Incoterm.CIF, D("11237.08"), True),
    ]


def test_every_shown_step_adds_up() -> None:
    s = price_stack(
        D("8765.43"),
        Incoterm.CIF,
        "USD",
        origin_charges=D("300"),
        freight=D("950.5"),
        insurance_rate_pct=D("0.45"),
    )
    assert [st.term for st in s.steps] == [Incoterm.EXW, Incoterm.FOB, Incoterm.CFR, Incoterm.CIF]
    for before, after in zip(s.steps, s.steps[1:], strict=False):
        assert before.amount + after.added == after.amount


def test_exw_builds_up_through_origin_charges() -> None:
    s = price_stack(D("9500"), Incoterm.EXW, "USD", origin_charges=D("500"), freight=D("1200"))
    assert [(st.term, st.amount) for st in s.steps] == [
        (Incoterm.EXW, D("9500.00")),
        (Incoterm.FOB, D("10000.00")),
        (Incoterm.CFR, D("11200.00")),
    ]
    assert s.notes == ("未填写保险费率，无法推算 CIF",)


def test_unknown_component_stops_the_walk_with_a_note() -> None:
    s = price_stack(D("11000"), Incoterm.CFR, "USD")
    assert [st.term for st in s.steps] == [Incoterm.CFR]
    assert "未填写保险费率，无法推算 CIF" in s.notes and "未填写运费，无法推算 FOB" in s.notes


def test_fca_and_cip_sit_at_fob_and_cif_levels() -> None:
    s = price_stack(D("10000"), Incoterm.FCA, "USD", freight=D("1200"), insurance_rate_pct=D("0"))
    assert [st.term for st in s.steps] == [Incoterm.FCA, Incoterm.CFR, Incoterm.CIF]
    assert s.amount_at(Incoterm.FOB) == D("10000.00")
    assert s.amount_at(Incoterm.CIF) == D("11200.00")  # 0 % insurance: CIF = CFR


def test_destination_terms_get_no_stack() -> None:
    s = price_stack(D("12000"), Incoterm.DDP, "USD", freight=D("1200"))
    assert len(s.steps) == 1 and s.steps[0].quoted and s.notes


def test_quote_below_freight_is_an_error() -> None:
    with pytest.raises(PricingError, match="运费"):
        price_stack(D("1000"), Incoterm.CFR, "USD", freight=D("1200"))


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        (QuoteInput("USD", ()), "至少需要一行"),
        (QuoteInput("USD", (line("0", "1"),)), "数量必须大于 0"),
        (QuoteInput("USD", (line("1", "-1"),)), "单价不能为负"),
        (QuoteInput("USD", (line("1", "1"),), fx_rate=D("0")), "汇率必须大于 0"),
        (QuoteInput("USD", (line("1", "1"),), freight=Money(D("-5"), "USD")), "运费不能为负"),
        (QuoteInput("USD", (line("1", "1"),), insurance_rate_pct=D("95")), "保险费率不合理"),
    ],
)
def test_validation(quote: QuoteInput, message: str) -> None:
    with pytest.raises(PricingError, match=message):
        price_quote(quote, RATES)


def test_parse_incoterm() -> None:
    assert parse_incoterm(" fob ") is Incoterm.FOB
    assert parse_incoterm("FOBB") is None


# --- VAT and rate checks (issue 9) ----------------------------------------------------------------------


def test_margin_on_a_tax_inclusive_price_takes_the_vat_out() -> None:
    """¥1,200 含税 at 13% is ¥1,061.95 of revenue: against a ¥900 cost that is 15.25%, not 25%."""
    q = QuoteInput("CNY", (line("100", "1200", "900"),), vat_rate_pct=D(13), prices_include_vat=True)
    p = price_quote(q, RATES)
    assert p.total == D(120000) and p.total_net_base == D("106194.69")
    assert p.margin_pct == D("15.25") and p.lines[0].margin_pct == D("15.25")


def test_a_net_price_and_an_export_quote_keep_their_margin() -> None:
    net = price_quote(
        QuoteInput("CNY", (line("100", "1200", "900"),), vat_rate_pct=D(13), prices_include_vat=False), RATES
    )
    assert net.margin_pct == D(25)
    export = price_quote(
        QuoteInput("USD", (line("100", "200", "900"),), vat_rate_pct=D(0), prices_include_vat=True), RATES
    )
    assert export.total_net_base == export.total_base  # 0% VAT: 含税 changes nothing
    unsaid = price_quote(QuoteInput("CNY", (line("100", "1200", "900"),), vat_rate_pct=D(13)), RATES)
    assert unsaid.margin_pct == D(25) and "未注明含税或不含税，毛利按不含税价计算" in unsaid.notes


@pytest.mark.parametrize(
    ("currency", "rate", "problem"),
    [
        ("USD", D("7.12"), None),
        ("JPY", D("0.048"), None),
        ("CNY", D(1), "本位币"),
        ("USD", D("0.00001"), "不合理"),
        ("USD", D(200000), "不合理"),
    ],
)
def test_rate_problems(currency: str, rate: D, problem: str | None) -> None:
    found = rate_problem(currency, rate, "CNY")
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_rate_change_share() -> None:
    assert rate_change_pct(D("7.12"), D("71.8")) == D("908.4")
    assert rate_change_pct(D("7.12"), D("7.30")) == D("2.5")
