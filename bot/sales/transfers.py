"""Accounts that change hands: a manager reassigns one, a leaver's whole book moves, a rep asks for one.

Whatever the way, the account moves with its open tasks, open opportunities and quotes (storage.repo.transfers),
the old and new owner and their managers are told, and the audit log says who did it. Who may move what:
a manager their team's accounts to someone in the team; a director, the GM or an admin anyone's to anyone; the
system (the CLI) everything. A rep asks (申请转移) and the owner's manager decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.sales import delegation
from bot.sales.approvals import ApproverCard
from bot.sales.cards import CardFinal, new_card_id
from bot.sales.quotes import QuoteBundle
from bot.sales.scope import Scope
from core.approval_policy import may_delegate
from core.nlu.names import NameIndex, normalize_name
from core.nlu.transfer_commands import EXAMPLE_OFFBOARD, EXAMPLE_REASSIGN, EXAMPLE_REQUEST
from core.roles import Role
from storage.audit import snapshot
from storage.models import Customer, TransferRequest, User
from storage.repo import customers, transfers, users
from storage.repo.names import owned_anywhere

MOVERS = (Role.MANAGER, Role.DIRECTOR, Role.GM, Role.ADMIN)
HOLDERS = (Role.REP, Role.MANAGER, Role.DIRECTOR, Role.GM)  # who can own accounts


@dataclass(frozen=True)
class Transferred:
    customer: Customer
    from_user: User | None
    to_user: User
    by: str
    moved: transfers.Moved
    tell: tuple[int, ...]  # old owner, new owner and their managers, except whoever did it
    finals: tuple[CardFinal, ...] = ()  # a request card this settled


@dataclass(frozen=True)
class Requested:
    request: TransferRequest
    customer: Customer
    owner: User | None
    decider: User
    requester: User


@dataclass(frozen=True)
class Several:
    """申请转移 北风 names more than one account: the rep picks one, and the request goes on for it."""

    accounts: list[Customer]
    owners: list[str]  # each account's owner's name, 公海 for none


@dataclass(frozen=True)
class Withdrawn:
    """A request taken back by 撤销: the manager's card is closed, the manager and the owner are told."""

    customer: Customer
    owner: User | None
    decider_id: int
    requester: str
    finals: tuple[CardFinal, ...]


@dataclass(frozen=True)
class Refused:
    request: TransferRequest
    customer: Customer
    requester: User
    by: str
    note: str
    finals: tuple[CardFinal, ...] = ()


@dataclass(frozen=True)
class Offboarded:
    person: User
    to_user: User
    accounts: tuple[Transferred, ...]
    approvals_to: User | None  # who now holds the leaver's open approvals
    cards: tuple[tuple[ApproverCard, QuoteBundle], ...] = ()
    finals: tuple[CardFinal, ...] = field(default=())


# --- who -------------------------------------------------------------------------------------------------


async def _person(scope: Scope, name: str, example: str) -> User:
    found = [u for u in await users.all_users(scope.session) if u.name == name and u.active]
    if not found:
        raise NotFound(f"没有找到在职同事“{name}”。", example=example)
    if len(found) > 1:
        raise UserInputError(f"有 {len(found)} 位同事叫“{name}”，请在管理后台用企业微信ID区分后再试。")
    return found[0]


async def _may_move(scope: Scope, owner_id: int | None, to: User) -> None:
    """Refused (and audited) unless this person may move an account of `owner_id` to `to`."""
    if scope.actor is None:
        return
    _mover(scope, EXAMPLE_REQUEST)
    if Role(to.role) not in HOLDERS:
        raise UserInputError(f"{to.name} 是{Role(to.role).label}，不能负责客户。")
    team = await users.visible_owner_ids(scope.session, scope.user)
    if team is None:
        return
    if owner_id is not None and owner_id not in team:
        raise NotAllowed("这个客户不在您的团队里，不能转移。", entity="customers")
    if to.id not in team:
        raise NotAllowed(f"{to.name} 不在您的团队里，请让{Role.DIRECTOR.label}处理。", entity="customers")


def _mover(scope: Scope, ask: str) -> None:
    """Refused (and audited) unless this person may move accounts at all; `ask`: the request to send instead."""
    if scope.actor is not None and scope.role not in MOVERS:
        raise NotAllowed(f"只有经理可以把客户转给别人。想要同事的客户请发：{ask}", entity="customers")


async def _tell(scope: Scope, *people: User | None) -> tuple[int, ...]:
    """The people and their managers, once each, without whoever acted."""
    ids: list[int] = []
    for person in people:
        if person is None:
            continue
        for uid in (person.id, person.manager_id):
            if uid is not None and uid not in ids:
                ids.append(uid)
    me = scope.actor.id if scope.actor else None
    return tuple(i for i in ids if i != me)


# --- moving ------------------------------------------------------------------------------------------------


async def _move(scope: Scope, customer: Customer, to: User, *, why: str) -> Transferred:
    if customer.owner_id == to.id:
        raise UserInputError(f"{customer.name} 已经由 {to.name} 负责了。")
    before = snapshot(customer)
    old = await scope.session.get(User, customer.owner_id) if customer.owner_id else None
    moved = await transfers.move_account(scope.session, customer, to_user_id=to.id or 0, now=scope.clock.now())
    await scope.record(
        "transfer",
        "customers",
        customer.id,
        before=before,
        after={
            **snapshot(customer),
            "why": why,
            "tasks": list(moved.task_ids),
            "opportunities": list(moved.opportunity_ids),
            "quotes": list(moved.quote_ids),
        },
    )
    finals: tuple[CardFinal, ...] = ()
    pending = await transfers.pending_request(scope.session, customer.id or 0)
    if pending is not None:
        await transfers.settle(scope.session, pending, status="withdrawn", by=_actor_id(scope), now=scope.clock.now())
        finals = _request_final(pending, f"客户已由 {scope.name} 转给 {to.name}，申请自动关闭")
    return Transferred(customer, old, to, scope.name, moved, await _tell(scope, old, to), finals)


def _actor_id(scope: Scope) -> int | None:
    return scope.actor.id if scope.actor else None


async def withdrawal(scope: Scope, request: TransferRequest) -> Withdrawn:
    """What the people a withdrawn request reached must hear (storage.undo withdrew it)."""
    customer = await customers.get(scope.session, request.customer_id)
    assert customer is not None  # a customer with a request cannot be deleted
    owner = await scope.session.get(User, request.from_owner_id) if request.from_owner_id else None
    closed = _request_final(request, f"已撤回 · {scope.name} 撤销了这个申请")
    return Withdrawn(customer, owner, request.decider_id, scope.name, closed)


def _request_final(request: TransferRequest, text: str) -> tuple[CardFinal, ...]:
    return (CardFinal(request.card_id, request.decider_id, text),) if request.card_id else ()


async def reassign(scope: Scope, *, customer: str, to: str, names: NameIndex) -> Transferred:
    """`把北欧暖通转给王强`: a manager moves one of the team's accounts (a rep is told how to ask for it, before
    any name is looked up: what the rep cannot see is no reason to offer something else)."""
    _mover(scope, f"申请转移 {customer}")
    target = await _person(scope, to, EXAMPLE_REASSIGN)
    found = await _named(scope, customer, names)
    await _may_move(scope, found.owner_id, target)
    return await _move(scope, found, target, why="reassign")


async def _named(scope: Scope, name: str, names: NameIndex) -> Customer:
    """The account `name` means. A name (or clear start of one) of a single account anywhere is that account, never
    "corrected" to a look-alike among those visible (艾克美工业有限公司 is not 艾克森流体设备): whether it may be
    moved is checked after. Otherwise the visible accounts the name resembles."""
    decision = names.decide(name)
    exact = await owned_anywhere(scope.session, name)
    guessed = decision.best.customer_id if decision.kind == "match" and decision.best else None
    if len(exact) == 1 and guessed != exact[0].id:
        return exact[0]
    if decision.kind == "choose":
        options = "、".join(m.name for m in decision.matches)
        raise UserInputError(f"“{name}”可能是：{options}。请写全名。", example=EXAMPLE_REASSIGN)
    if decision.kind == "none" or decision.best is None:
        if await owned_anywhere(scope.session, name):
            raise NotAllowed(f"“{name}”不在您的团队里，不能转移。", entity="customers")
        raise NotFound(f"没找到客户“{name}”。", example=EXAMPLE_REASSIGN)
    found = await customers.get(scope.session, decision.best.customer_id)
    assert found is not None
    return found


async def offboard(scope: Scope, *, person: str, to: str) -> Offboarded:
    """A leaver's whole book to a colleague, their open approvals to whoever may take them; then deactivated."""
    leaver = await _person(scope, person, EXAMPLE_OFFBOARD)
    target = await _person(scope, to, EXAMPLE_OFFBOARD)
    if leaver.id == target.id:
        raise UserInputError("离职的人和接手的人不能是同一个。", example=EXAMPLE_OFFBOARD)
    if scope.actor is not None and leaver.id == scope.actor.id:
        raise NotAllowed("不能给自己办离职交接，请让您的上级处理。", entity="users", entity_id=leaver.id)
    await _may_move(scope, leaver.id, target)
    done = [
        await _move(scope, c, target, why="offboard") for c in await transfers.owned_by(scope.session, leaver.id or 0)
    ]
    heir = target if may_delegate(Role(leaver.role), Role(target.role)) else None
    if heir is None and leaver.manager_id is not None:
        heir = await scope.session.get(User, leaver.manager_id)
    cards: list[tuple[ApproverCard, QuoteBundle]] = []
    finals: list[CardFinal] = [f for t in done for f in t.finals]
    if heir is not None:
        handed = await delegation.hand_over(scope, leaver, heir, reason="离职交接")
        cards, finals = handed.cards, [*finals, *handed.finals]
    before = snapshot(leaver)
    leaver.active = False
    leaver.updated_at = scope.clock.now()
    scope.session.add(leaver)
    await scope.record("offboard", "users", leaver.id, before=before, after={**snapshot(leaver), "to": target.name})
    return Offboarded(leaver, target, tuple(done), heir, tuple(cards), tuple(finals))


@dataclass(frozen=True)
class PendingRequest:
    """A 申请转移 waiting for this person's decision (待审批 / 转移申请)."""

    request: TransferRequest
    customer: Customer
    requester: str
    owner: str  # 公海 for none


async def pending(scope: Scope) -> list[PendingRequest]:
    out = []
    for row, account in await transfers.pending_for(scope.session, scope.user_id):
        requester = await scope.session.get(User, row.to_user_id)
        owner = await scope.session.get(User, row.from_owner_id) if row.from_owner_id else None
        out.append(PendingRequest(row, account, requester.name if requester else "?", owner.name if owner else "公海"))
    return out


# --- requests ------------------------------------------------------------------------------------------------


async def request(scope: Scope, *, customer: str, chosen: int | None = None) -> Requested | Transferred | Several:
    """申请转移: the owner's manager decides. An account in the pool, or one the asker may move, moves at once.
    A name that fits several accounts asks which (`chosen`: the one the rep picked)."""
    picked = await customers.get(scope.session, chosen) if chosen is not None else None
    found = [picked] if picked is not None else await owned_anywhere(scope.session, customer)
    if not found:
        raise NotFound(f"没有找到客户“{customer}”。请写客户全名。", example=EXAMPLE_REQUEST)
    if len(found) > 1:
        owners = [await scope.session.get(User, c.owner_id) if c.owner_id else None for c in found]
        return Several(found, [o.name if o else "公海" for o in owners])
    account = found[0]
    me = scope.user
    if account.owner_id == me.id:
        raise UserInputError(f"{account.name} 已经是您的客户了。")
    team = await users.visible_owner_ids(scope.session, me)
    if account.owner_id is None or (scope.role in MOVERS and (team is None or account.owner_id in team)):
        return await _move(scope, account, me, why="request")
    owner = await scope.session.get(User, account.owner_id)
    assert owner is not None
    decider = await _decider(scope, owner)
    existing = await transfers.pending_request(scope.session, account.id or 0)
    if existing is not None:
        who = await scope.session.get(User, existing.to_user_id)
        raise Conflict(f"{account.name} 已有转移申请（{who.name if who else '?'}），正在等经理处理。")
    row = TransferRequest(
        customer_id=account.id or 0,
        from_owner_id=owner.id,
        to_user_id=me.id or 0,
        decider_id=decider.id or 0,
        card_id=new_card_id("xfer"),
        created_at=scope.clock.now(),
    )
    scope.session.add(row)
    await scope.session.flush()
    await scope.record("create", "transfer_requests", row.id, after=snapshot(row))
    return Requested(row, account, owner, decider, me)


async def _decider(scope: Scope, owner: User) -> User:
    """The owner's nearest active manager; failing that a director, the GM, an admin."""
    seen: set[int] = set()
    current = owner
    while current.manager_id is not None and current.manager_id not in seen:
        seen.add(current.manager_id)
        boss = await scope.session.get(User, current.manager_id)
        if boss is None:
            break
        if boss.active and Role(boss.role) in MOVERS:
            return boss
        current = boss
    for role in (Role.DIRECTOR, Role.GM, Role.ADMIN):
        if holders := await users.holders_of(scope.session, role):
            return holders[0]
    raise NotFound("没有可以审批转移的经理，请联系管理员。")


async def decide(
    scope: Scope, *, approve: bool, request_id: int | None = None, customer: str | None = None, note: str = ""
) -> Transferred | Refused:
    """The manager's answer to a 申请转移 (a tap on the card, or 同意转移 / 拒绝转移 + the customer)."""
    row = await _request(scope, request_id, customer)
    account = await customers.get(scope.session, row.customer_id)
    requester = await scope.session.get(User, row.to_user_id)
    assert account is not None and requester is not None
    if row.decider_id != _actor_id(scope):
        await _may_move(scope, account.owner_id, requester)
    if row.status != "pending":
        raise Conflict(f"{account.name} 的这条转移申请已经处理过了。")
    if not await transfers.settle(
        scope.session, row, status="approved" if approve else "refused", by=_actor_id(scope), now=scope.clock.now()
    ):
        raise Conflict(f"{account.name} 的这条转移申请刚刚已被处理。")
    await scope.record(
        "decide", "transfer_requests", row.id, before={"status": "pending"}, after={"status": row.status, "note": note}
    )
    verdict = "同意" if approve else "拒绝"
    final = _request_final(row, f"已{verdict} · {scope.name} · {scope.now:%m-%d %H:%M}")
    if not approve:
        return Refused(row, account, requester, scope.name, note, final)
    if account.owner_id != row.from_owner_id:
        raise Conflict(f"{account.name} 的负责人在申请后已经变了，请让申请人重新申请。")
    moved = await _move(scope, account, requester, why="request")
    return Transferred(moved.customer, moved.from_user, moved.to_user, moved.by, moved.moved, moved.tell, final)


async def _request(scope: Scope, request_id: int | None, customer: str | None) -> TransferRequest:
    if request_id is not None:
        row = await scope.session.get(TransferRequest, request_id)
        if row is None:
            raise NotFound("这个按钮已失效。")
        return row
    found = await owned_anywhere(scope.session, customer or "")
    rows = [r for c in found if (r := await transfers.pending_request(scope.session, c.id or 0)) is not None]
    if not rows and customer and scope.actor is not None:  # 同意转移 华信: a short form of a request waiting on me
        key = normalize_name(customer)
        mine = await transfers.pending_for(scope.session, scope.user_id)
        rows = [r for r, c in mine if key and key in normalize_name(c.name)]
    if len(rows) > 1:
        raise NotFound(f"“{customer}”对应多条待处理的转移申请，请写客户全名（发“转移申请”查看）。")
    if not rows:
        raise NotFound(f"没有“{customer}”的待处理转移申请。发“转移申请”查看等您处理的申请。")
    return rows[0]
