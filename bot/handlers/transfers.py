"""把X转给Y / X离职，客户转给Y / 申请转移 X / 同意转移 X: parse, call bot.sales.transfers, reply."""

from __future__ import annotations

from bot.answers import pending_transfers
from bot.cards.actions import Answer, TransferDecision
from bot.context import Context
from bot.errors import NeedsAnswer, NotFound, UserInputError
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.sales import transfer_views, transfers
from bot.sales.cards import card_updates
from bot.sales.scope import Scope
from bot.sales.transfers import Refused, Requested, Several
from bot.understand import name_index
from core.nlu.intents import Intent, Parsed
from core.nlu.transfer_commands import EXAMPLE_REASSIGN, EXAMPLE_REQUEST, TransferCommand
from core.roles import MANAGERS

router = Router("transfers")


def _checked(cmd: TransferCommand) -> TransferCommand:
    if cmd.error:
        raise UserInputError(cmd.error)
    return cmd


@router.intent(Intent.TRANSFER_ACCOUNT, help="经理转客户", example=EXAMPLE_REASSIGN, roles=MANAGERS)
async def reassign(ctx: Context, cmd: TransferCommand) -> list[Reply]:
    _checked(cmd)
    assert cmd.customer is not None and cmd.to is not None
    scope = Scope.of(ctx)
    done = await transfers.reassign(
        scope, customer=cmd.customer, to=cmd.to, names=await name_index(ctx, queries=[cmd.customer])
    )
    return [*card_updates(done.finals), *transfer_views.transferred(done, scope)]


@router.intent(Intent.OFFBOARD)  # in the README: managers and admins use it rarely
async def offboard(ctx: Context, cmd: TransferCommand) -> list[Reply]:
    _checked(cmd)
    assert cmd.person is not None and cmd.to is not None
    scope = Scope.of(ctx)
    done = await transfers.offboard(scope, person=cmd.person, to=cmd.to)
    return [*card_updates(done.finals), *transfer_views.offboarded(done, scope)]


@router.intent(Intent.TRANSFER_REQUEST, help="申请把别人的客户转给自己", example=EXAMPLE_REQUEST)
async def request_transfer(ctx: Context, cmd: TransferCommand | Parsed) -> list[Reply]:
    if isinstance(cmd, TransferCommand):
        _checked(cmd)
    if not cmd.customer:
        raise UserInputError("请写上客户名称。", example=EXAMPLE_REQUEST)
    scope = Scope.of(ctx)
    done = await transfers.request(scope, customer=cmd.customer, chosen=ctx.command.customer_id)
    if isinstance(done, Several):  # the answer ("2") runs this request again for the account picked
        raise NeedsAnswer(
            transfer_views.which(done, cmd.customer),
            kind="choose_customer",
            data={"command": ctx.command.to_data(), "ids": [c.id for c in done.accounts]},
        )
    if isinstance(done, Requested):
        return transfer_views.requested(done)
    return [*card_updates(done.finals), *transfer_views.transferred(done, scope)]


@router.intent(Intent.TRANSFER_PENDING)  # 待审批 lists them too, and says so in 帮助
async def list_pending(ctx: Context, _cmd: TransferCommand) -> list[Reply]:
    return [TextReply(transfer_views.pending_list(await transfers.pending(Scope.of(ctx)), ctx.tz))]


@router.intent(Intent.TRANSFER_DECIDE)  # the manager gets a card with the buttons
async def decide_text(ctx: Context, cmd: TransferCommand) -> list[Reply]:
    _checked(cmd)
    if cmd.approve is None:  # 审批 转移 X: which way is not said
        return [TextReply(await pending_transfers(ctx, cmd.customer))]
    try:
        return await _decide(ctx, approve=cmd.approve, customer=cmd.customer, note=cmd.note)
    except NotFound:  # 同意 X with no request for X waiting: what is waiting, and how to decide it
        return [TextReply(await pending_transfers(ctx, cmd.customer))]


@router.action(TransferDecision)
async def tap_decide(ctx: Context, action: TransferDecision) -> list[Reply]:
    return await _decide(ctx, approve=action.answer is Answer.YES, request_id=action.request_id)


async def _decide(ctx: Context, **how: object) -> list[Reply]:
    scope = Scope.of(ctx)
    done = await transfers.decide(scope, **how)  # type: ignore[arg-type]
    if isinstance(done, Refused):
        return [*card_updates(done.finals), *transfer_views.refused(done)]
    return [*card_updates(done.finals), *transfer_views.transferred(done, scope)]
