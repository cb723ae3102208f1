"""Incoterms 2020 (plus the legacy CNF / C&F / DAT / DDU spellings) and the named place after them.

Matched with ASCII letter guards, not `\\b`: Chinese characters count as `\\w`, so `\\bFOB\\b` would miss
`FOB上海` (pitfall 9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.nlu.normalize import normalize

INCOTERMS_2020 = ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")
_LEGACY = {"CNF": "CFR", "C&F": "CFR", "C+F": "CFR", "DAT": "DPU", "DDU": "DAP"}
_CHINESE_TERMS = {
    "离岸价": "FOB",
    "船上交货": "FOB",
    "到岸价": "CIF",
    "成本加运费": "CFR",
    "出厂价": "EXW",
    "工厂交货": "EXW",
    "完税后交货": "DDP",
    "完税交货": "DDP",
}


@dataclass(frozen=True, slots=True)
class Incoterm:
    code: str  # one of INCOTERMS_2020
    place: str | None  # 上海 / Hamburg, as written
    start: int  # char offsets into normalize(text)
    end: int


_CODES = "|".join(re.escape(c) for c in (*INCOTERMS_2020, *_LEGACY))
# Codes in any case; a Latin place (Zürich, São Paulo too) is one lower-case word or up to two capitalised ones.
# A Chinese place has 2-4 characters, or up to 8 when a space ends it (斯德哥尔摩, 布宜诺斯艾利斯).
_PATTERN = re.compile(
    rf"(?<![A-Za-z])(?P<code>(?i:{_CODES}))(?![A-Za-z])"
    r"(?:\s?[:@]?\s?(?P<place>[\u4e00-\u9fff]{5,8}(?=\s|$)|[\u4e00-\u9fff]{2,4}"
    r"|[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f]+(?:\s[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f]+)?|[a-z\u00df-\u024f]{3,}))?"
    rf"|(?P<cn>{'|'.join(_CHINESE_TERMS)})"
)
# A Chinese place ends before words that continue the sentence: FOB宁波价格 → 宁波.
_PLACE_END = re.compile(r"价|报|的|是|条|交|给|发|走|出|到|还|和|或|要|港口|运费|术语")
_NOT_PLACE = {
    "price",
    "prices",
    "term",
    "terms",
    "basis",
    "only",
    "and",
    "or",
    "to",
    "is",
    "the",
    "please",
    "pls",
    "quote",
    "quotation",
    "incoterm",
    "incoterms",
    "port",
    "with",
    "for",
}


def extract_incoterm(text: str) -> Incoterm | None:
    """The first incoterm in `text` with its place (`FOB上海` → FOB, 上海), or None."""
    text = normalize(text)
    m = _PATTERN.search(text)
    if m is None:
        return None
    if m["cn"]:
        return Incoterm(_CHINESE_TERMS[m["cn"]], None, m.start(), m.end())
    code = m["code"].upper()
    place, end = m["place"], m.end()
    if place and "\u4e00" <= place[0] <= "\u9fff":
        cut = _PLACE_END.search(place)
        place = place[: cut.start()] if cut else place
        place = place if len(place) >= 2 else None
    elif place and (place.lower() in _NOT_PLACE or place.split()[0].lower() in _NOT_PLACE):
        place = None
    if place is None:
        end = m.end("code")
    else:
        end = m.start("place") + len(place)
    return Incoterm(_LEGACY.get(code, code), place, m.start(), end)
