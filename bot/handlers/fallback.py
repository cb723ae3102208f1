"""What nobody else claims: say what was understood and show the right way to say it."""
from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.router import Router

router = Router("fallback")


@router.intent("unknown")
async def not_understood(ctx: Context, parsed: Any) -> list[Reply]:
    understood = getattr(parsed, "understood", None)
    head = f"没太明白这条消息（我读到的是：{understood}）。" if understood else "没太明白这条消息。"
    examples = [e.example for e in ctx.services.router.help[:4]]
    return [TextReply(head + "可以这样说：\n" + "\n".join(f"• {e}" for e in examples) + "\n发“帮助”查看全部用法。")]
