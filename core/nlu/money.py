"""Money amounts in chat style: `50万美元`, `USD 120k`, `$1.2M`, `3,000欧`, `12万5`, `3个亿`, `8块`.

Our own regex (parsing.md §4: no library handled this chat style). A number is money only with a currency
word, a price cue before it (单价 / 报价 / 预算 …), or a bare 万 / 亿 multiplier; so phone numbers, dates and
quantities never are. Currency is None when the text does not say (the caller decides the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.money import Money
from core.nlu.normalize import normalize
from core.nlu.numerals import MULTIPLIERS, NUMBER, to_decimal

CURRENCY_WORDS: dict[str, str] = {
    "us$": "USD",
    "$": "USD",
    "usd": "USD",
    "美元": "USD",
    "美金": "USD",
    "刀": "USD",
    "€": "EUR",
    "eur": "EUR",
    "欧元": "EUR",
    "欧": "EUR",
    "¥": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "£": "GBP",
    "gbp": "GBP",
    "英镑": "GBP",
    "jpy": "JPY",
    "日元": "JPY",
    "日币": "JPY",
    "hk$": "HKD",
    "hkd": "HKD",
    "港币": "HKD",
    "港元": "HKD",
    **{
        code.lower(): code
        for code in (
            "CAD",
            "AUD",
            "CHF",
            "SEK",
            "NOK",
            "DKK",
            "SGD",
            "INR",
            "AED",
            "SAR",
            "KRW",
            "BRL",
            "MXN",
            "ZAR",
            "PLN",
            "TRY",
            "THB",
            "VND",
            "IDR",
            "MYR",
            "PHP",
            "NZD",
            "RUB",
            "CLP",
        )
    },
    "加元": "CAD",
    "加币": "CAD",
    "澳元": "AUD",
    "澳币": "AUD",
    "瑞郎": "CHF",
    "瑞士法郎": "CHF",
    "新币": "SGD",
    "新加坡元": "SGD",
    "卢比": "INR",
    "韩元": "KRW",
    "迪拉姆": "AED",
    "里亚尔": "SAR",
    "泰铢": "THB",
    "卢布": "RUB",
}


@dataclass(frozen=True, slots=True)
class MoneySpan:
    start: int  # char offsets into normalize(text)
    end: int
    amount: Decimal
    currency: str | None  # ISO 4217, None when the message gives none
    per_unit: bool = False  # 单价80美元, 80美元/件

    @property
    def money(self) -> Money | None:
        return Money(self.amount, self.currency) if self.currency else None


_ISO = (
    r"(?<![A-Za-z])(?:USD|EUR|RMB|CNY|GBP|JPY|HKD|CAD|AUD|CHF|SEK|NOK|DKK|SGD|INR|AED|SAR|KRW|BRL|MXN|ZAR|PLN|"
    r"TRY|THB|VND|IDR|MYR|PHP|NZD|RUB|CLP)(?![A-Za-z])"
)
_NAMED = "加元|加币|澳元|澳币|瑞士法郎|瑞郎|新加坡元|新币|卢比|韩元|迪拉姆|里亚尔|泰铢|卢布"
_PATTERN = re.compile(
    rf"(?:(?P<pre>US\$|HK\$|[$¥€£]|{_ISO}|人民币|美元|欧元|港币)\s?|(?<![A-Za-z\d.]))(?P<num>{NUMBER})"
    r"(?:(?P<mult>\s?(?:个亿|亿|千万|百万|十万|万|千(?!克|米|瓦))|[kKwW](?![A-Za-z])|[mM](?:n|illion)?(?![A-Za-z])"
    r"|\s?(?:million|billion|bn)(?![A-Za-z]))(?P<tail>[1-9一二三四五六七八九](?![\d.])千?)?)?"
    rf"(?:\s?(?P<suf>美元|美金|刀(?![片具])|{_ISO}(?!\s?\d)|{_NAMED}|欧元|欧(?![洲盟美式标规])|人民币|块钱|日元|日币|港币|港元|英镑"
    r"|元(?![旦器素件])|块(?=$|[\s,，。.;；!?/、)]|一|每|左右|多)|[$€]))?",
    re.I,
)
_CUE_BEFORE = re.compile(
    r"(?:单价|总价|报价|价格|价钱|价位|预算|金额|合同额|合同金额|货值|货款|总额|订单额|成交价|年采购额|采购额|"
    r"每\s?(?:件|个|套|只|台|吨|箱|米|双)|(?<![A-Za-z])(?:price|budget|quote|quoted|amount|total|value|worth))"
    r"\s?(?:是|为|:|在|约|大概|大约|差不多|about|around|of|at|is)?\s?$",
    re.I,
)
_UNIT_AFTER = re.compile(
    r"\s?(?:件|个|套|箱|吨|柜|台|托|只|支|条|把|片|双|卷|米|公斤|千克|天|周|月|年|号|日|人|次|小时|点|分|%|"
    r"(?:kg|pcs|pc|sets?|units?|ctns?|cartons?|containers?|tons?|mt)(?![A-Za-z]))",
    re.I,
)
_PER_UNIT_AFTER = re.compile(
    r"\s?(?:(?:/|每|一|per)\s?(?:件|个|套|只|台|吨|米|箱|双|pcs|pc|piece|unit|set|kg|ton|mt)|each|ea)(?![A-Za-z])", re.I
)
_RANGE_JOIN = re.compile(r"\s?(?:到|至|-|~)\s?")
_BARE_MULTIPLIERS = ("万", "亿", "个亿", "千万", "百万", "十万")


def _currency(word: str | None) -> str | None:
    return CURRENCY_WORDS[word.lower()] if word else None


def extract_money(text: str) -> list[MoneySpan]:
    """Money amounts in `text`, left to right; spans index into normalize(text)."""
    text = normalize(text)
    spans: list[MoneySpan] = []
    for m in _PATTERN.finditer(text):
        pre, suf, mult = m["pre"], m["suf"], (m["mult"] or "").strip().lower()
        currency = _currency(pre) or _currency(suf)
        cue = bool(_CUE_BEFORE.search(text, max(0, m.start() - 12), m.start()))
        if currency is None and not cue and mult not in _BARE_MULTIPLIERS:
            continue
        if suf is None and _UNIT_AFTER.match(text, m.end()):
            continue  # 1000件, 1万件, 报价3天
        number = to_decimal(m["num"])
        if number is None:
            continue
        factor = MULTIPLIERS.get(mult.removeprefix("个"), Decimal(1))
        amount = number * factor
        if m["tail"]:
            amount += (to_decimal(m["tail"].rstrip("千")) or Decimal(0)) * factor / 10  # 12万5 = 12.5万
        per_unit = bool(_PER_UNIT_AFTER.match(text, m.end())) or (
            cue and "单价" in text[max(0, m.start() - 6) : m.start()]
        )
        low = _RANGE_LOW.search(text, 0, m.start()) if factor != 1 and not m["pre"] else None
        if low and (low_number := to_decimal(low["num"])) is not None:
            spans = [s for s in spans if s.end <= low.start()]  # 报价 10-15万: 10 was read as 10 yuan
            spans.append(MoneySpan(low.start(), low.end(), _whole(low_number * factor), currency, per_unit))
        spans.append(MoneySpan(m.start(), m.end(), _whole(amount), currency, per_unit))
    return _share_range_currency(text, spans)


# The bottom of a range written without its multiplier: `10-15万` is 10万 to 15万.
_RANGE_LOW = re.compile(r"(?<![\d.,A-Za-z])(?P<num>\d+(?:\.\d+)?)\s?(?:到|至|-|~)\s?$")


def _whole(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount


def _share_range_currency(text: str, spans: list[MoneySpan]) -> list[MoneySpan]:
    """`5万到8万美元`: the first end of a range takes the currency written after the second."""
    for i in range(len(spans) - 1):
        a, b = spans[i], spans[i + 1]
        if a.currency is None and b.currency and _RANGE_JOIN.fullmatch(text, a.end, b.start):
            spans[i] = MoneySpan(a.start, a.end, a.amount, b.currency, a.per_unit)
    return spans
