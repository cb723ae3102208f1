"""撤销: revert every change one message made, using the before/after snapshots in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog, Contact, Customer, FollowUp, Opportunity, StageChange, Task

UNDO_WINDOW = timedelta(minutes=10)
UNDOABLE: dict[str, type[SQLModel]] = {
    m.__tablename__: m  # type: ignore[misc]
    for m in (Customer, Contact, Opportunity, StageChange, FollowUp, Task)
}


@dataclass(frozen=True)
class Undone:
    entries: tuple[AuditLog, ...]  # the reverted changes, in the order they were made


async def undo_last(session: AsyncSession, *, actor_id: int, now: datetime) -> Undone | None:
    """Revert the actor's last message's changes if made within the window; None when there is nothing to undo."""
    last = (
        await session.exec(
            select(AuditLog)
            .where(
                AuditLog.actor_id == actor_id,
                col(AuditLog.undone).is_(False),
                AuditLog.at >= now - UNDO_WINDOW,
                col(AuditLog.inbound_id).is_not(None),
                col(AuditLog.entity).in_(list(UNDOABLE)),
                col(AuditLog.action).in_(("create", "update")),
            )
            .order_by(col(AuditLog.id).desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return None
    group = (
        await session.exec(
            select(AuditLog)
            .where(AuditLog.inbound_id == last.inbound_id, col(AuditLog.undone).is_(False))
            .order_by(col(AuditLog.id))
        )
    ).all()
    for entry in reversed(group):
        model = UNDOABLE.get(entry.entity)
        if model is None or entry.entity_id is None:
            continue
        row = await session.get(model, entry.entity_id)
        if entry.action == "create" and row is not None:
            await session.delete(row)
        elif entry.action == "update" and row is not None and entry.before:
            restored = model.model_validate(entry.before)
            for key in entry.before:
                setattr(row, key, getattr(restored, key))
            session.add(row)
        await session.flush()
        entry.undone = True
        session.add(entry)
    return Undone(tuple(group))
