"""撤销: revert every change one message made, using the before/after snapshots in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import REFUSED
from storage.models import AuditLog, Contact, Customer, FollowUp, Opportunity, StageChange, Task

UNDO_WINDOW = timedelta(minutes=10)
UNDOABLE: dict[str, type[SQLModel]] = {
    m.__tablename__: m  # type: ignore[misc]
    for m in (Customer, Contact, Opportunity, StageChange, FollowUp, Task)
}


@dataclass(frozen=True)
class Undone:
    entries: tuple[AuditLog, ...]  # the reverted changes, in the order they were made


@dataclass(frozen=True)
class CannotUndo:
    """The last change stays as it is, and why: undo never skips back to an older change."""

    reason: Literal["not_undoable", "too_old", "edited_since"]
    last: AuditLog  # the change that was asked to be undone
    other_actor_id: int | None = None  # edited_since: who changed it afterwards


async def undo_last(session: AsyncSession, *, actor_id: int, now: datetime) -> Undone | CannotUndo | None:
    """Revert every change of the actor's last message, or say why not; None when they changed nothing."""
    last = (
        await session.exec(
            select(AuditLog)
            .where(
                AuditLog.actor_id == actor_id,
                col(AuditLog.undone).is_(False),
                col(AuditLog.inbound_id).is_not(None),
                col(AuditLog.action).not_in((REFUSED, "undo")),
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
    if any(e.entity not in UNDOABLE or e.action not in ("create", "update") for e in group):
        return CannotUndo("not_undoable", last)
    if last.at < now - UNDO_WINDOW:
        return CannotUndo("too_old", last)
    for entry in group:
        later = (
            await session.exec(
                select(AuditLog).where(
                    AuditLog.entity == entry.entity,
                    AuditLog.entity_id == entry.entity_id,
                    col(AuditLog.id) > entry.id,
                    AuditLog.actor_id != actor_id,
                    col(AuditLog.undone).is_(False),
                    col(AuditLog.action) != REFUSED,
                )
            )
        ).first()
        if later is not None:
            return CannotUndo("edited_since", last, later.actor_id)
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
