"""提交 / 同意 / 驳回 / 待审批 / 委托: parse, call bot.sales.approvals, reply. The rules live in bot.sales."""

from __future__ import annotations

from typing import Any

from bot.cards.actions import ApprovalTap, SubmitQuote, Tap
from bot.context import Context
from bot.errors import UserInputError
from bot.handlers.quotes import checked, yes_no
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.sales import approvals, delegation, quotes, transfer_views, transfers, views
from bot.sales.approvals import Decided, Expired
from bot.sales.cards import card_updates
from bot.sales.scope import Scope
from core.approval_policy import Verdict
from core.nlu.intents import Intent
from core.nlu.normalize import whole_command
from core.nlu.quote_commands import EXAMPLE_DELEGATE, EXAMPLE_REJECT, QuoteCommand, classify_reject_reason
from core.roles import APPROVERS

router = Router("approvals")
TAP_VERDICT = {Tap.APPROVE: Verdict.APPROVE, Tap.REJECT: Verdict.REJECT, Tap.CONDITIONAL: Verdict.CONDITIONAL}


@router.intent(Intent.QUOTE_SUBMIT, help="提交报价审批", example="提交 Q-2026-0007")
async def submit_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await approvals.submit(scope, number=checked(cmd).number)
    return [*card_updates(done.finals), *views.submitted(done, scope)]


@router.action(SubmitQuote)
async def tap_submit(ctx: Context, action: SubmitQuote) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await approvals.submit(scope, quote_id=action.quote_id)
    return [*card_updates(done.finals), *views.submitted(done, scope)]


async def _decide(ctx: Context, **how: Any) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await approvals.decide(scope, **how)
    if isinstance(done, Expired):
        return views.expired_refusal(done, scope)
    return _replies(ctx, scope, done)


def _replies(ctx: Context, scope: Scope, done: Decided) -> list[Reply]:
    return [*card_updates(done.finals), *views.decided(done, scope)]


@router.intent(
    Intent.APPROVE, help="同意报价（可附言；附条件用“有条件同意”）", example="同意 Q-2026-0007", roles=APPROVERS
)
async def approve_text(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    checked(cmd)
    if cmd.number is None:
        items = await approvals.pending(Scope.of(ctx))
        raise UserInputError("请写明报价编号，例如：同意 Q-2026-0007\n" + views.pending_list(items, ctx.tz))
    verdict = Verdict.CONDITIONAL if cmd.conditional else Verdict.APPROVE
    return await _decide(ctx, number=cmd.number, verdict=verdict, comment=cmd.note, condition=cmd.condition)


@router.intent(Intent.REJECT, help="驳回报价（写明原因）", example=EXAMPLE_REJECT, roles=APPROVERS)
async def reject_text(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if checked(cmd).number is None:
        raise UserInputError("请写明报价编号和原因。", example=EXAMPLE_REJECT)
    return await _decide(ctx, number=cmd.number, verdict=Verdict.REJECT, reason=cmd.reason, comment=cmd.note)


@router.action(ApprovalTap)
async def tap_approval(ctx: Context, action: ApprovalTap) -> list[Reply]:
    if action.tap is Tap.DETAILS:
        number = await approvals.number_of(Scope.of(ctx), action.approval_id)
        return views.shown(await quotes.show(Scope.of(ctx), number), ctx.tz)
    return await _decide(ctx, approval_id=action.approval_id, verdict=TAP_VERDICT[action.tap])


# Read as one of these, a message after 驳回 / 有条件同意 is no reason or condition: it is answered on its own and
# the question stays open (bot/dispatcher.py).
_NEW_MESSAGE = (Intent.LOOKUP, Intent.LIST_TASKS, Intent.FUNNEL, Intent.HELP, Intent.QUESTION)


def _answer(ctx: Context, parsed: Any) -> str | None:
    """The text of a reply to kabot's question, or None when the message is a new command (报价 …, 查 …, 待办)."""
    text = (ctx.inbound.text or "").strip()
    return None if isinstance(parsed, QuoteCommand) or parsed.intent in _NEW_MESSAGE or not text else text


@router.state(approvals.ASK_REASON)
async def answer_reject(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    """The message after tapping 驳回 names the reason (a number from the list, a label, or words)."""
    if (text := _answer(ctx, parsed)) is None:
        return None
    if whole_command(text) == "取消":
        return [TextReply("已取消驳回，报价仍在等您审批。")]
    reason, note = classify_reject_reason(text)
    return await _decide(ctx, approval_id=int(data["approval_id"]), verdict=Verdict.REJECT, reason=reason, comment=note)


@router.state(approvals.ASK_CONDITION)
async def answer_condition(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    if (text := _answer(ctx, parsed)) is None:
        return None
    if whole_command(text) == "取消":
        return [TextReply("已取消，报价仍在等您审批。")]
    return await _decide(ctx, approval_id=int(data["approval_id"]), verdict=Verdict.CONDITIONAL, condition=text)


@router.state(approvals.ASK_COMMENT)
async def answer_comment(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    """是: the words after 同意 were a condition; 否: a comment, and the quote is approved."""
    answer, words = yes_no(parsed), str(data["comment"])
    if answer is None:
        return None
    how: dict[str, Any] = (
        {"verdict": Verdict.CONDITIONAL, "condition": words}
        if answer
        else {"verdict": Verdict.APPROVE, "comment": words, "comment_checked": True}
    )
    return await _decide(ctx, approval_id=int(data["approval_id"]), **how)


@router.intent(Intent.PENDING_APPROVALS, help="等我审批的报价和转移申请", example="待审批", roles=APPROVERS)
async def list_pending(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    scope = Scope.of(ctx)
    quoted = views.pending_list(await approvals.pending(scope), ctx.tz)
    asked = await transfers.pending(scope)
    return [TextReply(quoted + ("\n\n" + transfer_views.pending_list(asked, ctx.tz) if asked else ""))]


@router.intent(Intent.DELEGATE, help="外出时委托他人审批", example=EXAMPLE_DELEGATE, roles=APPROVERS)
async def delegate(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    checked(cmd)
    assert cmd.person is not None and cmd.until is not None
    scope = Scope.of(ctx)
    done = await delegation.delegate(scope, person=cmd.person, until=cmd.until, from_person=cmd.from_person)
    return [*card_updates(done.finals), *views.delegated(done, scope)]


@router.intent(Intent.DELEGATE_CANCEL, help="取消审批委托", example="取消委托", roles=APPROVERS)
async def cancel_delegation(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    rows = await delegation.cancel_delegations(Scope.of(ctx))
    if not rows:
        return [TextReply("您目前没有生效的委托。")]
    return [
        TextReply("已取消委托，之后的审批会直接发给您（已转出的仍由对方处理）。"),
        *(TextReply(f"{ctx.user.name} 已取消对您的审批委托。", to_user_id=row.to_user_id) for row in rows),
    ]
