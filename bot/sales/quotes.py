"""Quotes: priced, numbered, edited as drafts, revised once submitted.

Numbers come from core.pricing (totals, base amount at the quote's locked rate, margin on the VAT-free price,
incoterm price stack), so the rep's card, the approver's card and the XLSX always agree. A quote keeps the rate
it was priced with (fx_rate / fx_source / fx_set_at); only `修改 Q-… 更新汇率`, or revising a quote past its
validity, locks a new one.

A draft is edited in place; a quote that was ever submitted is revised into a new row (same number, revision+1),
the old one superseded with its open approvals withdrawn and their cards finalised. Payment terms, lead time,
validity, VAT and every line travel into the next revision unless the change says otherwise.

    drafted = await create(scope, parse_quote_command("报价 艾克美 DN50球阀 1000件 单价80美元", ...))
    drafted.bundle.pricing.margin_pct
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.sales import cards
from bot.sales.cards import CardFinal
from bot.sales.fx import setters
from bot.sales.scope import Scope
from bot.settings import Settings
from core.countries import country_code
from core.money import Money
from core.nlu.names import NameIndex
from core.nlu.normalize import normalize
from core.nlu.quote_commands import (
    EXAMPLE_ADD,
    EXAMPLE_CREATE,
    EXAMPLE_REVISE,
    LineSpec,
    QuoteCommand,
    QuoteTerms,
    gaps,
)
from core.pricing import (
    FxRates,
    MissingRateError,
    PricingError,
    QuoteInput,
    QuotePricing,
    cents,
    parse_incoterm,
    price_quote,
)
from core.pricing import QuoteLine as PricedLine
from core.quote_status import quote_status_label
from core.roles import Role
from storage.audit import snapshot
from storage.models import Approval, Customer, FxRate, Opportunity, Quote, QuoteLine, User
from storage.repo import approvals, customers, quotes, users
from storage.repo.names import owned_anywhere


@dataclass(frozen=True)
class QuoteBundle:
    """A quote with everything a card or the sheet shows."""

    quote: Quote
    lines: list[QuoteLine]
    customer: Customer
    owner: User
    pricing: QuotePricing


@dataclass(frozen=True)
class QuoteDrafted:
    """A quote created, a draft edited, or a new revision made: the rep sees it before submitting."""

    bundle: QuoteBundle
    card_id: str  # the rep's new quote card (with 提交审批)
    kind: str  # created / updated / revised
    fx_note: str = ""
    unlinked_opportunity: str | None = None  # the 商机 hint that matched nothing
    finals: tuple[CardFinal, ...] = ()  # cards the change made stale (withdrawn approvals, older drafts)
    old_revision: int | None = None


@dataclass(frozen=True)
class RevisionTrail:
    quote: Quote
    approvals: tuple[Approval, ...]


@dataclass(frozen=True)
class QuoteShown:
    bundle: QuoteBundle
    card_id: str | None  # a draft's card carries 提交审批
    trail: tuple[RevisionTrail, ...]
    names: dict[int, str] = field(default_factory=dict)


# --- pricing a stored quote ---------------------------------------------------------------------------


def expires_at(quote: Quote) -> datetime:
    return quote.created_at + timedelta(days=quote.validity_days)


def expired(quote: Quote, now: datetime) -> bool:
    """Past its validity the locked rate is stale: approving needs a new revision at today's rate."""
    return now > expires_at(quote)


def is_export(customer: Customer, currency: str, settings: Settings) -> bool:
    """A customer abroad (or, with no country on file, a foreign-currency quote) buys without Chinese VAT."""
    code = country_code(customer.country)
    if code is not None:
        return code != settings.home_country.upper()
    return currency.upper() != settings.base_currency.upper()


def vat_for(customer: Customer, currency: str, settings: Settings) -> Decimal:
    return Decimal(0) if is_export(customer, currency, settings) else settings.vat_rate


def price(quote: Quote, lines: Sequence[QuoteLine], rates: FxRates) -> QuotePricing:
    """core.pricing over the stored rows; the quote's locked rate wins over today's table. A domestic quote names no
    incoterm and is priced where the goods leave the seller, as FOB prices are."""
    term = parse_incoterm(quote.incoterm or "FOB")
    if term is None:
        raise PricingError(f"暂不支持按 {quote.incoterm} 报价，请用 EXW/FCA/FOB/CFR/CPT/CIF/CIP/DAP/DDP")
    return price_quote(
        QuoteInput(
            currency=quote.currency,
            lines=tuple(
                PricedLine(
                    ln.product,
                    ln.quantity,
                    ln.unit,
                    ln.unit_price,
                    Money(ln.unit_cost, ln.cost_currency or quote.currency) if ln.unit_cost is not None else None,
                )
                for ln in lines
            ),
            incoterm=term,
            port=quote.port or "",
            fx_rate=quote.fx_rate,
            freight=Money(quote.freight, quote.currency) if quote.freight is not None else None,
            insurance_rate_pct=quote.insurance_rate,  # stored as a percentage: 0.3 means 0.3 %
            vat_rate_pct=quote.vat_rate or Decimal(0),
            prices_include_vat=quote.tax_included,
        ),
        rates,
    )


async def load(session: AsyncSession, quote: Quote) -> QuoteBundle:
    assert quote.id is not None
    rows = await quotes.lines(session, quote.id)
    customer = await customers.get(session, quote.customer_id)
    owner = await session.get(User, quote.owner_id)
    assert customer is not None and owner is not None
    rates, _ = await quotes.fx_table(session, quote.base_currency)
    return QuoteBundle(quote, rows, customer, owner, price(quote, rows, rates))


# --- finding things -----------------------------------------------------------------------------------


async def rates_for(scope: Scope, currency: str) -> tuple[FxRates, dict[str, FxRate]]:
    """Today's table; refused, naming who can set it, when the quote's currency has no rate."""
    rates, rows = await quotes.fx_table(scope.session, scope.settings.base_currency)
    if not rates.has(currency):
        who = "、".join(await setters(scope))
        raise UserInputError(f"{MissingRateError(currency, rates.base)}{f'（{who}）' if who else ''}，然后再报价。")
    return rates, rows


async def visible_customer(scope: Scope, name: str, names: NameIndex) -> Customer:
    """The customer a person may quote (a rep their own; a manager the team's)."""
    decision = names.decide(name)
    chosen = decision.best.customer_id if decision.best else None
    if chosen is None and (elsewhere := await owned_anywhere(scope.session, name)):
        chosen = elsewhere[0].id  # a colleague's account named as such: say whose, below, not a near miss of ours
    if chosen is None and decision.kind == "choose":
        options = "、".join(m.name for m in decision.matches)
        raise UserInputError(f"“{name}”可能是：{options}。请写全名再报价。")
    if chosen is None:
        raise NotFound(f"没找到客户“{name}”。请先建客户，或写全名。", example=EXAMPLE_CREATE)
    customer = await customers.get(scope.session, chosen)
    assert customer is not None
    owner_ids = await users.visible_owner_ids(scope.session, scope.user)
    if owner_ids is not None and customer.owner_id not in owner_ids:
        owner = await scope.session.get(User, customer.owner_id) if customer.owner_id else None
        raise NotAllowed(
            f"{customer.name} 不是您（或您团队）负责的客户"
            f"{f'（负责人：{owner.name}）' if owner else '（在公海中，请先认领）'}，不能报价。"
            f"如需转给您，请发：申请转移 {customer.name}",
            entity="customers",
            entity_id=customer.id,
        )
    return customer


async def own_latest(scope: Scope, number: str | None, example: str) -> Quote:
    """The newest revision of one of the rep's own quotes; refused (and audited) for anyone else's."""
    if number is None:
        raise UserInputError("请写明报价编号。", example=example)
    quote = await quotes.latest(scope.session, number)
    if quote is None:
        raise NotFound(f"没有找到报价 {number}。编号形如 Q-2026-0007。")
    if quote.owner_id != scope.user_id:
        raise NotAllowed(f"{number} 不是您的报价，只有报价负责人可以修改或提交。", entity="quotes", entity_id=quote.id)
    return quote


async def may_see(scope: Scope, quote: Quote) -> bool:
    """Owner, the owner's managers, everyone-seeing roles, finance, and anyone it was routed to."""
    owner_ids = await users.visible_owner_ids(scope.session, scope.user)
    if owner_ids is None or quote.owner_id in owner_ids or scope.role is Role.FINANCE:
        return True
    for rev in await quotes.revisions(scope.session, quote.number):
        if any(a.approver_id == scope.user_id for a in await approvals.for_quote(scope.session, rev.id or 0)):
            return True
    return False


async def _opportunity(session: AsyncSession, customer_id: int, hint: str | None) -> int | None:
    if not hint:
        return None
    rows = (
        await session.exec(
            select(Opportunity).where(Opportunity.customer_id == customer_id, col(Opportunity.closed_at).is_(None))
        )
    ).all()
    return next((o.id for o in rows if hint in o.title), None)


# --- changes -------------------------------------------------------------------------------------------


def _lock_rate(quote: Quote, rates: FxRates, rows: dict[str, FxRate], now: datetime) -> None:
    if quote.currency == rates.base:
        quote.fx_rate, quote.fx_source, quote.fx_set_at = Decimal(1), "本位币", now
        return
    row = rows[quote.currency]
    quote.fx_rate = rates.rate(quote.currency)
    quote.fx_source, quote.fx_set_at = row.source, row.set_at


def apply_terms(quote: Quote, terms: QuoteTerms, rates: FxRates) -> None:
    """Quote-level terms the message gave; everything it did not give stays as it was."""
    for name in ("incoterm", "port", "validity_days", "payment_terms", "lead_time_days", "tax_included"):
        value = getattr(terms, name)
        if value is not None:
            setattr(quote, name, value)
    if terms.incoterm is not None and terms.port is None:
        quote.port = None
    if terms.freight is not None:
        quote.freight = cents(rates.convert(terms.freight, terms.freight_currency or quote.currency, quote.currency))
    if terms.insurance_pct is not None:
        quote.insurance_rate = terms.insurance_pct


def _new_line(spec: LineSpec, quote: Quote, line_no: int) -> QuoteLine:
    assert spec.quantity is not None and spec.unit_price is not None
    return QuoteLine(
        quote_id=quote.id or 0,
        line_no=line_no,
        product=spec.product,
        quantity=spec.quantity,
        unit=spec.unit or "pcs",
        unit_price=spec.unit_price,
        unit_cost=spec.unit_cost,
        cost_currency=spec.cost_currency or (quote.currency if spec.unit_cost is not None else None),
    )


def _store_totals(quote: Quote, pricing: QuotePricing) -> None:
    quote.total, quote.total_base, quote.margin_pct = pricing.total, pricing.total_base, pricing.margin_pct


def _priced(quote: Quote, lines: Sequence[QuoteLine], rates: FxRates, example: str) -> QuotePricing:
    try:
        return price(quote, lines, rates)
    except PricingError as err:
        raise UserInputError(str(err), example=example) from None


def _name_runs_on(cmd: QuoteCommand, names: NameIndex) -> QuoteCommand:
    """`quote Thames Engineering DN25 …`: the grammar cannot know where a name of several words ends; when a known
    customer's name runs on into the first line, the words go to the customer, not the product."""
    if not cmd.customer or not cmd.lines or not cmd.lines[0].product:
        return cmd
    joined = normalize(f"{cmd.customer} {cmd.lines[0].product}")
    ends = [m.end for m in names.find_in(joined) if m.start == 0 and m.end > len(normalize(cmd.customer))]
    rest = joined[max(ends) :].strip() if ends else ""
    if not rest:
        return cmd
    first = replace(cmd.lines[0], product=rest)
    return replace(cmd, customer=joined[: max(ends)].strip(), lines=(first, *cmd.lines[1:]))


@dataclass(frozen=True)
class LinesAsked:
    """A new quote that cannot be priced yet: its customer, and what the rep still has to give (nothing saved)."""

    customer: Customer
    cmd: QuoteCommand
    gaps: tuple[str, ...]


async def ask_for_lines(scope: Scope, cmd: QuoteCommand, names: NameIndex) -> LinesAsked:
    """给北风做个报价 FOB 宁波 美元: the customer and currency are checked now (refused as `create` would refuse
    them), so the answer with the products only has to complete the draft."""
    assert cmd.customer is not None
    cmd = _name_runs_on(cmd, names)
    assert cmd.customer is not None
    customer = await visible_customer(scope, cmd.customer, names)
    if cmd.currency:
        await rates_for(scope, cmd.currency)
    return LinesAsked(customer, cmd, gaps(cmd))


async def create(scope: Scope, cmd: QuoteCommand, names: NameIndex) -> QuoteDrafted:
    """A new quote, as a draft the rep checks before submitting."""
    assert cmd.customer is not None and cmd.lines and not gaps(cmd)
    cmd = _name_runs_on(cmd, names)
    assert cmd.customer is not None
    customer = await visible_customer(scope, cmd.customer, names)
    currency = cmd.lines[0].currency or cmd.currency or "USD"
    rates, fx_rows = await rates_for(scope, currency)
    now = scope.clock.now()
    quote = Quote(
        number="",
        customer_id=customer.id or 0,
        owner_id=scope.user_id,
        currency=currency,
        base_currency=rates.base,
        incoterm="FOB" if is_export(customer, currency, scope.settings) else None,
        validity_days=30,
        vat_rate=vat_for(customer, currency, scope.settings),
        created_at=now,
        updated_at=now,
    )
    _lock_rate(quote, rates, fx_rows, now)
    apply_terms(quote, cmd.terms, rates)
    quote.opportunity_id = await _opportunity(scope.session, customer.id or 0, cmd.terms.opportunity)
    lines = [_new_line(spec, quote, n) for n, spec in enumerate(cmd.lines, 1)]
    pricing = _priced(quote, lines, rates, EXAMPLE_CREATE)
    _store_totals(quote, pricing)
    quote.number = await quotes.next_number(scope.session, scope.now.year)
    scope.session.add(quote)
    await scope.session.flush()
    await _save_lines(scope, quote, lines, "create")
    card_id = await _draft_card(scope, quote)
    missing = cmd.terms.opportunity if cmd.terms.opportunity and not quote.opportunity_id else None
    return QuoteDrafted(QuoteBundle(quote, lines, customer, scope.user, pricing), card_id, "created", "", missing)


async def add_lines(scope: Scope, cmd: QuoteCommand) -> QuoteDrafted:
    """New lines on a draft (or, on a submitted quote, a new revision with them)."""
    if cmd.number:
        found = await own_latest(scope, cmd.number, EXAMPLE_ADD)
    else:
        found = await quotes.latest_with_status(scope.session, scope.user_id, "draft")  # type: ignore[assignment]
        if found is None:
            raise UserInputError("您没有草稿报价。请写明编号。", example=EXAMPLE_ADD)
    if any(spec.currency not in (None, found.currency) for spec in cmd.lines):
        raise UserInputError(
            f"{found.number} 是 {found.currency} 报价，新行也要用 {found.currency}。", example=EXAMPLE_ADD
        )

    def extend(rows: list[QuoteLine], quote: Quote) -> list[QuoteLine]:
        start = len(rows)
        added = [_new_line(replace(s, currency=quote.currency), quote, start + i) for i, s in enumerate(cmd.lines, 1)]
        return [*rows, *added]

    return await change(scope, found, cmd.terms, extend)


async def revise(scope: Scope, cmd: QuoteCommand, names: NameIndex | None = None) -> QuoteDrafted:
    """`修改 Q-… 第2行 单价78美元 付款方式 …`: exactly what the rep wrote changes. Named by its customer
    (给穆勒重新报个价 降到3万欧), it is the rep's newest quote for that customer."""
    if cmd.number is None and cmd.customer and names is not None:
        quote = await _newest_for(scope, await visible_customer(scope, cmd.customer, names))
    else:
        quote = await own_latest(scope, cmd.number, EXAMPLE_REVISE)
    rows = await quotes.lines(scope.session, quote.id or 0)
    changed: dict[int, LineSpec] = {}
    for spec in cmd.lines:
        if spec.currency not in (None, quote.currency):
            raise UserInputError(f"{quote.number} 是 {quote.currency} 报价，请用 {quote.currency} 写单价。")
        changed[_target_line(rows, spec)] = spec
    return await change(
        scope, quote, cmd.terms, lambda current, q: [_changed(r, changed.get(r.line_no), q) for r in current]
    )


async def _newest_for(scope: Scope, customer: Customer) -> Quote:
    found = await quotes.newest_of_customer(scope.session, customer.id or 0, scope.user_id)
    if found is None:
        example = f"报价 {customer.name} DN50球阀 1000件 单价80美元"
        raise NotFound(f"{customer.name} 还没有您的报价，没有可以修改的。", example=example)
    return found


def _changed(row: QuoteLine, spec: LineSpec | None, quote: Quote) -> QuoteLine:
    new = QuoteLine(**row.model_dump(exclude={"id", "quote_id"}), quote_id=quote.id or 0)
    if spec is None:
        return new
    new.quantity = spec.quantity if spec.quantity is not None else new.quantity
    new.unit_price = _unit_price(spec, row, new.quantity) if spec.unit_price is not None else new.unit_price
    new.unit = spec.unit or new.unit
    new.product = spec.rename or new.product
    if spec.unit_cost is not None:
        new.unit_cost, new.cost_currency = spec.unit_cost, spec.cost_currency or quote.currency
    return new


def _unit_price(spec: LineSpec, row: QuoteLine, quantity: Decimal) -> Decimal:
    """A price said as the line's total (总价, or 降到3万欧 when it is nearer the line's total than its unit price)
    is divided by the quantity; 单价 and a price near the unit price are per unit."""
    assert spec.unit_price is not None
    whole = spec.per_unit is False or (
        spec.per_unit is None and quantity > 1 and spec.unit_price > row.unit_price * quantity.sqrt()
    )
    return (spec.unit_price / quantity).quantize(Decimal("0.0001")) if whole else spec.unit_price


def _target_line(rows: Sequence[QuoteLine], spec: LineSpec) -> int:
    if spec.line_no is not None:
        if any(r.line_no == spec.line_no for r in rows):
            return spec.line_no
        raise UserInputError(f"没有第 {spec.line_no} 行（共 {len(rows)} 行）。")
    if spec.product:
        hits = [r.line_no for r in rows if spec.product.lower() in r.product.lower()]
        if len(hits) == 1:
            return hits[0]
    if len(rows) == 1:
        return rows[0].line_no
    raise UserInputError(f"这张报价有 {len(rows)} 行，请写明改第几行。", example="修改 Q-2026-0007 第2行 单价78美元")


LinesChange = Callable[[list[QuoteLine], Quote], list[QuoteLine]]


async def change(
    scope: Scope,
    old: Quote,
    terms: QuoteTerms,
    new_lines: LinesChange,
    *,
    card: bool = True,
) -> QuoteDrafted:
    """Edit a draft in place, or make the next revision of a submitted quote (and withdraw its approvals)."""
    now = scope.clock.now()
    rates, fx_rows = await rates_for(scope, old.currency)
    current = await quotes.lines(scope.session, old.id or 0)
    in_place = old.status == "draft"
    quote = old if in_place else next_revision(old, now)
    before = snapshot(old)
    stale = expired(old, now)
    if terms.refresh_fx or stale:
        _lock_rate(quote, rates, fx_rows, now)
        quote.created_at = now  # today's rate re-dates the quote: validity counts from now
    apply_terms(quote, terms, rates)
    customer = await customers.get(scope.session, quote.customer_id)
    assert customer is not None
    quote.vat_rate = vat_for(customer, quote.currency, scope.settings)
    lines = [QuoteLine(**ln.model_dump(exclude={"id"})) for ln in new_lines(current, quote)]  # fresh rows
    pricing = _priced(quote, lines, rates, EXAMPLE_REVISE)
    _store_totals(quote, pricing)
    quote.updated_at = now
    finals: list[CardFinal] = []
    if in_place:
        for row in current:
            await scope.session.delete(row)
        await scope.session.flush()
        scope.session.add(quote)
        finals += await cards.close(
            scope, lambda _to: "已修改，请看新的报价卡片", quote_ids=[quote.id or 0], kinds=[cards.SUBMIT]
        )
    else:
        locked = await quotes.lock(scope.session, old.id or 0)
        if locked is None or not await quotes.bump_version(scope.session, locked, status="superseded", now=now):
            raise Conflict(f"{old.number} 刚刚被其他人处理了，请重新查看：报价 {old.number}", entity="quotes")
        finals += await withdraw(scope, locked, f"已撤回 · {old.number} 已改为第{quote.revision}版")
        scope.session.add(quote)
        await scope.session.flush()
    await _save_lines(scope, quote, lines, "update" if in_place else "revise", before=before)
    card_id = await _draft_card(scope, quote) if card else ""
    fx_note = "，已使用今天的汇率" if (terms.refresh_fx or stale) and quote.currency != rates.base else ""
    if stale and not terms.refresh_fx:
        fx_note = "，原报价已过有效期，已改用今天的汇率"
    owner = await scope.session.get(User, quote.owner_id)
    assert owner is not None
    return QuoteDrafted(
        QuoteBundle(quote, lines, customer, owner, pricing),
        card_id,
        "updated" if in_place else "revised",
        fx_note,
        None,
        tuple(finals),
        None if in_place else old.revision,
    )


def next_revision(old: Quote, now: datetime) -> Quote:
    """The next revision's row: the same number and terms, a draft again."""
    return Quote(
        **{
            **old.model_dump(exclude={"id"}),
            "revision": old.revision + 1,
            "status": "draft",
            "version": 1,
            "submitted_at": None,
            "decided_at": None,
            "created_at": now,
        }
    )


@dataclass(frozen=True)
class Unsubmitted:
    """撤销 of a submission: the quote is a draft again; its approvers' cards are closed and they are told."""

    number: str
    told: tuple[int, ...]  # the approvers whose cards were open
    finals: tuple[CardFinal, ...]


async def unsubmit(scope: Scope, quote_id: int) -> Unsubmitted:
    """Take a submission back while nobody has decided on it yet; after a decision it stays (say so)."""
    quote = await quotes.lock(scope.session, quote_id)
    if quote is None:
        raise NotFound("这个报价已不存在。")
    rows = await approvals.for_quote(scope.session, quote_id)
    if quote.status != "pending" or any(a.decision not in approvals.OPEN for a in rows):
        raise Conflict(
            f"{quote.number} 已经有人审批过了（{quote_status_label(quote.status)}），不能撤销提交；"
            f"要改请发：修改 {quote.number} 单价78美元"
        )
    told = tuple(dict.fromkeys(a.approver_id for a in rows if a.decision == "pending"))
    finals = await withdraw(scope, quote, f"已撤回 · {scope.name} 撤销了提交")
    if not await quotes.bump_version(scope.session, quote, status="draft", now=scope.clock.now()):
        raise Conflict(f"{quote.number} 刚刚被修改了，请重新查看：报价 {quote.number}")
    await scope.record("unsubmit", "quotes", quote.id, before={"status": "pending"}, after={"status": "draft"})
    return Unsubmitted(quote.number, told, tuple(finals))


async def withdraw(scope: Scope, quote: Quote, card_text: str) -> list[CardFinal]:
    """A superseded revision's open approvals are closed and every card sent for them finalised."""
    rows = await approvals.for_quote(scope.session, quote.id or 0)
    open_ids = [a.id or 0 for a in rows if a.decision in approvals.OPEN]
    await approvals.close_open(scope.session, open_ids, by=scope.user_id, now=scope.clock.now(), comment=card_text)
    if open_ids:
        await scope.record("withdraw", "approvals", quote.id, after={"approval_ids": open_ids, "why": card_text})
    return await cards.close(
        scope,
        lambda _to: card_text,
        approval_ids=[a.id or 0 for a in rows],
        quote_ids=[quote.id or 0],
        kinds=[cards.SUBMIT, cards.CONDITION],
    )


async def _draft_card(scope: Scope, quote: Quote) -> str:
    """A draft's card carries 提交审批; it is remembered so a later edit or submit can finalise it."""
    card_id = cards.new_card_id(f"q{quote.id}")
    if quote.status == "draft":
        await cards.sent(scope, card_id=card_id, kind=cards.SUBMIT, quote_id=quote.id or 0, to_user_id=quote.owner_id)
    return card_id


async def _save_lines(
    scope: Scope, quote: Quote, lines: list[QuoteLine], action: str, *, before: dict[str, object] | None = None
) -> None:
    """Attach the lines to the (flushed) quote and audit the quote with its lines as one change."""
    for line in lines:
        line.quote_id = quote.id or 0
        scope.session.add(line)
    await scope.session.flush()
    await scope.record(
        action, "quotes", quote.id, before=before, after={**snapshot(quote), "lines": [snapshot(ln) for ln in lines]}
    )


# --- reading -------------------------------------------------------------------------------------------


async def show(scope: Scope, number: str) -> QuoteShown:
    """The newest revision with every revision's approval trail; only for those who may see it."""
    quote = await quotes.latest(scope.session, number)
    if quote is None:
        raise NotFound(f"没有找到报价 {number}。编号形如 Q-2026-0007。")
    if not await may_see(scope, quote):
        raise NotAllowed(f"您无权查看 {number}。", entity="quotes", entity_id=quote.id)
    bundle = await load(scope.session, quote)
    trail = tuple(
        [
            RevisionTrail(rev, tuple(await approvals.for_quote(scope.session, rev.id or 0)))
            for rev in await quotes.revisions(scope.session, number)
        ]
    )
    names = {u.id or 0: u.name for u in await users.all_users(scope.session)}
    card_id = None
    if quote.status == "draft" and quote.owner_id == scope.user_id:
        card_id = await _draft_card(scope, quote)
    return QuoteShown(bundle, card_id, trail, names)
