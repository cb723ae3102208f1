"""Whose steps a parse holds, as the parser tests compare them: the rep's (title, due) and the customer's dues."""

from __future__ import annotations

from datetime import datetime

from core.nlu import Parsed


def reps_steps(p: Parsed) -> list[tuple[str, datetime | None]]:
    return [(s.action, s.due) for s in p.next_steps if not s.by_customer]


def promises(p: Parsed) -> list[datetime | None]:
    return [s.due for s in p.next_steps if s.by_customer]
