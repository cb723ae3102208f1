"""Per-user conversation state in the database, so a restart or another replica keeps the question open.

Beside the handler's own `data`, a question keeps how to speak of it later (under one reserved key of the row's
JSON): `asks`, the question in one short line, to remind the user while other messages come first; `unanswered`,
what stays unsaved (or unset) if it is never answered, said when it is withdrawn or replaced; `saved`, whether the
message that raised it is already saved (only a detail waits, e.g. the date of the next step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationState

_READ = "kabot.open_questions"  # session.info: user id → their question (None: none) read with the user
_ASKED = "kabot.asked"  # session.info: ids of the users this transaction put a question to
_ABOUT = "_question"  # the row's JSON: how to speak of the question (never part of the handler's data)
MAX_CHARS = 120  # asks / unanswered are one line each: a reminder, not a copy of the message


@dataclass(frozen=True)
class OpenQuestion:
    kind: str
    data: dict[str, Any]
    asks: str = ""
    unanswered: str = ""
    saved: bool = False
    minutes: int = 0  # how long it stays open
    expired: bool = False  # left unanswered too long: to be closed, and said so


def read_with_user(session: AsyncSession, user_id: int, row: ConversationState | None) -> None:
    """The user's open question as the identity lookup read it (storage.repo.users.by_identity), so `peek`
    needs no read of its own."""
    session.info.setdefault(_READ, {})[user_id] = row


async def _row(session: AsyncSession, user_id: int) -> ConversationState | None:
    read = session.info.get(_READ, {})
    return read[user_id] if user_id in read else await session.get(ConversationState, user_id)


async def put(
    session: AsyncSession,
    user_id: int,
    kind: str,
    data: dict[str, Any],
    *,
    now: datetime,
    minutes: int,
    asks: str = "",
    unanswered: str = "",
    saved: bool = False,
) -> None:
    """Open a question (replacing any open one); `asks` may be filled in later with `describe`."""
    about = {"asks": asks[:MAX_CHARS], "unanswered": unanswered[:MAX_CHARS], "saved": saved, "minutes": minutes}
    stored = {**data, _ABOUT: about}
    expires_at = now + timedelta(minutes=minutes)
    row = await _row(session, user_id)
    if row is None:
        row = ConversationState(user_id=user_id, kind=kind, data=stored, expires_at=expires_at)
    else:
        row.kind, row.data, row.expires_at = kind, stored, expires_at
    session.add(row)
    session.info.setdefault(_READ, {})[user_id] = row
    session.info.setdefault(_ASKED, set()).add(user_id)


def asked(session: AsyncSession, user_id: int) -> bool:
    """Whether this transaction opened a question for the user (a new one, or the same asked again)."""
    return user_id in session.info.get(_ASKED, set())


async def describe(session: AsyncSession, user_id: int, asks: str) -> None:
    """Fill in the one-line question of the question just opened, when its asker left it to its reply."""
    row = await _row(session, user_id)
    if row is not None and not row.data.get(_ABOUT, {}).get("asks"):
        row.data = {**row.data, _ABOUT: {**row.data.get(_ABOUT, {}), "asks": asks[:MAX_CHARS]}}
        session.add(row)


async def peek(session: AsyncSession, user_id: int, now: datetime) -> OpenQuestion | None:
    """The open question, left open (an expired one too, marked so: the caller closes it and may say so)."""
    row = await _row(session, user_id)
    if row is None:
        return None
    data = dict(row.data)
    about = data.pop(_ABOUT, {})
    return OpenQuestion(
        row.kind,
        data,
        asks=about.get("asks", ""),
        unanswered=about.get("unanswered", ""),
        saved=about.get("saved", False),
        minutes=about.get("minutes", 0),
        expired=row.expires_at <= now,
    )


async def close(session: AsyncSession, user_id: int) -> None:
    """The question is answered or withdrawn: it is never looked at again."""
    row = await _row(session, user_id)
    if row is not None and inspect(row).pending:  # opened and closed by the same message: never written
        session.expunge(row)
    elif row is not None:
        await session.delete(row)
        await session.flush()
    session.info.setdefault(_READ, {})[user_id] = None
    session.info.get(_ASKED, set()).discard(user_id)


async def take(session: AsyncSession, user_id: int, now: datetime) -> OpenQuestion | None:
    """The open question, closed so it is answered at most once (a tapped card's answer); None when there is
    none or it expired."""
    question = await peek(session, user_id, now)
    if question is not None:
        await close(session, user_id)
    return None if question is None or question.expired else question


@event.listens_for(Session, "after_rollback")
def _forget_read(session: Session) -> None:
    session.info.pop(_READ, None)
    session.info.pop(_ASKED, None)
