"""Exchange rates: set by finance (or the CLI), checked for typos, undone by whoever set them, listed with who and when.

await set_rate(scope, "USD", Decimal("7.12"))          # RateSet, or NeedsAnswer when it moves > 10 %
await set_rate(scope, "USD", Decimal("71.8"), confirmed=True)
await undo_rate(scope, "USD")                          # back to what it was before this person's change
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select

from bot.errors import Conflict, NeedsAnswer, NotAllowed, NotFound, UserInputError
from bot.sales.scope import Scope
from core.nlu.quote_commands import EXAMPLE_FX
from core.pricing import format_rate, rate_change_pct, rate_problem
from core.roles import FX_SETTERS, Role
from storage.audit import snapshot
from storage.models import AuditLog, FxRate
from storage.repo import quotes, users

ENTITY = "fx_rates"
CONFIRM = "fx_confirm"  # the open question after a big move


@dataclass(frozen=True)
class RateSet:
    currency: str
    rate: Decimal
    base: str
    previous: Decimal | None


@dataclass(frozen=True)
class RateUndone:
    currency: str
    base: str
    undone: Decimal  # the rate taken back
    restored: Decimal | None  # the rate in force again; None: the currency has no rate now


@dataclass(frozen=True)
class RateRow:
    currency: str
    rate: Decimal
    set_by: str
    set_at: datetime
    usable: bool


async def setters(scope: Scope) -> list[str]:
    return [u.name for role in FX_SETTERS for u in await users.holders_of(scope.session, role)]


async def set_rate(scope: Scope, currency: str, rate: Decimal, *, confirmed: bool = False) -> RateSet:
    """Set one rate; refused for a rep, for the base currency and for an implausible number."""
    if scope.actor is not None and scope.role not in FX_SETTERS:
        who = "、".join(await setters(scope))
        raise NotAllowed(f"只有财务或管理员可以设置汇率{f'（{who}）' if who else ''}。", entity=ENTITY)
    base = scope.settings.base_currency
    currency = currency.strip().upper()
    if currency == "RMB":
        currency = "CNY"
    if len(currency) != 3 or not currency.isalpha():
        raise UserInputError("币种请用三个字母，如 USD、EUR。", example=EXAMPLE_FX)
    if (problem := rate_problem(currency, rate, base)) is not None:
        raise UserInputError(problem, example=EXAMPLE_FX)
    row = await scope.session.get(FxRate, currency)
    current = row.rate_to_base if row is not None and row.rate_to_base > 0 else None
    limit = scope.settings.fx_confirm_change_pct
    if current is not None and not confirmed and (moved := rate_change_pct(current, rate)) > limit:
        raise NeedsAnswer(
            f"{format_rate(currency, rate, base)} 比现在的 {format_rate(currency, current, base)} 变动了 {moved}%"
            f"（超过 {limit.normalize():f}%），是不是输错了？回复“是”确认设置，回复“否”取消。",
            kind=CONFIRM,
            data={"currency": currency, "rate": str(rate)},
            unanswered=f"{currency} 的汇率没有改",
        )
    before = snapshot(row) if row is not None else None
    saved, previous = await quotes.set_rate(
        scope.session,
        currency=currency,
        rate=rate,
        source=scope.actor.name if scope.actor else "kabot fx set",
        set_by_id=scope.actor.id if scope.actor else None,
        now=scope.clock.now(),
    )
    await scope.record("update" if before else "create", ENTITY, None, before=before, after=snapshot(saved))
    return RateSet(currency, rate, base, previous)


async def undo_rate(scope: Scope, currency: str | None) -> RateUndone:
    """Take back this person's latest rate change (of `currency`), if nobody has changed that rate since."""
    q = select(AuditLog).where(
        AuditLog.entity == ENTITY, col(AuditLog.action).in_(("create", "update")), col(AuditLog.undone).is_(False)
    )
    mine = [
        a
        for a in (await scope.session.exec(q.order_by(col(AuditLog.id).desc()))).all()
        if a.after and (currency is None or a.after.get("currency") == currency)
    ]
    if not mine:
        raise NotFound(f"没有可以撤销的{currency or ''}汇率设置。")
    last = mine[0]
    assert last.after is not None
    cur = str(last.after["currency"])
    if last.actor_id != (scope.actor.id if scope.actor else None) and scope.role is not Role.ADMIN:
        raise NotAllowed(
            f"{cur} 的汇率最近一次是别人设置的，只有设置人或管理员可以撤销。", entity=ENTITY, entity_id=None
        )
    row = await scope.session.get(FxRate, cur)
    if row is None or row.rate_to_base != Decimal(str(last.after["rate_to_base"])):
        raise Conflict(f"{cur} 的汇率之后又被改过，不能撤销这次设置。请直接设置正确的汇率，例如：汇率 {cur} 7.12")
    previous = FxRate.model_validate(last.before) if last.before else None
    undone = row.rate_to_base
    restored = await quotes.restore_rate(scope.session, currency=cur, previous=previous, now=scope.clock.now())
    last.undone = True
    scope.session.add(last)
    await scope.record(
        "undo", ENTITY, None, before=last.after, after=snapshot(restored) if restored else {"currency": cur}
    )
    return RateUndone(cur, scope.settings.base_currency, undone, restored.rate_to_base if restored else None)


async def rates(scope: Scope) -> list[RateRow]:
    """Every rate with who set it and when; an unusable stored value is listed, marked."""
    names = {u.id: u.name for u in await users.all_users(scope.session)}
    return [
        RateRow(
            r.currency,
            r.rate_to_base,
            names.get(r.set_by_id, r.source) if r.set_by_id else r.source,
            r.set_at,
            r.rate_to_base is not None and r.rate_to_base > 0,
        )
        for r in await quotes.fx_rows(scope.session)
        if r.currency != scope.settings.base_currency
    ]
