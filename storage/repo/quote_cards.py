"""Interactive cards sent about quotes, so each can be finalised once its question is settled.

A row is written when kabot sends a card with buttons (the rep's 提交审批, an approver's decision card, the rep's
接受条件); `closed_at` is set when kabot turns it into its final state, so a card is finalised once, with the text
that fits the moment it was settled (a delegated card keeps "已委托 …", not a later "已由 … 处理").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import QuoteCard


async def add(
    session: AsyncSession,
    *,
    card_id: str,
    kind: str,
    quote_id: int,
    to_user_id: int,
    now: datetime,
    approval_id: int | None = None,
) -> None:
    session.add(
        QuoteCard(
            card_id=card_id, kind=kind, quote_id=quote_id, approval_id=approval_id, to_user_id=to_user_id, sent_at=now
        )
    )
    await session.flush()


async def open_cards(
    session: AsyncSession,
    *,
    approval_ids: Iterable[int] = (),
    quote_ids: Iterable[int] = (),
    kinds: Iterable[str] = (),
) -> list[QuoteCard]:
    """Cards not yet finalised: those of these approvals, and those of these quotes of these kinds."""
    approval_ids, quote_ids, kinds = list(approval_ids), list(quote_ids), list(kinds)
    found: list[QuoteCard] = []
    if approval_ids:
        q = select(QuoteCard).where(col(QuoteCard.approval_id).in_(approval_ids), col(QuoteCard.closed_at).is_(None))
        found += (await session.exec(q.order_by(col(QuoteCard.id)))).all()
    if quote_ids and kinds:
        q = select(QuoteCard).where(
            col(QuoteCard.quote_id).in_(quote_ids), col(QuoteCard.kind).in_(kinds), col(QuoteCard.closed_at).is_(None)
        )
        found += [c for c in (await session.exec(q.order_by(col(QuoteCard.id)))).all() if c not in found]
    return found


async def close(session: AsyncSession, card: QuoteCard, *, text: str, now: datetime) -> bool:
    """Mark one card finalised with `text`; False when something else finalised it first."""
    result = await session.exec(  # type: ignore[call-overload]
        update(QuoteCard)
        .where(col(QuoteCard.id) == card.id, col(QuoteCard.closed_at).is_(None))
        .values(closed_at=now, final_text=text)
    )
    return bool(result.rowcount == 1)


async def sent_to(session: AsyncSession, user_id: int, quote_id: int) -> bool:
    """Whether this person was ever sent a card about this quote (an approver may look at it)."""
    q = select(QuoteCard.id).where(QuoteCard.to_user_id == user_id, QuoteCard.quote_id == quote_id).limit(1)
    return (await session.exec(q)).first() is not None
