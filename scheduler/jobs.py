"""The sweeps. Each takes the services and reads 'now' from their clock, so tests call them directly.

Every sweep claims its rows with a conditional UPDATE (… WHERE reminded_at IS NULL), so two replicas running the
same sweep never remind twice; the messages go to the outbox in the same transaction as the claim.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.cards.model import Button, Card, CardAction
from bot.pipeline import enqueue
from bot.replies import CardReply, Reply, TeamPost, TextReply
from bot.services import Services
from core.funnel import build_funnel_report, render_bar_chart, render_funnel_text
from core.roles import Role
from core.timefmt import format_due
from storage.models import Counter, Customer, Task, User
from storage.repo import funnel, users

log = logging.getLogger(__name__)

ESCALATE_AFTER = timedelta(hours=24)
DIGEST_HOUR = 8  # local time; the digest goes out on the first sweep at or after 08:00
MAX_LISTED = 8


async def remind_due_tasks(services: Services) -> int:
    """One message per person listing their tasks that just fell due (WeCom drops floods per member)."""
    now = services.clock.now()
    sent = 0
    async with services.db.session() as session:
        due = (
            await session.exec(
                select(Task, Customer.name)
                .join(Customer, col(Customer.id) == Task.customer_id, isouter=True)
                .where(Task.status == "open", col(Task.due_at) <= now, col(Task.reminded_at).is_(None))
                .order_by(col(Task.owner_id), col(Task.due_at))
                .limit(2000)
            )
        ).all()
        by_owner: dict[int, list[tuple[Task, str | None]]] = defaultdict(list)
        for task, customer in due:
            claimed = await session.exec(  # type: ignore[call-overload]
                update(Task).where(col(Task.id) == task.id, col(Task.reminded_at).is_(None)).values(reminded_at=now)
            )
            if claimed.rowcount:
                by_owner[task.owner_id].append((task, customer))
        for owner_id, items in by_owner.items():
            owner = await session.get(User, owner_id)
            if owner is None:
                continue
            tz = ZoneInfo(owner.timezone)
            lines = [
                f"• {format_due(t.due_at.astimezone(tz))} {t.subject}" + (f"（{c}）" if c else "")
                for t, c in items[:MAX_LISTED]
                if t.due_at
            ]
            if len(items) > MAX_LISTED:
                lines.append(f"…另有 {len(items) - MAX_LISTED} 条，发“待办”查看全部")
            first = items[0][0]
            card = Card(
                template="reminder",
                title=f"⏰ {len(items)} 条待办到期",
                data={"lines": lines},
                buttons=(
                    Button("完成第1条", CardAction("task_done", (str(first.id),)), "primary"),
                    Button("第1条推迟到明天", CardAction("task_snooze", (str(first.id),))),
                ),
                card_id=f"rem{first.id}x{int(now.timestamp())}",
            )
            await enqueue(
                session, services, [CardReply(card, to_user_id=owner_id)], inbound=None, inbound_id=None, now=now
            )
            sent += 1
    services.outbox_ready.set()
    return sent


async def escalate_ignored_tasks(services: Services) -> int:
    """Tasks still open a day after their reminder go to the owner's manager, one message per manager."""
    now = services.clock.now()
    async with services.db.session() as session:
        rows = (
            await session.exec(
                select(Task, User)
                .join(User, col(User.id) == Task.owner_id)
                .where(
                    Task.status == "open",
                    col(Task.reminded_at) <= now - ESCALATE_AFTER,
                    col(Task.escalated_at).is_(None),
                    col(User.manager_id).is_not(None),
                )
                .limit(2000)
            )
        ).all()
        by_manager: dict[int, list[tuple[Task, User]]] = defaultdict(list)
        for task, owner in rows:
            claimed = await session.exec(  # type: ignore[call-overload]
                update(Task).where(col(Task.id) == task.id, col(Task.escalated_at).is_(None)).values(escalated_at=now)
            )
            if claimed.rowcount and owner.manager_id is not None:
                by_manager[owner.manager_id].append((task, owner))
        for manager_id, items in by_manager.items():
            lines = [
                f"• {owner.name}：{task.subject}（已逾期 {(now - task.due_at).days if task.due_at else 0} 天）"
                for task, owner in items[:MAX_LISTED]
            ]
            more = f"\n…共 {len(items)} 条" if len(items) > MAX_LISTED else ""
            replies: list[Reply] = [
                TextReply("以下待办提醒后仍未处理，请关注：\n" + "\n".join(lines) + more, to_user_id=manager_id)
            ]
            await enqueue(session, services, replies, inbound=None, inbound_id=None, now=now)
    services.outbox_ready.set()
    return sum(len(v) for v in by_manager.values())


async def send_daily_digests(services: Services) -> int:
    """The funnel to every manager, director and GM once a day after 08:00 their time (claimed per person-day)."""
    now = services.clock.now()
    sent = 0
    async with services.db.session() as session:
        people = (
            await session.exec(
                select(User).where(
                    col(User.role).in_([Role.MANAGER.value, Role.DIRECTOR.value, Role.GM.value]),
                    User.active == True,  # noqa: E712
                )
            )
        ).all()
        names = {u.id: u.name for u in await users.all_users(session)}
    for person in people:
        local = now.astimezone(ZoneInfo(person.timezone))
        if local.hour < DIGEST_HOUR:
            continue
        try:
            async with services.db.session() as session:
                session.add(Counter(name=f"digest:{person.id}:{local.date().isoformat()}", value=1))
                await session.flush()  # the primary key claims this person's digest for today
                owner_ids = await users.visible_owner_ids(session, person)
                report = build_funnel_report(
                    await funnel.funnel_input(
                        session,
                        owner_ids=owner_ids,
                        now=now,
                        tz=person.timezone,
                        base_currency=services.settings.base_currency,
                    )
                )
                text = render_funnel_text(report, names)
                title = f"每日销售日报 · {local:%m-%d}"
                card = Card(template="funnel", title=title, data={"text": text, "chart": render_bar_chart(report)})
                replies: list[Reply] = [CardReply(card, to_user_id=person.id)]
                if person.role == Role.MANAGER.value and person.team:  # and the team's group chat, if it has one
                    replies.append(TeamPost(person.team, f"**{person.team} {title}**\n{text}"))
                await enqueue(session, services, replies, inbound=None, inbound_id=None, now=now)
                sent += 1
        except IntegrityError:
            continue  # already sent today, by this or another replica
    services.outbox_ready.set()
    return sent
