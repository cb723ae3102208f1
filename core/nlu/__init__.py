"""Natural-language understanding for reps' chat messages: pure functions, no I/O.

Everything here works on `normalize(text)`; spans returned by the extractors index into that string
(normalisation is idempotent, so normalising first and passing the result keeps spans aligned).
"""

from __future__ import annotations

from core.nlu.dates import DateSpan, resolve_dates
from core.nlu.incoterms import Incoterm, extract_incoterm
from core.nlu.intents import Intent, Parsed, parse_message
from core.nlu.money import MoneySpan, extract_money
from core.nlu.names import NameDecision, NameIndex, NameMatch, build_aliases, normalize_name
from core.nlu.normalize import normalize
from core.nlu.quantity import QuantitySpan, extract_quantities

__all__ = [
    "DateSpan",
    "Incoterm",
    "Intent",
    "MoneySpan",
    "NameDecision",
    "NameIndex",
    "NameMatch",
    "Parsed",
    "QuantitySpan",
    "build_aliases",
    "extract_incoterm",
    "extract_money",
    "extract_quantities",
    "normalize",
    "normalize_name",
    "parse_message",
    "resolve_dates",
]
