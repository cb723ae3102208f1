"""撤销: undo my last message's changes, within 10 minutes, and say what was undone."""

from __future__ import annotations

from bot.context import Context
from bot.errors import Conflict
from bot.replies import Reply, TextReply
from bot.router import Router
from core.nlu.intents import Parsed
from storage.undo import UndoBlocked, undo_last

router = Router("undo")

WHAT = {"customers": "客户", "contacts": "联系人", "opportunities": "商机", "follow_ups": "跟进记录", "tasks": "待办"}
VERB = {"create": "新建", "update": "修改"}


@router.intent("undo", help="撤销我上一步的修改（10分钟内）", example="撤销")
async def undo(ctx: Context, _parsed: Parsed) -> list[Reply]:
    try:
        done = await undo_last(ctx.session, actor_id=ctx.user_id, now=ctx.clock.now())
    except UndoBlocked as blocked:  # others built on what this message created: say what, change nothing
        raise Conflict(str(blocked)) from None
    if done is None:
        return [TextReply("10 分钟内没有可以撤销的修改。")]
    parts = []
    for e in done.entries:
        if e.entity not in WHAT:
            continue
        label = (
            (e.after or {}).get("name")
            or (e.after or {}).get("title")
            or (e.after or {}).get("subject")
            or (e.after or {}).get("content", "")
        )
        parts.append(f"{VERB.get(e.action, e.action)}{WHAT[e.entity]}“{str(label)[:20]}”")
    await ctx.record("undo", "audit_log", done.entries[-1].id, before={"undone": [e.id for e in done.entries]})
    return [TextReply("已撤销：" + "、".join(parts) + "。")]
