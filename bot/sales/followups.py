"""New follow-ups, audited: a report or note in the rep's words, or what they said beside a stage move."""

from __future__ import annotations

from datetime import datetime

from bot.sales.scope import Scope
from storage import audit
from storage.models import FollowUp


async def add_follow_up(
    scope: Scope,
    *,
    customer_id: int,
    content: str,
    kind: str = "其他",
    opportunity_id: int | None = None,
    happened_at: datetime | None = None,
    next_action: str | None = None,
    next_due: datetime | None = None,
) -> FollowUp:
    now = scope.clock.now()
    follow_up = FollowUp(
        customer_id=customer_id,
        opportunity_id=opportunity_id,
        author_id=scope.user_id,
        kind=kind,
        content=content,
        happened_at=happened_at or now,
        next_action=next_action,
        next_due=next_due,
        created_at=now,
    )
    scope.session.add(follow_up)
    await scope.session.flush()
    await scope.record("create", "follow_ups", follow_up.id, after=audit.snapshot(follow_up))
    return follow_up
