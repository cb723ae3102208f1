"""A card is a template name plus data and buttons; each channel renders it its own way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.cards.actions import CardAction

REF = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass(frozen=True)
class Button:
    text: str
    action: CardAction
    style: str = "default"  # default / primary / danger


@dataclass(frozen=True)
class Card:
    """`template` names bot/cards/templates/<channel>/<template>.*.j2; `data` is plain JSON-able data.

    `ref` is how the handler refers to this card later (to finalise it with a CardUpdate, or to learn which card a
    tap came from): chosen by the handler, e.g. `f"apv{approval.id}-{approver_id}"`, and opaque to everyone else.
    Each channel maps it to its own ids (WeCom: a task_id per send). Letters, digits, `_` and `-` only, at most 64,
    so that every chat app can carry it inside ids of its own. Several cards may share a ref (the same quote shown
    twice): an update then finalises all of them.
    """

    template: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    ref: str | None = None

    def __post_init__(self) -> None:
        if self.ref is not None and not REF.match(self.ref):
            raise ValueError(f"a card ref is 1-64 of [0-9A-Za-z_-]: {self.ref!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "title": self.title,
            "data": self.data,
            "buttons": [{"text": b.text, "key": b.action.pack(), "style": b.style} for b in self.buttons],
            "ref": self.ref,
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
            ref=d.get("ref", d.get("card_id")),  # rows queued before refs were named so
        )
