"""提交 / 同意 / 驳回 / 待审批 / 委托: quotes routed by policy and decided with one tap, exactly once.

Exactly once, whatever happens (double tap, two approvers of a 或签 step at the same moment, a redelivered
callback, two replicas), is the database's job, never a lock in this process:
1. the quote row is read with SELECT … FOR UPDATE (PostgreSQL; on SQLite the transaction already holds the write
   lock), so deciders of one quote queue up and each sees what the one before committed;
2. the decision moves the quote with an optimistic check on Quote.version (UPDATE … WHERE version = read), and the
   approval row with UPDATE … WHERE decision = 'pending'. A loser changes nothing and is told who decided.
A redelivered callback never gets this far: the inbound log refuses the same platform message twice.

Where the approval stands is computed by core.approval_policy.next_state over the stored rows, so 或签 / 会签 rules
live in one place. Cards sent to approvers are remembered in the audit log (storage.repo.approvals) and all of a
step's cards are updated when the step is settled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from bot.cards.actions import AcceptConditions, ApprovalTap, SubmitQuote, Tap
from bot.cards.model import Button, Card
from bot.context import Context
from bot.handlers.quotes import (
    STATUS_LABELS,
    QuoteBundle,
    card_updates,
    expired,
    expired_message,
    load,
    new_card_id,
    quotation_file,
    quote_body,
    show,
)
from bot.replies import CardReply, CardUpdate, Reply, TextReply
from bot.router import Router
from bot.settings import Settings
from core.approval_policy import (
    DEFAULT_POLICY_FILE,
    DEFAULT_POLICY_PACKAGE,
    Decision,
    Mode,
    OrgChart,
    OrgPerson,
    Policy,
    QuoteFacts,
    RejectReason,
    RouteStep,
    Verdict,
    load_policy,
    next_state,
    route,
)
from core.money import format_money
from core.nlu.normalize import whole_command
from core.nlu.quote_commands import EXAMPLE_DELEGATE, EXAMPLE_REJECT, QuoteCommand, classify_reject_reason
from core.roles import Role
from storage.audit import snapshot
from storage.models import Approval, Delegation, Quote, User
from storage.repo import approvals, customers, quotes, users

log = logging.getLogger(__name__)
router = Router("approvals")

DECIDED = ("approved", "rejected", "conditional")
VERDICT_DECISION = {Verdict.APPROVE: "approved", Verdict.REJECT: "rejected", Verdict.CONDITIONAL: "conditional"}
REASON_MENU = "\n".join(f"{i}. {r.label}" for i, r in enumerate(RejectReason, 1))
NOT_YOURS = "这不是您需要审批的报价"


# --- policy and org chart -------------------------------------------------------------------------------


def active_policy(settings: Settings) -> Policy:
    """The company's policy file (KABOT_POLICY_FILE), or the shipped default."""
    if settings.policy_file:
        return load_policy(Path(settings.policy_file).read_text(encoding="utf-8"))
    return load_policy(resources.files(DEFAULT_POLICY_PACKAGE).joinpath(DEFAULT_POLICY_FILE).read_text("utf-8"))


def org_of(people: Sequence[User]) -> OrgChart:
    return OrgChart.of(
        OrgPerson(str(u.id), u.name, Role(u.role), str(u.manager_id) if u.manager_id else None, u.active)
        for u in people
    )


def _route_of(rows: Sequence[Approval]) -> list[RouteStep]:
    """The stored route as core's RouteSteps (step_no n is index n-1; skipped steps are never stored)."""
    steps: list[RouteStep] = []
    for no in sorted({a.step_no for a in rows}):
        step = [a for a in rows if a.step_no == no]
        steps.append(
            RouteStep(
                step[0].step_name, tuple(str(a.approver_id) for a in step), Mode(step[0].mode), (step[0].reason or "",)
            )
        )
    return steps


def _decisions_of(rows: Sequence[Approval]) -> list[Decision]:
    decided = sorted((a for a in rows if a.decision in DECIDED), key=lambda a: (a.decided_at, a.id))
    return [
        Decision(
            a.step_no - 1,
            str(a.approver_id),
            Verdict(_VERDICT_OF[a.decision]),
            RejectReason(a.reason_code) if a.reason_code else None,
            a.comment or "",
        )
        for a in decided
    ]


_VERDICT_OF = {v: k.value for k, v in VERDICT_DECISION.items()}


# --- cards ------------------------------------------------------------------------------------------------


def approval_card(b: QuoteBundle, a: Approval, rows: Sequence[Approval], ctx: Context) -> Card:
    data: dict[str, Any] = {
        **quote_body(b, ctx.tz),
        "requester": b.owner.name,
        "step": a.step_no,
        "steps": max(r.step_no for r in rows),
        "step_name": a.step_name,
        "reasons": a.reason or a.step_name,
        "conditions": [r.comment for r in rows if r.decision == "conditional" and r.comment],
    }
    key = a.id or 0
    buttons = (
        Button("同意", ApprovalTap(key, Tap.APPROVE), "primary"),
        Button("驳回", ApprovalTap(key, Tap.REJECT), "danger"),
        Button("有条件同意", ApprovalTap(key, Tap.CONDITIONAL)),
        Button("详情", ApprovalTap(key, Tap.DETAILS)),
    )
    return Card(
        template="approval_request",
        title=f"报价审批 {b.quote.number} 第{b.quote.revision}版",
        data=data,
        buttons=buttons,
        card_id=new_card_id(f"apv{a.id}"),
    )


async def send_cards(
    ctx: Context, b: QuoteBundle, to_send: Sequence[Approval], rows: Sequence[Approval]
) -> list[Reply]:
    """A decision card to each approver, its id kept in the audit log so the card can be finalised later."""
    out: list[Reply] = []
    for a in to_send:
        card = approval_card(b, a, rows, ctx)
        await ctx.record(
            approvals.CARD_SENT, "approvals", a.id, after={"card_id": card.card_id, "to_user_id": a.approver_id}
        )
        out.append(CardReply(card, to_user_id=a.approver_id))
    return out


async def _names(ctx: Context) -> dict[int | None, str]:
    return {u.id: u.name for u in await users.all_users(ctx.session)}


# --- submit -----------------------------------------------------------------------------------------------


@router.intent("quote_submit", help="提交报价审批", example="提交 Q-2026-0007")
async def submit_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    quote = (
        await quotes.latest(ctx.session, cmd.number)
        if cmd.number
        else await quotes.latest_draft(ctx.session, ctx.user_id)
    )
    if quote is None:
        return [
            TextReply(
                f"没有找到报价 {cmd.number}。"
                if cmd.number
                else "您没有待提交的草稿报价。先发报价，例如：报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海"
            )
        ]
    return await submit(ctx, quote)


@router.action(SubmitQuote)
async def tap_submit(ctx: Context, action: SubmitQuote) -> list[Reply]:
    quote = await quotes.get(ctx.session, action.quote_id)
    if quote is None:
        return [TextReply("这个按钮已失效。")]
    return await submit(ctx, quote)


async def submit(ctx: Context, quote: Quote) -> list[Reply]:
    if quote.owner_id != ctx.user_id:
        return [TextReply(f"{quote.number} 不是您的报价，只有报价负责人可以提交。")]
    locked = await quotes.lock(ctx.session, quote.id or 0)
    assert locked is not None
    if locked.status != "draft":
        return [
            TextReply(
                f"{locked.number} 第{locked.revision}版已经提交过了（{_status(locked)}）。查看：报价 {locked.number}"
            )
        ]
    now = ctx.clock.now()
    if expired(locked, now):
        return [TextReply(expired_message(locked, "您", ctx.tz))]
    b = await load(ctx.session, locked)
    rates, _ = await quotes.fx_table(ctx.session, locked.base_currency)
    facts = QuoteFacts.from_pricing(b.pricing, rates, b.customer.tier, b.customer.country)
    people = await users.all_users(ctx.session)
    org = org_of(people)
    requester = org.get(str(ctx.user_id))
    assert requester is not None
    steps = route(facts, requester, org, active_policy(ctx.settings))
    planned = await _planned(ctx, [s for s in steps if not s.skipped], org)
    status = "pending" if planned else "approved"
    if not await quotes.bump_version(ctx.session, locked, status=status, now=now):
        return [TextReply(f"{locked.number} 刚刚被修改了，请重新查看：报价 {locked.number}")]
    locked.submitted_at = now
    ctx.session.add(locked)
    await ctx.record("submit", "quotes", locked.id, before={"status": "draft"}, after={"status": status})
    replies: list[Reply] = []
    if (tapped := ctx.inbound.meta.get("task_id")) and ctx.inbound.action is not None:
        replies.append(
            CardUpdate(tapped, f"已提交 · {ctx.now:%m-%d %H:%M}", response_code=ctx.inbound.meta.get("response_code"))
        )
    skipped = [f"（跳过 {s.name}：{s.note}）" for s in steps if s.skipped]
    if not planned:
        b = await load(ctx.session, locked)
        return [
            *replies,
            TextReply(f"{locked.number} 按审批策略无需审批，已直接批准。{''.join(skipped)}"),
            quotation_file(b, seller=ctx.settings.company_name, tz=ctx.tz),
        ]
    rows = await approvals.create_route(ctx.session, locked.id or 0, planned, now=now)
    await ctx.record("create", "approvals", locked.id, after={"approvals": [snapshot(a) for a in rows]})
    b = await load(ctx.session, locked)
    replies += await send_cards(ctx, b, [a for a in rows if a.step_no == 1], rows)
    names = await _names(ctx)
    route_text = "\n".join(
        f"{n}. {s.name}：{'、'.join(names[i] for i in s.approver_ids)} — {s.reason}" for n, s in enumerate(planned, 1)
    )
    replies.append(
        TextReply(
            f"已提交 {locked.number} 第{locked.revision}版，审批路线：\n{route_text}"
            f"{''.join(skipped)}\n每一步有结果我都会告诉您。"
        )
    )
    return replies


async def _planned(ctx: Context, steps: Sequence[RouteStep], org: OrgChart) -> list[approvals.PlannedStep]:
    """Route steps as rows to write, with approvers who are away replaced by their delegate."""
    delegations = await approvals.active_delegations(ctx.session, ctx.clock.now())
    out: list[approvals.PlannedStep] = []
    for step in steps:
        ids: list[int] = []
        notes: list[str] = []
        for approver in map(int, step.approvers):
            d = delegations.get(approver)
            if d is not None and d.to_user_id != ctx.user_id:
                notes.append(f"{org.name_of(str(approver))} 已委托 {org.name_of(str(d.to_user_id))}")
                approver = d.to_user_id
            if approver not in ids:
                ids.append(approver)
        reason = "；".join(step.reasons) + (f"（{'；'.join(notes)}）" if notes else "")
        out.append(approvals.PlannedStep(step.name, step.mode.value, reason, tuple(ids)))
    return out


def _status(quote: Quote) -> str:
    return STATUS_LABELS.get(quote.status, quote.status)


# --- deciding ---------------------------------------------------------------------------------------------


@router.intent("approve", help="同意报价（可附条件）", example="同意 Q-2026-0007")
async def approve_text(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return [TextReply(cmd.error)]
    if cmd.number is None:
        return [TextReply("请写明报价编号，例如：同意 Q-2026-0007\n" + await _pending_text(ctx))]
    verdict = Verdict.CONDITIONAL if cmd.conditional else Verdict.APPROVE
    return await decide(ctx, number=cmd.number, verdict=verdict, note=cmd.note)


@router.intent("reject", help="驳回报价（写明原因）", example=EXAMPLE_REJECT)
async def reject_text(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error or cmd.number is None:
        return [TextReply(cmd.error or f"请写明报价编号和原因。\n例如：{EXAMPLE_REJECT}")]
    return await decide(ctx, number=cmd.number, verdict=Verdict.REJECT, reason=cmd.reason, note=cmd.note)


@router.action(ApprovalTap)
async def tap_approval(ctx: Context, action: ApprovalTap) -> list[Reply]:
    approval_id = action.approval_id
    if action.tap is Tap.DETAILS:
        row = await ctx.session.get(Approval, approval_id)
        quote = await quotes.get(ctx.session, row.quote_id) if row else None
        return await show(ctx, quote.number) if quote else [TextReply("这个按钮已失效。")]
    verdict = {Tap.APPROVE: Verdict.APPROVE, Tap.REJECT: Verdict.REJECT, Tap.CONDITIONAL: Verdict.CONDITIONAL}[
        action.tap
    ]
    return await decide(ctx, approval_id=approval_id, verdict=verdict)


@router.state("apv_reject")
async def answer_reject(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    """The message after tapping 驳回 names the reason (a number from the list, a label, or words)."""
    text = (ctx.inbound.text or "").strip()
    if isinstance(parsed, QuoteCommand) or not text:
        return None
    if whole_command(text) == "取消":
        return [TextReply("已取消驳回，报价仍在等您审批。")]
    reason, note = classify_reject_reason(text)
    return await decide(ctx, approval_id=int(data["approval_id"]), verdict=Verdict.REJECT, reason=reason, note=note)


@router.state("apv_condition")
async def answer_condition(ctx: Context, data: dict[str, Any], parsed: Any) -> list[Reply] | None:
    text = (ctx.inbound.text or "").strip()
    if isinstance(parsed, QuoteCommand) or not text:
        return None
    if whole_command(text) == "取消":
        return [TextReply("已取消，报价仍在等您审批。")]
    return await decide(ctx, approval_id=int(data["approval_id"]), verdict=Verdict.CONDITIONAL, note=text)


async def decide(
    ctx: Context,
    *,
    verdict: Verdict,
    approval_id: int | None = None,
    number: str | None = None,
    reason: RejectReason | None = None,
    note: str = "",
) -> list[Reply]:
    """One approver's decision on the current step of a quote; see the module docstring for exactly-once."""
    if approval_id is not None:
        row = await ctx.session.get(Approval, approval_id)
        quote_id = row.quote_id if row else None
    else:
        latest = await quotes.latest(ctx.session, number or "")
        quote_id = latest.id if latest else None
    if quote_id is None:
        return [TextReply(f"没有找到报价 {number}。" if number else "这个按钮已失效。")]
    quote = await quotes.lock(ctx.session, quote_id)
    assert quote is not None
    rows = await approvals.for_quote(ctx.session, quote_id)
    mine = next(
        (a for a in rows if a.approver_id == ctx.user_id and a.decision == "pending" and approval_id in (None, a.id)),
        None,
    )
    if quote.status != "pending" or mine is None:
        return await _cannot_decide(ctx, quote, rows, approval_id)
    if verdict is not Verdict.REJECT and expired(quote, ctx.clock.now()):
        owner = await ctx.session.get(User, quote.owner_id)
        return [
            TextReply(expired_message(quote, owner.name if owner else "报价负责人", ctx.tz)),
            TextReply(
                f"{ctx.user.name} 想批准 {quote.number}，但它已过有效期。"
                f"请发“修改 {quote.number} 更新汇率”生成新版本后重新提交。",
                to_user_id=quote.owner_id,
            ),
        ]
    if verdict is Verdict.REJECT and reason is None:
        await ctx.ask("apv_reject", {"approval_id": mine.id})
        return [
            TextReply(
                f"驳回 {quote.number} 的原因是？回复编号或原因（可加说明，如“1 低于底价”）：\n"
                f"{REASON_MENU}\n发“取消”则不驳回。"
            )
        ]
    if verdict is Verdict.CONDITIONAL and not note:
        await ctx.ask("apv_condition", {"approval_id": mine.id})
        return [TextReply(f"同意 {quote.number} 的条件是？例如：单价不低于78美元。发“取消”则不处理。")]
    return await _record_decision(ctx, quote, rows, mine, verdict, reason, note)


async def _record_decision(
    ctx: Context,
    quote: Quote,
    rows: list[Approval],
    mine: Approval,
    verdict: Verdict,
    reason: RejectReason | None,
    note: str,
) -> list[Reply]:
    now = ctx.clock.now()
    index = mine.step_no - 1
    state = next_state(
        _route_of(rows), [*_decisions_of(rows), Decision(index, str(ctx.user_id), verdict, reason, note)]
    )
    status = "conditional" if verdict is Verdict.CONDITIONAL else state.status.value
    if not await quotes.bump_version(ctx.session, quote, status=status, now=now):
        return [TextReply(f"{quote.number} 刚刚已由他人处理，请查看：报价 {quote.number}")]
    decision = VERDICT_DECISION[verdict]
    # Read before the UPDATEs below: they synchronise the in-memory rows too.
    step_open = [a.id or 0 for a in rows if a.step_no == mine.step_no and a.decision in approvals.OPEN]
    if not await approvals.decide(
        ctx.session,
        mine.id or 0,
        decision=decision,
        by=ctx.user_id,
        now=now,
        reason_code=reason.value if reason else None,
        comment=note or None,
    ):
        raise RuntimeError(f"approval {mine.id} changed under the lock of quote {quote.id}")
    await ctx.record(
        "decide",
        "approvals",
        mine.id,
        before={"decision": "pending"},
        after={
            "decision": decision,
            "reason_code": reason.value if reason else None,
            "comment": note,
            "quote": quote.number,
            "revision": quote.revision,
            "step": mine.step_no,
        },
    )
    settled = status != "pending" or state.step != index
    if status != "pending":
        await approvals.close_open(
            ctx.session,
            [a.id or 0 for a in rows if a.id != mine.id],
            by=ctx.user_id,
            now=now,
            comment=f"已由 {ctx.user.name} 处理",
        )
    elif settled:
        await approvals.close_open(
            ctx.session,
            [i for i in step_open if i != mine.id],
            by=ctx.user_id,
            now=now,
            comment=f"已由 {ctx.user.name} 处理",
        )
    if status != "pending":
        await ctx.record("update", "quotes", quote.id, before={"status": "pending"}, after={"status": status})

    label = {
        Verdict.APPROVE: "已同意",
        Verdict.CONDITIONAL: "有条件同意",
        Verdict.REJECT: f"已驳回（{reason.label if reason else ''}）",
    }[verdict]
    stamp = f"{label} · {ctx.user.name} · {ctx.now:%m-%d %H:%M}"
    replies = await card_updates(
        ctx,
        step_open if settled else [mine.id or 0],
        lambda to: stamp if to == ctx.user_id else f"已由 {ctx.user.name} 处理：{label}",
    )
    steps = max(a.step_no for a in rows)
    where = f"第{mine.step_no}/{steps}步 {mine.step_name}"
    replies.append(TextReply(f"{label} {quote.number} 第{quote.revision}版（{where}）。"))
    replies += await _tell_requester(ctx, quote, rows, mine, state.step, status, label, reason, note, where)
    return replies


async def _tell_requester(
    ctx: Context,
    quote: Quote,
    rows: list[Approval],
    mine: Approval,
    step_index: int | None,
    status: str,
    label: str,
    reason: RejectReason | None,
    note: str,
    where: str,
) -> list[Reply]:
    """The rep hears after every step and at the end; the next step's approvers get their cards."""
    me, owner = ctx.user.name, quote.owner_id
    head = f"{quote.number} 第{quote.revision}版 {where}：{me} {label}"
    if status == "approved":
        b = await load(ctx.session, quote)
        conditions = [a.comment for a in rows if a.decision == "conditional" and a.comment]
        cond = f"（附条件：{'；'.join(conditions)}）" if conditions else ""
        return [
            TextReply(f"✅ {head}。报价已批准{cond}，报价单见下一条消息。", to_user_id=owner),
            quotation_file(b, seller=ctx.settings.company_name, tz=ctx.tz),
        ]
    if status == "rejected":
        more = f"，{note}" if note and note != (reason.label if reason else "") else ""
        return [
            TextReply(f"❌ {head}{more}。可以修改后重新提交，例如：修改 {quote.number} 单价85美元", to_user_id=owner)
        ]
    if status == "conditional":
        b = await load(ctx.session, quote)
        card = Card(
            template="approval_condition",
            title=f"有条件同意 {quote.number}",
            data={**quote_body(b, ctx.tz), "approver": me, "condition": note, "number": quote.number},
            buttons=(Button("接受条件", AcceptConditions(quote.id or 0), "primary"),),
            card_id=new_card_id(f"qc{quote.id}"),
        )
        return [CardReply(card, to_user_id=owner)]
    assert step_index is not None
    if step_index == mine.step_no - 1:  # 会签: others still to approve
        names = await _names(ctx)
        waiting = "、".join(
            names[a.approver_id]
            for a in rows
            if a.step_no == mine.step_no and a.decision == "pending" and a.id != mine.id
        )
        return [TextReply(f"{head}，还需 {waiting} 同意。", to_user_id=owner)]
    next_no = step_index + 1
    await approvals.open_step(ctx.session, quote.id or 0, next_no, now=ctx.clock.now())
    rows = await approvals.for_quote(ctx.session, quote.id or 0)
    nxt = [a for a in rows if a.step_no == next_no]
    names = await _names(ctx)
    b = await load(ctx.session, quote)
    cards = await send_cards(ctx, b, nxt, rows)
    who = "、".join(names[a.approver_id] for a in nxt)
    return [*cards, TextReply(f"{head}。现在等第{next_no}步 {nxt[0].step_name}：{who} 审批。", to_user_id=owner)]


async def _cannot_decide(ctx: Context, quote: Quote, rows: list[Approval], approval_id: int | None) -> list[Reply]:
    """Why this user cannot decide now: done already, someone else did, not yet their turn, or not theirs at all."""
    names = await _names(ctx)
    mine = [a for a in rows if a.approver_id == ctx.user_id]
    done = next((a for a in mine if a.decided_by_id == ctx.user_id and a.decision in DECIDED), None)
    if done is not None and done.decided_at is not None:
        return [
            TextReply(
                f"您已处理过 {quote.number} 第{quote.revision}版："
                f"{_DECISION_WORDS[done.decision]} · {done.decided_at.astimezone(ctx.tz):%m-%d %H:%M}"
            )
        ]
    if quote.status == "draft":
        return [TextReply(f"{quote.number} 第{quote.revision}版尚未提交，暂时无需审批。")]
    if quote.status == "superseded" and mine:
        latest = await quotes.latest(ctx.session, quote.number)
        rev = latest.revision if latest else quote.revision + 1
        return [TextReply(f"{quote.number} 第{quote.revision}版已被第{rev}版取代，此审批已撤回。")]
    if mine:
        if any(a.decision == "waiting" for a in mine) and quote.status == "pending":
            current = min(a.step_no for a in rows if a.decision == "pending")
            who = "、".join(names[a.approver_id] for a in rows if a.step_no == current and a.decision == "pending")
            return [TextReply(f"还没轮到您审批 {quote.number}：现在在第{current}步，等 {who}。")]
        step = mine[0].step_no
        decider = next((a for a in rows if a.step_no == step and a.decision in DECIDED), None) or next(
            (
                a
                for a in sorted(rows, key=lambda a: a.decided_at or a.created_at, reverse=True)
                if a.decision in DECIDED
            ),
            None,
        )
        if decider is not None and decider.decided_by_id is not None:
            return [
                TextReply(
                    f"{quote.number} 已由 {names.get(decider.decided_by_id)} 处理"
                    f"（{_DECISION_WORDS[decider.decision]}），无需您再审批。"
                )
            ]
        return [TextReply(f"{quote.number} 第{quote.revision}版当前{_status(quote)}，无需审批。")]
    log.warning(
        "user %s (%s) tried to decide quote %s without being an approver", ctx.user_id, ctx.user.name, quote.number
    )
    await ctx.record(
        "refuse",
        "quotes",
        quote.id,
        after={"why": "not_an_approver", "approval_id": approval_id, "number": quote.number},
    )
    return [TextReply(f"{NOT_YOURS}（{quote.number}）。")]


_DECISION_WORDS = {"approved": "已同意", "rejected": "已驳回", "conditional": "有条件同意"}


# --- lists and delegation --------------------------------------------------------------------------------


@router.intent("pending_approvals", help="等我审批的报价", example="待审批")
async def list_pending(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    return [TextReply(await _pending_text(ctx))]


async def _pending_text(ctx: Context) -> str:
    waiting = await approvals.pending_for(ctx.session, ctx.user_id)
    if not waiting:
        return "目前没有等您审批的报价。"
    names = await _names(ctx)
    lines = []
    for n, (a, q) in enumerate(waiting, 1):
        c = await customers.get(ctx.session, q.customer_id)
        when = f" · {q.submitted_at.astimezone(ctx.tz):%m-%d %H:%M}提交" if q.submitted_at else ""
        lines.append(
            f"{n}. {q.number} 第{q.revision}版 · {c.name if c else ''} · "
            f"{format_money(q.total or 0, q.currency)} · 第{a.step_no}步 {a.step_name} · "
            f"{names.get(q.owner_id)}{when}"
        )
    return (
        f"等您审批的报价（{len(waiting)}）：\n"
        + "\n".join(lines)
        + f"\n回复“同意 {waiting[0][1].number}”或“驳回 {waiting[0][1].number} 原因”，“报价 编号”看详情。"
    )


@router.intent("delegate", help="外出时委托他人审批", example=EXAMPLE_DELEGATE)
async def delegate(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return [TextReply(cmd.error)]
    assert cmd.until is not None
    people = [u for u in await users.all_users(ctx.session) if u.name == cmd.person and u.active]
    if not people:
        return [TextReply(f"没有找到同事“{cmd.person}”。\n例如：{EXAMPLE_DELEGATE}")]
    target = people[0]
    if target.id == ctx.user_id:
        return [TextReply("不能委托给自己。")]
    now = ctx.clock.now()
    row = Delegation(
        from_user_id=ctx.user_id, to_user_id=target.id or 0, starts_at=now, ends_at=cmd.until.astimezone(now.tzinfo)
    )
    ctx.session.add(row)
    await ctx.session.flush()
    await ctx.record("create", "delegations", row.id, after=snapshot(row))
    replies = await _hand_over(ctx, target)
    until = f"{cmd.until:%m-%d}"
    moved = sum(1 for r in replies if isinstance(r, CardReply))
    replies += [
        TextReply(
            f"已委托 {target.name} 代您审批报价，至 {until}{f'；{moved} 张待审批已转给对方' if moved else ''}。"
            "提前回来可发“取消委托”。"
        ),
        TextReply(f"{ctx.user.name} 委托您代为审批报价，至 {until}。待您审批的会直接发给您。", to_user_id=target.id),
    ]
    return replies


async def _hand_over(ctx: Context, target: User) -> list[Reply]:
    """Open approvals move to the delegate (not on the delegate's own quotes); old cards say so."""
    moved: list[Approval] = []
    for a in await approvals.open_for(ctx.session, ctx.user_id):
        quote = await quotes.get(ctx.session, a.quote_id)
        if quote is None or quote.owner_id == target.id:
            continue
        moved.append(a)
    replies = await card_updates(ctx, [a.id or 0 for a in moved], lambda _to: f"已委托 {target.name} 处理")
    for a in moved:
        rows = await approvals.for_quote(ctx.session, a.quote_id)
        if any(r.approver_id == target.id and r.step_no == a.step_no for r in rows):
            await approvals.close_open(
                ctx.session,
                [a.id or 0],
                by=ctx.user_id,
                now=ctx.clock.now(),
                comment=f"委托 {target.name}，其已在本步审批",
            )
            continue
        a.approver_id, a.comment = target.id or 0, f"由 {ctx.user.name} 委托"
        ctx.session.add(a)
        await ctx.session.flush()
        await ctx.record(
            "delegate", "approvals", a.id, before={"approver_id": ctx.user_id}, after={"approver_id": target.id}
        )
        if a.decision == "pending":
            quote = await quotes.get(ctx.session, a.quote_id)
            assert quote is not None
            replies += await send_cards(ctx, await load(ctx.session, quote), [a], rows)
    return replies


@router.intent("delegate_cancel", help="取消审批委托", example="取消委托")
async def cancel_delegation(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    rows = await approvals.cancel_delegations(ctx.session, ctx.user_id, ctx.clock.now())
    if not rows:
        return [TextReply("您目前没有生效的委托。")]
    replies: list[Reply] = []
    for row in rows:
        await ctx.record("update", "delegations", row.id, before={"cancelled": False}, after={"cancelled": True})
        replies.append(TextReply(f"{ctx.user.name} 已取消对您的审批委托。", to_user_id=row.to_user_id))
    return [TextReply("已取消委托，之后的审批会直接发给您（已转出的仍由对方处理）。"), *replies]
