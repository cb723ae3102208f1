"""Opportunities: create, move through S1–S5, win or lose — with the stage's exit criteria checked."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.continuation import Continuation
from bot.dispatcher import redispatch
from bot.handlers.conversation import picked
from bot.replies import Reply, TextReply
from bot.resolve import customer_for
from bot.router import Router
from bot.sales import opportunities as deals
from bot.sales.followups import add_follow_up
from bot.sales.scope import Scope
from bot.sales.tasks import add_task
from core.deal_names import named, only_names, said_after, said_beside
from core.money import Money, format_money_short
from core.nlu.intents import Intent, Parsed
from core.stage_rules import assess_move
from core.stages import DEFAULT_PROBABILITY, Stage
from core.timefmt import format_day, format_due
from storage import audit
from storage.models import Customer, Opportunity, StageChange
from storage.repo import opportunities

router = Router("opportunities")
UNDO_HINT = "说错了可发“撤销”。"


def _label(stage: Stage) -> str:
    return f"{stage.value} {stage.label}" if stage.is_open else stage.label


@router.intent(
    Intent.NEW_OPPORTUNITY, help="新建商机", example="商机 艾克美 DN50球阀年度采购 50万美元 S2 预计12月底签约"
)
async def create_opportunity(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.opportunity:
        return [TextReply("请写上商机名称。例如：商机 艾克美 DN50球阀年度采购 50万美元 S2 预计12月底签约")]
    found = await customer_for(ctx, parsed, change=True)
    if parsed.amount is not None and parsed.currency is None:
        return [TextReply(f"金额 {parsed.amount} 是什么币种？请写明，例如 50万美元 / 30万欧元 / 人民币80万。")]
    now = ctx.clock.now()
    stage = parsed.stage or Stage.S1
    opp = Opportunity(
        customer_id=found.id or 0,
        title=parsed.opportunity,
        amount=parsed.amount,
        currency=parsed.currency or ctx.settings.base_currency,
        stage=stage.value,
        probability=DEFAULT_PROBABILITY[stage],
        owner_id=found.owner_id or ctx.user_id,
        expected_close=parsed.close_date.date() if parsed.close_date else None,
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(opp)
    await ctx.session.flush()
    change = StageChange(
        opportunity_id=opp.id or 0, from_stage=None, to_stage=stage.value, at=now, actor_id=ctx.user_id
    )
    ctx.session.add(change)
    await ctx.session.flush()
    await ctx.record("create", "opportunities", opp.id, after=audit.snapshot(opp))
    await ctx.record("create", "stage_changes", change.id, after=audit.snapshot(change))
    parts = [
        found.name,
        opp.title,
        format_money_short(opp.amount, opp.currency) if opp.amount else "金额未填",
        _label(stage),
    ]
    if parsed.close_date:
        parts.append(f"预计 {format_day(parsed.close_date)} 签约")
    return [TextReply("已新建商机：" + " · ".join(parts) + f"。{UNDO_HINT}")]


@router.intent(
    Intent.ADVANCE_STAGE,
    Intent.WIN,
    Intent.LOSE,
    help="推进阶段 / 赢单 / 输单",
    example="推进 艾克美 球阀 S3（或：赢单 艾克美 球阀；输单 艾克美 球阀 原因 价格）",
)
async def move_stage(ctx: Context, parsed: Parsed) -> list[Reply]:
    target = {Intent.WIN: Stage.WON, Intent.LOSE: Stage.LOST}.get(parsed.intent, parsed.stage)
    if target is None:
        return [TextReply("推进到哪个阶段？例如：推进 艾克美 球阀 S3（S1 初步接触 … S5 合同签订）")]
    found = await customer_for(ctx, parsed, change=True)
    opp = await _pick_opportunity(ctx, found, parsed)
    if not isinstance(opp, Opportunity):
        return opp
    current = Stage(opp.stage)
    reason = parsed.reason or (said_after(opp.title, parsed.opportunity) if target is Stage.LOST else None)
    if reason and only_names(opp.title, reason):  # 穆勒机械 丢了 控制阀: the deal, not why
        reason = None
    check = assess_move(
        current,
        target,
        await opportunities.evidence(ctx.session, opp, lost_reason=reason),
        ctx.services.stage_rules,
    )
    if current is target:
        kept = "".join(f"\n{n}" for n in await _note(ctx, opp, parsed))
        return [TextReply(f"{opp.title} 已经在「{_label(target)}」了。{kept}")]
    if target is Stage.LOST and not reason:
        return [TextReply(f"输单请写上原因，例如：输单 {found.name} {opp.title} 原因 价格")]
    booked = _stated(parsed, opp) if target is not Stage.LOST else None
    if check.missing and not ctx.command.confirmed:
        await ctx.ask("confirm", {"command": ctx.command.settle(customer_id=found.id, opportunity_id=opp.id).to_data()})
        amount = f"（金额按 {_short(booked)}{_assumed(parsed)} 记）" if booked is not None else ""
        return [
            TextReply(
                f"{opp.title} 要进入「{_label(target)}」，还缺："
                + "；".join(check.missing)
                + f"。\n仍然推进{amount}？回复“是”推进，回复“否”取消。"
            )
        ]
    was = Money(opp.amount, opp.currency) if opp.amount is not None else None
    moved = await deals.move(Scope.of(ctx), opp, target, reason=reason, booked=booked)
    head = {Stage.WON: "🎉 恭喜赢单！", Stage.LOST: "已记为输单。"}.get(target, "已推进：")
    tail = f"（原因：{reason}）" if target is Stage.LOST else ""
    if target is Stage.WON and opp.amount is not None:
        earlier = f"（原为 {_short(moved.amount_before)}）" if moved.amount_before else ""
        tail = f"，合同金额 {format_money_short(opp.amount, opp.currency)}{_assumed(parsed)}{earlier}"
    elif booked is not None:  # 推进到S4了 金额改成220万人民币: the move and the new amount, old → new
        old = _short(was) if was is not None else "未填"
        estimate = "（估计值）" if "amount" in parsed.guesses else ""
        tail = f"，金额 {old} → {_short(booked)}{_assumed(parsed)}{estimate}"
    noted = "".join(f"\n{n}" for n in await _note(ctx, opp, parsed))
    notes = "".join(f"\n注意：{w}" for w in check.warnings)
    forced = f"\n（已按您的确认推进，缺少：{'；'.join(check.missing)}）" if check.missing else ""
    return [
        TextReply(
            f"{head}{found.name} · {opp.title}：{_label(moved.before)} → {_label(target)}{tail}。{UNDO_HINT}"
            f"{noted}{forced}{notes}"
        )
    ]


@router.intent(Intent.SET_AMOUNT, help="修改商机金额", example="艾克美法兰项目金额调整为32万欧")
async def set_amount(ctx: Context, parsed: Parsed) -> list[Reply]:
    found = await customer_for(ctx, parsed, change=True)
    opp = await _pick_opportunity(ctx, found, parsed, won_too=True)
    if not isinstance(opp, Opportunity):
        return opp
    amount = _stated(parsed, opp)
    assert amount is not None  # the parser reads SET_AMOUNT only with an amount
    was = await deals.set_amount(Scope.of(ctx), opp, amount)
    old = _short(was) if was is not None else "未填"
    new = f"{_short(amount)}{_assumed(parsed)}"
    return [TextReply(f"已修改 {found.name} · {opp.title} 的金额：{old} → {new}。{UNDO_HINT}")]


def _stated(parsed: Parsed, opp: Opportunity) -> Money | None:
    """The amount the rep said, in the currency they named (else the deal's own)."""
    return Money(parsed.amount, parsed.currency or opp.currency) if parsed.amount is not None else None


def _assumed(parsed: Parsed) -> str:
    """Said when the rep named no currency and the deal's own was taken: the reply shows it, to be corrected."""
    return "（没写币种，按商机原币种）" if parsed.amount is not None and parsed.currency is None else ""


def _short(money: Money) -> str:
    return format_money_short(money.amount, money.currency)


async def _note(ctx: Context, opp: Opportunity, parsed: Parsed) -> list[str]:
    """What the rep said beside the move (…进入合同阶段了 客户法务在审合同): a follow-up on the deal, said so; each
    dated step of the rep's in it (下周二跟周静谈合同条款) is a task, as a follow-up's next steps are."""
    after = parsed.summary if parsed.summary and not only_names(opp.title, parsed.summary) else None
    before = said_beside(opp.title, parsed.opportunity) if parsed.intent is not Intent.LOSE else None
    content = " ".join(words for words in (before, after) if words)  # 蝶阀项目客户确认需求了 推到S2: news too
    if not content:
        return []
    scope = Scope.of(ctx)
    follow_up = await add_follow_up(
        scope,
        customer_id=opp.customer_id,
        opportunity_id=opp.id,
        content=content,
        next_action=parsed.next_action,
        next_due=parsed.next_due,
    )
    lines = [f"已记录跟进：{follow_up.content}"]
    for step in parsed.next_steps:
        assert step.due is not None  # the parser keeps only the rep's dated steps beside a move
        task = await add_task(
            scope,
            owner_id=ctx.user_id,
            customer_id=opp.customer_id,
            subject=step.action,
            due=step.due,
            source="followup",
            source_id=follow_up.id,
        )
        lines.append(f"待办：{task.subject} —— {format_due(step.due.astimezone(ctx.tz), now=ctx.now)}")
    return lines


async def _pick_opportunity(
    ctx: Context, customer: Customer, parsed: Parsed, *, won_too: bool = False
) -> Opportunity | list[Reply]:
    """The deal the words name among the open ones (and the won ones when `won_too`: a booked amount can be
    corrected); several, or none named, are offered by number."""
    chosen = ctx.command.opportunity_id
    rows = await opportunities.of_customer(ctx.session, customer.id or 0, open_only=not won_too)
    pool = [o for o in rows if Stage(o.stage).is_open or o.stage == Stage.WON.value]
    if chosen is not None:
        return next((o for o in pool if o.id == chosen), None) or [TextReply("这个商机已不在跟进中。")]
    # Nothing before the move named the deal (穆勒机械 签了 控制阀): the words after it may.
    hits = named([o.title for o in pool], parsed.opportunity or parsed.summary or parsed.reason)
    candidates = [pool[i] for i in hits] or [o for o in pool if Stage(o.stage).is_open]
    if not candidates:
        return [TextReply(f"{customer.name} 没有在跟进的商机。新建：商机 {customer.name} 项目名称 金额 阶段")]
    if len(candidates) == 1:
        return candidates[0]
    command = ctx.command.settle(customer_id=customer.id)
    await ctx.ask("choose_opportunity", {"command": command.to_data(), "ids": [o.id for o in candidates]})
    lines = [f"{i}. {o.title}（{_label(Stage(o.stage))}）" for i, o in enumerate(candidates, 1)]
    what = {Intent.WIN: "标记为赢单", Intent.LOSE: "标记为输单"}.get(parsed.intent) or (
        f"推进到 {_label(parsed.stage)}" if parsed.stage else "修改"
    )  # the rep sees what a number will do before answering (签了没 was once read as 签了)
    return [
        TextReply(
            f"{customer.name} 有 {len(candidates)} 个商机，要{what}的是哪一个？回复编号（回复“取消”不改）：\n"
            + "\n".join(lines)
        )
    ]


@router.state("choose_opportunity")
async def choose_opportunity(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    choice = await picked(ctx, "choose_opportunity", data, parsed)
    if not isinstance(choice, int):
        return choice
    return await redispatch(ctx, Continuation.from_data(data["command"]).settle(opportunity_id=choice))
