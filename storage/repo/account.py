"""The facts behind the 360° view of one account, in a handful of indexed queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import desc, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.stages import OPEN_STAGES
from storage.models import Contact, Customer, FollowUp, FxRate, Opportunity, Quote, Task, User

TOUCH_LOOKBACK = timedelta(days=365)


@dataclass(frozen=True)
class AccountFacts:
    customer: Customer
    owner_name: str | None
    contacts: Sequence[Contact]
    contact_last_touch: dict[int, datetime | None]
    open_opportunities: Sequence[Opportunity]
    recent_follow_ups: Sequence[tuple[FollowUp, str]]  # (follow-up, author name), newest first
    quotes: Sequence[Quote]
    open_tasks: Sequence[Task]
    won: Sequence[tuple[datetime, Decimal, str]]  # (closed_at, amount, currency)
    fx: dict[str, Decimal]


async def account_facts(session: AsyncSession, customer_id: int, *, now: datetime) -> AccountFacts | None:
    row = (
        await session.exec(
            select(Customer, User.name)
            .join(User, col(User.id) == Customer.owner_id, isouter=True)
            .where(Customer.id == customer_id)
        )
    ).first()
    if row is None:
        return None
    customer, owner_name = row
    contacts = (
        await session.exec(select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id)))
    ).all()
    opps = (
        await session.exec(
            select(Opportunity)
            .where(Opportunity.customer_id == customer_id, col(Opportunity.stage).in_([s.value for s in OPEN_STAGES]))
            .order_by(desc(col(Opportunity.amount)))
        )
    ).all()
    recent = (
        await session.exec(
            select(FollowUp, User.name)
            .join(User, col(User.id) == FollowUp.author_id)
            .where(FollowUp.customer_id == customer_id)
            .order_by(desc(col(FollowUp.happened_at)))
            .limit(5)
        )
    ).all()
    quotes = (
        await session.exec(
            select(Quote)
            .where(Quote.customer_id == customer_id, Quote.status != "superseded")
            .order_by(desc(col(Quote.created_at)))
            .limit(5)
        )
    ).all()
    tasks = (
        await session.exec(
            select(Task)
            .where(Task.customer_id == customer_id, Task.status == "open")
            .order_by(col(Task.due_at))
            .limit(10)
        )
    ).all()
    won = (
        await session.exec(
            select(
                func.coalesce(Opportunity.closed_at, Opportunity.stage_entered_at),
                col(Opportunity.amount),
                Opportunity.currency,
            ).where(Opportunity.customer_id == customer_id, Opportunity.stage == "won")
        )
    ).all()
    fx = {r.currency: r.rate_to_base for r in (await session.exec(select(FxRate))).all()}
    touches = await _contact_touches(session, customer_id, contacts, since=now - TOUCH_LOOKBACK)
    return AccountFacts(
        customer=customer,
        owner_name=owner_name,
        contacts=contacts,
        contact_last_touch=touches,
        open_opportunities=opps,
        recent_follow_ups=[(f, n) for f, n in recent],
        quotes=quotes,
        open_tasks=tasks,
        won=[(c, a or Decimal(0), cur) for c, a, cur in won],
        fx=fx,
    )


async def _contact_touches(
    session: AsyncSession, customer_id: int, contacts: Sequence[Contact], *, since: datetime
) -> dict[int, datetime | None]:
    """When each contact was last mentioned in a follow-up (by full name, or surname + 总/经理/工)."""
    if not contacts:
        return {}
    notes = (
        await session.exec(
            select(FollowUp.happened_at, FollowUp.content)
            .where(FollowUp.customer_id == customer_id, FollowUp.happened_at >= since)
            .order_by(desc(col(FollowUp.happened_at)))
            .limit(300)
        )
    ).all()
    out: dict[int, datetime | None] = {}
    for c in contacts:
        keys = {c.name} | ({c.name[0] + t for t in ("总", "经理", "工")} if len(c.name) in (2, 3) else set())
        out[c.id or 0] = next((at for at, text in notes if any(k in text for k in keys)), None)
    return out
