"""Answers to kabot's own questions: pick a customer by number, create a missing one, confirm a draft."""

from __future__ import annotations

from typing import Any

from bot.cards.actions import ConfirmDraft, EditDraft
from bot.context import Context
from bot.dispatcher import redispatch
from bot.replies import Reply, TextReply
from bot.router import Router
from core.nlu.intents import Intent, Parsed
from core.nlu.names import normalize_name
from storage import audit, state
from storage.models import Customer

router = Router("conversation")

NOTHING_PENDING = "现在没有需要确认的事。发“帮助”查看可以做什么。"


async def picked(ctx: Context, kind: str, data: dict[str, Any], parsed: Parsed) -> int | list[Reply] | None:
    """The id a numbered answer picks from `data["ids"]`; replies for 取消 or a wrong number; None: not an answer."""
    if parsed.intent is Intent.CANCEL:
        return [TextReply("好的，已取消。")]
    if parsed.intent is not Intent.CHOICE or parsed.number is None:
        return None
    ids: list[int] = data["ids"]
    if not 1 <= parsed.number <= len(ids):
        await ctx.ask(kind, data)
        return [TextReply(f"请回复 1 到 {len(ids)} 之间的编号，或回复“取消”。")]
    return ids[parsed.number - 1]


@router.state("choose_customer")
async def choose_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    choice = await picked(ctx, "choose_customer", data, parsed)
    if not isinstance(choice, int):
        return choice
    return await redispatch(ctx, data["text"], customer_id=choice)


@router.state("create_customer")
async def create_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    if parsed.intent is Intent.CANCEL:
        return [TextReply("好的，没有新建客户。")]
    if parsed.intent is not Intent.CONFIRM:
        return None
    now = ctx.clock.now()
    customer = Customer(
        name=data["name"],
        normalized_name=normalize_name(data["name"]),
        owner_id=ctx.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(customer)
    await ctx.session.flush()
    await ctx.record("create", "customers", customer.id, after=audit.snapshot(customer))
    replies = await redispatch(ctx, data["text"], customer_id=customer.id)
    return [
        TextReply(
            f"已新建客户“{customer.name}”（负责人：{ctx.user.name}，等级 C，可用“客户 {customer.name} 等级 A”修改）。"
        ),
        *replies,
    ]


@router.state("confirm")
async def confirm_text(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """The text answer to a draft card or a '仍然推进?' question."""
    if parsed.intent is Intent.CANCEL:
        return [TextReply("好的，已取消，没有保存。")]
    if parsed.intent is not Intent.CONFIRM:
        return None
    return await redispatch(ctx, data["text"], confirmed=True)


@router.action(ConfirmDraft)
async def confirm_tap(ctx: Context, _action: ConfirmDraft) -> list[Reply]:
    pending = await state.take(ctx.session, ctx.user_id, ctx.clock.now())
    if pending is None or pending.kind != "confirm":
        return [TextReply("这张卡片已处理过或已过期。")]
    return await redispatch(ctx, pending.data["text"], confirmed=True)


@router.action(EditDraft)
async def edit_tap(ctx: Context, _action: EditDraft) -> list[Reply]:
    await state.take(ctx.session, ctx.user_id, ctx.clock.now())
    return [TextReply("好的，请直接发修改后的完整内容，我会重新识别。")]


@router.intent("confirm", "cancel", "choice")
async def nothing_pending(_ctx: Context, _parsed: Parsed) -> list[Reply]:
    return [TextReply(NOTHING_PENDING)]
