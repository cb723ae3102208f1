"""A card is a template name plus data and buttons; each channel renders it its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.actions import CardAction


@dataclass(frozen=True)
class Button:
    text: str
    action: CardAction
    style: str = "default"  # default / primary / danger


@dataclass(frozen=True)
class Card:
    """`template` names bot/cards/templates/<channel>/<template>.*.j2; `data` is plain JSON-able data."""

    template: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    card_id: str | None = None  # unique per interactive card (WeCom's task_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "title": self.title,
            "data": self.data,
            "buttons": [{"text": b.text, "key": b.action.pack(), "style": b.style} for b in self.buttons],
            "card_id": self.card_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Card:
        return cls(
            template=d["template"],
            title=d["title"],
            data=d.get("data") or {},
            buttons=tuple(
                Button(b["text"], CardAction.unpack(b["key"]), b.get("style", "default")) for b in d["buttons"]
            ),
            card_id=d.get("card_id"),
        )
