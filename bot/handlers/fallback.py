"""What nobody else claims: say what was understood and show the right way to say it."""

from __future__ import annotations

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.understand import name_index
from core.money import format_money_short
from core.nlu import extract_money, normalize, resolve_dates
from core.nlu.intents import Intent, Parsed
from core.timefmt import format_day

router = Router("fallback")


@router.intent(Intent.UNKNOWN)
async def not_understood(ctx: Context, parsed: Parsed) -> list[Reply]:
    text = ctx.inbound.text or ""
    customers = (await name_index(ctx, text)).find_in(text)
    money = [f"金额 {format_money_short(m.amount, m.currency)}" for m in extract_money(text)[:1] if m.currency]
    seen = [f"客户“{customers[0].name}”"] if customers else []
    if customers or money:  # a date alone ("今天天气不错") is small talk, not a half-understood command
        seen += [f"日期 {format_day(d.value)}" for d in resolve_dates(text, ctx.now, ctx.tz)[:1]] + money
    if customers:
        short = normalize(text)[customers[0].start : customers[0].end]  # the name as the rep wrote it
        examples = [
            f"跟进 {short} 今天电话沟通了报价，下周二再跟进",
            f"查 {short}",
            f"商机 {short} 项目名称 50万美元 S2",
        ]
    else:
        examples = [e.example for e in ctx.services.router.help[:3]]
    head = f"我看到了{'、'.join(seen)}，但不确定您想做什么，这条没有记录。" if seen else "没太明白这条消息，没有记录。"
    return [TextReply(head + "可以这样说：\n" + "\n".join(f"• {e}" for e in examples) + "\n发“帮助”查看全部用法。")]
