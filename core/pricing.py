"""Quote arithmetic: line totals, FX to the base currency, margin and the incoterm price stack.

Pure functions over frozen dataclasses so the same numbers show on the rep's card, the
approver's card, the XLSX and in tests. Money is `Decimal`; amounts are rounded to cents
(ROUND_HALF_UP) at each *shown* step so the steps a person sees always add up.

Rates are expressed the way finance says them: "1 USD = 7.12 CNY", i.e. `rates["USD"]`
is how many base-currency units one USD buys.

Price stack (why the money moves between terms), all on the whole-shipment value in the
quote currency:

    EXW  --(+ origin charges: inland haulage, export clearance, port charges)-->  FOB
    FOB  --(+ ocean freight)-->                                                   CFR
    CFR  --(+ insurance on 110% of CIF)-->                                        CIF
          CIF = CFR / (1 - 1.1 * rate)     i.e.  CIF = (FOB + freight) / (1 - 1.1 * rate)

The quoted price is the truth at the quote's own incoterm; every other term in the stack
is *derived* from it, outwards in both directions, as far as the known components allow:
a FOB quote is built up to CFR/CIF by adding freight and grossing up insurance; a CIF
quote is broken down to CFR by taking off the premium (CIF x 1.1 x rate) and to FOB by
taking off freight. A step whose component is unknown stops the walk in that direction
and adds a note, rather than silently treating the component as zero.
FCA/CPT/CIP sit at the same levels as FOB/CFR/CIF; DAP/DDP are beyond CIF and get no stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from core.errors import UserInputError
from core.money import Money, format_money

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DEFAULT_BASE_CURRENCY = "CNY"
DEFAULT_VALIDITY_DAYS = 30
DEFAULT_INSURANCE_MARKUP = Decimal("1.1")  # Institute Cargo Clauses: insure 110% of CIF

# Plausible examples for the "how to set it" hint, per base CNY.
_RATE_EXAMPLES: dict[str, str] = {"USD": "7.12", "EUR": "7.75", "GBP": "9.05", "JPY": "0.048", "HKD": "0.91"}


def cents(amount: Decimal) -> Decimal:
    """Round to cents the way invoices do (half up), so shown steps add up exactly."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PricingError(UserInputError):
    """The quote cannot be priced as entered; `str(err)` is the Chinese reply."""


class MissingRateError(PricingError):
    """No FX rate for a currency; the message says who can set it and how."""

    def __init__(self, currency: str, base: str = DEFAULT_BASE_CURRENCY) -> None:
        self.currency = currency
        example = _RATE_EXAMPLES.get(currency, "7.12") if base == DEFAULT_BASE_CURRENCY else "1.00"
        super().__init__(f"汇率未设置：{currency}。请财务或管理员发送“汇率 {currency} {example}”设置")


MIN_RATE = Decimal("0.0001")  # below this a rate is a typo, and rounds towards 0 in the database
MAX_RATE = Decimal(100_000)


def rate_problem(currency: str, rate: Decimal, base: str) -> str | None:
    """Why a rate cannot be set (Chinese), or None when it can."""
    if currency.upper() == base.upper():
        return f"{base} 是本位币，汇率恒为 1，不用设置。"
    if not MIN_RATE <= rate <= MAX_RATE:
        return (
            f"汇率 {rate.normalize():f} 不合理：应在 {MIN_RATE:f} 到 {MAX_RATE:,f} 之间"
            f"（1 {currency} 折合多少 {base}）。"
        )
    return None


def rate_change_pct(old: Decimal, new: Decimal) -> Decimal:
    """How far a new rate moves from the current one, in percent of the current one."""
    return (abs(new - old) / old * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def format_rate(currency: str, rate: Decimal, base: str = DEFAULT_BASE_CURRENCY) -> str:
    """`1 USD = 7.12 CNY` — the form finance uses, so cards and commands read the same."""
    return f"1 {currency} = {rate.normalize():f} {base}"


@dataclass(frozen=True)
class FxRates:
    """A snapshot of rates: `rates[cur]` base units per one `cur`; base itself is always 1."""

    base: str = DEFAULT_BASE_CURRENCY
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.upper())
        clean: dict[str, Decimal] = {}
        for cur, value in self.rates.items():
            rate = Decimal(str(value))
            if rate <= 0:
                raise PricingError(f"汇率必须大于 0：{cur.upper()} {value}")
            clean[cur.upper()] = rate
        object.__setattr__(self, "rates", clean)

    def rate(self, currency: str) -> Decimal:
        cur = currency.upper()
        if cur == self.base:
            return Decimal(1)
        try:
            return self.rates[cur]
        except KeyError:
            raise MissingRateError(cur, self.base) from None

    def has(self, currency: str) -> bool:
        return currency.upper() == self.base or currency.upper() in self.rates

    def with_rate(self, currency: str, rate: Decimal) -> FxRates:
        """A copy with one rate replaced, e.g. the quote's locked rate over today's table."""
        return replace(self, rates={**self.rates, currency.upper(): rate})

    def to_base(self, amount: Decimal, currency: str) -> Decimal:
        return amount * self.rate(currency)

    def convert(self, amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
        if from_currency.upper() == to_currency.upper():
            return amount
        return amount * self.rate(from_currency) / self.rate(to_currency)


def usd_equivalent(amount_base: Decimal, rates: FxRates) -> Decimal:
    """Base amount in USD, unrounded, so a threshold like $10k is compared exactly."""
    if rates.base == "USD":
        return amount_base
    return amount_base / rates.rate("USD")


class Incoterm(StrEnum):
    EXW = "EXW"
    FCA = "FCA"
    FOB = "FOB"
    CFR = "CFR"
    CPT = "CPT"
    CIF = "CIF"
    CIP = "CIP"
    DAP = "DAP"
    DDP = "DDP"

    @property
    def level(self) -> int | None:
        """Position in the EXW→FOB→CFR→CIF stack; None for destination terms (DAP/DDP)."""
        return _LEVEL.get(self)


_LEVEL: dict[Incoterm, int] = {
    Incoterm.EXW: 0,
    Incoterm.FCA: 1,
    Incoterm.FOB: 1,
    Incoterm.CFR: 2,
    Incoterm.CPT: 2,
    Incoterm.CIF: 3,
    Incoterm.CIP: 3,
}
# The term shown at each level when it is derived (sea freight is the common case).
_STACK_TERMS: tuple[Incoterm, ...] = (Incoterm.EXW, Incoterm.FOB, Incoterm.CFR, Incoterm.CIF)
_COMPONENT_NAMES: tuple[str, ...] = ("", "出口端费用", "运费", "保险费")


def parse_incoterm(text: str) -> Incoterm | None:
    try:
        return Incoterm(text.strip().upper())
    except ValueError:
        return None


@dataclass(frozen=True)
class QuoteLine:
    """One product line; unit_price is in the quote currency, unit_cost may be in any currency."""

    product: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    unit_cost: Money | None = None


@dataclass(frozen=True)
class QuoteInput:
    """What pricing needs from a quote; the customer and terms text live elsewhere."""

    currency: str
    lines: tuple[QuoteLine, ...]
    incoterm: Incoterm = Incoterm.FOB
    port: str = ""
    fx_rate: Decimal | None = None  # locked "1 <currency> = x base"; None → take from the rate table
    freight: Money | None = None  # whole shipment, FOB→CFR
    insurance_rate_pct: Decimal | None = None  # e.g. Decimal("0.3") for 0.3 %
    origin_charges: Money | None = None  # whole shipment, EXW→FOB
    insurance_markup: Decimal = DEFAULT_INSURANCE_MARKUP
    vat_rate_pct: Decimal = Decimal(0)  # the VAT in the price: 13 for a domestic sale, 0 for an export
    prices_include_vat: bool | None = None  # 含税 / 不含税 as the rep wrote it; None: not said (taken as net)


@dataclass(frozen=True)
class PriceStep:
    """One term in the stack; `added` is what was added on top of the previous term."""

    term: Incoterm
    amount: Decimal
    added: Decimal = Decimal(0)
    component: str = ""  # 出口端费用 / 运费 / 保险费; empty on the first step
    quoted: bool = False


@dataclass(frozen=True)
class PriceStack:
    """The quoted term plus whatever neighbouring terms the known costs let us derive."""

    quoted_term: Incoterm
    currency: str
    port: str
    steps: tuple[PriceStep, ...]
    notes: tuple[str, ...] = ()

    def amount_at(self, term: Incoterm) -> Decimal | None:
        level = term.level
        for step in self.steps:
            if step.term is term or (level is not None and step.term.level == level):
                return step.amount
        return None

    def lines(self) -> list[str]:
        """Human lines for cards: each step with what was added and why."""
        out: list[str] = []
        for step in self.steps:
            mark = "（报价）" if step.quoted else ""
            price = format_money(step.amount, self.currency)
            where = f" {self.port}" if self.port and step.quoted else ""  # the port belongs to the quoted term
            if step.component:
                out.append(
                    f"+ {step.component} {format_money(step.added, self.currency)} → "
                    f"{step.term.value}{where} {price}{mark}"
                )
            else:
                out.append(f"{step.term.value}{where} {price}{mark}")
        out.extend(self.notes)
        return out


@dataclass(frozen=True)
class LinePricing:
    line: QuoteLine
    amount: Decimal  # quote currency, as quoted (with VAT when the price includes it)
    amount_base: Decimal
    cost_base: Decimal | None
    margin_pct: Decimal | None  # on the net (VAT-free) amount
    net_base: Decimal  # amount_base without VAT


@dataclass(frozen=True)
class QuotePricing:
    """Everything a card or approver needs; margin is None unless every line has a cost."""

    currency: str
    base_currency: str
    fx_rate: Decimal  # the rate to lock on the quote
    lines: tuple[LinePricing, ...]
    total: Decimal
    total_base: Decimal
    total_net_base: Decimal  # total_base without VAT: what the margin is earned on
    cost_base: Decimal | None
    margin_pct: Decimal | None
    stack: PriceStack
    notes: tuple[str, ...] = ()
    vat_rate_pct: Decimal = Decimal(0)
    prices_include_vat: bool | None = None

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def total_base_money(self) -> Money:
        return Money(self.total_base, self.base_currency)


def _margin(revenue: Decimal, cost: Decimal) -> Decimal | None:
    if revenue <= 0:
        return None
    return ((revenue - cost) / revenue * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: object, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PricingError(f"{what}不是有效数字：{value}") from None


def _validate(quote: QuoteInput) -> None:
    if not quote.lines:
        raise PricingError("报价至少需要一行产品")
    for i, line in enumerate(quote.lines, 1):
        if _dec(line.quantity, "数量") <= 0:
            raise PricingError(f"第 {i} 行（{line.product}）数量必须大于 0")
        if _dec(line.unit_price, "单价") < 0:
            raise PricingError(f"第 {i} 行（{line.product}）单价不能为负")
        if line.unit_cost is not None and line.unit_cost.amount < 0:
            raise PricingError(f"第 {i} 行（{line.product}）成本不能为负")
    if not Decimal(0) <= quote.vat_rate_pct < HUNDRED:
        raise PricingError(f"增值税率不合理：{quote.vat_rate_pct}%")
    if quote.fx_rate is not None and quote.fx_rate <= 0:
        raise PricingError(f"汇率必须大于 0：{quote.currency} {quote.fx_rate}")
    for name, money in (("运费", quote.freight), ("出口端费用", quote.origin_charges)):
        if money is not None and money.amount < 0:
            raise PricingError(f"{name}不能为负：{money}")
    if quote.insurance_rate_pct is not None:
        factor = quote.insurance_markup * quote.insurance_rate_pct / HUNDRED
        if quote.insurance_rate_pct < 0 or factor >= 1:
            raise PricingError(f"保险费率不合理：{quote.insurance_rate_pct}%（通常为 0.1%–0.5%）")


def price_stack(
    quoted_amount: Decimal,
    quoted_term: Incoterm,
    currency: str,
    *,
    port: str = "",
    origin_charges: Decimal | None = None,
    freight: Decimal | None = None,
    insurance_rate_pct: Decimal | None = None,
    insurance_markup: Decimal = DEFAULT_INSURANCE_MARKUP,
) -> PriceStack:
    """Derive EXW/FOB/CFR/CIF from the quoted term outwards; components in the quote currency."""
    level = quoted_term.level
    if level is None:
        return PriceStack(
            quoted_term,
            currency,
            port,
            (PriceStep(quoted_term, cents(quoted_amount), quoted=True),),
            (f"{quoted_term.value} 含目的港费用，无法推算 FOB/CIF 价格构成",),
        )
    ins = None if insurance_rate_pct is None else insurance_markup * insurance_rate_pct / HUNDRED
    amounts: dict[int, Decimal] = {level: cents(quoted_amount)}
    notes: list[str] = []
    missing = {1: "出口端费用", 2: "运费", 3: "保险费率"}

    def known(edge: int) -> bool:
        return {1: origin_charges, 2: freight, 3: ins}[edge] is not None

    # Up: level k-1 → k.
    for k in range(level + 1, 4):
        if not known(k):
            notes.append(f"未填写{missing[k]}，无法推算 {_STACK_TERMS[k].value}")
            break
        prev = amounts[k - 1]
        if k == 3:
            amounts[k] = cents(prev / (1 - ins))  # type: ignore[operator]
        else:
            amounts[k] = cents(prev + (origin_charges if k == 1 else freight))  # type: ignore[operator]
    # Down: level k → k-1.
    for k in range(level, 0, -1):
        if not known(k):
            if k > 1:  # EXW is rarely asked for from a FOB price; no note for it
                notes.append(f"未填写{missing[k]}，无法推算 {_STACK_TERMS[k - 1].value}")
            break
        cur = amounts[k]
        if k == 3:
            amounts[k - 1] = cents(cur - cur * ins)  # type: ignore[operator]
        else:
            amounts[k - 1] = cents(cur - (origin_charges if k == 1 else freight))  # type: ignore[operator]
        if amounts[k - 1] < 0:
            raise PricingError(f"{quoted_term.value} 价格低于{_COMPONENT_NAMES[k]}，请检查报价或费用")

    steps: list[PriceStep] = []
    for k in sorted(amounts):
        term = quoted_term if k == level else _STACK_TERMS[k]
        if not steps:
            steps.append(PriceStep(term, amounts[k], quoted=k == level))
        else:
            component = _COMPONENT_NAMES[k]
            if k == 3:
                component = f"保险费（{_pct_text(insurance_markup * HUNDRED)}% × {_pct_text(insurance_rate_pct)}%）"
            steps.append(PriceStep(term, amounts[k], amounts[k] - amounts[k - 1], component, quoted=k == level))
    return PriceStack(quoted_term, currency, port, tuple(steps), tuple(notes))


def _pct_text(value: Decimal | None) -> str:
    """`110`, `0.3` — no trailing zeros or exponent."""
    return "?" if value is None else f"{value.normalize():f}"


def price_quote(quote: QuoteInput, rates: FxRates) -> QuotePricing:
    """Totals, base-currency total at the locked rate, margin and the price stack."""
    _validate(quote)
    currency = quote.currency.upper()
    if currency == rates.base:
        fx_rate = Decimal(1)  # a rate on a base-currency quote can only be a typo
    else:
        fx_rate = quote.fx_rate if quote.fx_rate is not None else rates.rate(currency)
        rates = rates.with_rate(currency, fx_rate)
    notes: list[str] = []
    # Margin is earned on the price without VAT: 含税 ¥1,200 at 13% is ¥1,061.95 of revenue.
    gross_factor = 1 + quote.vat_rate_pct / HUNDRED if quote.prices_include_vat else Decimal(1)
    if quote.vat_rate_pct and quote.prices_include_vat is None:
        notes.append("未注明含税或不含税，毛利按不含税价计算")

    priced: list[LinePricing] = []
    for line in quote.lines:
        qty = _dec(line.quantity, "数量")
        amount = cents(qty * _dec(line.unit_price, "单价"))
        amount_base = cents(amount * fx_rate)
        net_base = cents(amount_base / gross_factor)
        line_cost: Decimal | None = None
        if line.unit_cost is not None:
            unit_cost_base = rates.to_base(_dec(line.unit_cost.amount, "成本"), line.unit_cost.currency)
            line_cost = cents(qty * unit_cost_base)
        line_margin = _margin(net_base, line_cost) if line_cost is not None else None
        priced.append(LinePricing(line, amount, amount_base, line_cost, line_margin, net_base))
    total = sum((p.amount for p in priced), Decimal(0))
    total_base = cents(total * fx_rate)
    total_net_base = cents(total_base / gross_factor)

    def in_quote(money: Money | None) -> Decimal | None:
        return None if money is None else cents(rates.convert(money.amount, money.currency, currency))

    origin = in_quote(quote.origin_charges)
    freight = in_quote(quote.freight)
    stack = price_stack(
        total,
        quote.incoterm,
        currency,
        port=quote.port,
        origin_charges=origin,
        freight=freight,
        insurance_rate_pct=quote.insurance_rate_pct,
        insurance_markup=quote.insurance_markup,
    )

    cost_base: Decimal | None = None
    margin: Decimal | None = None
    costs = [p.cost_base for p in priced if p.cost_base is not None]
    if len(costs) == len(priced):
        goods = sum(costs, Decimal(0))
        logistics = _seller_logistics(quote.incoterm, stack, origin, freight, notes)
        cost_base = goods + cents(logistics * fx_rate)
        margin = _margin(total_net_base, cost_base)
        if margin is None:
            notes.append("报价金额为 0，无法计算毛利")
    else:
        notes.append("部分产品未填成本，毛利未计算")
    return QuotePricing(
        currency=currency,
        base_currency=rates.base,
        fx_rate=fx_rate,
        lines=tuple(priced),
        total=total,
        total_base=total_base,
        total_net_base=total_net_base,
        cost_base=cost_base,
        margin_pct=margin,
        stack=stack,
        notes=tuple(notes),
        vat_rate_pct=quote.vat_rate_pct,
        prices_include_vat=quote.prices_include_vat,
    )


def _seller_logistics(
    term: Incoterm, stack: PriceStack, origin: Decimal | None, freight: Decimal | None, notes: list[str]
) -> Decimal:
    """What the seller pays between EXW and the quoted term (quote currency); it comes off the margin.

    Missing origin charges are taken as already in the unit cost (common for factory prices);
    missing freight or insurance on a CFR/CIF quote would overstate the margin, so we say so.
    """
    level = term.level
    if level is None:
        notes.append(f"{term.value} 的运输与目的港费用未计入毛利")
        return Decimal(0)
    total = Decimal(0)
    if level >= 1 and origin is not None:
        total += origin
    if level >= 2:
        if freight is None:
            notes.append("未填写运费，毛利未扣除运费，可能偏高")
        else:
            total += freight
    if level >= 3:
        top = stack.steps[-1]
        if top.term.level == 3 and top.component:
            total += top.added
        else:
            notes.append("未填写保险费率，毛利未扣除保险费，可能偏高")
    return total
