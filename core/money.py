"""Money as an exact amount with an ISO currency code."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
