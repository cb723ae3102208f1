"""Account transfers: what moves with an account, and the requests a manager decides.

An account moves with its open tasks, its open opportunities and every revision of its quotes, in the caller's
transaction: the account and what hangs off it never have two owners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Customer, Opportunity, Quote, Task, TransferRequest


@dataclass(frozen=True)
class Moved:
    task_ids: tuple[int, ...]
    opportunity_ids: tuple[int, ...]
    quote_ids: tuple[int, ...]


async def move_account(session: AsyncSession, customer: Customer, *, to_user_id: int, now: datetime) -> Moved:
    """Give the account, its open tasks and opportunities, and its quotes to `to_user_id`."""
    assert customer.id is not None
    old = customer.owner_id
    tasks = (
        await session.exec(
            select(Task.id).where(Task.customer_id == customer.id, Task.status == "open", Task.owner_id == old)
        )
    ).all()
    opps = (
        await session.exec(
            select(Opportunity.id).where(Opportunity.customer_id == customer.id, col(Opportunity.closed_at).is_(None))
        )
    ).all()
    quotes = (await session.exec(select(Quote.id).where(Quote.customer_id == customer.id))).all()
    if tasks:
        await session.exec(update(Task).where(col(Task.id).in_(tasks)).values(owner_id=to_user_id))  # type: ignore[call-overload]
    if opps:
        await session.exec(  # type: ignore[call-overload]
            update(Opportunity).where(col(Opportunity.id).in_(opps)).values(owner_id=to_user_id, updated_at=now)
        )
    if quotes:
        await session.exec(update(Quote).where(col(Quote.id).in_(quotes)).values(owner_id=to_user_id))  # type: ignore[call-overload]
    customer.owner_id, customer.updated_at = to_user_id, now
    if customer.status == "pool":
        customer.status = "active"
    session.add(customer)
    await session.flush()
    return Moved(
        tuple(int(i) for i in tasks if i is not None),
        tuple(int(i) for i in opps if i is not None),
        tuple(int(i) for i in quotes if i is not None),
    )


async def owned_by(session: AsyncSession, owner_id: int) -> Sequence[Customer]:
    return (await session.exec(select(Customer).where(Customer.owner_id == owner_id).order_by(col(Customer.id)))).all()


async def pending_request(session: AsyncSession, customer_id: int) -> TransferRequest | None:
    q = select(TransferRequest).where(TransferRequest.customer_id == customer_id, TransferRequest.status == "pending")
    return (await session.exec(q.order_by(col(TransferRequest.id)).limit(1))).first()


async def pending_for(session: AsyncSession, decider_id: int) -> Sequence[tuple[TransferRequest, Customer]]:
    """The requests waiting for this person's decision, oldest first, each with its account."""
    q = (
        select(TransferRequest, Customer)
        .join(Customer, col(Customer.id) == col(TransferRequest.customer_id))
        .where(TransferRequest.decider_id == decider_id, TransferRequest.status == "pending")
        .order_by(col(TransferRequest.created_at), col(TransferRequest.id))
    )
    return (await session.exec(q)).all()


async def settle(
    session: AsyncSession, request: TransferRequest, *, status: str, by: int | None, now: datetime
) -> bool:
    """Close a pending request (approved / refused / withdrawn); False when it was already closed."""
    result = await session.exec(  # type: ignore[call-overload]
        update(TransferRequest)
        .where(col(TransferRequest.id) == request.id, col(TransferRequest.status) == "pending")
        .values(status=status, decided_by_id=by, decided_at=now)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(request)
    return True
