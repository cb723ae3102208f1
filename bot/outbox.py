"""The outbox: what is waiting to be delivered, as types, and the one way to queue it.

Handlers' replies become outbox rows in the handler's own transaction (the pipeline), and so do the scheduler's
reminders and digests; both import this module, never each other. A row says which channel delivers it, to whom
(the channel's own id for the person, or a team), and what: one of the payload types below. Each channel
branches on `Payload` once, with `assert_never` making mypy check that every kind is handled:

    match item.payload:
        case SendText(text=text): ...
        case SendCard(card=card): ...
        case UpdateCard(ref=ref, final_text=final): ...
        case SendFile(): ...
        case PostToTeam(markdown=md): ...
        case _:
            assert_never(item.payload)
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards.model import Card
from bot.inbound import Inbound
from bot.replies import CardReply, CardUpdate, FileReply, Reply, TeamPost, TextReply
from storage.models import OutboxMessage, User
from storage.repo import users

if TYPE_CHECKING:
    from bot.services import Services

CONSOLE = "console"


@dataclass(frozen=True)
class SendText:
    text: str


@dataclass(frozen=True)
class SendCard:
    card: Card


@dataclass(frozen=True)
class UpdateCard:
    """Finalise the cards sent to this target under `ref` (see bot.replies.CardUpdate)."""

    ref: str
    final_text: str


@dataclass(frozen=True)
class SendFile:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class PostToTeam:
    """Markdown for a team's group chat; the row's target is the team's name."""

    markdown: str


Payload = SendText | SendCard | UpdateCard | SendFile | PostToTeam


class UnknownPayload(ValueError):
    """A row this version cannot read: recorded as a permanent failure, never retried."""


def encode(payload: Payload) -> tuple[str, dict[str, Any]]:
    """(kind, JSON) as stored in the outbox row."""
    match payload:
        case SendText(text=text):
            return "text", {"text": text}
        case SendCard(card=card):
            return "card", {"card": card.to_json()}
        case UpdateCard(ref=ref, final_text=final_text):
            return "card_update", {"ref": ref, "final_text": final_text}
        case SendFile(filename=filename, content=content, caption=caption):
            return "file", {"filename": filename, "caption": caption, "content_b64": base64.b64encode(content).decode()}
        case PostToTeam(markdown=markdown):
            return "team_post", {"markdown": markdown}


def decode(kind: str, data: dict[str, Any]) -> Payload:
    try:
        if kind == "text":
            return SendText(str(data["text"]))
        if kind == "card":
            return SendCard(Card.from_json(data["card"]))
        if kind == "card_update":
            return UpdateCard(str(data.get("ref") or data["card_id"]), str(data["final_text"]))
        if kind == "file":
            return SendFile(
                str(data["filename"]), base64.b64decode(data["content_b64"]), str(data.get("caption") or "")
            )
        if kind == "team_post":
            return PostToTeam(str(data["markdown"]))
    except (KeyError, TypeError, ValueError) as err:
        raise UnknownPayload(f"outbox {kind} row unreadable: {type(err).__name__}: {err}") from None
    raise UnknownPayload(f"unknown outbox kind {kind!r}")


def payload_of(reply: TextReply | CardReply | CardUpdate | FileReply) -> Payload:
    match reply:
        case TextReply(text=text):
            return SendText(text)
        case CardReply(card=card):
            return SendCard(card)
        case CardUpdate(ref=ref, final_text=final_text):
            return UpdateCard(ref, final_text)
        case FileReply(filename=filename, content=content, caption=caption):
            return SendFile(filename, content, caption)


async def enqueue(
    session: AsyncSession,
    services: Services,
    replies: Sequence[Reply],
    *,
    inbound: Inbound | None,
    inbound_id: int | None,
    now: datetime,
) -> None:
    """Queue replies in the caller's transaction (`outbox_rows`, added to the session)."""
    session.add_all(await outbox_rows(session, services, replies, inbound=inbound, inbound_id=inbound_id, now=now))


async def outbox_rows(
    session: AsyncSession,
    services: Services,
    replies: Sequence[Reply],
    *,
    inbound: Inbound | None,
    inbound_id: int | None,
    now: datetime,
) -> list[OutboxMessage]:
    """The outbox rows for these replies: to the sender where they wrote, to anyone else on the first channel (in
    the order the channels were opened) where they have an id, else to the console by name; team posts to every
    channel with a chat for the team. A reply that reaches the sender where they wrote carries the inbound's reply
    context. Not added to the session: a worker processing several messages inserts all of theirs at once."""
    pushed = {r.to_user_id for r in replies if r.to_user_id is not None}
    people = {i: u for i in pushed if (u := await session.get(User, i)) is not None}
    ids = await users.identities(session, people) if people else {}
    rows: list[OutboxMessage] = []

    def row(channel: str, target: str, payload: Payload) -> None:
        kind, data = encode(payload)
        answers_sender = inbound is not None and (channel, target) == (inbound.channel, inbound.sender)
        rows.append(
            OutboxMessage(
                channel=channel,
                target=target,
                kind=kind,
                payload=data,
                reply_context=(inbound.reply_context or None) if answers_sender and inbound else None,
                inbound_id=inbound_id,
                created_at=now,
                next_attempt_at=now,
            )
        )

    for reply in replies:
        if isinstance(reply, TeamPost):
            for name, channel in services.channels.items():
                if channel.has_team_chat(reply.team):
                    row(name, reply.team, PostToTeam(reply.markdown))
            continue
        if reply.to_user_id is None:
            assert inbound is not None, "a push needs to_user_id"
            row(inbound.channel, inbound.sender, payload_of(reply))
            continue
        user = people.get(reply.to_user_id)
        if user is not None:
            row(*_where(services, user, ids.get(reply.to_user_id, {})), payload_of(reply))
    return rows


def _where(services: Services, user: User, ids: dict[str, str]) -> tuple[str, str]:
    """Where a message to `user` goes when they did not just write to us."""
    for name in services.channels:
        if name in ids:
            return name, ids[name]
    return CONSOLE, user.name
