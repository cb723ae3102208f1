"""Creating a customer: one way, with the duplicate guard, whether from `新客户 …` or from answering 是 / 2 to
kabot's own question (a colleague's account is never shadowed by a second one of the same name)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import NotAllowed
from bot.sales.scope import Scope
from core.nlu.names import normalize_name
from storage import audit
from storage.models import Customer, User
from storage.repo import names


@dataclass(frozen=True)
class CustomerFields:
    country: str | None = None
    tier: str = "C"
    industry: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class AlreadyYours:
    customer: Customer


async def create(
    scope: Scope, name: str, fields: CustomerFields = CustomerFields(), *, unsaved: str = ""
) -> Customer | AlreadyYours:
    """The new customer, or the rep's own one of that name; NotAllowed when a colleague already has it (`unsaved`
    says what else was not saved then)."""
    if existing := await names.owned_anywhere(scope.session, name):  # 艾克美, ACME, Ａ​CME …
        c = existing[0]
        if c.owner_id == scope.user_id:
            return AlreadyYours(c)
        owner = await scope.session.get(User, c.owner_id) if c.owner_id else None
        raise NotAllowed(
            f"客户“{c.name}”已存在，负责人是{owner.name if owner else '（公海）'}，未重复创建。"
            f"如需转给您，请发：申请转移 {c.name}。{unsaved}",
            entity="customers",
            entity_id=c.id,
        )
    now = scope.clock.now()
    customer = Customer(
        name=name,
        normalized_name=normalize_name(name),
        country=fields.country,
        tier=fields.tier.upper(),
        industry=fields.industry,
        source=fields.source,
        owner_id=scope.user_id,
        created_at=now,
        updated_at=now,
    )
    scope.session.add(customer)
    await scope.session.flush()
    await scope.record("create", "customers", customer.id, after=audit.snapshot(customer))
    return customer
