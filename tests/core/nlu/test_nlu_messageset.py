"""Per-field accuracy of parse_message over the labelled message set; every field must reach 95%."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from conftest import NOW, TZ
from messageset import MESSAGES

from core.nlu import NameIndex, Parsed, parse_message

THRESHOLD = 0.95


def _expected_due(label: str | None) -> datetime | None:
    if label is None:
        return None
    text = label if len(label) > 11 else f"2026-{label}"
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def _first_due(parsed: Parsed) -> datetime | None:
    return next((s.due for s in parsed.next_steps if s.due is not None), None)


def _customer(parsed: Parsed, names: NameIndex) -> str | None:
    return names.name(parsed.customer_id) if parsed.customer_id is not None else parsed.customer


FIELDS: dict[str, Callable[[dict[str, Any], Parsed, NameIndex], bool]] = {
    "intent": lambda case, p, names: p.intent.value == case["intent"],
    "customer": lambda case, p, names: (
        _customer(p, names) == (names.name(case["customer"]) if isinstance(case["customer"], int) else case["customer"])
    ),
    # the next day to act on: the rep's step, else the customer's promise (a day to check on), else the close
    "dates": lambda case, p, names: (p.next_due or _first_due(p) or p.close_date) == _expected_due(case["due"]),
    "amount": lambda case, p, names: p.amount == (Decimal(case["amount"]) if case["amount"] else None),
    "currency": lambda case, p, names: p.currency == case["currency"],
}


def test_message_set_is_large_and_varied() -> None:
    assert len(MESSAGES) >= 150
    assert len({case["intent"] for case in MESSAGES}) >= 20
    assert sum(1 for case in MESSAGES if case["text"].isascii()) >= 20


def test_per_field_accuracy(names: NameIndex) -> None:
    failures: dict[str, list[str]] = {field: [] for field in FIELDS}
    for case in MESSAGES:
        parsed = parse_message(case["text"], now=NOW, tz=TZ, names=names)
        for field, check in FIELDS.items():
            if not check(case, parsed, names):
                failures[field].append(f"{case['text']!r}: {parsed}")
    accuracy = {field: 1 - len(failed) / len(MESSAGES) for field, failed in failures.items()}
    print("\nper-field accuracy over", len(MESSAGES), "messages:")
    for field, value in accuracy.items():
        print(f"  {field:9} {value:6.1%}  ({len(failures[field])} wrong)")
        for failure in failures[field]:
            print("     ", failure[:300])
    assert all(value >= THRESHOLD for value in accuracy.values()), accuracy
