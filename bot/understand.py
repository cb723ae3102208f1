"""Understanding a message: the pure parser, fed with the customer names this user can refer to.

The name index is a cache derived from the database (rebuilt when the visible customers change), so a second
replica simply builds its own; nothing here is state.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context
from core.nlu.intents import Intent, Parsed, parse_message
from core.nlu.names import NameIndex
from core.nlu.questions import Ask, Question, parse_question
from core.nlu.quote_commands import QuoteCommand, parse_quote_command
from core.nlu.task_commands import TaskCommand, parse_task_command
from core.nlu.transfer_commands import TransferCommand, might_be_transfer, parse_transfer_command
from storage.repo import customers, users


async def name_index(ctx: Context) -> NameIndex:
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    key = tuple(sorted(owner_ids)) if owner_ids is not None else None
    stamp = await customers.names_stamp(ctx.session, owner_ids)
    cache: dict[Any, tuple[Any, NameIndex]] = ctx.services.name_indexes
    hit = cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    index = NameIndex(await customers.name_rows(ctx.session, owner_ids))
    if len(cache) > 256:
        cache.clear()
    cache[key] = (stamp, index)
    return index


async def understand(ctx: Context, text: str) -> Parsed | QuoteCommand | TransferCommand | TaskCommand | Question:
    """Quote, approval and transfer commands have their own grammar; a question is answered, never logged (a
    question-like message kabot cannot answer only wins over a follow-up); everything else is a CRM message."""
    command = parse_quote_command(text, now=ctx.now, tz=ctx.tz)
    if command is not None:
        return command
    if might_be_transfer(text):
        people = {u.name for u in await users.all_users(ctx.session) if u.active}
        if (transfer := parse_transfer_command(text, people=people)) is not None:
            return transfer
    if (task_command := parse_task_command(text, now=ctx.now, tz=ctx.tz)) is not None:
        return task_command
    question = parse_question(text)
    if question is not None and question.ask is not Ask.OTHER:
        return question
    parsed = parse_message(text, now=ctx.now, tz=ctx.tz, names=await name_index(ctx))
    if question is not None and parsed.intent in (Intent.FOLLOW_UP, Intent.UNKNOWN):
        return question
    return parsed
