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
    """Turn an interactive card already sent into its final state (buttons gone)."""

    card_id: str
    final_text: str
    to_user_id: int | None = None
    response_code: str | None = None  # WeCom's one-shot code from the click, when the clicker's card is meant


@dataclass(frozen=True)
class FileReply:
    filename: str
    content: bytes
    caption: str
    to_user_id: int | None = None


@dataclass(frozen=True)
class TeamPost:
    """A post to a team's group chat (a WeCom group robot), where the team has one configured."""

    team: str
    markdown: str
    to_user_id: None = None


Reply = TextReply | CardReply | CardUpdate | FileReply | TeamPost
