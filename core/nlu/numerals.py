"""Numbers as reps write them: `1,280,000`, `12.5`, `一百二十`, `两`; shared by money, quantities and dates.

Chinese numerals go through cn2an, but only as isolated spans (pitfall 20: never on whole sentences).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

import cn2an

ARABIC = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CN_DIGITS = "零〇一二两三四五六七八九十百千"
CHINESE = f"[{CN_DIGITS}]+"
NUMBER = f"(?:{ARABIC}|{CHINESE})"

MULTIPLIERS: dict[str, Decimal] = {
    "千": Decimal(1000),
    "万": Decimal(10_000),
    "w": Decimal(10_000),
    "十万": Decimal(100_000),
    "百万": Decimal(1_000_000),
    "千万": Decimal(10_000_000),
    "亿": Decimal(100_000_000),
    "k": Decimal(1000),
    "m": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "b": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}


@lru_cache(maxsize=1024)
def to_decimal(token: str) -> Decimal | None:
    """`1,280` → 1280, `一百二十` → 120, `两` → 2; None if it is not a number."""
    token = token.replace(",", "").strip()
    if not token:
        return None
    if token[0].isdigit():
        try:
            return Decimal(token)
        except InvalidOperation:
            return None
    try:
        return Decimal(str(cn2an.cn2an(token, "smart")))
    except (ValueError, KeyError, IndexError):
        return None


def to_int(token: str) -> int | None:
    value = to_decimal(token)
    return int(value) if value is not None and value == value.to_integral() else None
