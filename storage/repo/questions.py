"""Read-only queries behind the questions reps ask (issue 8): contacts, whom I followed up, my customers, quotes.

Every query takes the owners whose accounts the asker may see (None: everyone's), so an answer never shows
another rep's account.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, nulls_first, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.stages import OPEN_STAGES
from storage.models import Contact, Customer, FollowUp, Opportunity, Quote, TransferRequest, User
from storage.repo.names import visible


async def contacts(
    session: AsyncSession,
    owner_ids: Sequence[int] | None,
    *,
    customer_ids: Sequence[int] = (),
    name_prefix: str | None = None,
    phone_digits: str | None = None,
    limit: int = 10,
) -> list[tuple[Contact, str]]:
    """Contacts (with their company's name) of visible customers, narrowed by company, name start or phone."""
    query = select(Contact, Customer.name).join(Customer, col(Contact.customer_id) == col(Customer.id))
    query = query.where(visible(session, owner_ids))
    if customer_ids:
        query = query.where(col(Contact.customer_id).in_(customer_ids))
    if name_prefix:
        query = query.where(col(Contact.name).startswith(name_prefix, autoescape=True))  # `%`, `_` are letters
    if phone_digits:
        query = query.where(func.replace(func.replace(col(Contact.phone), " ", ""), "-", "").contains(phone_digits))
    rows = (await session.exec(query.order_by(col(Contact.id)).limit(limit))).all()
    return [(c, n) for c, n in rows]


async def followed_customers(
    session: AsyncSession, author_id: int, since: datetime, until: datetime
) -> list[tuple[str, int, datetime]]:
    """(customer, follow-ups, latest) of one author's follow-ups that happened in [since, until), latest first."""
    latest = func.max(FollowUp.happened_at)
    rows = (
        await session.exec(
            select(Customer.name, func.count(), latest)
            .join(Customer, col(FollowUp.customer_id) == col(Customer.id))
            .where(FollowUp.author_id == author_id, FollowUp.happened_at >= since, FollowUp.happened_at < until)
            .group_by(Customer.name)
            .order_by(latest.desc())
        )
    ).all()
    return [(n, int(k), at) for n, k, at in rows]


async def owned_customers(session: AsyncSession, owner_id: int) -> Sequence[Customer]:
    return (
        await session.exec(
            select(Customer).where(Customer.owner_id == owner_id).order_by(col(Customer.tier), col(Customer.name))
        )
    ).all()


async def latest_quotes(
    session: AsyncSession, *, owner_id: int | None = None, customer_id: int | None = None, limit: int = 10
) -> list[tuple[Quote, str]]:
    """The newest revision of each quote (of an owner or a customer), newest first, with the customer's name."""
    newest = select(Quote.number, func.max(Quote.revision).label("rev")).group_by(Quote.number)
    if owner_id is not None:
        newest = newest.where(Quote.owner_id == owner_id)
    if customer_id is not None:
        newest = newest.where(Quote.customer_id == customer_id)
    sub = newest.subquery()
    rows = (
        await session.exec(
            select(Quote, Customer.name)
            .join(sub, (col(Quote.number) == sub.c.number) & (col(Quote.revision) == sub.c.rev))
            .join(Customer, col(Quote.customer_id) == col(Customer.id))
            .order_by(col(Quote.created_at).desc())
            .limit(limit)
        )
    ).all()
    return [(q, n) for q, n in rows]


async def open_opportunities(session: AsyncSession, customer_id: int) -> Sequence[Opportunity]:
    """A customer's opportunities still in play, the furthest stage first."""
    return (
        await session.exec(
            select(Opportunity)
            .where(Opportunity.customer_id == customer_id, col(Opportunity.stage).in_([s.value for s in OPEN_STAGES]))
            .order_by(col(Opportunity.stage).desc(), col(Opportunity.id))
        )
    ).all()


async def transfers_waiting_on(session: AsyncSession, decider_id: int) -> list[tuple[str, str]]:
    """Pending 申请转移 that this person decides: (customer's name, who asked), oldest first."""
    rows = (
        await session.exec(
            select(Customer.name, User.name)
            .select_from(TransferRequest)
            .join(Customer, col(TransferRequest.customer_id) == col(Customer.id))
            .join(User, col(TransferRequest.to_user_id) == col(User.id))
            .where(TransferRequest.decider_id == decider_id, TransferRequest.status == "pending")
            .order_by(col(TransferRequest.created_at))
        )
    ).all()
    return [(c, u) for c, u in rows]


async def quiet_customers(
    session: AsyncSession, owner_ids: Sequence[int] | None, before: datetime
) -> list[tuple[Customer, str, datetime | None]]:
    """Owned accounts (of these owners; None: everyone's) with no follow-up since `before`: (customer, owner's
    name, last follow-up or None), the longest silent first."""
    last = (
        select(FollowUp.customer_id, func.max(FollowUp.happened_at).label("last"))
        .group_by(col(FollowUp.customer_id))
        .subquery()
    )
    query = (
        select(Customer, User.name, last.c.last)
        .join(User, col(Customer.owner_id) == col(User.id))
        .outerjoin(last, last.c.customer_id == col(Customer.id))
        .where(col(Customer.status).not_in(("pool", "lost")), or_(last.c.last.is_(None), last.c.last < before))
    )
    if owner_ids is not None:
        query = query.where(col(Customer.owner_id).in_(owner_ids))
    rows = (await session.exec(query.order_by(nulls_first(last.c.last.asc()), col(Customer.name)))).all()
    return [(c, owner, at) for c, owner, at in rows]
