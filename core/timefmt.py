"""Dates written out the way a rep reads them on a phone."""

from __future__ import annotations

from datetime import datetime

WEEKDAYS = "一二三四五六日"


def format_due(local: datetime, *, now: datetime | None = None) -> str:
    """`12月1日（周二）09:00`; the year only when it is not this year."""
    year = f"{local.year}年" if now is not None and now.year != local.year else ""
    return f"{year}{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def format_day(local: datetime) -> str:
    return f"{local.month}月{local.day}日"
