"""撤销: revert every change one message made, using the before/after snapshots in the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import and_, func, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import REFUSED
from storage.models import (
    AuditLog,
    Contact,
    Customer,
    FollowUp,
    InboundMessage,
    Opportunity,
    StageChange,
    Task,
    TransferRequest,
)
from storage.repo.transfers import settle

UNDO_WINDOW = timedelta(minutes=10)
UNDOABLE: dict[str, type[SQLModel]] = {
    m.__tablename__: m  # type: ignore[misc]
    for m in (Customer, Contact, Opportunity, StageChange, FollowUp, Task)
}


# Rows a creation may have been built on since, as a person would name them.
NAMES = {
    "customers": "客户",
    "contacts": "联系人",
    "opportunities": "商机",
    "follow_ups": "跟进记录",
    "tasks": "待办",
    "quotes": "报价",
    "stage_changes": "阶段变更",
    "transfer_requests": "转移申请",
}


class UndoBlocked(Exception):
    """A creation cannot be taken back: other rows (often someone else's) refer to it. Nothing was undone."""

    def __init__(self, what: str, blockers: dict[str, int]) -> None:
        self.what, self.blockers = what, blockers
        listed = "、".join(f"{n} 条{NAMES.get(t, t)}" for t, n in blockers.items())
        super().__init__(f"{what}之后已有 {listed}，不能撤销它的新建，什么都没有改。如需删除，请先处理这些记录。")


@dataclass(frozen=True)
class Undone:
    entries: tuple[AuditLog, ...]  # the reverted changes, in the order they were made
    withdrawn: tuple[TransferRequest, ...] = ()  # requests that went to others: they are told, their cards closed


@dataclass(frozen=True)
class Unsubmit:
    """The last message submitted a quote for approval: the quote service withdraws it (its approvers were told)."""

    quote_id: int
    entries: tuple[AuditLog, ...]


@dataclass(frozen=True)
class CannotUndo:
    """The last change stays as it is, and why: undo never skips back to an older change."""

    reason: Literal["not_undoable", "too_old", "edited_since"]
    last: AuditLog  # the change that was asked to be undone
    other_actor_id: int | None = None  # edited_since: who changed it afterwards


async def last_change(session: AsyncSession, actor_id: int) -> AuditLog | None:
    """The newest change the actor made by a message that is not undone yet: what 撤销 would take back."""
    return (
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


@dataclass(frozen=True)
class Undoable:
    """The last message's changes can be reverted (checked, nothing changed yet)."""

    entries: tuple[AuditLog, ...]


async def check_last(session: AsyncSession, *, actor_id: int, now: datetime) -> Undoable | Unsubmit | CannotUndo | None:
    """Whether the actor's last message can be undone, changing nothing: 撤销 asks first when that message is not
    the one just before it."""
    last = await last_change(session, actor_id)
    if last is None:
        return None
    group = (
        await session.exec(
            select(AuditLog)
            .where(AuditLog.inbound_id == last.inbound_id, col(AuditLog.undone).is_(False))
            .order_by(col(AuditLog.id))
        )
    ).all()
    submitted = [e for e in group if e.entity == "quotes" and e.action == "submit"]
    if (not submitted or len(submitted) > 1) and any(not _undoable(e) for e in group):
        return CannotUndo("not_undoable", last)
    if last.at < now - UNDO_WINDOW:
        return CannotUndo("too_old", last)
    if submitted:
        if any(not (e.entity == "approvals" and e.action == "create") for e in group if e not in submitted):
            return CannotUndo("not_undoable", last)
        return Unsubmit(int(submitted[0].entity_id or 0), tuple(group))
    for entry in group:
        account = (entry.after or {}).get("customer_id") if entry.entity != "customers" else None
        later = (
            await session.exec(
                select(AuditLog).where(
                    or_(
                        and_(col(AuditLog.entity) == entry.entity, col(AuditLog.entity_id) == entry.entity_id),
                        and_(col(AuditLog.entity) == "customers", col(AuditLog.entity_id) == account),  # moved, say
                    ),
                    col(AuditLog.id) > entry.id,
                    AuditLog.actor_id != actor_id,
                    col(AuditLog.undone).is_(False),
                    col(AuditLog.action) != REFUSED,
                )
            )
        ).first()
        if later is not None:
            return CannotUndo("edited_since", last, later.actor_id)
        if entry.action == "update" and await _moved_on(session, entry):
            return CannotUndo("edited_since", last)
    return Undoable(tuple(group))


async def revert(session: AsyncSession, checked: Undoable, *, actor_id: int, now: datetime) -> Undone | CannotUndo:
    """Revert every change `check_last` found undoable (it is not checked again)."""
    group = checked.entries
    withdrawn: list[TransferRequest] = []
    last = group[-1]
    for entry in reversed(group):
        if entry.entity == "transfer_requests":  # a request is withdrawn, not deleted: the manager had it
            request = await session.get(TransferRequest, entry.entity_id)
            if request is None or not await settle(session, request, status="withdrawn", by=actor_id, now=now):
                return CannotUndo("edited_since", last, request.decided_by_id if request else None)
            withdrawn.append(request)
            entry.undone = True
            session.add(entry)
            continue
        model = UNDOABLE.get(entry.entity)
        if model is None or entry.entity_id is None:
            continue
        row = await session.get(model, entry.entity_id)
        if entry.action == "create" and row is not None:
            await _refuse_if_built_on(session, model, entry.entity_id, (entry.after or {}).get("name"))
            await session.delete(row)
        elif entry.action == "update" and row is not None and entry.before:
            restored = model.model_validate(entry.before)
            for key in entry.before:
                setattr(row, key, getattr(restored, key))
            session.add(row)
        await session.flush()
        entry.undone = True
        session.add(entry)
    return Undone(tuple(group), tuple(withdrawn))


async def messages_between(session: AsyncSession, earlier: int | None, later: int | None) -> int:
    """How many messages the same person sent after `earlier` and before `later` (inbound ids): 撤销 says when a
    change was made when it is not the one their previous message made."""
    if earlier is None or later is None:
        return 0
    first = await session.get(InboundMessage, earlier)
    if first is None:
        return 0
    n = await session.exec(
        select(func.count()).where(
            InboundMessage.channel == first.channel,
            InboundMessage.sender == first.sender,
            col(InboundMessage.id) > earlier,
            col(InboundMessage.id) < later,
        )
    )
    return int(n.one())


async def customer_names(session: AsyncSession, entries: Sequence[AuditLog]) -> dict[int, str]:
    """The accounts the undone rows belong to, by id, to name them in the reply."""
    ids = {int(c) for e in entries if (c := (e.after or e.before or {}).get("customer_id"))}
    if not ids:
        return {}
    rows = await session.exec(select(Customer.id, Customer.name).where(col(Customer.id).in_(ids)))
    return {int(i or 0): name for i, name in rows.all()}


async def mark_undone(session: AsyncSession, entries: Sequence[AuditLog]) -> None:
    for entry in entries:
        entry.undone = True
        session.add(entry)
    await session.flush()


def _undoable(entry: AuditLog) -> bool:
    if entry.entity == "transfer_requests":
        return entry.action == "create"
    return entry.entity in UNDOABLE and entry.action in ("create", "update")


# A row changed without its own audit entry (a transfer moves the account's tasks and deals with it) is still changed.
_OWNERSHIP = ("owner_id", "customer_id")


async def _moved_on(session: AsyncSession, entry: AuditLog) -> bool:
    """Whether the row no longer holds what this update left in it (its changed fields, or whose it is)."""
    model = UNDOABLE.get(entry.entity)
    if model is None or entry.entity_id is None or not entry.before or not entry.after:
        return False
    row = await session.get(model, entry.entity_id)
    if row is None:
        return False
    left = model.model_validate(entry.after)  # typed: a due time is compared as an instant, not as its text
    watched = [k for k in entry.after if entry.before.get(k) != entry.after[k] and k != "updated_at"]
    watched += [k for k in _OWNERSHIP if k in entry.after]
    return any(getattr(row, k) != getattr(left, k) for k in watched)


async def _refuse_if_built_on(session: AsyncSession, model: type[SQLModel], row_id: int, name: object) -> None:
    """Count the rows that still point at this one by a foreign key (this message's own are already gone); rows that
    go with it (ON DELETE CASCADE, such as its name keys) do not block."""
    table = model.__table__  # type: ignore[attr-defined]
    blockers: dict[str, int] = {}
    for other in SQLModel.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and (fk.ondelete or "").upper() != "CASCADE":
                n = (await session.exec(select(func.count()).select_from(other).where(fk.parent == row_id))).one()
                if n:
                    blockers[other.name] = blockers.get(other.name, 0) + int(n)
    if blockers:
        label = NAMES.get(table.name, "记录")
        raise UndoBlocked(f"{label}“{name}”" if name else label, blockers)
