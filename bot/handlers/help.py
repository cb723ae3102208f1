"""帮助: generated from every handler's own help text, so it never goes stale."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.router import Router
from core.nlu.intents import Intent

router = Router("help")


@router.intent(Intent.HELP, help="查看帮助", example="帮助")
async def show_help(ctx: Context, _parsed: Any) -> list[Reply]:
    lines = [f"{ctx.user.name}您好，我是 kabot 客户助手。可以直接用中文或英文发消息给我："]
    for entry in (e for e in ctx.services.router.help if e.shown_to(ctx.role)):
        lines.append(f"• {entry.title}：{entry.example}")
    lines.append("说错了可以发“撤销”。")
    return [TextReply("\n".join(lines))]
