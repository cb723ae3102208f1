"""待办: my open tasks by due time (overdue first), 完成 N, 推迟 N 明天."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.access import colleague_in_view
from bot.cards.actions import TaskDone, TasksDone, TaskSnooze, TasksSnooze
from bot.context import Context
from bot.errors import NotAllowed, NotFound
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.sales.scope import Scope
from bot.sales.tasks import add_task
from bot.sales.views import task_list
from core.nlu.intents import Intent, Parsed
from core.nlu.names import NameIndex
from core.nlu.normalize import asks_for_all
from core.nlu.task_commands import TaskCommand, tasks_named
from core.nlu.task_customer import company_named
from core.roles import Role
from core.timefmt import format_due
from storage import audit
from storage.models import Customer, Task, User
from storage.repo import customers, lists, tasks

router = Router("tasks")

CHOOSE_TASK = "choose_task"  # several tasks matched the words of 完成 / 推迟: which one


FIRST_PAGE, EVERYTHING = 20, 300  # `待办` lists the first 20; `待办 全部` everything (a phone scrolls, a rep has < 300)


@router.intent(Intent.LIST_TASKS, help="我的待办（逾期的在最前）", example="待办")
async def list_tasks(ctx: Context, parsed: Parsed) -> list[Reply]:
    """My open tasks, numbered for 完成 / 推迟; or, for a manager, one of the team's (待办 李娜), to read only."""
    colleague = await colleague_in_view(ctx, parsed.person, "待办") if parsed.person else None
    owner = colleague or ctx.user
    mine = owner.id == ctx.user_id
    limit = EVERYTHING if asks_for_all(parsed.text) else FIRST_PAGE
    rows = await tasks.open_tasks(ctx.session, owner.id or 0, limit=limit)
    total = await tasks.open_count(ctx.session, owner.id or 0)
    if mine:
        await lists.remember(ctx.session, ctx.user_id, "tasks", [t.id or 0 for t, _ in rows], ctx.clock.now())
    return [TextReply(task_list(rows, total, None if mine else owner.name, now=ctx.clock.now(), tz=ctx.tz))]


@router.intent(
    Intent.ASSIGN_TASK, help="给团队成员加待办（经理）", example="让李娜明天给张总回个电话", roles=(Role.MANAGER,)
)
async def assign_task(ctx: Context, parsed: Parsed) -> list[Reply]:
    """A manager's 让李娜…: the task is hers, not the manager's, and she is told."""
    said, told = await assign(ctx, parsed)
    return [TextReply(said + "。说错了可发“撤销”。"), *told]


async def assign(ctx: Context, parsed: Parsed) -> tuple[str, list[Reply]]:
    """The task of a manager's 让李娜… (alone, or ending a visit report): what the manager is told, and the message
    to the rep."""
    rep = await colleague_in_view(ctx, parsed.person or "", "待办")
    if rep is None or rep.id is None:
        raise NotFound(f"没有叫“{parsed.person}”的同事。")
    subject = parsed.next_action or parsed.summary or parsed.text
    task = await add_task(
        Scope.of(ctx),
        owner_id=rep.id,
        customer_id=parsed.customer_id,
        subject=subject,
        due=parsed.next_due,
        source="assigned",
        source_id=ctx.user_id,
    )
    when = format_due(task.due_at.astimezone(ctx.tz), now=ctx.now) if task.due_at else "无截止时间"
    named = await _named_task(ctx, task)
    told = TextReply(f"{ctx.user.name}给您加了待办：{named} —— {when}。做完请发“完成 {subject}”。", to_user_id=rep.id)
    mine = rep.id == ctx.user_id
    said = f"已给{'您自己' if mine else rep.name}加待办：{named} —— {when}" + ("" if mine else f"，已通知{rep.name}")
    return said + await _not_theirs(ctx, rep, parsed), [] if mine else [told]


async def _not_theirs(ctx: Context, rep: User, parsed: Parsed) -> str:
    """Said when the task's customer is not one of the rep's, or the company it names matched no customer: the
    manager sees it, never a task silently linked to someone else's customer or to none."""
    customer = await customers.get(ctx.session, parsed.customer_id) if parsed.customer_id is not None else None
    if customer is not None:
        return "" if customer.owner_id == rep.id else f"（注意：{customer.name}不是{rep.name}的客户）"
    name = company_named(parsed.text)
    return f"。{rep.name}的客户里没有“{name}”，待办已建但没有关联客户" if name else ""


async def _task(ctx: Context, number: int | None) -> Task | str:
    if number is None:
        return "请写上待办编号，例如：完成 2（先发“待办”查看编号）"
    task_id = await lists.item(ctx.session, ctx.user_id, "tasks", number)
    task = await ctx.session.get(Task, task_id) if task_id else None
    if task is None or task.owner_id != ctx.user_id:
        return f"没有第 {number} 条待办。请先发“待办”查看编号。"
    if task.status != "open":
        return f"第 {number} 条“{task.subject}”已经处理过了。"
    return task


@router.intent(Intent.COMPLETE_TASK, help="完成待办", example="完成 2")
async def complete_task(ctx: Context, parsed: Parsed) -> list[Reply]:
    task = await _task(ctx, parsed.number)
    return [TextReply(task if isinstance(task, str) else await _complete(ctx, task))]


@router.intent(Intent.POSTPONE_TASK, help="推迟待办", example="推迟 2 明天")
async def postpone_task(ctx: Context, parsed: Parsed) -> list[Reply]:
    task = await _task(ctx, parsed.number)
    if isinstance(task, str):
        return [TextReply(task)]
    if parsed.next_due is None:
        return [TextReply("推迟到什么时候？例如：推迟 2 明天 / 推迟 2 下周一下午3点")]
    return [TextReply(await _reschedule(ctx, task, parsed.next_due))]


@router.intent(Intent.TASK_COMMAND)
async def tasks_by_text(ctx: Context, command: TaskCommand) -> list[Reply]:
    """完成 3 5 / 完成 寄样品 / 推迟 8 3天 / 寄样品那个推迟到下周三: every task named, each answered."""
    chosen = await _named(ctx, command)
    if isinstance(chosen, str):
        return [TextReply(chosen)]
    return [TextReply("\n".join([await _apply(ctx, task, command) for task in chosen]))]


async def _apply(ctx: Context, task: Task, command: TaskCommand) -> str:
    if command.action == "done":
        return await _complete(ctx, task)
    if command.action == "delete":
        return await _cancel(ctx, task)
    base = max(task.due_at or ctx.clock.now(), ctx.clock.now())  # an overdue task moves from today
    return await _reschedule(ctx, task, command.due or base + timedelta(days=command.shift_days or 0))


@router.state(CHOOSE_TASK)
async def chosen_task(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """`1` after "有 3 条“寄样品”待办，是哪一条？": that task; anything else is a new message."""
    if parsed.intent is not Intent.CHOICE:
        return None
    task = await _task(ctx, parsed.number)
    if isinstance(task, str):
        return [TextReply(task)]
    due = datetime.fromisoformat(data["due"]) if data.get("due") else None
    command = TaskCommand(action=data["action"], due=due, shift_days=data.get("shift_days"))
    return [TextReply(await _apply(ctx, task, command))]


async def _named(ctx: Context, command: TaskCommand) -> list[Task] | str:
    """The tasks a command names: by the numbers of the last 待办 list, or the one open task with those words, or
    the one the last follow-up planned (刚才那条…应该是周四)."""
    if command.latest:
        return await _planned_last(ctx, command)
    if command.numbers:
        found = [await _task(ctx, n) for n in command.numbers]
        refused = [f for f in found if isinstance(f, str)]
        return "\n".join(refused) if refused else [f for f in found if isinstance(f, Task)]
    words = command.subject or ""
    open_rows = await tasks.open_tasks(ctx.session, ctx.user_id, limit=200)
    index = NameIndex([])
    for customer_id in {t.customer_id for t, _ in open_rows if t.customer_id is not None}:
        if (customer := await customers.get(ctx.session, customer_id)) is not None:
            index.add(customer_id, customer.name, customer.aliases)
    ids = tasks_named(words, [(t.id or 0, t.subject, t.customer_id) for t, _ in open_rows], index)
    rows = [(t, c) for t, c in open_rows if t.id in ids]
    if len(rows) == 1:
        return [rows[0][0]]
    if not rows:
        return f"没有找到包含“{words}”的未完成待办。发“待办”查看全部。"
    await lists.remember(ctx.session, ctx.user_id, "tasks", [t.id or 0 for t, _ in rows], ctx.clock.now())
    due = command.due.isoformat() if command.due else None
    await ctx.ask(CHOOSE_TASK, {"action": command.action, "due": due, "shift_days": command.shift_days})
    how = {"done": "1，或完成 1 2", "delete": "1，或删除待办 1 2"}.get(command.action, "1，或推迟 1 2 下周三")
    lines = [
        f"{i}. {format_due(t.due_at.astimezone(ctx.tz), now=ctx.now) if t.due_at else '无截止时间'} {t.subject}"
        + (f"（{c}）" if c else "")
        for i, (t, c) in enumerate(rows, 1)
    ]
    return (
        f"有 {len(rows)} 条“{words}”待办，是哪一条？\n"
        + "\n".join(lines)
        + f"\n请回复编号：{how}（编号换成这个列表的）。"
    )


async def _planned_last(ctx: Context, command: TaskCommand) -> list[Task] | str:
    """刚才那条下次跟进应该是周四: the task the person's last follow-up created; asked which when it made several."""
    planned = await tasks.planned_by_last_follow_up(ctx.session, ctx.user_id)
    words = command.subject or ""
    named = [t for t in planned if words and (words in t.subject or t.subject in words)]
    rows = named or list(planned)
    when = format_due(command.due.astimezone(ctx.tz), now=ctx.now) if command.due else ""
    if not rows:
        return f"您刚才的跟进没有建待办，什么都没有改。要改某条待办的日期，请发“待办”查看编号，再发“推迟 编号 {when}”。"
    if len(rows) == 1:
        return rows
    await lists.remember(ctx.session, ctx.user_id, "tasks", [t.id or 0 for t in rows], ctx.clock.now())
    due = command.due.isoformat() if command.due else None
    await ctx.ask(CHOOSE_TASK, {"action": command.action, "due": due, "shift_days": command.shift_days})
    lines = [f"{i}. {await _named_task(ctx, t)}" for i, t in enumerate(rows, 1)]
    return f"您刚才的跟进建了 {len(rows)} 条待办，改成 {when} 的是哪一条？\n" + "\n".join(lines) + "\n请回复编号。"


async def _complete(ctx: Context, task: Task) -> str:
    before = audit.snapshot(task)
    task.status, task.completed_at = "done", ctx.clock.now()
    ctx.session.add(task)
    await ctx.record("update", "tasks", task.id, before=before, after=audit.snapshot(task))
    return f"✅ 已完成：{await _named_task(ctx, task)}。说错了可发“撤销”。"


async def _cancel(ctx: Context, task: Task) -> str:
    """删除待办: a task that was never needed (a meeting already held, logged as a plan) leaves the list, kept as
    cancelled so 撤销 can bring it back."""
    before = audit.snapshot(task)
    task.status = "cancelled"
    ctx.session.add(task)
    await ctx.record("update", "tasks", task.id, before=before, after=audit.snapshot(task))
    return f"🗑 已删除待办：{await _named_task(ctx, task)}。说错了可发“撤销”。"


async def _reschedule(ctx: Context, task: Task, due: datetime) -> str:
    """A new due time also re-arms the reminder and its escalation."""
    before = audit.snapshot(task)
    task.due_at, task.reminded_at, task.escalated_at = due, None, None
    ctx.session.add(task)
    await ctx.record("update", "tasks", task.id, before=before, after=audit.snapshot(task))
    return f"已改期：{await _named_task(ctx, task)} —— {format_due(due.astimezone(ctx.tz), now=ctx.now)}。"


async def _named_task(ctx: Context, task: Task) -> str:
    """The subject with its customer: several customers often have a task called 确认交期."""
    customer = await ctx.session.get(Customer, task.customer_id) if task.customer_id else None
    return f"{task.subject}（{customer.name}）" if customer else task.subject


async def _tapped(ctx: Context, task_id: int) -> Task | str:
    task = await ctx.session.get(Task, task_id)
    if task is None:
        raise NotFound("这条待办已不存在。")
    if task.owner_id != ctx.user_id:  # a button of someone else's card: refused, and audited by the pipeline
        raise NotAllowed("这条待办不是您的。", entity="tasks", entity_id=task.id)
    if task.status != "open":
        return f"“{task.subject}”已经处理过了。"
    return task


@router.action(TaskDone)
async def complete_tapped(ctx: Context, action: TaskDone) -> list[Reply]:
    task = await _tapped(ctx, action.task_id)
    return [TextReply(task if isinstance(task, str) else await _complete(ctx, task))]


@router.action(TaskSnooze)
async def snooze_tapped(ctx: Context, action: TaskSnooze) -> list[Reply]:
    task = await _tapped(ctx, action.task_id)
    if isinstance(task, str):
        return [TextReply(task)]
    tomorrow_nine = datetime.combine(ctx.now.date() + timedelta(days=1), time(9), ctx.tz)
    return [TextReply(await _reschedule(ctx, task, tomorrow_nine))]


@router.action(TasksDone)
async def complete_all_tapped(ctx: Context, action: TasksDone) -> list[Reply]:
    found = [await _tapped(ctx, i) for i in action.task_ids]
    return [TextReply("\n".join([f if isinstance(f, str) else await _complete(ctx, f) for f in found]))]


@router.action(TasksSnooze)
async def snooze_all_tapped(ctx: Context, action: TasksSnooze) -> list[Reply]:
    tomorrow_nine = datetime.combine(ctx.now.date() + timedelta(days=1), time(9), ctx.tz)
    found = [await _tapped(ctx, i) for i in action.task_ids]
    return [
        TextReply("\n".join([f if isinstance(f, str) else await _reschedule(ctx, f, tomorrow_nine) for f in found]))
    ]
