"""A user's 待办: open tasks by due time, overdue first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, nulls_last
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import REFUSED
from storage.models import AuditLog, Customer, Task


async def open_count(session: AsyncSession, owner_id: int) -> int:
    q = select(func.count()).select_from(Task).where(Task.owner_id == owner_id, Task.status == "open")
    return int((await session.exec(q)).one())


async def open_tasks(session: AsyncSession, owner_id: int, *, limit: int = 20) -> Sequence[tuple[Task, str | None]]:
    """(task, customer name), earliest due first (so overdue ones lead), undated last."""
    q = (
        select(Task, Customer.name)
        .join(Customer, col(Customer.id) == Task.customer_id, isouter=True)
        .where(Task.owner_id == owner_id, Task.status == "open")
        .order_by(nulls_last(col(Task.due_at).asc()), col(Task.id))
        .limit(limit)
    )
    return (await session.exec(q)).all()  # type: ignore[return-value]


async def open_on_customer(session: AsyncSession, owner_id: int, customer_id: int) -> Sequence[Task]:
    """A rep's open tasks on one customer, earliest due first."""
    q = (
        select(Task)
        .where(Task.owner_id == owner_id, Task.customer_id == customer_id, Task.status == "open")
        .order_by(nulls_last(col(Task.due_at).asc()), col(Task.id))
    )
    return (await session.exec(q)).all()


async def planned_by_last_follow_up(session: AsyncSession, owner_id: int) -> Sequence[Task]:
    """The open tasks the person's latest follow-up (still standing) created: what 刚才那条…应该是周四 corrects."""
    last = (
        await session.exec(
            select(AuditLog.inbound_id)
            .where(
                AuditLog.actor_id == owner_id,
                AuditLog.entity == "follow_ups",
                AuditLog.action == "create",
                col(AuditLog.undone).is_(False),
                col(AuditLog.inbound_id).is_not(None),
                col(AuditLog.action) != REFUSED,
            )
            .order_by(col(AuditLog.id).desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return []
    created = select(AuditLog.entity_id).where(
        AuditLog.inbound_id == last, AuditLog.entity == "tasks", AuditLog.action == "create"
    )
    return (
        await session.exec(
            select(Task)
            .where(col(Task.id).in_(created), Task.owner_id == owner_id, Task.status == "open")
            .order_by(nulls_last(col(Task.due_at)), col(Task.id))
        )
    ).all()


async def planned_since(
    session: AsyncSession, owner_id: int, customer_id: int, due: datetime, since: datetime
) -> Task | None:
    """An open task of a plan (周五和X开视频会) on this customer, due then, that the person created since `since`."""
    q = select(Task).where(
        Task.owner_id == owner_id,
        Task.customer_id == customer_id,
        Task.due_at == due,
        Task.source == "plan",
        Task.status == "open",
        col(Task.created_at) >= since,
    )
    return (await session.exec(q.limit(1))).first()
