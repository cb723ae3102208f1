"""Submit, decide, accept conditions, delegate: quotes routed by policy and decided exactly once.

Exactly once, whatever happens (double tap, two approvers of a 或签 step at the same moment, a redelivered
callback, two replicas), is the database's job, never a lock in this process:
1. the quote row is read with SELECT … FOR UPDATE (PostgreSQL; on SQLite the transaction already holds the write
   lock), so deciders of one quote queue up and each sees what the one before committed;
2. the decision moves the quote with an optimistic check on Quote.version (UPDATE … WHERE version = read), and the
   approval row with UPDATE … WHERE decision = 'pending'. A loser changes nothing and is told who decided.
A redelivered callback never gets this far: the inbound log refuses the same platform message twice.

Where the approval stands is computed by core.approval_policy.next_state over the stored rows, so 或签 / 会签 rules
live in one place. A comment after 同意 is a comment; only an explicit condition pauses the route, and accepting
it either resumes the route (the quote already satisfies it) or makes the revision the condition asks for, with
the steps already approved carried over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import Conflict, NeedsAnswer, NotAllowed, NotFound, UserInputError
from bot.sales import cards
from bot.sales.cards import CardFinal
from bot.sales.quotes import (
    QuoteBundle,
    QuoteDrafted,
    change,
    expired,
    expires_at,
    load,
    own_latest,
)
from bot.sales.scope import Scope
from core.approval_policy import (
    Decision,
    Mode,
    OrgChart,
    OrgPerson,
    QuoteFacts,
    RejectReason,
    RouteStep,
    Verdict,
    next_state,
    route,
)
from core.conditions import Applied, ClauseKind, LineTerms, QuoteTerms, apply_conditions, parse_conditions
from core.nlu.quote_commands import QuoteTerms as CommandTerms
from core.quote_status import quote_status_label
from core.roles import Role
from storage.audit import snapshot
from storage.models import Approval, Quote, QuoteLine, User
from storage.repo import approvals, customers, quotes, users

VERDICT_DECISION = {Verdict.APPROVE: "approved", Verdict.REJECT: "rejected", Verdict.CONDITIONAL: "conditional"}
_VERDICT_OF = {v: k for k, v in VERDICT_DECISION.items()}
DECISION_WORDS = {"approved": "已同意", "rejected": "已驳回", "conditional": "有条件同意"}
NOT_YOURS = "这不是您需要审批的报价"
ASK_REASON, ASK_CONDITION, ASK_COMMENT = "apv_reject", "apv_condition", "apv_comment"
REASON_MENU = "\n".join(f"{i}. {r.label}" for i, r in enumerate(RejectReason, 1))


# --- outcomes ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApproverCard:
    """A decision card to send to `approval.approver_id`; its id is already recorded."""

    card_id: str
    approval: Approval
    steps: int
    conditions: tuple[str, ...]
    comments: tuple[str, ...] = ()  # what earlier approvers of this revision said: 赵敏：老客户，可以


@dataclass(frozen=True)
class Progress:
    """Where the route stands after a change, and who hears of it."""

    bundle: QuoteBundle
    status: str  # pending / approved / rejected / conditional
    step_no: int | None = None  # the step now waiting
    step_name: str = ""
    waiting: tuple[str, ...] = ()  # names of those who decide now
    moved_on: bool = False  # a new step began (its approvers got cards)
    cards: tuple[ApproverCard, ...] = ()
    conditions: tuple[str, ...] = ()  # accepted conditions, for the approval message and the sheet


@dataclass(frozen=True)
class PlannedRoute:
    name: str
    approvers: tuple[str, ...]
    reason: str
    carried: bool = False


@dataclass(frozen=True)
class Submitted:
    progress: Progress
    route: tuple[PlannedRoute, ...]
    skipped: tuple[str, ...]  # 跳过 X：why
    finals: tuple[CardFinal, ...] = ()


@dataclass(frozen=True)
class Decided:
    verdict: Verdict
    approval: Approval
    steps: int
    decider: str
    progress: Progress
    reason: RejectReason | None = None
    comment: str = ""
    condition: str = ""
    condition_card_id: str | None = None  # the rep's 接受条件 card
    finals: tuple[CardFinal, ...] = ()

    @property
    def label(self) -> str:
        if self.verdict is Verdict.REJECT:
            return f"已驳回（{self.reason.label if self.reason else ''}）"
        return "有条件同意" if self.verdict is Verdict.CONDITIONAL else "已同意"

    @property
    def where(self) -> str:
        return f"第{self.approval.step_no}/{self.steps}步 {self.approval.step_name}"


@dataclass(frozen=True)
class Expired:
    """An approver tried to approve a quote past its validity: nothing changed, the owner is told."""

    bundle: QuoteBundle
    approver: str


@dataclass(frozen=True)
class ConditionsAccepted:
    number: str
    applied: Applied
    progress: Progress | None = None  # the same revision resumed its route
    drafted: QuoteDrafted | None = None  # or a revision was made with what the conditions asked
    submitted: Submitted | None = None  # and submitted, the steps already approved carried over
    finals: tuple[CardFinal, ...] = ()
    approvers: tuple[int, ...] = ()  # who set the conditions: they hear what became of them
    rep: str = ""


@dataclass(frozen=True)
class PendingItem:
    approval: Approval
    quote: Quote
    customer: str
    requester: str


# --- org chart and stored routes -------------------------------------------------------------------------


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
    decided = sorted((a for a in rows if a.decision in approvals.DECIDED), key=lambda a: (a.decided_at, a.id))
    return [
        Decision(
            a.step_no - 1,
            str(a.approver_id),
            _VERDICT_OF[a.decision],
            RejectReason(a.reason_code)
            if a.reason_code
            else (RejectReason.OTHER if a.decision == "rejected" else None),
            a.comment or ("?" if a.decision == "conditional" else ""),
        )
        for a in decided
    ]


def conditions_of(rows: Sequence[Approval]) -> tuple[str, ...]:
    return tuple(a.comment for a in rows if a.decision == "conditional" and a.comment)


async def _names(scope: Scope) -> dict[int, str]:
    return {u.id or 0: u.name for u in await users.all_users(scope.session)}


# --- cards to approvers --------------------------------------------------------------------------------------


async def send_cards(
    scope: Scope, quote: Quote, to: Sequence[Approval], rows: Sequence[Approval]
) -> list[ApproverCard]:
    steps = max(r.step_no for r in rows)
    names = await _names(scope)
    said = tuple(
        f"{names.get(a.decided_by_id or 0, '?')}：{a.comment}" for a in rows if a.decision == "approved" and a.comment
    )
    out = []
    for a in to:
        card_id = cards.new_card_id(f"apv{a.id}")
        await cards.sent(
            scope,
            card_id=card_id,
            kind=cards.APPROVAL,
            quote_id=quote.id or 0,
            to_user_id=a.approver_id,
            approval_id=a.id,
        )
        out.append(ApproverCard(card_id, a, steps, conditions_of(rows), said))
    return out


async def _progress(scope: Scope, quote: Quote, rows: list[Approval]) -> Progress:
    """After any change: open the next step if the current one is settled, send its cards, say who waits."""
    state = next_state(_route_of(rows), _decisions_of(rows))
    names = await _names(scope)
    conditions = conditions_of(rows)
    if quote.status == "approved" or state.status.value == "approved":
        return Progress(await load(scope.session, quote), "approved", conditions=conditions)
    if state.status.value != "pending" or state.step is None:
        return Progress(await load(scope.session, quote), quote.status, conditions=conditions)
    step_no = state.step + 1
    step_rows = [a for a in rows if a.step_no == step_no]
    moved_on = any(a.decision == "waiting" for a in step_rows)
    new_cards: list[ApproverCard] = []
    if moved_on:
        await approvals.open_step(scope.session, quote.id or 0, step_no, now=scope.clock.now())
        rows = await approvals.for_quote(scope.session, quote.id or 0)
        new_cards = await send_cards(scope, quote, [a for a in rows if a.step_no == step_no], rows)
    waiting = tuple(names.get(int(i), "?") for i in state.waiting_for)
    return Progress(
        await load(scope.session, quote),
        "pending",
        step_no,
        step_rows[0].step_name,
        waiting,
        moved_on,
        tuple(new_cards),
        conditions,
    )


# --- submit ------------------------------------------------------------------------------------------------


async def submit(scope: Scope, *, number: str | None = None, quote_id: int | None = None) -> Submitted:
    """Route a draft by the policy and send the first step's cards (or approve it when no step applies)."""
    if quote_id is not None:
        quote = await quotes.get(scope.session, quote_id)
        if quote is None:
            raise NotFound("这个按钮已失效。")
        if quote.owner_id != scope.user_id:
            raise NotAllowed(
                f"{quote.number} 不是您的报价，只有报价负责人可以提交。", entity="quotes", entity_id=quote.id
            )
    elif number is not None:
        quote = await own_latest(scope, number, "提交 Q-2026-0007")
    else:
        found = await quotes.latest_with_status(scope.session, scope.user_id, "draft")
        if found is None:
            raise NotFound("您没有待提交的草稿报价。先发报价，例如：报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海")
        quote = found
    return await _submit(scope, quote)


async def _submit(
    scope: Scope, quote: Quote, *, carry_from: Sequence[Approval] = (), carry_upto: int = 0, carry_rev: int = 0
) -> Submitted:
    locked = await quotes.lock(scope.session, quote.id or 0)
    assert locked is not None
    if locked.status != "draft":
        raise Conflict(
            f"{locked.number} 第{locked.revision}版已经提交过了（{quote_status_label(locked.status)}）。"
            f"查看：报价 {locked.number}"
        )
    now = scope.clock.now()
    if expired(locked, now):
        raise UserInputError(expired_text(locked, "您", scope))
    b = await load(scope.session, locked)
    rates, _ = await quotes.fx_table(scope.session, locked.base_currency)
    facts = QuoteFacts.from_pricing(b.pricing, rates, b.customer.tier, b.customer.country)
    org = org_of(await users.all_users(scope.session))
    requester = org.get(str(locked.owner_id))
    assert requester is not None
    steps = route(facts, requester, org, scope.policy)
    planned = await _planned(scope, [s for s in steps if not s.skipped], org, locked.owner_id)
    planned = _carry(planned, carry_from, carry_upto, carry_rev)
    rows = await approvals.create_route(scope.session, locked.id or 0, planned, now=now) if planned else []
    state = next_state(_route_of(rows), _decisions_of(rows)) if rows else None
    status = "approved" if state is None or state.status.value == "approved" else "pending"
    if not await quotes.bump_version(scope.session, locked, status=status, now=now):
        raise Conflict(f"{locked.number} 刚刚被修改了，请重新查看：报价 {locked.number}")
    locked.submitted_at = now
    scope.session.add(locked)
    await scope.record("submit", "quotes", locked.id, before={"status": "draft"}, after={"status": status})
    if rows:
        await scope.record("create", "approvals", locked.id, after={"approvals": [snapshot(a) for a in rows]})
    finals = await cards.close(
        scope, lambda _to: f"已提交 · {scope.now:%m-%d %H:%M}", quote_ids=[locked.id or 0], kinds=[cards.SUBMIT]
    )
    names = await _names(scope)
    bundle = await load(scope.session, locked)
    if status == "approved":
        progress = Progress(bundle, "approved", conditions=conditions_of(rows))
    else:
        first = [a for a in rows if a.decision == "pending"]
        progress = Progress(
            bundle,
            "pending",
            first[0].step_no,
            first[0].step_name,
            tuple(names.get(a.approver_id, "?") for a in first),
            True,
            tuple(await send_cards(scope, locked, first, rows)),
            conditions_of(rows),
        )
    return Submitted(
        progress,
        tuple(
            PlannedRoute(p.name, tuple(names.get(i, "?") for i in p.approver_ids), p.reason, p.carried is not None)
            for p in planned
        ),
        tuple(f"跳过 {s.name}：{s.note}" for s in steps if s.skipped),
        tuple(finals),
    )


async def _planned(
    scope: Scope, steps: Sequence[RouteStep], org: OrgChart, requester_id: int
) -> list[approvals.PlannedStep]:
    """Route steps as rows to write, with approvers who are away replaced by their delegate."""
    delegations = await approvals.active_delegations(scope.session, scope.clock.now())
    out: list[approvals.PlannedStep] = []
    for step in steps:
        ids: list[int] = []
        notes: list[str] = []
        for approver in map(int, step.approvers):
            d = delegations.get(approver)
            if d is not None and d.to_user_id != requester_id:
                notes.append(f"{org.name_of(str(approver))} 已委托 {org.name_of(str(d.to_user_id))}")
                approver = d.to_user_id
            if approver not in ids:
                ids.append(approver)
        reason = "；".join(step.reasons) + (f"（{'；'.join(notes)}）" if notes else "")
        routed = tuple(int(a) for a in step.approvers)
        out.append(approvals.PlannedStep(step.name, step.mode.value, reason, tuple(ids), routed_to=routed))
    return out


def _carry(
    planned: list[approvals.PlannedStep], before: Sequence[Approval], upto: int, revision: int
) -> list[approvals.PlannedStep]:
    """Steps an approver already approved on the revision before (up to the one that set the condition)."""
    out = []
    for step in planned:
        done = [
            a
            for a in before
            if a.step_name == step.name and a.step_no <= upto and a.decision in ("approved", "conditional")
        ]
        # The one who approved before counts whether they decide this step now or delegated it meanwhile.
        deciders = {*step.approver_ids, *step.routed_to}
        by = next((a for a in done if a.decided_by_id in deciders), None)
        complete = by is not None and (
            step.mode == Mode.ANY.value or {a.decided_by_id for a in done} >= set(step.approver_ids)
        )
        if by is not None and complete and by.decided_by_id is not None and by.decided_at is not None:
            carried = approvals.Carried(by.decided_by_id, f"沿用第{revision}版的{_decision_said(by)}", by.decided_at)
            approvers = step.approver_ids if by.decided_by_id in step.approver_ids else (by.decided_by_id,)
            step = approvals.PlannedStep(step.name, step.mode, step.reason, approvers, carried, step.routed_to)
        out.append(step)
    return out


def _decision_said(approval: Approval) -> str:
    """An earlier approval as the next approver reads it: a conditional one must not read as a plain 同意."""
    if approval.decision == "conditional":
        return f"有条件同意（条件：{approval.comment}）" if approval.comment else "有条件同意"
    return f"同意：{approval.comment}" if approval.comment else "同意"


# --- deciding ------------------------------------------------------------------------------------------------


async def decide(
    scope: Scope,
    *,
    verdict: Verdict,
    approval_id: int | None = None,
    number: str | None = None,
    reason: RejectReason | None = None,
    comment: str = "",
    condition: str = "",
    comment_checked: bool = False,
) -> Decided | Expired:
    """One approver's decision on the current step of a quote; see the module docstring for exactly-once."""
    if approval_id is not None:
        row = await scope.session.get(Approval, approval_id)
        quote_id = row.quote_id if row else None
    else:
        latest = await quotes.latest(scope.session, number or "")
        quote_id = latest.id if latest else None
    if quote_id is None:
        raise NotFound(f"没有找到报价 {number}。" if number else "这个按钮已失效。")
    quote = await quotes.lock(scope.session, quote_id)
    assert quote is not None
    rows = await approvals.for_quote(scope.session, quote_id)
    mine = next(
        (a for a in rows if a.approver_id == scope.user_id and a.decision == "pending" and approval_id in (None, a.id)),
        None,
    )
    if quote.status != "pending" or mine is None:
        await _cannot_decide(scope, quote, rows, approval_id)
    assert mine is not None
    if verdict is not Verdict.REJECT and expired(quote, scope.clock.now()):
        return Expired(await load(scope.session, quote), scope.name)
    if verdict is Verdict.REJECT and reason is None:
        raise NeedsAnswer(
            f"驳回 {quote.number} 的原因是？回复编号或原因（可加说明，如“1 低于底价”）：\n{REASON_MENU}\n"
            "发“取消”则不驳回。",
            kind=ASK_REASON,
            data={"approval_id": mine.id},
            unanswered=f"{quote.number} 没有驳回，仍在等您审批",
        )
    if verdict is Verdict.CONDITIONAL and not condition:
        raise NeedsAnswer(
            f"同意 {quote.number} 的条件是？例如：单价不低于78美元，预付30%。发“取消”则不处理。",
            kind=ASK_CONDITION,
            data={"approval_id": mine.id},
            unanswered=f"{quote.number} 还没有处理，仍在等您审批",
        )
    if verdict is Verdict.APPROVE and comment and not comment_checked and reads_as_condition(comment):
        raise NeedsAnswer(
            f"“{comment}”是同意的条件吗？\n回复“是”：有条件同意，{quote.number} 要满足它才继续；\n"
            "回复“否”：直接同意，这句话作为附言告诉申请人。",
            kind=ASK_COMMENT,
            data={"approval_id": mine.id, "comment": comment},
            unanswered=f"{quote.number} 还没有处理，仍在等您审批",
        )
    return await _record(scope, quote, rows, mine, verdict, reason, comment, condition)


def reads_as_condition(text: str) -> bool:
    """Words after 同意 that state a constraint kabot could apply (单价不低于…, 预付30%): worth asking about."""
    return any(c.kind is not ClauseKind.TEXT for c in parse_conditions(text))


async def _record(
    scope: Scope,
    quote: Quote,
    rows: list[Approval],
    mine: Approval,
    verdict: Verdict,
    reason: RejectReason | None,
    comment: str,
    condition: str,
) -> Decided:
    now = scope.clock.now()
    index = mine.step_no - 1
    note = condition if verdict is Verdict.CONDITIONAL else comment
    state = next_state(
        _route_of(rows), [*_decisions_of(rows), Decision(index, str(scope.user_id), verdict, reason, note)]
    )
    status = "conditional" if verdict is Verdict.CONDITIONAL else state.status.value
    if not await quotes.bump_version(scope.session, quote, status=status, now=now):
        raise Conflict(f"{quote.number} 刚刚已由他人处理，请查看：报价 {quote.number}")
    decision = VERDICT_DECISION[verdict]
    # Read before the UPDATEs below: they synchronise the in-memory rows too.
    step_open = [a.id or 0 for a in rows if a.step_no == mine.step_no and a.decision in approvals.OPEN]
    if not await approvals.decide(
        scope.session,
        mine.id or 0,
        decision=decision,
        by=scope.user_id,
        now=now,
        reason_code=reason.value if reason else None,
        comment=note or None,
    ):
        raise RuntimeError(f"approval {mine.id} changed under the lock of quote {quote.id}")
    await scope.record(
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
    step_settled = status in ("approved", "rejected") or state.step != index or mine.mode == Mode.ANY.value
    others = f"已由 {scope.name} 处理"
    if status in ("approved", "rejected"):
        to_close = [a.id or 0 for a in rows if a.id != mine.id]
    elif step_settled:
        to_close = [i for i in step_open if i != mine.id]
    else:
        to_close = []
    await approvals.close_open(scope.session, to_close, by=scope.user_id, now=now, comment=others)
    if status != "pending":
        await scope.record("update", "quotes", quote.id, before={"status": "pending"}, after={"status": status})
    label = {Verdict.APPROVE: "已同意", Verdict.CONDITIONAL: "有条件同意", Verdict.REJECT: "已驳回"}[verdict]
    if reason is not None:
        label += f"（{reason.label}）"
    stamp = f"{label} · {scope.name} · {scope.now:%m-%d %H:%M}"
    finals = await cards.close(
        scope,
        lambda to: stamp if to == scope.user_id else f"{others}：{label}",
        approval_ids=[*(step_open if step_settled else [mine.id or 0]), *to_close],
    )
    rows = await approvals.for_quote(scope.session, quote.id or 0)
    condition_card = None
    if status == "conditional":
        condition_card = cards.new_card_id(f"qc{quote.id}")
        await cards.sent(
            scope, card_id=condition_card, kind=cards.CONDITION, quote_id=quote.id or 0, to_user_id=quote.owner_id
        )
        progress = Progress(await load(scope.session, quote), "conditional", conditions=conditions_of(rows))
    elif status == "rejected":
        progress = Progress(await load(scope.session, quote), "rejected")
    else:
        progress = await _progress(scope, quote, rows)
    return Decided(
        verdict,
        mine,
        max(a.step_no for a in rows),
        scope.name,
        progress,
        reason,
        comment if verdict is not Verdict.CONDITIONAL else "",
        condition,
        condition_card,
        tuple(finals),
    )


async def _cannot_decide(scope: Scope, quote: Quote, rows: list[Approval], approval_id: int | None) -> None:
    """Why this user cannot decide now; always raises (a permission refusal is audited by the pipeline)."""
    names = await _names(scope)
    mine = [a for a in rows if a.approver_id == scope.user_id]
    done = next((a for a in mine if a.decided_by_id == scope.user_id and a.decision in approvals.DECIDED), None)
    if done is not None and done.decided_at is not None:
        raise Conflict(
            f"您已处理过 {quote.number} 第{quote.revision}版：{DECISION_WORDS[done.decision]} · "
            f"{done.decided_at.astimezone(scope.tz):%m-%d %H:%M}"
        )
    owner_ids = await users.visible_owner_ids(scope.session, scope.user)
    if quote.status == "draft" and (owner_ids is None or quote.owner_id in owner_ids):  # others learn nothing of it
        raise NotAllowed(
            f"{quote.number} 第{quote.revision}版尚未提交，暂时无需审批。", entity="quotes", entity_id=quote.id
        )
    if quote.status == "superseded" and mine:
        latest = await quotes.latest(scope.session, quote.number)
        rev = latest.revision if latest else quote.revision + 1
        raise Conflict(f"{quote.number} 第{quote.revision}版已被第{rev}版取代，此审批已撤回。")
    if mine:
        if any(a.decision == "waiting" for a in mine) and quote.status == "pending":
            current = min(a.step_no for a in rows if a.decision == "pending")
            who = "、".join(names[a.approver_id] for a in rows if a.step_no == current and a.decision == "pending")
            raise NotAllowed(
                f"还没轮到您审批 {quote.number}：现在在第{current}步，等 {who}。", entity="quotes", entity_id=quote.id
            )
        if quote.status == "conditional":
            raise Conflict(f"{quote.number} 正在等申请人接受条件，暂时无需您审批。")
        step = mine[0].step_no
        decider = next((a for a in rows if a.step_no == step and a.decision in approvals.DECIDED), None) or next(
            (
                a
                for a in sorted(rows, key=lambda a: a.decided_at or a.created_at, reverse=True)
                if a.decision in approvals.DECIDED
            ),
            None,
        )
        if decider is not None and decider.decided_by_id is not None:
            raise Conflict(
                f"{quote.number} 已由 {names.get(decider.decided_by_id)} 处理"
                f"（{DECISION_WORDS[decider.decision]}），无需您再审批。"
            )
        raise Conflict(f"{quote.number} 第{quote.revision}版当前{quote_status_label(quote.status)}，无需审批。")
    raise NotAllowed(f"{NOT_YOURS}（{quote.number}）。", entity="quotes", entity_id=quote.id)


def expired_text(quote: Quote, owner: str, scope: Scope) -> str:
    return (
        f"{quote.number} 第{quote.revision}版已过有效期（{quote.validity_days}天，至 "
        f"{expires_at(quote).astimezone(scope.tz):%m-%d}），锁定的汇率已不新鲜，不能批准。"
        f"请{owner}发“修改 {quote.number} 更新汇率”生成使用今天汇率的新版本，再提交审批。"
    )


# --- accepting a condition -----------------------------------------------------------------------------------


async def accept_conditions(
    scope: Scope, *, number: str | None = None, quote_id: int | None = None
) -> ConditionsAccepted:
    """The rep accepts the approver's condition: kept terms stay, violated ones change, the rest is the rep's to do.

    Nothing to change: the same revision continues its route. Something to change: the next revision is made
    with exactly that and submitted, the steps approved so far carried over.
    """
    if quote_id is not None:
        quote = await quotes.get(scope.session, quote_id)
        if quote is None or quote.owner_id != scope.user_id:
            raise NotFound("这个按钮已失效。")
        quote = await quotes.latest(scope.session, quote.number) or quote
    elif number is not None:
        quote = await own_latest(scope, number, "接受 Q-2026-0007")
    else:
        found = await quotes.latest_with_status(scope.session, scope.user_id, "conditional")
        if found is None:
            raise NotFound("您没有待接受条件的报价。")
        quote = found
    if quote.status != "conditional":
        raise Conflict(f"{quote.number} 第{quote.revision}版没有待接受的条件（{quote_status_label(quote.status)}）。")
    rows = await approvals.for_quote(scope.session, quote.id or 0)
    pending_conditions = [a for a in rows if a.decision == "conditional" and a.comment]
    text = "；".join(a.comment or "" for a in pending_conditions)
    setters = tuple(sorted({a.decided_by_id or a.approver_id for a in pending_conditions}))
    lines = await quotes.lines(scope.session, quote.id or 0)
    terms = _terms_of(quote, lines)
    applied = apply_conditions(parse_conditions(text), terms)
    await scope.record(
        "accept_condition",
        "quotes",
        quote.id,
        after={"condition": text, "results": [f"{r.effect.value}: {r.detail}" for r in applied.results]},
    )
    finals = await cards.close(
        scope, lambda _to: f"已接受条件 · {scope.now:%m-%d %H:%M}", quote_ids=[quote.id or 0], kinds=[cards.CONDITION]
    )
    # A term of the quote kabot could not set (预付30% on an L/C quote): the quote may still break the condition, so
    # whoever set it decides again on the next revision instead of their approval being carried over.
    terms_open = any(r.clause.kind is not ClauseKind.TEXT for r in applied.manual)
    if not applied.changed and not terms_open:
        locked = await quotes.lock(scope.session, quote.id or 0)
        assert locked is not None
        state = next_state(_route_of(rows), _decisions_of(rows))
        status = state.status.value
        if not await quotes.bump_version(scope.session, locked, status=status, now=scope.clock.now()):
            raise Conflict(f"{quote.number} 刚刚被修改了，请重新查看：报价 {quote.number}")
        await scope.record("update", "quotes", locked.id, before={"status": "conditional"}, after={"status": status})
        progress = await _progress(scope, locked, rows)
        return ConditionsAccepted(
            quote.number, applied, progress=progress, finals=tuple(finals), approvers=setters, rep=scope.name
        )
    upto = max(a.step_no for a in pending_conditions) - (1 if terms_open else 0)
    new_terms = applied.terms
    by_line = {ln.line_no: ln.unit_price for ln in new_terms.lines}

    def with_prices(current: list[QuoteLine], q: Quote) -> list[QuoteLine]:
        out = []
        for row in current:
            new = QuoteLine(**row.model_dump(exclude={"id", "quote_id"}), quote_id=q.id or 0)
            new.unit_price = by_line.get(row.line_no, row.unit_price)
            out.append(new)
        return out

    change_terms = CommandTerms(
        payment_terms=new_terms.payment_terms if new_terms.payment_terms != quote.payment_terms else None,
        lead_time_days=new_terms.lead_time_days if new_terms.lead_time_days != quote.lead_time_days else None,
        validity_days=new_terms.validity_days if new_terms.validity_days != quote.validity_days else None,
    )
    drafted = await change(scope, quote, change_terms, with_prices, card=False)
    submitted = await _submit(scope, drafted.bundle.quote, carry_from=rows, carry_upto=upto, carry_rev=quote.revision)
    return ConditionsAccepted(
        quote.number,
        applied,
        drafted=drafted,
        submitted=submitted,
        finals=(*finals, *drafted.finals, *submitted.finals),
        approvers=setters,
        rep=scope.name,
    )


def _terms_of(quote: Quote, lines: Sequence[QuoteLine]) -> QuoteTerms:
    return QuoteTerms(
        quote.currency,
        tuple(LineTerms(ln.line_no, ln.product, ln.unit_price) for ln in lines),
        quote.payment_terms,
        quote.lead_time_days,
        quote.validity_days,
    )


# --- lists --------------------------------------------------------------------------------------


async def pending(scope: Scope) -> list[PendingItem]:
    names = await _names(scope)
    out = []
    for a, q in await approvals.pending_for(scope.session, scope.user_id):
        c = await customers.get(scope.session, q.customer_id)
        out.append(PendingItem(a, q, c.name if c else "", names.get(q.owner_id, "?")))
    return out


async def number_of(scope: Scope, approval_id: int) -> str:
    """The quote number an approval card is about (for its 详情 button)."""
    row = await scope.session.get(Approval, approval_id)
    quote = await quotes.get(scope.session, row.quote_id) if row else None
    if quote is None:
        raise NotFound("这个按钮已失效。")
    return quote.number
