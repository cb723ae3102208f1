"""Per-user conversation state in the database, so a restart or another replica keeps the question open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationState

_READ = "kabot.open_questions"  # session.info: user id → their question (None: none) read with the user


def read_with_user(session: AsyncSession, user_id: int, row: ConversationState | None) -> None:
    """The user's open question as the identity lookup read it (storage.repo.users.by_identity), so `take`
    needs no read of its own."""
    session.info.setdefault(_READ, {})[user_id] = row


async def _row(session: AsyncSession, user_id: int) -> ConversationState | None:
    read = session.info.get(_READ, {})
    return read.pop(user_id) if user_id in read else await session.get(ConversationState, user_id)


async def put(session: AsyncSession, user_id: int, kind: str, data: dict[str, Any], expires_at: datetime) -> None:
    row = await _row(session, user_id)
    if row is None:
        session.add(ConversationState(user_id=user_id, kind=kind, data=data, expires_at=expires_at))
    else:
        row.kind, row.data, row.expires_at = kind, data, expires_at
        session.add(row)


async def take(session: AsyncSession, user_id: int, now: datetime) -> ConversationState | None:
    """The open question, removed so it is answered at most once; None when there is none or it expired."""
    row = await _row(session, user_id)
    if row is None:
        return None
    await session.delete(row)
    await session.flush()
    return row if row.expires_at > now else None


@event.listens_for(Session, "after_rollback")
def _forget_read(session: Session) -> None:
    session.info.pop(_READ, None)
