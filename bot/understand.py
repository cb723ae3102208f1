"""Understanding a message: the pure parser, fed with the customer names this user can refer to.

The parser reads names from a small NameIndex of this message's candidates, found through the database's name
keys (storage/repo/names.py): nothing is cached in the process, so every replica sees every rename at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.context import Context
from core.nlu.corrections import KindCorrection, parse_kind_correction
from core.nlu.intents import Intent, Parsed, parse_message, parse_plan
from core.nlu.names import NameIndex
from core.nlu.questions import Ask, Question, asks, parse_question, report_then_question
from core.nlu.quote_commands import QuoteCommand, parse_quote_command
from core.nlu.task_commands import (
    TaskCommand,
    assignment,
    might_assign,
    might_assign_after_report,
    parse_task_command,
    report_then_assignment,
)
from core.nlu.transfer_commands import TransferCommand, might_be_transfer, parse_transfer_command
from storage.repo import names, users

# What a message is read as.
Understood = Parsed | QuoteCommand | TransferCommand | TaskCommand | KindCorrection | Question


async def name_index(ctx: Context, text: str = "", queries: Sequence[str] = ()) -> NameIndex:
    """The customers this user may see that `text` mentions or that each query may mean."""
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    return await names.index_for(ctx.session, owner_ids, text, queries, user_id=ctx.user_id)


async def _parse(ctx: Context, text: str, read: Callable[..., Parsed] = parse_message) -> Parsed:
    """Parse with the customers the text names, and with those resembling each name the parser would ask about
    (and the one this rep once picked for it): one read of the names. The names it would ask about are found by
    reading the message once with no customers at all; only when it then asks about another name, or about one
    whose look-alikes were not fetched since the text named a customer, is there a second read."""
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    probe = NameIndex()
    read(text, now=ctx.now, tz=ctx.tz, names=probe)
    index = await names.index_for(ctx.session, owner_ids, text, probe.asked, user_id=ctx.user_id, guessed=True)
    parsed = read(text, now=ctx.now, tz=ctx.tz, names=index)
    if not index.covered.issuperset(index.asked):
        wider = await names.index_for(ctx.session, owner_ids, text, index.asked, user_id=ctx.user_id)
        parsed = read(text, now=ctx.now, tz=ctx.tz, names=wider)
    return parsed


async def _assigned(ctx: Context, who: str, what: str, text: str) -> Parsed:
    """让李娜明天给张总回个电话: what 李娜 is to do, and when, read as a plan whatever its words."""
    plan = await _parse(ctx, what, parse_plan)
    return replace(plan, intent=Intent.ASSIGN_TASK, person=who, text=text)


async def _in_my_team(ctx: Context, name: str) -> bool:
    """Whether `name` is a colleague (not the sender) whose tasks the sender may set."""
    found = next((u for u in await users.all_users(ctx.session) if u.name == name), None)
    if found is None or found.id == ctx.user_id:
        return False
    visible = await users.visible_owner_ids(ctx.session, ctx.user)
    return visible is None or found.id in visible


async def understand(ctx: Context, text: str) -> Understood:
    """Quote, approval and transfer commands have their own grammar; a question is answered, never logged (a
    question-like message kabot cannot answer only wins over a follow-up); everything else is a CRM message."""
    command = parse_quote_command(text, now=ctx.now, tz=ctx.tz)
    if command is not None:
        return command
    if might_be_transfer(text):
        people = {u.name for u in await users.all_users(ctx.session) if u.active}
        if (transfer := parse_transfer_command(text, people=people)) is not None:
            return transfer
    if (correction := parse_kind_correction(text)) is not None:
        return correction
    if (task_command := parse_task_command(text, now=ctx.now, tz=ctx.tz)) is not None:
        return task_command
    if might_assign(text) and (given := assignment(text, {u.name for u in await users.all_users(ctx.session)})):
        return await _assigned(ctx, *given, text)
    if might_assign_after_report(text) and (
        instructed := report_then_assignment(text, {u.name for u in await users.all_users(ctx.session)})
    ):  # …客户对交期很在意 让李娜周五前给出交期承诺: the visit is logged, and the task is 李娜's
        report, who, what = instructed
        head = await _parse(ctx, report)
        if (
            head.intent in (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN)
            and head.customer_id
            and await _in_my_team(ctx, who)
        ):
            task = await _assigned(ctx, who, what, text)
            if task.customer_id is None:
                task = replace(task, customer=head.customer, customer_id=head.customer_id)
            return replace(head, also=(*head.also, task))
    question = parse_question(text)
    if question is not None and (split := report_then_question(text)) is not None:
        head = await _parse(ctx, split[0])  # 艾克美张芳说下周签合同 对了穆勒的报价发了吗: the news is kept
        if head.intent in (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN) and head.customer_id is not None:
            return replace(head, aside=split[1])
    if question is not None and question.ask is not Ask.OTHER:
        return question
    parsed = await _parse(ctx, text)
    if question is not None and (
        parsed.intent in (Intent.FOLLOW_UP, Intent.UNKNOWN)
        or (parsed.customer_id is None and not parsed.customer_candidates)  # a question is not a company's name
    ):
        return question
    if parsed.intent is Intent.LOOKUP and parsed.customer_id is None and parsed.customer:
        if parsed.customer in {u.name for u in await users.all_users(ctx.session)}:  # 李娜最近怎么样: no customer
            return Question(Ask.COLLEAGUE, person=parsed.customer)
    if parsed.intent in (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN) and _names_nobody(parsed) and asks(text):
        return Question(
            Ask.OTHER
        )  # 我有多少客户在德国？: said to be unanswerable, never a note asking "which customer?"
    return parsed


def _names_nobody(parsed: Parsed) -> bool:
    return parsed.customer_id is None and not parsed.customer and not parsed.customer_candidates
