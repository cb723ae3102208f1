"""The 80% quota warning, told to kabot's admins in chat (once a month and kind: core.quotas.warn_now).

Why through the outbox: the warning is counted by whichever call crossed 80%, inside a delivery or a Stream
push; queuing it keeps that call fast and lets the warning reach admins on whatever chat app they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.outbox import enqueue
from bot.replies import TextReply
from core.quotas import Usage
from core.roles import Role
from storage.models import User

if TYPE_CHECKING:
    from bot.services import Services


async def warn_admins(services: Services, usage: Usage) -> int:
    """Queue the warning for every active admin; returns how many were told."""
    text = f"⚠ 钉钉本月额度提醒：{usage.describe()}。可在 kabot doctor 查看用量；额度用完后只发送对消息的回复。"
    now = services.clock.now()
    async with services.db.session() as session:
        q = select(User).where(col(User.role) == Role.ADMIN.value, col(User.active).is_(True))
        admins = [u for u in (await session.exec(q)).all() if u.id is not None]
        replies = [TextReply(text, to_user_id=u.id) for u in admins]
        await enqueue(session, services, replies, inbound=None, inbound_id=None, now=now)
    services.outbox_ready.set()
    return len(admins)
