"""From one inbound message to the handler that answers it.

Order: a tapped card button goes to its action handler; otherwise the message is understood, an open question
(`ctx.ask`) gets the first look at it, then the intent's handler answers; what nobody claims gets the fallback.
A question stays open through messages that are no answer to it (bot/asking.py says how they mention it), until it
is answered, withdrawn (撤销 / 取消), replaced by a new question, or expires.
"""

from __future__ import annotations

from bot import asking
from bot.context import Context
from bot.continuation import Continuation
from bot.errors import NeedsAnswer, Refusal
from bot.replies import Reply, TextReply
from bot.understand import Understood, understand
from core.nlu.intents import Intent
from core.text import MAX_MESSAGE_CHARS
from storage import state
from storage.state import OpenQuestion

UNKNOWN = "unknown"
STALE_BUTTON = "这个按钮已失效，请重新发起操作。"
TOO_LONG = (
    f"这条消息太长了（最多 {MAX_MESSAGE_CHARS} 字），没有读取，也没有保存任何内容。"
    "请分成几条短消息发送，例如：跟进 艾克美 今天电话沟通了报价，下周二再跟进"
)


async def dispatch(ctx: Context) -> list[Reply]:
    router = ctx.services.router
    action = ctx.inbound.action
    if ctx.inbound.stale_action:
        return [TextReply(STALE_BUTTON)]
    if action is not None:
        handler = router.actions.get(action.prefix)
        if handler is None:
            return [TextReply(STALE_BUTTON)]
        return await handler(ctx, action)

    question = await state.peek(ctx.session, ctx.user_id, ctx.clock.now())
    expired = ""
    if question is not None and (question.expired or question.kind not in router.states):
        await state.close(ctx.session, ctx.user_id)
        expired, question = asking.expired(question) if question.expired else "", None
    if len(ctx.inbound.text or "") > MAX_MESSAGE_CHARS:  # an open question stays open for the next message
        return asking.ending_with([TextReply(TOO_LONG)], asking.reminder(question) if question else expired)
    parsed = await understand(ctx, ctx.inbound.text or "")
    if question is None:
        return asking.ending_with(await _handle(ctx, parsed), expired)
    return await _with_open_question(ctx, parsed, question)


async def _with_open_question(ctx: Context, parsed: Understood, question: OpenQuestion) -> list[Reply]:
    """The open question looks first; 撤销 / 取消 withdraw it (撤销 never reaches an older change while the message
    that asked is unsaved); anything else is handled as usual and its reply mentions the question."""
    intent = parsed.intent
    session, user_id = ctx.session, ctx.user_id
    if intent is not Intent.UNDO:
        try:
            answer = await ctx.services.router.states[question.kind](ctx, question.data, parsed)
        except Refusal as refusal:  # an answer refused (another rep's customer): everything rolls back, still open
            if not isinstance(refusal, NeedsAnswer):
                refusal.aside = asking.reminder(question)
            raise
        if answer is not None:
            if state.asked(session, user_id):  # asked again (a wrong number, or the next detail)
                await asking.describe(session, user_id, asking.first_text(answer), ctx.clock.now(), question.asks)
            else:
                await state.close(session, user_id)
            return answer
    if intent is Intent.UNDO and question.saved:  # the message is saved: 撤销 takes it back as usual
        await state.close(session, user_id)
        return asking.ending_with(await _handle(ctx, parsed), asking.dropped(question))
    if intent in (Intent.UNDO, Intent.CANCEL):
        await state.close(session, user_id)
        return [TextReply(asking.withdrawn(question))]
    if intent in (Intent.CONFIRM, Intent.CHOICE):  # 是 / 2 that the question does not take
        return [TextReply(asking.waiting(question))]
    repeated = asking.repeats(question, ctx.inbound.text or "")  # the rep sent it again, with what was missing
    try:
        replies = await _handle(ctx, parsed)
    except Refusal as refusal:
        if not isinstance(refusal, NeedsAnswer):
            refusal.aside = asking.reminder(question)
        elif not repeated:
            refusal.aside = asking.replaced(question)
        raise
    if repeated:
        if not state.asked(session, user_id):
            await state.close(session, user_id)
        return replies
    line = asking.replaced(question) if state.asked(session, user_id) else asking.reminder(question)
    return asking.ending_with(replies, line)


async def _handle(ctx: Context, parsed: Understood) -> list[Reply]:
    """The intent's handler; a question it opens is described from its reply when it did not say it in a line."""
    router = ctx.services.router
    handler = router.intents.get(str(parsed.intent)) or router.intents[UNKNOWN]
    replies = await handler(ctx, parsed)
    if state.asked(ctx.session, ctx.user_id):
        await asking.describe(ctx.session, ctx.user_id, asking.first_text(replies), ctx.clock.now())
    return replies


async def redispatch(ctx: Context, command: Continuation) -> list[Reply]:
    """Run an earlier command again now that a question about it is answered (a customer chosen, confirmed…)."""
    ctx.resume = command
    parsed = await understand(ctx, command.text)
    handler = ctx.services.router.intents.get(str(parsed.intent)) or ctx.services.router.intents[UNKNOWN]
    return await handler(ctx, parsed)
