"""撤销: undo my last message's changes, within 10 minutes, and say what was undone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.context import Context
from bot.errors import Conflict
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.sales import quotes, transfer_views, transfers, undo_views
from bot.sales.cards import card_updates
from bot.sales.scope import Scope
from bot.sales.undo_views import WHAT
from core.nlu.intents import Intent, Parsed
from storage.models import AuditLog, User
from storage.undo import (
    CannotUndo,
    Undoable,
    UndoBlocked,
    Unsubmit,
    check_last,
    customer_names,
    last_change,
    mark_undone,
    messages_between,
    revert,
)

router = Router("undo")


CONFIRM_UNDO = "confirm_undo"


@router.intent(Intent.UNDO, help="撤销我上一步的修改（10分钟内）", example="撤销")
async def undo(ctx: Context, _parsed: Parsed) -> list[Reply]:
    """Straight away when the change is the previous message's; asked first when other messages came between (a
    command that changed nothing, a question): the person may think 撤销 takes back that one (trial 7)."""
    checked = await check_last(ctx.session, actor_id=ctx.user_id, now=ctx.clock.now())
    if isinstance(checked, Undoable) and await messages_between(
        ctx.session, checked.entries[0].inbound_id, ctx.inbound_id
    ):
        await ctx.ask(CONFIRM_UNDO, {"audit_id": checked.entries[-1].id}, minutes=10)
        return [TextReply(await _ask_first(ctx, checked.entries))]
    return await _undo(ctx, checked)


@router.state(CONFIRM_UNDO)
async def confirm_undo(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    if parsed.intent is Intent.CANCEL:
        return [TextReply("好的，没有撤销，什么都没有改。")]
    if parsed.intent is not Intent.CONFIRM:
        return None
    last = await last_change(ctx.session, ctx.user_id)
    if last is None or last.id != data["audit_id"]:
        return [TextReply("您最近的修改已经变了，这次没有撤销任何内容。要撤销请再发“撤销”。")]
    return await _undo(ctx, await check_last(ctx.session, actor_id=ctx.user_id, now=ctx.clock.now()))


async def _ask_first(ctx: Context, entries: Sequence[AuditLog]) -> str:
    names = await customer_names(ctx.session, entries)
    what = "；".join(
        undo_views.described(e, names.get(int((e.after or e.before or {}).get("customer_id") or 0)), ctx.tz)
        for e in entries
        if e.entity in WHAT
    )
    return (
        f"“撤销”会撤回的是{undo_views.made(entries, ctx.tz)}的修改：{what}（之后的消息没有可撤销的修改）。"
        "\n要撤销它吗？回复“是”撤销，回复“不用”保留。"
    )


async def _undo(ctx: Context, checked: Undoable | Unsubmit | CannotUndo | None) -> list[Reply]:
    """Revert what `check_last` found, or say why not."""
    try:
        done = (
            await revert(ctx.session, checked, actor_id=ctx.user_id, now=ctx.clock.now())
            if isinstance(checked, Undoable)
            else checked
        )
    except UndoBlocked as blocked:  # others built on what this message created: say what, change nothing
        raise Conflict(str(blocked)) from None
    if done is None:
        return [TextReply("您还没有可以撤销的修改。")]
    if isinstance(done, CannotUndo):
        return [TextReply(await _why_not(ctx, done))]
    if isinstance(done, Unsubmit):  # the approvers had cards: they are closed, and the approvers told
        back = await quotes.unsubmit(Scope.of(ctx), done.quote_id)
        await mark_undone(ctx.session, done.entries)
        await ctx.record("undo", "audit_log", done.entries[-1].id, before={"undone": [e.id for e in done.entries]})
        said = f"{ctx.user.name} 撤销了报价 {back.number} 的提交，不用再审批了。"
        return [
            TextReply(f"已撤销提交：{back.number} 又是草稿了，已告诉审批人。改好后发“提交 {back.number}”。"),
            *card_updates(back.finals),
            *(TextReply(said, to_user_id=who) for who in back.told),
        ]
    names = await customer_names(ctx.session, done.entries)
    parts = [
        undo_views.undone(e, names.get(int((e.after or e.before or {}).get("customer_id") or 0)), ctx.tz)
        for e in done.entries
        if e.entity in WHAT and e.entity != "transfer_requests"  # said with whom it reached, below
    ]
    if await messages_between(ctx.session, done.entries[0].inbound_id, ctx.inbound_id):
        parts[-1:] = [p + undo_views.when_made(done.entries, ctx.tz) for p in parts[-1:]]
    await ctx.record("undo", "audit_log", done.entries[-1].id, before={"undone": [e.id for e in done.entries]})
    told = [
        r for req in done.withdrawn for r in transfer_views.withdrawn(await transfers.withdrawal(Scope.of(ctx), req))
    ]
    told += _tell_task_owners(ctx, done.entries)
    return ([TextReply("已撤销：" + "；".join(parts) + "。")] if parts else []) + told


def _tell_task_owners(ctx: Context, entries: Sequence[AuditLog]) -> list[Reply]:
    """A task made for someone else (让李娜…) and now taken back: they were told of it, so they are told it is gone."""
    return [
        TextReply(f"{ctx.user.name}撤销了给您的待办：{undo_views.label(e)}，不用再做了。", to_user_id=owner)
        for e in entries
        if e.entity == "tasks"
        and e.action == "create"
        and isinstance(owner := (e.after or {}).get("owner_id"), int)
        and owner != ctx.user_id
    ]


async def _why_not(ctx: Context, cannot: CannotUndo) -> str:
    """Say which change stays and why; nothing older is undone instead."""
    what = WHAT.get(cannot.last.entity, cannot.last.entity)
    when, words = cannot.last.at.astimezone(ctx.tz), undo_views.quoted(cannot.last.message or "", 30)
    said = f"您最近一次修改（{when:%H:%M} “{words}”）改的{what}「{undo_views.label(cannot.last)}」"
    if cannot.reason == "too_old":
        return f"{said}已超过 10 分钟，不能撤销了；请直接发修改后的内容。更早的修改也不会被撤销。"
    if cannot.reason == "edited_since":
        other = await ctx.session.get(User, cannot.other_actor_id) if cannot.other_actor_id else None
        who = other.name if other else "其他同事"
        return f"{said}之后已被{who}修改过，为了不覆盖{who}的修改，没有撤销。请和{who}确认后直接修改。"
    return f"{said}不能用“撤销”撤回（报价、审批、转移等有各自的撤回或修改方式）。更早的修改也没有撤销。"
