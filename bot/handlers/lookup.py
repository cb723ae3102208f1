"""查 艾克美: the 360° view of an account."""

from __future__ import annotations

from bot.cards.account import account_card
from bot.context import Context
from bot.replies import CardReply, Reply, TextReply
from bot.resolve import customer_for
from bot.router import Router
from core.nlu.intents import Intent, Parsed
from storage.repo.account import account_facts

router = Router("lookup")


@router.intent(Intent.LOOKUP, help="查客户360°视图", example="查 艾克美")
async def show_account(ctx: Context, parsed: Parsed) -> list[Reply]:
    found = await customer_for(ctx, parsed, change=False)
    facts = await account_facts(ctx.session, found, now=ctx.clock.now())
    if facts is None:
        return [TextReply("这个客户已不存在。")]
    card = CardReply(account_card(facts, now=ctx.clock.now(), tz=ctx.tz))
    if parsed.aside:  # 合同签了没 张总上周说这周盖章: answered as a question; what came with it is not lost silently
        return [card, TextReply(f"这条按提问回答，“{parsed.aside}”没有记录；要记下来请单独发一条跟进。")]
    return [card]
