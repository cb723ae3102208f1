"""What every channel turns a platform message into before the router sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.actions import BadAction, CardAction


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender: str  # the platform's user id
    platform_msg_id: str  # unique per channel; a redelivery carries the same one
    text: str | None = None
    action: CardAction | None = None  # a tapped card button
    conversation: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. WeCom's response_code and task_id

    def to_payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "action": self.action.pack() if self.action else None,
            "meta": self.meta,
        }

    @classmethod
    def from_row(
        cls, channel: str, sender: str, msg_id: str, conversation: str | None, payload: dict[str, Any]
    ) -> Inbound:
        key = payload.get("action")
        meta = payload.get("meta") or {}
        try:
            action = CardAction.unpack(key) if key else None
        except BadAction:  # stored by an older version whose buttons no longer exist
            action, meta = None, {**meta, "stale_action": key}
        return cls(
            channel=channel,
            sender=sender,
            platform_msg_id=msg_id,
            text=payload.get("text"),
            action=action,
            conversation=conversation,
            meta=meta,
        )
