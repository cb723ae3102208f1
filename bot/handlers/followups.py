"""跟进: a visit or call in the rep's own words; the next action becomes a task in the rep's timezone.

What the rep said is saved first. A missing or guessed date of the next step is asked afterwards, and the answer
only fills in (or corrects) the saved task: no question ever leaves the follow-up unsaved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.access import can_change
from bot.cards.actions import ConfirmDraft, EditDraft, TaskDone, TasksDone
from bot.cards.model import Button, Card
from bot.context import Context
from bot.continuation import Continuation
from bot.handlers.contacts import ADD_CONTACT
from bot.handlers.tasks import assign
from bot.replies import CardReply, Reply, TextReply
from bot.resolve import apart_from_colleagues, could_be_company, customer_for, named_as_spelled, near_question
from bot.router import Router
from bot.sales.followups import add_follow_up
from bot.sales.scope import Scope
from bot.sales.tasks import add_task
from core.nlu.dates import resolve_dates
from core.nlu.intents import Intent, NextStep, Parsed
from core.nlu.no_task import no_task_needed
from core.nlu.normalize import normalize
from core.nlu.people import person_in
from core.nlu.task_commands import reported_done, reports_delivery
from core.timefmt import format_day, format_due
from storage import audit, state
from storage.models import FollowUp, Task
from storage.repo import contacts, customers, follow_ups, tasks

router = Router("followups")

# A guessed due date is worth a tap to confirm; a default kind (其他) is not.
CONFIRM_GUESSES = ("next_due",)
NEXT_DATE = "next_step_date"
# An answer to "which day?" is the date and little else ("下周三", "周三上午吧"); longer text is a new message.
ANSWER_SLACK = 4
PREVIEW_CHARS = 200
MAX_DONE_OFFERED = 5  # tasks a note about a delivery offers to close with one tap


@router.intent(
    Intent.FOLLOW_UP,
    Intent.NOTE,
    Intent.PLAN,
    help="记录跟进（拜访/电话/邮件…），下一步自动变成待办",
    example="今天拜访了艾克美张总，谈了阀门报价，下周二再电话跟进",
)
async def log_follow_up(ctx: Context, parsed: Parsed) -> list[Reply]:
    parsed, theirs = await apart_from_colleagues(ctx, parsed)
    found = await customer_for(ctx, parsed, change=True)
    if again := await _sent_again(ctx, found.id or 0, parsed):
        return [TextReply(again)]
    given = [await assign(ctx, part) for part in parsed.also if part.intent is Intent.ASSIGN_TASK]  # 让李娜…
    logged = [await _log_other(ctx, part) for part in parsed.also if part.intent is not Intent.ASSIGN_TASK]
    others = [line for other in logged for line in other.lines] + [said for said, _ in given] + theirs
    told = [card for other in logged for card in other.cards] + [reply for _, replies in given for reply in replies]
    asked = any(other.asked for other in logged)  # the one open question is about another part: this one waits
    if parsed.aside:
        others.append(f"最后一句“{parsed.aside}”是个问题，没有记进跟进；要查请单独再发一次。")
    if parsed.intent is Intent.PLAN:
        lines = await _plan_only(ctx, found.id or 0, found.name, parsed)
        return [TextReply("\n".join([*lines, *others, "说错了可发“撤销”。"])), *told]
    replies = await _log_one(ctx, found.id or 0, found.name, parsed, ask=not asked)
    if others:
        replies.append(TextReply("\n".join([*others, "说错了可发“撤销”（一次撤销这条消息的全部记录）。"])))
    return [*replies, *told]


SAME_WINDOW = timedelta(minutes=30)  # the same words for the same customer within it: a message sent twice


async def _sent_again(ctx: Context, customer_id: int, parsed: Parsed) -> str | None:
    """The same person logging the same words for the same customer again within 30 minutes (a message sent twice
    from the phone), or the same plan's tasks: the first is kept, nothing is saved again, and the rep is told so."""
    now = ctx.clock.now()
    steps = _plan_steps(parsed) if parsed.intent is Intent.PLAN else []
    if steps:
        found = [
            await tasks.planned_since(ctx.session, ctx.user_id, customer_id, s.due, now - SAME_WINDOW)
            for s in steps
            if s.due
        ]
        if not all(found):
            return None
        first = min(t.created_at for t in found if t is not None)
    else:
        content = parsed.summary or parsed.text
        if parsed.intent is Intent.PLAN:
            content = f"计划：{content}"
        same = await follow_ups.same_since(ctx.session, ctx.user_id, customer_id, content, now - SAME_WINDOW)
        if same is None:
            return None
        first = same.created_at
    minutes = int((now - first).total_seconds() // 60)
    return f"这条和{f' {minutes} 分钟前' if minutes else '刚刚'}记录的一样，没有重复保存。"


@dataclass(frozen=True)
class _Other:
    """What became of another customer's part of the message: lines for the reply, cards of its own (tasks the
    note reports done), and whether it asked the message's one open question."""

    lines: list[str]
    cards: list[Reply] = field(default_factory=list)
    asked: bool = False


async def _log_other(ctx: Context, part: Parsed) -> _Other:
    """Another customer in the same message: filed when it resolves to one the rep may change, asked about when
    it only sounds like one (安迪斯铜业 for 安第斯铜业) or is new, else said plainly."""
    customer = await customers.get(ctx.session, part.customer_id) if part.customer_id is not None else None
    if customer is None and part.customer and not part.customer_candidates and could_be_company(part.customer):
        name = part.customer  # 另外新认识一家墨西哥的客户 Grupo…: offered, as a message naming it alone would be
        await ctx.ask(
            "create_customer",
            {"command": Continuation(text=part.text).to_data(), "name": name},
            asks=f"要新建客户“{name}”吗？（回复“是”或“否”）",
            unanswered=f"没有新建客户“{name}”，关于它的那部分没有保存",
        )
        said = f"没有找到客户“{name}”，关于它的那部分还没有保存。回复“是”新建这个客户并记上，回复“否”取消。"
        return _Other([said], asked=True)
    if customer is None or not await can_change(ctx, customer):
        return _Other([f"另一家“{part.customer or '客户'}”我没能确定，这部分没有保存，请单独发一条。"])
    if part.customer and not named_as_spelled(part.customer, customer):  # 下午去了安迪斯铜业: 您是说 安第斯铜业 吗？
        written = part.customer
        await ctx.ask(
            "near_customer",
            {"command": Continuation(text=part.text).to_data(), "id": customer.id, "name": written},
            asks=f"“{written}”是 {customer.name} 吗？（回复 1 记到它，回复 2 新建）",
            unanswered=f"关于“{written}”的那部分没有保存",
        )
        return _Other([f"关于“{written}”的那部分还没有保存。" + near_question(written, customer.name)], asked=True)
    if part.intent is Intent.PLAN:
        return _Other(await _plan_only(ctx, customer.id or 0, customer.name, part))
    replies = await _log_one(ctx, customer.id or 0, customer.name, part, ask=False)
    lines = [
        line
        for r in replies
        if isinstance(r, TextReply)
        for line in r.text.splitlines()
        if not line.startswith("说错了")  # said once, for the whole message
    ]
    return _Other(lines, [r for r in replies if isinstance(r, CardReply)])


def _plan_steps(parsed: Parsed) -> list[NextStep]:
    """A plan's dated steps of the rep's: a task each."""
    steps = [s for s in parsed.next_steps if not s.by_customer and s.due is not None]
    if not steps and parsed.next_action and parsed.next_due is not None:
        steps = [NextStep(parsed.next_action, parsed.next_due)]
    return steps


async def _plan_only(ctx: Context, customer_id: int, name: str, parsed: Parsed) -> list[str]:
    """Only steps still to do (周五下午3点和北欧暖通开视频会): tasks on the customer; no meeting is logged as held."""
    steps = _plan_steps(parsed)
    if not steps:  # nothing datable: the words are kept as a plan note, and said to be no task
        note = replace(parsed, kind="其他", summary=f"计划：{parsed.summary or parsed.text}")
        follow_up = await _save_follow_up(ctx, customer_id, note)
        return [f"已记录 {name} 的计划备注（没有日期，没加待办）：{_preview(follow_up.content)}"]
    # The plan's details that are no step of their own (…，带新样品过去) go with its first task.
    details = parsed.summary if parsed.summary and all(parsed.summary != s.action for s in steps) else None
    lines = []
    for i, step in enumerate(steps):
        assert step.due is not None
        subject = f"{step.action}（{details}）" if details and i == 0 else step.action
        task = await _new_task(ctx, customer_id, subject, step.due, source="plan", source_id=None)
        lines.append(f"已为 {name} 加待办：{task.subject} —— {format_due(step.due.astimezone(ctx.tz), now=ctx.now)}")
    return lines


async def _save_follow_up(ctx: Context, customer_id: int, parsed: Parsed) -> FollowUp:
    return await add_follow_up(
        Scope.of(ctx),
        customer_id=customer_id,
        kind=parsed.kind or "其他",
        content=parsed.summary or parsed.text,
        happened_at=parsed.occurred_at,
        next_action=parsed.next_action,
        next_due=parsed.next_due,
    )


async def _log_one(ctx: Context, customer_id: int, name: str, parsed: Parsed, *, ask: bool = True) -> list[Reply]:
    """One customer's follow-up, saved first; its first next step becomes a task (asked for or confirmed when the
    date is missing or guessed, unless `ask` is off: another customer of the same message), and every further dated
    step of the rep's becomes a task too."""
    follow_up = await _save_follow_up(ctx, customer_id, parsed)
    happened = follow_up.happened_at
    day = format_day(happened.astimezone(ctx.tz))
    lines = [f"已记录 {name} 的{follow_up.kind}跟进（{day}）：{_preview(follow_up.content)}"]
    lines += _promises(ctx, parsed)
    done = await _reported_done(ctx, customer_id, follow_up.content)
    lines += _done_line(done)
    extra = []
    for step in _further_steps(parsed):
        assert step.due is not None
        task = await _new_task(ctx, customer_id, step.action, step.due, source="followup", source_id=follow_up.id)
        extra.append(f"待办：{task.subject} —— {format_due(step.due.astimezone(ctx.tz), now=ctx.now)}")
    if parsed.next_action and parsed.next_due is None:
        if not ask:
            return [TextReply("\n".join([*lines, *extra, f"下一步“{parsed.next_action}”没有日期，没加待办。"]))]
        await ctx.ask(
            NEXT_DATE,
            {"follow_up_id": follow_up.id},
            asks=f"下一步“{parsed.next_action}”是哪天？",
            unanswered=f"上一条跟进的下一步“{parsed.next_action}”没有加待办（跟进已保存）",
            saved=True,
        )
        lines.append(
            f"下一步“{parsed.next_action}”是哪天？直接回复时间即可（例如“下周三”），我会把它加进待办；"
            "不需要待办请回复“不用”。"
        )
        return [TextReply("\n".join([*lines, *extra, *await _offer_contact(ctx, customer_id, name, parsed)]))]
    if not parsed.next_action or parsed.next_due is None:
        offer = await _offer_contact(ctx, customer_id, name, parsed, ask=True) if ask else []
        return [_with_done_button("\n".join([*lines, *extra, *offer, "说错了可发“撤销”。"]), done, name)]
    task = await _add_task(ctx, follow_up, parsed.next_due)
    due = format_due(parsed.next_due.astimezone(ctx.tz), now=ctx.now)
    guessed = any(g in parsed.guesses for g in CONFIRM_GUESSES)
    if ctx.command.confirmed or not guessed or not ask:
        mark = "（日期是我推测的）" if guessed and not ctx.command.confirmed else ""
        offer = await _offer_contact(ctx, customer_id, name, parsed, ask=True) if ask else []
        text = "\n".join([*lines, f"待办：{task.subject} —— {due}{mark}", *extra, *offer, "说错了可发“撤销”。"])
        return [_with_done_button(text, done, name)]
    await ctx.ask(
        NEXT_DATE,
        {"follow_up_id": follow_up.id, "task_id": task.id},
        asks=f"待办“{task.subject}”定在 {due} 对吗？",
        unanswered=f"待办“{task.subject}”按我推测的日期（{due}）保留",
        saved=True,
    )
    offer = await _offer_contact(ctx, customer_id, name, parsed)
    card = Card(
        template="draft",
        title="已记录，请确认待办日期",
        data={"lines": [*lines, f"待办：{task.subject} —— {due}（日期是我推测的）", *extra, *offer]},
        buttons=(Button("日期没问题", ConfirmDraft(), "primary"), Button("改日期", EditDraft())),
    )
    return [CardReply(card)]


async def _offer_contact(ctx: Context, customer_id: int, name: str, parsed: Parsed, *, ask: bool = False) -> list[str]:
    """A person the note introduces with a title and a number, not yet a contact of the customer: offered in the
    same reply (回复“是” adds them, when no other question of this message is open: else the command to send);
    the note itself is saved either way."""
    person = person_in(parsed.text)
    if person is None:
        return []
    known = {normalize(c.name).casefold() for c in await contacts.of_customer(ctx.session, customer_id)}
    if normalize(person.name).casefold() in known:
        return []
    if not ask:
        said = " ".join(v for v in (person.title, f"电话{person.phone}" if person.phone else None, person.email) if v)
        return [f"要把 {person.name} 加为联系人，请发：联系人 {name} {person.name} {said}"]
    await ctx.ask(ADD_CONTACT, {"customer_id": customer_id, **asdict(person)})
    return [f"要把 {person.name}（{person.details()}）加为 {name} 的联系人吗？回复“是”"]


async def _reported_done(ctx: Context, customer_id: int, note: str) -> list[Task]:
    """The rep's open tasks on this customer that the note says are done (样品今天已经快递给北风了 → 寄样品)."""
    if not reports_delivery(note):
        return []
    on_customer = await tasks.open_on_customer(ctx.session, ctx.user_id, customer_id)
    return [t for t in on_customer if reported_done(note, t.subject)][:MAX_DONE_OFFERED]


def _done_line(done: list[Task]) -> list[str]:
    if not done:
        return []
    subjects = "、".join(f"“{s}”" for s in dict.fromkeys(t.subject for t in done))
    count = f"（{len(done)} 条）" if len(done) > 1 else ""
    return [f"待办{subjects}{count}看来已经做了：点“标记完成”，或回复“完成 {done[0].subject}”。"]


def _with_done_button(text: str, done: list[Task], name: str) -> Reply:
    """The reply, with a button that closes the tasks the note reports as done."""
    if not done:
        return TextReply(text)
    action = TaskDone(done[0].id or 0) if len(done) == 1 else TasksDone("-".join(str(t.id) for t in done))
    return CardReply(Card("notice", f"已记录 · {name}", {"body": text}, (Button("标记完成", action, "primary"),)))


def _promises(ctx: Context, parsed: Parsed) -> list[str]:
    """The customer's promises (对方说月底前付, 春节后下批量订单): kept in the note with their day, said plainly to be
    no task of the rep's, so the rep knows where they went."""
    return [
        f"对方的安排：{step.action}（{'约' if step.guessed else ''}{format_day(step.due.astimezone(ctx.tz))}），"
        "已记在跟进里，不加您的待办。"
        for step in parsed.next_steps
        if step.by_customer and step.due is not None
    ]


def _preview(content: str) -> str:
    """A long note is saved whole but not echoed whole: a phone screen of it is enough to check it."""
    if len(content) <= PREVIEW_CHARS:
        return content
    return f"{content[:PREVIEW_CHARS]}…（全文 {len(content)} 字已保存，发“查 客户”可看）"


def _further_steps(parsed: Parsed) -> list[NextStep]:
    """The rep's dated steps after the first (which is `next_action`): 下周一打电话确认到账 另外月中旬约技术来工厂."""
    return [
        s
        for s in parsed.next_steps
        if not s.by_customer and s.due is not None and (s.action, s.due) != (parsed.next_action, parsed.next_due)
    ]


async def _add_task(ctx: Context, follow_up: FollowUp, due: datetime) -> Task:
    return await _new_task(
        ctx, follow_up.customer_id, follow_up.next_action or "跟进", due, source="followup", source_id=follow_up.id
    )


async def _new_task(
    ctx: Context, customer_id: int, subject: str, due: datetime, *, source: str, source_id: int | None
) -> Task:
    return await add_task(
        Scope.of(ctx),
        owner_id=ctx.user_id,
        customer_id=customer_id,
        subject=subject,
        due=due,
        source=source,
        source_id=source_id,
    )


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
    text = ctx.inbound.text or ""
    if data.get("task_id") and parsed.intent in (Intent.CONFIRM, Intent.CANCEL):
        return [TextReply("好的，待办日期不变。")]
    if not data.get("task_id") and (parsed.intent is Intent.CANCEL or no_task_needed(text)):
        return [TextReply("好的，不建待办；跟进已保存。")]
    due = _answered_date(ctx, text)
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
    task = await ctx.session.get(Task, pending.data.get("task_id") or 0)
    subject = task.subject if task is not None else "下一步"
    await ctx.ask(NEXT_DATE, pending.data, asks=f"待办“{subject}”改到哪天？", unanswered=pending.unanswered, saved=True)
    return [TextReply("请回复新的日期，例如“下周三”或“12月3日下午3点”。")]
