"""Per-user conversation state in the database, so a restart or another replica keeps the question open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationState


async def put(session: AsyncSession, user_id: int, kind: str, data: dict[str, Any], expires_at: datetime) -> None:
    row = await session.get(ConversationState, user_id)
    if row is None:
        session.add(ConversationState(user_id=user_id, kind=kind, data=data, expires_at=expires_at))
    else:
        row.kind, row.data, row.expires_at = kind, data, expires_at
        session.add(row)


async def take(session: AsyncSession, user_id: int, now: datetime) -> ConversationState | None:
    """The open question, removed so it is answered at most once; None when there is none or it expired."""
    row = await session.get(ConversationState, user_id)
    if row is None:
        return None
    await session.delete(row)
    await session.flush()
    return row if row.expires_at > now else None
