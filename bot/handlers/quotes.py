"""报价 / 加一行 / 修改 / 接受 / 报价 Q-… / 汇率: parse, call bot.sales, reply. The rules live in bot.sales."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.cards.actions import AcceptConditions
from bot.context import Context
from bot.continuation import Continuation
from bot.errors import UserInputError
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.sales import approvals, fx, quotes, views
from bot.sales.cards import card_updates
from bot.sales.scope import Scope
from bot.understand import name_index
from core.nlu.intents import Intent, Parsed
from core.nlu.quote_commands import EXAMPLE_ADD, EXAMPLE_CREATE, EXAMPLE_REVISE, QuoteCommand, completed, gaps
from core.roles import FX_SETTERS

router = Router("quotes")


def yes_no(parsed: object) -> bool | None:
    """是 / 确认 / ok → True, 否 / 取消 → False; anything else is not an answer (None)."""
    if isinstance(parsed, Parsed) and parsed.intent in (Intent.CONFIRM, Intent.CANCEL):
        return parsed.intent is Intent.CONFIRM
    return None


def checked(cmd: QuoteCommand) -> QuoteCommand:
    """A command the parser claimed but could not read is answered with its error (and an example)."""
    if cmd.error:
        raise UserInputError(cmd.error)
    return cmd


ASK_LINES = "quote_lines"


@router.intent(Intent.QUOTE_CREATE, help="报价（可多行，每行一个产品）", example=EXAMPLE_CREATE)
async def create_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    """A quote with all it needs is drafted; one that lacks products, quantities or prices is kept (customer and
    terms checked) and what it lacks is asked for."""
    names = await name_index(ctx, queries=[cmd.customer or ""])
    if gaps(checked(cmd)):
        asked = await quotes.ask_for_lines(Scope.of(ctx), cmd, names)
        await ctx.ask(ASK_LINES, {"command": ctx.command.to_data()})
        return [TextReply(views.lines_asked(asked))]
    return views.drafted(await quotes.create(Scope.of(ctx), cmd, names), ctx.tz)


@router.state(ASK_LINES)
async def lines_given(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    """The answer to "还缺…": read together with the request it completes; anything else is another message."""
    if not isinstance(parsed, Parsed) or parsed.intent not in _MAYBE_LINES or parsed.customer or parsed.customer_id:
        return None  # 查 艾克美, 待办, a visit to a customer: other messages
    kept = Continuation.from_data(data["command"]).text
    found = completed(kept, ctx.inbound.text or "", now=ctx.now, tz=ctx.tz)
    if found is None:
        return None
    ctx.resume = Continuation(text=found[0])
    return await create_quote(ctx, found[1])


# What an answer such as `DN50球阀 1000件 单价80美元`, `控制阀` or `美元` reads as on its own.
_MAYBE_LINES = (Intent.UNKNOWN, Intent.NOTE, Intent.FOLLOW_UP, Intent.PLAN)


@router.intent(Intent.QUOTE_ADD_LINE, help="给报价加一行", example=EXAMPLE_ADD)
async def add_line(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    drafted = await quotes.add_lines(Scope.of(ctx), checked(cmd))
    return [*card_updates(drafted.finals), *views.drafted(drafted, ctx.tz)]


@router.intent(Intent.QUOTE_REVISE, help="修改报价（生成新版本，重新审批）", example=EXAMPLE_REVISE)
async def revise_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    names = await name_index(ctx, queries=[cmd.customer]) if cmd.customer else None
    drafted = await quotes.revise(Scope.of(ctx), checked(cmd), names)
    return [*card_updates(drafted.finals), *views.drafted(drafted, ctx.tz)]


@router.intent(Intent.QUOTE_ACCEPT, help="接受审批人的条件", example="接受 Q-2026-0007")
async def accept_condition(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await approvals.accept_conditions(scope, number=checked(cmd).number)
    return [*card_updates(done.finals), *views.accepted(done, scope)]


@router.action(AcceptConditions)
async def tap_accept(ctx: Context, action: AcceptConditions) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await approvals.accept_conditions(scope, quote_id=action.quote_id)
    return [*card_updates(done.finals), *views.accepted(done, scope)]


@router.intent(Intent.QUOTE_SHOW, help="查看报价和审批记录", example="报价 Q-2026-0007")
async def show_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.number is None:
        raise UserInputError("请写明报价编号。", example="报价 Q-2026-0007")
    return views.shown(await quotes.show(Scope.of(ctx), cmd.number), ctx.tz)


@router.intent(Intent.FX_SET, help="设置汇率（财务）", example="汇率 USD 7.12", roles=FX_SETTERS)
async def set_fx(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    checked(cmd)
    assert cmd.currency is not None and cmd.rate is not None
    return [TextReply(views.rate_set(await fx.set_rate(Scope.of(ctx), cmd.currency, cmd.rate)))]


@router.state(fx.CONFIRM)
async def confirm_fx(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    """The answer to "是不是输错了？" after a big move: 是 sets it, 否 keeps the current rate."""
    answer = yes_no(parsed)
    if answer is None:
        return None
    if not answer:
        return [TextReply(f"好的，{data['currency']} 的汇率保持不变。")]
    done = await fx.set_rate(Scope.of(ctx), data["currency"], Decimal(data["rate"]), confirmed=True)
    return [TextReply(views.rate_set(done))]


@router.intent(Intent.FX_UNDO)  # offered in the reply to every rate set
async def undo_fx(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    return [TextReply(views.rate_undone(await fx.undo_rate(Scope.of(ctx), checked(cmd).currency)))]


@router.intent(Intent.FX_SHOW, help="查看汇率表", example="汇率")
async def show_fx(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    return [TextReply(views.rate_list(await fx.rates(Scope.of(ctx)), ctx.settings.base_currency, ctx.tz))]
