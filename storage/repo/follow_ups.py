"""Follow-ups a person just logged: the one a correction changes, the one a message sent twice repeats."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FollowUp


async def latest_by(session: AsyncSession, author_id: int, customer_id: int | None = None) -> FollowUp | None:
    """The person's most recently logged follow-up (of one customer when given): what 刚才那条 means."""
    q = select(FollowUp).where(FollowUp.author_id == author_id)
    if customer_id is not None:
        q = q.where(FollowUp.customer_id == customer_id)
    return (await session.exec(q.order_by(col(FollowUp.id).desc()).limit(1))).first()


async def same_since(
    session: AsyncSession, author_id: int, customer_id: int, content: str, since: datetime
) -> FollowUp | None:
    """The same person's follow-up with exactly these words on this customer, logged since `since`."""
    q = select(FollowUp).where(
        FollowUp.author_id == author_id,
        FollowUp.customer_id == customer_id,
        FollowUp.content == content,
        col(FollowUp.created_at) >= since,
    )
    return (await session.exec(q.order_by(col(FollowUp.id).desc()).limit(1))).first()
