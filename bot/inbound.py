"""What every channel turns a platform message into before the router sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.actions import BadAction, CardAction
from core.text import clean_text


@dataclass(frozen=True)
class Inbound:
    """One message, in the same shape from every chat app.

    `platform_msg_id` is the dedup key: a redelivery of the same message carries the same one (unique per channel).
    `card_ref` is the `Card.ref` of the card whose button was tapped, as the handler chose it. `reply_context` is
    the channel's own (e.g. WeCom's one-shot code for updating the tapped card, DingTalk's session webhook): it is
    copied onto the replies so the channel can answer in place, and handlers never read it.
    """

    channel: str
    sender: str  # the platform's user id
    platform_msg_id: str
    text: str | None = None
    action: CardAction | None = None  # a tapped card button
    card_ref: str | None = None
    unsupported: str | None = None  # a kind of message kabot cannot read (image, voice, …): answered with a notice
    stale_action: str | None = None  # a stored button key that no longer unpacks (buttons of an older version)
    conversation: str | None = None
    reply_context: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every channel's text passes here before it is stored: NUL and escape sequences never get in.
        if self.text is not None:
            object.__setattr__(self, "text", clean_text(self.text))

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text, "action": self.action.pack() if self.action else None}
        for key in ("card_ref", "unsupported"):
            if value := getattr(self, key):
                payload[key] = value
        if self.reply_context:
            payload["reply_context"] = self.reply_context
        return payload

    @classmethod
    def from_row(
        cls, channel: str, sender: str, msg_id: str, conversation: str | None, payload: dict[str, Any]
    ) -> Inbound:
        key = payload.get("action")
        older = payload.get("meta") or {}  # rows stored before these fields had names of their own
        try:
            action, stale = (CardAction.unpack(key) if key else None), None
        except BadAction:  # stored by an older version whose buttons no longer exist
            action, stale = None, key
        return cls(
            channel=channel,
            sender=sender,
            platform_msg_id=msg_id,
            text=payload.get("text"),
            action=action,
            card_ref=payload.get("card_ref") or older.get("task_id"),
            unsupported=payload.get("unsupported") or older.get("unsupported"),
            stale_action=stale,
            conversation=conversation,
            reply_context=dict(payload.get("reply_context") or {}),
        )
