"""Numbers in the last list shown to a user, so '完成 2' means the second item they saw."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ShownList


async def remember(session: AsyncSession, user_id: int, kind: str, ids: list[int], now: datetime) -> None:
    row = await session.get(ShownList, (user_id, kind))
    if row is None:
        session.add(ShownList(user_id=user_id, kind=kind, ids=ids, shown_at=now))
    else:
        row.ids, row.shown_at = ids, now
        session.add(row)


async def item(session: AsyncSession, user_id: int, kind: str, number: int) -> int | None:
    row = await session.get(ShownList, (user_id, kind))
    if row is None or not 1 <= number <= len(row.ids):
        return None
    return row.ids[number - 1]
