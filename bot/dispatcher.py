"""From one inbound message to the handler that answers it.

Order: a tapped card button goes to its action handler; otherwise the message is understood, an open question
(`ctx.ask`) gets the first look at it, then the intent's handler answers; what nobody claims gets the fallback.
"""

from __future__ import annotations

from bot.context import Context
from bot.continuation import Continuation
from bot.replies import Reply, TextReply
from bot.understand import understand
from core.text import MAX_MESSAGE_CHARS
from storage import state

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

    if len(ctx.inbound.text or "") > MAX_MESSAGE_CHARS:  # an open question stays open for the next message
        return [TextReply(TOO_LONG)]
    parsed = await understand(ctx, ctx.inbound.text or "")
    pending = await state.take(ctx.session, ctx.user_id, ctx.clock.now())
    if pending is not None and (state_handler := router.states.get(pending.kind)) is not None:
        answer = await state_handler(ctx, pending.data, parsed)
        if answer is not None:
            return answer
    handler = router.intents.get(str(parsed.intent)) or router.intents[UNKNOWN]
    return await handler(ctx, parsed)


async def redispatch(ctx: Context, command: Continuation) -> list[Reply]:
    """Run an earlier command again now that a question about it is answered (a customer chosen, confirmed…)."""
    ctx.resume = command
    parsed = await understand(ctx, command.text)
    handler = ctx.services.router.intents.get(str(parsed.intent)) or ctx.services.router.intents[UNKNOWN]
    return await handler(ctx, parsed)
