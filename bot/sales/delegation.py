"""委托 and hand-overs: an approver's open approvals, and new ones while away, go to someone who may take them.

done = await delegate(scope, person="孙丽", until=end)   # Delegated, or NotAllowed below the approver's role
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import NotAllowed, NotFound, UserInputError
from bot.sales import cards
from bot.sales.approvals import ApproverCard, send_cards
from bot.sales.cards import CardFinal
from bot.sales.quotes import QuoteBundle, load
from bot.sales.scope import Scope
from core.approval_policy import may_delegate
from core.roles import Role
from storage.audit import snapshot
from storage.models import Approval, Delegation, User
from storage.repo import approvals, quotes, users


@dataclass(frozen=True)
class Delegated:
    delegator: User
    delegate: User
    until: datetime
    moved: int
    cards: tuple[tuple[ApproverCard, QuoteBundle], ...] = ()
    finals: tuple[CardFinal, ...] = ()
    by_admin: bool = False
    replaced: tuple[Delegation, ...] = ()  # the delegation this one replaces


@dataclass
class Handover:
    cards: list[tuple[ApproverCard, QuoteBundle]] = field(default_factory=list)
    finals: list[CardFinal] = field(default_factory=list)


async def delegate(scope: Scope, *, person: str, until: datetime, from_person: str | None = None) -> Delegated:
    """委托: the delegator's open approvals and new ones go to the delegate until the end date.

    Never to someone below the approver's role (a manager's approvals to a rep) unless an admin sets it up.
    """
    by_admin = scope.role is Role.ADMIN
    people = [u for u in await users.all_users(scope.session) if u.active]
    delegator = scope.user
    if from_person is not None and from_person != scope.user.name:
        if not by_admin:
            raise NotAllowed("只有管理员可以替别人设置委托。", entity="delegations")
        delegator = _person(people, from_person)
    target = _person(people, person)
    if target.id == delegator.id:
        raise UserInputError("不能委托给自己。", example="委托 孙丽 至 12-05")
    if not by_admin and not may_delegate(Role(delegator.role), Role(target.role)):
        raise NotAllowed(
            f"不能把审批委托给{target.name}（{Role(target.role).label}）：受托人的角色不能低于您"
            f"（{Role(delegator.role).label}）。确需如此，请管理员发：委托 {delegator.name} 给 {target.name} "
            f"至 {until:%m-%d}",
            entity="delegations",
        )
    now = scope.clock.now()
    replaced = await approvals.cancel_delegations(scope.session, delegator.id or 0, now)  # one delegation at a time
    for old in replaced:
        await scope.record("update", "delegations", old.id, before={"cancelled": False}, after={"cancelled": True})
    row = Delegation(
        from_user_id=delegator.id or 0, to_user_id=target.id or 0, starts_at=now, ends_at=until.astimezone(now.tzinfo)
    )
    scope.session.add(row)
    await scope.session.flush()
    await scope.record("create", "delegations", row.id, after=snapshot(row))
    handover = await hand_over(scope, delegator, target, reason="委托")
    return Delegated(
        delegator,
        target,
        until,
        len(handover.cards),
        tuple(handover.cards),
        tuple(handover.finals),
        by_admin,
        tuple(replaced),
    )


def _person(people: Sequence[User], name: str) -> User:
    found = [u for u in people if u.name == name]
    if not found:
        raise NotFound(f"没有找到同事“{name}”。", example="委托 孙丽 至 12-05")
    return found[0]


async def hand_over(scope: Scope, delegator: User, target: User, *, reason: str) -> Handover:
    """Open approvals move to `target` (not on target's own quotes); the old cards say so.

    Used for a delegation (委托) and when someone leaves (离职交接).
    """
    out = Handover()
    moved: list[Approval] = []
    for a in await approvals.open_for(scope.session, delegator.id or 0):
        quote = await quotes.get(scope.session, a.quote_id)
        if quote is not None and quote.owner_id != target.id:
            moved.append(a)
    card_text = f"已委托 {target.name} 处理" if reason == "委托" else f"已转交 {target.name} 处理（{reason}）"
    out.finals += await cards.close(scope, lambda _to: card_text, approval_ids=[a.id or 0 for a in moved])
    for a in moved:
        rows = await approvals.for_quote(scope.session, a.quote_id)
        if any(r.approver_id == target.id and r.step_no == a.step_no for r in rows):
            await approvals.close_open(
                scope.session,
                [a.id or 0],
                by=scope.actor.id if scope.actor else None,
                now=scope.clock.now(),
                comment=f"{reason}给 {target.name}，其已在本步审批",
            )
            continue
        a.approver_id, a.comment = target.id or 0, f"由 {delegator.name} {reason}"
        scope.session.add(a)
        await scope.session.flush()
        await scope.record(
            "delegate", "approvals", a.id, before={"approver_id": delegator.id}, after={"approver_id": target.id}
        )
        if a.decision == "pending":
            quote = await quotes.get(scope.session, a.quote_id)
            assert quote is not None
            rows = await approvals.for_quote(scope.session, a.quote_id)
            for card in await send_cards(scope, quote, [a], rows):
                out.cards.append((card, await load(scope.session, quote)))
    return out


async def cancel_delegations(scope: Scope) -> list[Delegation]:
    rows = await approvals.cancel_delegations(scope.session, scope.user_id, scope.clock.now())
    for row in rows:
        await scope.record("update", "delegations", row.id, before={"cancelled": False}, after={"cancelled": True})
    return rows
