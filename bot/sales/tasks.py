"""New tasks, audited: a follow-up's next step, a plan, or a manager's 让李娜… — one way to add one."""

from __future__ import annotations

from datetime import datetime

from bot.sales.scope import Scope
from storage import audit
from storage.models import Task


async def add_task(
    scope: Scope,
    *,
    owner_id: int,
    customer_id: int | None,
    subject: str,
    due: datetime | None,
    source: str,
    source_id: int | None,
) -> Task:
    task = Task(
        owner_id=owner_id,
        subject=subject,
        customer_id=customer_id,
        due_at=due,
        source=source,
        source_id=source_id,
        created_at=scope.clock.now(),
    )
    scope.session.add(task)
    await scope.session.flush()
    await scope.record("create", "tasks", task.id, after=audit.snapshot(task))
    return task
