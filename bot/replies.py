"""What handlers return. Handlers never do I/O towards a chat platform: the outbox and channels do."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.model import Card


@dataclass(frozen=True)
class TextReply:
    text: str
    to_user_id: int | None = None  # None: whoever sent the message


@dataclass(frozen=True)
class CardReply:
    card: Card
    to_user_id: int | None = None


@dataclass(frozen=True)
class CardUpdate:
    """Turn the cards sent under `ref` (Card.ref) to this person into their final state (buttons gone).

    The channel finds its own cards for the ref; for the card the person just tapped it uses what the tap
    brought with it (WeCom's fresh one-shot code), so handlers never see a platform id.
    """

    ref: str
    final_text: str
    to_user_id: int | None = None


@dataclass(frozen=True)
class FileReply:
    filename: str
    content: bytes
    caption: str
    to_user_id: int | None = None


@dataclass(frozen=True)
class TeamPost:
    """A post to a team's group chat, on every channel that has one for the team (e.g. a WeCom group robot)."""

    team: str
    markdown: str
    to_user_id: None = None


Reply = TextReply | CardReply | CardUpdate | FileReply | TeamPost
