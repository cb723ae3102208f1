"""Money as an exact amount with an ISO currency code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)

CURRENCY_SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"}


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217, upper case

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: Decimal, currency: str) -> str:
    """`$500,000` / `¥80万` style: plain thousands separators, no fractional noise."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    q = amount.quantize(Decimal("0.01"))
    text = f"{q:,.2f}".rstrip("0").rstrip(".") if q != q.to_integral() else f"{q:,.0f}"
    return f"{symbol}{text}"


def format_money_short(amount: Decimal, currency: str) -> str:
    """`¥420万` / `$1.25亿` for chat: Chinese readers count in 万 and 亿, and it fits a phone line."""
    sign = "-" if amount < 0 else ""
    a = abs(Decimal(amount))
    if a < _WAN:
        return sign + format_money(a, currency)
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")
    unit, div = ("亿", _YI) if a >= _YI else ("万", _WAN)
    step = _short_step(a / div)
    value = (a / div).quantize(step, rounding=ROUND_HALF_UP)
    if unit == "万" and value >= _WAN:  # 9999.6万 reads better as 1亿
        unit, value = "亿", (a / _YI).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{symbol}{text}{unit}"


def _short_step(value: Decimal) -> Decimal:
    """Three significant digits or whole units: ¥1.23万, ¥12.3万, ¥123万, ¥1234万."""
    return Decimal("1") if value >= 100 else Decimal("0.1") if value >= 10 else Decimal("0.01")
