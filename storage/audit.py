"""The audit log: who changed what, before and after, through which channel, with their own words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditLog

REFUSED = "refused"  # a request kabot would not carry out (someone else's data, not their turn): kept, never undone


def snapshot(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json")


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    channel: str | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str | None = None,
    inbound_id: int | None = None,
) -> None:
    session.add(
        AuditLog(
            at=at,
            actor_id=actor_id,
            channel=channel,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            message=message,
            inbound_id=inbound_id,
        )
    )
