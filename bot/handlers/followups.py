"""跟进: a visit or call in the rep's own words; the next action becomes a task in the rep's timezone.

What the rep said is saved first. A missing or guessed date of the next step is asked afterwards, and the answer
only fills in (or corrects) the saved task: no question ever leaves the follow-up unsaved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.cards.actions import ConfirmDraft, EditDraft
from bot.cards.model import Button, Card
from bot.context import Context
from bot.replies import CardReply, Reply, TextReply
from bot.resolve import customer_for
from bot.router import Router
from core.nlu.dates import resolve_dates
from core.nlu.intents import Intent, Parsed
from core.nlu.normalize import normalize
from core.timefmt import format_day, format_due
from storage import audit, state
from storage.models import FollowUp, Task

router = Router("followups")

# A guessed due date is worth a tap to confirm; a default kind (其他) is not.
CONFIRM_GUESSES = ("next_due",)
NEXT_DATE = "next_step_date"
# An answer to "which day?" is the date and little else ("下周三", "周三上午吧"); longer text is a new message.
ANSWER_SLACK = 4


@router.intent(
    Intent.FOLLOW_UP,
    help="记录跟进（拜访/电话/邮件…），下一步自动变成待办",
    example="今天拜访了艾克美张总，谈了阀门报价，下周二再电话跟进",
)
async def log_follow_up(ctx: Context, parsed: Parsed) -> list[Reply]:
    found = await customer_for(ctx, parsed, change=True)
    now = ctx.clock.now()
    happened = parsed.occurred_at or now
    follow_up = FollowUp(
        customer_id=found.id or 0,
        author_id=ctx.user_id,
        kind=parsed.kind or "其他",
        content=parsed.summary or parsed.text,
        happened_at=happened,
        next_action=parsed.next_action,
        next_due=parsed.next_due,
        created_at=now,
    )
    ctx.session.add(follow_up)
    await ctx.session.flush()
    await ctx.record("create", "follow_ups", follow_up.id, after=audit.snapshot(follow_up))
    lines = [
        f"已记录 {found.name} 的{follow_up.kind}跟进（{format_day(happened.astimezone(ctx.tz))}）：{follow_up.content}"
    ]
    if parsed.next_action and parsed.next_due is None:
        await ctx.ask(NEXT_DATE, {"follow_up_id": follow_up.id})
        lines.append(f"下一步“{parsed.next_action}”是哪天？直接回复时间即可（例如“下周三”），我会把它加进待办。")
        return [TextReply("\n".join(lines))]
    if not parsed.next_action or parsed.next_due is None:
        return [TextReply("\n".join([*lines, "说错了可发“撤销”。"]))]
    task = await _add_task(ctx, follow_up, parsed.next_due)
    due = format_due(parsed.next_due.astimezone(ctx.tz), now=ctx.now)
    if ctx.command.confirmed or not any(g in parsed.guesses for g in CONFIRM_GUESSES):
        return [TextReply("\n".join([*lines, f"待办：{task.subject} —— {due}", "说错了可发“撤销”。"]))]
    await ctx.ask(NEXT_DATE, {"follow_up_id": follow_up.id, "task_id": task.id})
    card = Card(
        template="draft",
        title="已记录，请确认待办日期",
        data={"lines": [*lines, f"待办：{task.subject} —— {due}（日期是我推测的）"]},
        buttons=(Button("日期没问题", ConfirmDraft(), "primary"), Button("改日期", EditDraft())),
    )
    return [CardReply(card)]


async def _add_task(ctx: Context, follow_up: FollowUp, due: datetime) -> Task:
    task = Task(
        owner_id=ctx.user_id,
        subject=follow_up.next_action or "跟进",
        customer_id=follow_up.customer_id,
        due_at=due,
        source="followup",
        source_id=follow_up.id,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(task)
    await ctx.session.flush()
    await ctx.record("create", "tasks", task.id, after=audit.snapshot(task))
    return task


def _answered_date(ctx: Context, text: str) -> datetime | None:
    """The date a short answer names ("下周三", "12月3日下午"), None when the message is something else."""
    spans = [s for s in resolve_dates(text, ctx.clock.now(), ctx.tz) if not s.past]
    if len(spans) != 1:
        return None
    rest = len(normalize(text).strip()) - (spans[0].end - spans[0].start)
    return spans[0].value if rest <= ANSWER_SLACK else None


@router.state(NEXT_DATE)
async def next_step_date(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """The answer to "which day is the next step?": fills in the saved follow-up's task (or moves a guessed one)."""
    follow_up = await ctx.session.get(FollowUp, data["follow_up_id"])
    if follow_up is None:
        return None
    if parsed.intent is Intent.CONFIRM and data.get("task_id"):
        return [TextReply("好的，待办日期不变。")]
    if parsed.intent is Intent.CANCEL:
        return [TextReply("好的，跟进已保存，下一步不加待办。" if not data.get("task_id") else "好的，待办日期不变。")]
    due = _answered_date(ctx, ctx.inbound.text or "")
    if due is None:
        return None
    return [TextReply(await _set_due(ctx, follow_up, data.get("task_id"), due))]


async def _set_due(ctx: Context, follow_up: FollowUp, task_id: int | None, due: datetime) -> str:
    before = audit.snapshot(follow_up)
    follow_up.next_due = due
    ctx.session.add(follow_up)
    await ctx.record("update", "follow_ups", follow_up.id, before=before, after=audit.snapshot(follow_up))
    task = await ctx.session.get(Task, task_id) if task_id else None
    if task is None:
        task = await _add_task(ctx, follow_up, due)
    else:
        before = audit.snapshot(task)
        task.due_at, task.reminded_at, task.escalated_at = due, None, None
        ctx.session.add(task)
        await ctx.record("update", "tasks", task.id, before=before, after=audit.snapshot(task))
    return f"待办：{task.subject} —— {format_due(due.astimezone(ctx.tz), now=ctx.now)}。说错了可发“撤销”。"


@router.action(ConfirmDraft)
async def keep_date(ctx: Context, _action: ConfirmDraft) -> list[Reply]:
    pending = await state.take(ctx.session, ctx.user_id, ctx.clock.now())
    if pending is None or pending.kind != NEXT_DATE:
        return [TextReply("这张卡片已处理过或已过期。")]
    return [TextReply("好的，待办日期不变。")]


@router.action(EditDraft)
async def change_date(ctx: Context, _action: EditDraft) -> list[Reply]:
    pending = await state.take(ctx.session, ctx.user_id, ctx.clock.now())
    if pending is None or pending.kind != NEXT_DATE:
        return [TextReply("这张卡片已处理过或已过期。")]
    await ctx.ask(NEXT_DATE, pending.data)
    return [TextReply("请回复新的日期，例如“下周三”或“12月3日下午3点”。")]
