"""Answers to kabot's own questions: pick a customer by number, create a missing one, confirm a move."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.context import Context
from bot.continuation import Continuation
from bot.dispatcher import redispatch
from bot.replies import Reply, TextReply
from bot.resolve import NAME_CUSTOMER, names_a_company
from bot.router import Router
from bot.sales import customers
from bot.sales.scope import Scope
from core.countries import country_in
from core.nlu.intents import Intent, Parsed
from core.nlu.normalize import normalize, split_command
from storage import audit
from storage.models import Customer

router = Router("conversation")

NOTHING_PENDING = "现在没有需要确认的事。发“帮助”查看可以做什么。"


async def picked(ctx: Context, kind: str, data: dict[str, Any], parsed: Parsed) -> int | list[Reply] | None:
    """The id a numbered answer picks from `data["ids"]`; replies for a wrong number (the question stays open);
    None: not an answer (取消 withdraws it: bot/dispatcher.py)."""
    if parsed.intent is not Intent.CHOICE or parsed.number is None:
        return None
    ids: list[int] = data["ids"]
    if not 1 <= parsed.number <= len(ids):
        await ctx.ask(kind, data)
        return [TextReply(f"请回复 1 到 {len(ids)} 之间的编号，或回复“取消”。")]
    return ids[parsed.number - 1]


def _command(data: dict[str, Any]) -> Continuation:
    return Continuation.from_data(data["command"])


@router.state("choose_customer")
async def choose_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    choice = await picked(ctx, "choose_customer", data, parsed)
    if not isinstance(choice, int):
        return choice
    return await redispatch(ctx, _command(data).settle(customer_id=choice))


@router.state(NAME_CUSTOMER)
async def name_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """A customer's name answering "是哪个客户的？": the note is filed as `跟进 <name> <note>` (which may ask again:
    which of two, or whether to create it). Anything longer is a new message."""
    answer = (ctx.inbound.text or "").strip()
    if split_command(normalize(answer))[0] is not None:  # 查 艾克美 is a command of its own, not the name asked for
        return None
    if parsed.intent is not Intent.LOOKUP and not (parsed.intent is Intent.UNKNOWN and names_a_company(answer)):
        return None
    command = _command(data)
    return await redispatch(ctx, command.settle(text=f"跟进 {answer} {command.text}"))


@router.state("create_customer")
async def create_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    if parsed.intent is not Intent.CONFIRM:
        return None
    return await _create_and_go_on(ctx, data)


@router.state("near_customer")
async def near_customer(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """1: the written name is the existing customer (kept as an alias); 2: it is a new customer."""
    if parsed.intent is Intent.CONFIRM:  # 是 to "您是说 X 吗？"
        parsed = replace(parsed, intent=Intent.CHOICE, number=1)
    choice = await picked(ctx, "near_customer", {**data, "ids": [data["id"], 0]}, parsed)
    if isinstance(choice, int) and choice:
        customer = await ctx.session.get(Customer, choice)
        if customer is None:
            return [TextReply("这个客户已不存在，这条消息没有保存。")]
        before = audit.snapshot(customer)
        customer.aliases = [*customer.aliases, data["name"]]
        ctx.session.add(customer)
        await ctx.record("update", "customers", customer.id, before=before, after=audit.snapshot(customer))
        return await redispatch(ctx, _command(data).settle(customer_id=choice))
    if choice == 0:
        return await _create_and_go_on(ctx, data)
    return choice


async def _create_and_go_on(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    """是 / 2 to "create it?": through the same duplicate guard as 新客户 (a colleague's name is refused)."""
    fields = customers.CustomerFields(country=country_in(_command(data).text))  # 认识了土耳其的…: where it is
    customer = await customers.create(Scope.of(ctx), data["name"], fields, unsaved="这条消息没有保存。")
    if isinstance(customer, customers.AlreadyYours):
        return await redispatch(ctx, _command(data).settle(customer_id=customer.customer.id))
    replies = await redispatch(ctx, _command(data).settle(customer_id=customer.id))
    return [
        TextReply(
            f"已新建客户“{customer.name}”（负责人：{ctx.user.name}，等级 C，可用“客户 {customer.name} 等级 A”修改）。"
        ),
        *replies,
    ]


@router.state("confirm")
async def confirm_text(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """The text answer to a '仍然推进?' question (否 withdraws it: bot/dispatcher.py)."""
    if parsed.intent is not Intent.CONFIRM:
        return None
    return await redispatch(ctx, _command(data).settle(confirmed=True))


@router.intent(Intent.CONFIRM, Intent.CANCEL, Intent.CHOICE)
async def nothing_pending(_ctx: Context, _parsed: Parsed) -> list[Reply]:
    return [TextReply(NOTHING_PENDING)]
