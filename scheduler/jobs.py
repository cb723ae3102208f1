"""The sweeps. Each takes the services and reads 'now' from their clock, so tests call them directly.

Every sweep claims its rows with a conditional UPDATE (… WHERE reminded_at IS NULL), so two replicas running the
same sweep never remind twice; the messages go to the outbox in the same transaction as the claim.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards.actions import TasksDone, TasksSnooze
from bot.cards.model import Button, Card
from bot.outbox import enqueue
from bot.replies import CardReply, Reply, TeamPost, TextReply
from bot.services import Services
from core.clock import calendar_days
from core.funnel import build_funnel_report, render_bar_chart, render_funnel_text
from core.money import format_money_short
from core.roles import Role
from core.timefmt import format_due
from storage.models import Approval, Counter, Customer, Quote, Task, User
from storage.repo import funnel, lists, users

log = logging.getLogger(__name__)

ESCALATE_AFTER = timedelta(hours=24)
DIGEST_HOUR = 8  # local time; the digest goes out on the first sweep at or after 08:00
MAX_LISTED = 8


def _days_overdue(task: Task, owner: User, now: datetime) -> int:
    """Calendar days in the owner's zone: due yesterday 09:00 is 1 day overdue at 08:00 today."""
    return calendar_days(task.due_at, now, ZoneInfo(owner.timezone)) if task.due_at else 0


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
            if await _claim(session, Task, task.id, "reminded_at", now):
                by_owner[task.owner_id].append((task, customer))
        for owner_id, items in by_owner.items():
            owner = await session.get(User, owner_id)
            if owner is None:
                continue
            tz = ZoneInfo(owner.timezone)
            listed = [(t, c) for t, c in items[:MAX_LISTED] if t.due_at]
            lines = [
                f"{i}. {format_due(t.due_at.astimezone(tz))} {t.subject}" + (f"（{c}）" if c else "")
                for i, (t, c) in enumerate(listed, 1)
                if t.due_at
            ]
            if len(items) > MAX_LISTED:
                lines.append(f"…另有 {len(items) - MAX_LISTED} 条，发“待办”查看全部")
            lines.append("单条处理：完成 2 / 推迟 2 明天")
            # The card's numbers are what "完成 2" means now; its buttons act on every task it lists.
            await lists.remember(session, owner_id, "tasks", [t.id or 0 for t, _ in listed], now)
            ids = "-".join(str(t.id) for t, _ in listed)
            every = "全部" if len(listed) > 1 else ""
            first = items[0][0]
            card = Card(
                template="reminder",
                title=f"⏰ {len(items)} 条待办到期",
                data={"lines": lines},
                buttons=(
                    Button(f"{every}完成", TasksDone(ids), "primary"),
                    Button(f"{every}推迟到明天", TasksSnooze(ids)),
                ),
                ref=f"rem{first.id}",
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
            if await _claim(session, Task, task.id, "escalated_at", now) and owner.manager_id is not None:
                by_manager[owner.manager_id].append((task, owner))
        for manager_id, items in by_manager.items():
            lines = [
                f"• {owner.name}：{task.subject}（已逾期 {_days_overdue(task, owner, now)} 天）"
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
        names: dict[int | str, str] = {u.id: u.name for u in await users.all_users(session) if u.id is not None}
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


APPROVAL_REMIND_AFTER = timedelta(hours=4)
APPROVAL_ESCALATE_AFTER = timedelta(hours=24)  # after the reminder


async def remind_waiting_approvals(services: Services) -> int:
    """Approvers whose decision has waited 4 hours get one reminder listing everything waiting for them."""
    now = services.clock.now()
    async with services.db.session() as session:
        rows = (
            await session.exec(
                select(Approval, Quote, Customer.name)
                .join(Quote, col(Quote.id) == Approval.quote_id)
                .join(Customer, col(Customer.id) == Quote.customer_id)
                .where(
                    Approval.decision == "pending",
                    Quote.status == "pending",
                    col(Approval.pending_since) <= now - APPROVAL_REMIND_AFTER,
                    col(Approval.reminded_at).is_(None),
                )
                .order_by(col(Approval.approver_id), col(Approval.pending_since))
                .limit(2000)
            )
        ).all()
        by_approver: dict[int, list[str]] = defaultdict(list)
        for approval, quote, customer in rows:
            if await _claim(session, Approval, approval.id, "reminded_at", now):
                waited = int((now - (approval.pending_since or now)).total_seconds() // 3600)
                amount = format_money_short(quote.total or Decimal(0), quote.currency)
                by_approver[approval.approver_id].append(
                    f"• {quote.number} 第{quote.revision}版 {customer} {amount}（已等 {waited} 小时）"
                )
        replies: list[Reply] = [
            TextReply(
                f"您有 {len(lines)} 个报价等待审批：\n"
                + "\n".join(lines[:MAX_LISTED])
                + "\n发“待审批”查看，或直接回复“同意 Q-…”/“驳回 Q-… 原因”。",
                to_user_id=approver_id,
            )
            for approver_id, lines in by_approver.items()
        ]
        await enqueue(session, services, replies, inbound=None, inbound_id=None, now=now)
    services.outbox_ready.set()
    return len(replies)


async def escalate_waiting_approvals(services: Services) -> int:
    """A day after the reminder, the approver's manager and the requester hear that the quote is stuck."""
    now = services.clock.now()
    async with services.db.session() as session:
        rows = (
            await session.exec(
                select(Approval, Quote, User)
                .join(Quote, col(Quote.id) == Approval.quote_id)
                .join(User, col(User.id) == Approval.approver_id)
                .where(
                    Approval.decision == "pending",
                    Quote.status == "pending",
                    col(Approval.reminded_at) <= now - APPROVAL_ESCALATE_AFTER,
                    col(Approval.escalated_at).is_(None),
                )
                .limit(2000)
            )
        ).all()
        notes: dict[int, list[str]] = defaultdict(list)
        for approval, quote, approver in rows:
            if await _claim(session, Approval, approval.id, "escalated_at", now):
                line = (
                    f"• {quote.number} 第{quote.revision}版在 {approver.name} 处（{approval.step_name}）已等待超过 1 天"
                )
                for who in {approver.manager_id, quote.owner_id} - {None, approver.id}:
                    notes[int(who)].append(line)  # type: ignore[arg-type]
        replies: list[Reply] = [
            TextReply("以下报价审批迟迟没有结果，请跟进：\n" + "\n".join(lines[:MAX_LISTED]), to_user_id=user_id)
            for user_id, lines in notes.items()
        ]
        await enqueue(session, services, replies, inbound=None, inbound_id=None, now=now)
    services.outbox_ready.set()
    return len(rows)


async def _claim(session: AsyncSession, model: type[SQLModel], row_id: int | None, column: str, now: datetime) -> bool:
    """Stamp `column` if nobody has (another replica running the same sweep): True when this run got the row."""
    field = getattr(model, column)
    claimed = await session.exec(  # type: ignore[call-overload]
        update(model).where(model.id == row_id, col(field).is_(None)).values({column: now})  # type: ignore[attr-defined]
    )
    return bool(claimed.rowcount)
