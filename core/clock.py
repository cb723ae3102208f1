"""Time is injected so that tests and sweeps never depend on the wall clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FakeClock:
    """A clock tests move by hand: `clock.advance(minutes=5)`."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = when.astimezone(UTC)


def calendar_days(then: datetime, now: datetime, tz: tzinfo) -> int:
    """Days between two moments as the rep's calendar counts them: a visit yesterday evening is 1 day ago at
    00:10, not 0 (whole 24-hour periods would say 今天)."""
    return (now.astimezone(tz).date() - then.astimezone(tz).date()).days
