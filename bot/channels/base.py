"""The channel adapter seam: every chat app delivers outbox items its own way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class OutboxItem:
    id: int
    target: str
    kind: str  # text / card / card_update / file
    payload: dict[str, Any]
    attempt: int = 1  # >1: an earlier attempt may have reached the platform even though it seemed to fail


class DeliveryError(Exception):
    """`permanent` errors are recorded on the outbox row and never retried; others are retried with backoff."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    async def deliver(self, item: OutboxItem) -> None:
        """Send one item, or raise DeliveryError. Called at least once per item; make it idempotent where the
        platform allows (WeCom's duplicate check, DingTalk's message ids)."""
        ...
