"""Order quantities: `1000件`, `2个柜`, `500 pcs`, `3x40HQ`, `数量1000` (parsing.md §7: no library has them).

The 个 classifier is a unit only when no time or people word follows it (`一个月`, `两个人` are not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from core.nlu.normalize import normalize
from core.nlu.numerals import ARABIC, CHINESE, to_decimal


@dataclass(frozen=True, slots=True)
class QuantitySpan:
    start: int  # char offsets into normalize(text)
    end: int
    value: Decimal
    unit: str | None  # canonical unit (pcs, set, carton, ton, container, …); None for a bare 数量1000
    container: str | None = None  # 40HQ / 20GP when the unit is a container type


_UNITS: dict[str, str] = {
    "件": "pcs",
    "个": "pcs",
    "只": "pcs",
    "支": "pcs",
    "条": "pcs",
    "把": "pcs",
    "片": "pcs",
    "pcs": "pcs",
    "pc": "pcs",
    "pieces": "pcs",
    "piece": "pcs",
    "units": "pcs",
    "unit": "pcs",
    "套": "set",
    "sets": "set",
    "set": "set",
    "台": "unit",
    "双": "pair",
    "pairs": "pair",
    "卷": "roll",
    "箱": "carton",
    "ctns": "carton",
    "ctn": "carton",
    "cartons": "carton",
    "carton": "carton",
    "托": "pallet",
    "pallets": "pallet",
    "pallet": "pallet",
    "吨": "ton",
    "tons": "ton",
    "ton": "ton",
    "mt": "ton",
    "公斤": "kg",
    "千克": "kg",
    "kg": "kg",
    "米": "m",
    "柜": "container",
    "货柜": "container",
    "集装箱": "container",
    "containers": "container",
    "container": "container",
}
_NUM = rf"(?P<num>{ARABIC}|{CHINESE})\s?(?P<wan>万|[wWkK](?![A-Za-z]))?"
_FACTOR = {"万": 10_000, "w": 10_000, "k": 1000}
_UNIT_WORDS = "|".join(sorted((re.escape(u) for u in _UNITS if u != "个"), key=len, reverse=True))
# 个 must not start 个月 / 个人 / 个亿 …; Latin units must end at a non-letter.
_GE_GUARD = r"(?!月|人|周|小时|钟头|工作日|季度|亿|半|多月|问题|点|意思|客户|联系人|星期|礼拜|原因|方案)"
_CONTAINER = re.compile(
    rf"(?<![A-Za-z\d.])(?:{_NUM}\s?(?:[xX×*]|个|只)?\s?)?(?P<size>20|40|45)\s?(?:'|尺|ft|英尺)?\s?"
    r"(?P<kind>GP|HQ|HC|RH|OT|FR|高柜|平柜|柜|普柜|冷柜|冷藏柜|reefers?|containers?|cntrs?)(?![A-Za-z])",
    re.I,
)
_COUNT = re.compile(
    rf"(?<![A-Za-z\d.]){_NUM}\s?(?P<unit>个{_GE_GUARD}(?:货柜|柜)?|{_UNIT_WORDS})(?![A-Za-z])",
    re.I,
)
# `DN65 x 500`, `butterfly valve x 120`: a count after a multiplication sign (3 x 40' is a container, above).
_TIMES = re.compile(rf"(?<=[A-Za-z\d\u4e00-\u9fff])\s?[xX×*]\s?{_NUM}(?![\d.'A-Za-z]|\s?(?:'|尺|ft))")
_BARE = re.compile(rf"(?:数量|订量|订单量|MOQ|qty|quantity)\s?(?:是|为|:)?\s?{_NUM}", re.I)
_CONTAINER_KIND = {
    "高柜": "HQ",
    "平柜": "GP",
    "普柜": "GP",
    "柜": "GP",
    "冷柜": "RH",
    "冷藏柜": "RH",
    "HC": "HQ",
    "REEFER": "RH",
    "REEFERS": "RH",
    "CONTAINER": "GP",
    "CONTAINERS": "GP",
    "CNTR": "GP",
    "CNTRS": "GP",
}


def _value(m: re.Match[str]) -> Decimal | None:
    number = to_decimal(m["num"])
    if number is None:
        return None
    return number * _FACTOR[m["wan"].lower()] if m["wan"] else number


def extract_quantities(text: str) -> list[QuantitySpan]:
    """Quantities in `text`, left to right; spans index into normalize(text)."""
    text = normalize(text)
    found: list[QuantitySpan] = []
    for m in _CONTAINER.finditer(text):
        kind = m["kind"].upper() if m["kind"].isascii() else m["kind"]
        value = _value(m) if m["num"] else Decimal(1)
        if value is not None:
            found.append(
                QuantitySpan(m.start(), m.end(), value, "container", f"{m['size']}{_CONTAINER_KIND.get(kind, kind)}")
            )
    for pattern in (_COUNT, _BARE, _TIMES):
        for m in pattern.finditer(text):
            value = _value(m)
            if value is None or any(q.start < m.end() and m.start() < q.end for q in found):
                continue
            unit = (m.groupdict().get("unit") or "").lower()
            if len(unit) > 1:
                unit = unit.removeprefix("个")  # 2个柜
            found.append(QuantitySpan(m.start(), m.end(), value, _UNITS.get(unit)))
    return sorted(found, key=lambda q: q.start)
