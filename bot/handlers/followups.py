"""跟进: a visit or call in the rep's own words; the next action becomes a task in the rep's timezone."""

from __future__ import annotations

from bot.cards.actions import ConfirmDraft, EditDraft
from bot.cards.model import Button, Card
from bot.context import Context
from bot.replies import CardReply, Reply, TextReply
from bot.resolve import customer_for
from bot.router import Router
from core.nlu.intents import Parsed
from core.timefmt import format_day, format_due
from storage import audit
from storage.models import Customer, FollowUp, Task

router = Router("followups")

# A guessed due date is worth a tap to confirm; a default kind (其他) is not.
CONFIRM_GUESSES = ("next_due",)


@router.intent(
    "follow_up",
    help="记录跟进（拜访/电话/邮件…），下一步自动变成待办",
    example="今天拜访了艾克美张总，谈了阀门报价，下周二再电话跟进",
)
async def log_follow_up(ctx: Context, parsed: Parsed) -> list[Reply]:
    found = await customer_for(ctx, parsed, change=True)
    if parsed.next_action and parsed.next_due is None:
        return [TextReply(f"下一步“{parsed.next_action}”是哪天？请带上时间再发一次，例如：…，下周二再电话跟进")]
    now = ctx.clock.now()
    happened = parsed.occurred_at or now
    due = parsed.next_due
    if not ctx.extras.get("confirmed") and any(g in parsed.guesses for g in CONFIRM_GUESSES):
        return await _draft(ctx, found, parsed)
    follow_up = FollowUp(
        customer_id=found.id or 0,
        author_id=ctx.user_id,
        kind=parsed.kind or "其他",
        content=parsed.summary or parsed.text,
        happened_at=happened,
        next_action=parsed.next_action,
        next_due=due,
        created_at=now,
    )
    ctx.session.add(follow_up)
    await ctx.session.flush()
    await ctx.record("create", "follow_ups", follow_up.id, after=audit.snapshot(follow_up))
    lines = [
        f"已记录 {found.name} 的{follow_up.kind}跟进（{format_day(happened.astimezone(ctx.tz))}）：{follow_up.content}"
    ]
    if parsed.next_action and due is not None:
        task = Task(
            owner_id=ctx.user_id,
            subject=parsed.next_action,
            customer_id=found.id,
            due_at=due,
            source="followup",
            source_id=follow_up.id,
            created_at=now,
        )
        ctx.session.add(task)
        await ctx.session.flush()
        await ctx.record("create", "tasks", task.id, after=audit.snapshot(task))
        lines.append(f"待办：{parsed.next_action} —— {format_due(due.astimezone(ctx.tz), now=ctx.now)}")
    lines.append("说错了可发“撤销”。")
    return [TextReply("\n".join(lines))]


async def _draft(ctx: Context, customer: Customer, parsed: Parsed) -> list[Reply]:
    """Not sure of a date: show what would be stored and let the rep confirm or correct it first."""
    await ctx.ask("confirm", {"text": ctx.inbound.text})
    lines = [f"客户：{customer.name}", f"方式：{parsed.kind or '其他'}", f"内容：{parsed.summary or parsed.text}"]
    if parsed.next_action and parsed.next_due:
        due = format_due(parsed.next_due.astimezone(ctx.tz), now=ctx.now)
        lines.append(f"待办：{parsed.next_action} —— {due}（日期是我推测的）")
    card = Card(
        template="draft",
        title="请确认这条跟进",
        data={"lines": lines},
        buttons=(Button("确认", ConfirmDraft(), "primary"), Button("修改", EditDraft())),
    )
    return [CardReply(card)]
