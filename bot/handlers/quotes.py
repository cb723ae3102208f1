"""报价 / 加一行 / 修改 / 报价 Q-… / 汇率: quotes priced in chat, shown back as a card before they are submitted.

Numbers come from core.pricing (totals, base amount at the quote's locked rate, margin, incoterm price stack), so
the rep's card, the approver's card and the XLSX always agree. A quote keeps the rate it was priced with
(fx_rate / fx_source / fx_set_at); only `修改 Q-… 更新汇率`, or revising a quote past its validity, locks a new one.

A draft is edited in place; a quote that was ever submitted is revised into a new row (same number, revision+1),
the old one is superseded with its approvals withdrawn (their cards updated), and the new revision starts the
route again when submitted. Approval itself lives in bot/handlers/approvals.py, which builds on this module.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cards.actions import AcceptConditions, SubmitQuote
from bot.cards.model import Button, Card
from bot.context import Context
from bot.exports.quote_xlsx import QuotationLine, QuotationSheet, write_quote_xlsx
from bot.replies import CardReply, CardUpdate, FileReply, Reply, TextReply
from bot.router import Router
from bot.understand import name_index
from core.approval_policy import RejectReason
from core.money import Money, format_money
from core.nlu.quote_commands import (
    EXAMPLE_ADD,
    EXAMPLE_CREATE,
    EXAMPLE_REVISE,
    LineSpec,
    QuoteCommand,
    parse_quote_command,
)
from core.pricing import (
    FxRates,
    MissingRateError,
    PricingError,
    QuoteInput,
    QuotePricing,
    cents,
    format_rate,
    parse_incoterm,
    price_quote,
)
from core.pricing import QuoteLine as PricedLine
from core.roles import Role
from storage.audit import snapshot
from storage.models import Approval, Customer, Opportunity, Quote, QuoteLine, User
from storage.repo import approvals, customers, quotes, users

log = logging.getLogger(__name__)
router = Router("quotes")

STATUS_LABELS = {
    "draft": "草稿（未提交）",
    "pending": "审批中",
    "approved": "已批准",
    "rejected": "已驳回",
    "superseded": "已被新版本取代",
    "conditional": "有条件同意，待接受条件",
}
DECISION_LABELS = {
    "pending": "待审批",
    "waiting": "未开始",
    "approved": "已同意",
    "rejected": "已驳回",
    "conditional": "有条件同意",
    "superseded": "无需处理",
}
UNIT_LABELS = {
    "pcs": "件",
    "set": "套",
    "unit": "台",
    "pair": "双",
    "roll": "卷",
    "carton": "箱",
    "pallet": "托",
    "ton": "吨",
    "kg": "公斤",
    "m": "米",
    "container": "柜",
}
FX_SETTERS = (Role.FINANCE, Role.ADMIN)


@dataclass(frozen=True)
class QuoteBundle:
    """A quote with everything a card or the XLSX shows."""

    quote: Quote
    lines: list[QuoteLine]
    customer: Customer
    owner: User
    pricing: QuotePricing


def new_card_id(prefix: str) -> str:
    """Unique forever ([0-9A-Za-z_-]): WeCom refuses a task_id it has seen before."""
    return f"{prefix}x{uuid.uuid4().hex[:12]}"


def expires_at(quote: Quote) -> datetime:
    return quote.created_at + timedelta(days=quote.validity_days)


def expired(quote: Quote, now: datetime) -> bool:
    """Past its validity the locked rate is stale: approving needs a new revision at today's rate."""
    return now > expires_at(quote)


def expired_message(quote: Quote, owner: str, tz: ZoneInfo) -> str:
    return (
        f"{quote.number} 第{quote.revision}版已过有效期（{quote.validity_days}天，至 "
        f"{expires_at(quote).astimezone(tz):%m-%d}），锁定的汇率已不新鲜，不能批准。"
        f"请{owner}发“修改 {quote.number} 更新汇率”生成使用今天汇率的新版本，再提交审批。"
    )


def price(quote: Quote, lines: Sequence[QuoteLine], rates: FxRates) -> QuotePricing:
    """core.pricing over the stored rows; the quote's locked rate wins over today's table."""
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


# --- the card -------------------------------------------------------------------------------------------


def _qty(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def quote_body(b: QuoteBundle, tz: ZoneInfo) -> dict[str, object]:
    """The part every quote card shares (rep's card, approver's card, 详情)."""
    q, p, c = b.quote, b.pricing, b.customer
    term = f"{q.incoterm or 'FOB'}{(' ' + q.port) if q.port else ''}"
    lines = []
    for n, (row, lp) in enumerate(zip(b.lines, p.lines, strict=True), 1):
        margin = f" · 毛利 {lp.margin_pct}%" if lp.margin_pct is not None else ""
        lines.append(
            f"{n}. {row.product} {_qty(row.quantity)}{UNIT_LABELS.get(row.unit, row.unit)} × "
            f"{format_money(row.unit_price, q.currency)} = {format_money(lp.amount, q.currency)}{margin}"
        )
    terms = [f"有效期 {q.validity_days} 天（至 {expires_at(q).astimezone(tz):%Y-%m-%d}）"]
    if q.payment_terms:
        terms.append(f"付款 {q.payment_terms}")
    if q.lead_time_days:
        terms.append(f"交期 {q.lead_time_days} 天")
    fx = (
        "本位币报价，无需汇率"
        if q.currency == q.base_currency
        else (
            f"{format_rate(q.currency, p.fx_rate, q.base_currency)} · 来源 {q.fx_source or '—'} · 设置于 "
            f"{q.fx_set_at.astimezone(tz):%m-%d %H:%M}"
            if q.fx_set_at
            else format_rate(q.currency, p.fx_rate, q.base_currency)
        )
    )
    return {
        "customer": " · ".join(x for x in (c.name, f"{c.tier}级", c.country) if x),
        "status": f"第{q.revision}版 · {STATUS_LABELS.get(q.status, q.status)}",
        "lines": lines,
        "total": f"合计 {term} {format_money(p.total, q.currency)}"
        + ("" if q.currency == q.base_currency else f" ≈ {format_money(p.total_base, q.base_currency)}"),
        "margin": f"毛利 {p.margin_pct}%" if p.margin_pct is not None else "毛利未知（未填成本）",
        "stack": p.stack.lines() if len(p.stack.steps) > 1 else [],
        "fx": fx,
        "terms": " · ".join(terms),
        "notes": [n for n in p.notes if "未填成本" not in n],
    }


def quote_card(b: QuoteBundle, tz: ZoneInfo, *, history: Sequence[str] = ()) -> Card:
    """The rep's view: a draft carries the 提交 button."""
    q = b.quote
    buttons: tuple[Button, ...] = ()
    if q.status == "draft":
        buttons = (Button("提交审批", SubmitQuote(q.id or 0), "primary"),)
    return Card(
        template="quote_card",
        title=f"报价 {q.number}",
        data={**quote_body(b, tz), "history": list(history)},
        buttons=buttons,
        card_id=new_card_id(f"q{q.id}") if buttons else None,
    )


async def history(session: AsyncSession, number: str, tz: ZoneInfo) -> list[str]:
    """Every revision with its approval trail, oldest first."""
    names = {u.id: u.name for u in await users.all_users(session)}
    out: list[str] = []
    for rev in await quotes.revisions(session, number):
        assert rev.id is not None
        out.append(
            f"第{rev.revision}版 · {STATUS_LABELS.get(rev.status, rev.status)} · "
            f"{format_money(rev.total or Decimal(0), rev.currency)}"
        )
        for a in await approvals.for_quote(session, rev.id):
            when = f" {a.decided_at.astimezone(tz):%m-%d %H:%M}" if a.decided_at and a.decision != "superseded" else ""
            by = names.get(a.decided_by_id) if a.decided_by_id and a.decided_by_id != a.approver_id else None
            extra = (
                "：" + "，".join(x for x in (_reason_label(a), a.comment) if x) if (a.reason_code or a.comment) else ""
            )
            out.append(
                f"  第{a.step_no}步 {a.step_name} {names.get(a.approver_id, '?')} "
                f"{DECISION_LABELS.get(a.decision, a.decision)}{f'（{by}）' if by else ''}{when}{extra}"
            )
    return out


def _reason_label(a: Approval) -> str:
    return RejectReason(a.reason_code).label if a.reason_code else ""


# --- cards already sent to approvers --------------------------------------------------------------------


async def card_updates(ctx: Context, approval_ids: Iterable[int], text_for: Callable[[int], str]) -> list[Reply]:
    """Turn every decision card sent for these approvals into its final state (`text_for(recipient)`).

    The card the user just tapped is answered on their own channel with the click's response_code.
    """
    tapped = ctx.inbound.meta.get("task_id")
    out: list[Reply] = []
    for _, card_id, to in await approvals.cards_for(ctx.session, approval_ids):
        if card_id == tapped and to == ctx.user_id:
            out.append(CardUpdate(card_id, text_for(to), response_code=ctx.inbound.meta.get("response_code")))
        else:
            out.append(CardUpdate(card_id, text_for(to), to_user_id=to))
    return out


# --- XLSX -----------------------------------------------------------------------------------------------


def quotation_file(b: QuoteBundle, *, seller: str, tz: ZoneInfo) -> FileReply:
    q = b.quote
    sheet = QuotationSheet(
        seller_name=seller,
        buyer_name=next((a for a in b.customer.aliases if a.isascii()), b.customer.name),
        buyer_lines=tuple(x for x in (b.customer.name, b.customer.country) if x),
        quote_no=q.number,
        revision=q.revision,
        quote_date=q.created_at.astimezone(tz).date(),
        currency=q.currency,
        incoterm=q.incoterm or "FOB",
        port=q.port or "",
        lines=tuple(
            QuotationLine(row.product, row.quantity, row.unit, row.unit_price, lp.amount)
            for row, lp in zip(b.lines, b.pricing.lines, strict=True)
        ),
        total=b.pricing.total,
        validity_days=q.validity_days,
        payment_terms=q.payment_terms or "",
        lead_time=f"{q.lead_time_days} days" if q.lead_time_days else "",
        contact=b.owner.name,
    )
    return FileReply(
        f"{q.number}-R{q.revision}.xlsx",
        write_quote_xlsx(sheet),
        f"报价单 {q.number} 第{q.revision}版（{b.customer.name}）",
        to_user_id=q.owner_id,
    )


# --- handlers -------------------------------------------------------------------------------------------


def _text(message: str) -> list[Reply]:
    return [TextReply(message)]


async def _rates(ctx: Context, currency: str) -> tuple[FxRates, str | None]:
    """Today's table; the error says who can set a missing rate."""
    rates, _ = await quotes.fx_table(ctx.session, ctx.settings.base_currency)
    if rates.has(currency):
        return rates, None
    setters = [u.name for role in FX_SETTERS for u in await users.holders_of(ctx.session, role)]
    who = f"（{'、'.join(setters)}）" if setters else ""
    return rates, f"{MissingRateError(currency, rates.base)}{who}，然后再报价。"


def _lock_rate(quote: Quote, rates: FxRates, rows: dict[str, object], now: datetime) -> None:
    if quote.currency == rates.base:
        quote.fx_rate, quote.fx_source, quote.fx_set_at = Decimal(1), "本位币", now
        return
    row = rows[quote.currency]
    quote.fx_rate = rates.rate(quote.currency)
    quote.fx_source, quote.fx_set_at = row.source, row.set_at  # type: ignore[attr-defined]


def _apply_terms(quote: Quote, cmd: QuoteCommand, rates: FxRates) -> None:
    t = cmd.terms
    for name in ("incoterm", "port", "validity_days", "payment_terms", "lead_time_days"):
        value = getattr(t, name)
        if value is not None:
            setattr(quote, name, value)
    if t.incoterm is not None and t.port is None:
        quote.port = None
    if t.freight is not None:
        quote.freight = cents(rates.convert(t.freight, t.freight_currency or quote.currency, quote.currency))
    if t.insurance_pct is not None:
        quote.insurance_rate = t.insurance_pct


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


async def _resolve_customer(ctx: Context, name: str) -> Customer | str:
    """The customer a rep may quote (own; a manager: the team's), or the reply explaining why not."""
    decision = (await name_index(ctx)).decide(name)
    if decision.kind == "none":
        return f"没找到客户“{name}”。请先建客户，或写全名。\n例如：{EXAMPLE_CREATE}"
    if decision.kind == "choose":
        options = "、".join(m.name for m in decision.matches)
        return f"“{name}”可能是：{options}。请写全名再报价。"
    assert decision.best is not None
    customer = await customers.get(ctx.session, decision.best.customer_id)
    assert customer is not None
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    if owner_ids is not None and customer.owner_id not in owner_ids:
        owner = await ctx.session.get(User, customer.owner_id) if customer.owner_id else None
        return (
            f"{customer.name} 不是您（或您团队）负责的客户"
            f"{f'（负责人：{owner.name}）' if owner else '（在公海中，请先认领）'}，不能报价。"
        )
    return customer


async def _opportunity(ctx: Context, customer_id: int, hint: str | None) -> int | None:
    if not hint:
        return None
    rows = (
        await ctx.session.exec(
            select(Opportunity).where(Opportunity.customer_id == customer_id, col(Opportunity.closed_at).is_(None))
        )
    ).all()  # noqa: E711
    return next((o.id for o in rows if hint in o.title), None)


@router.intent("quote_create", help="报价（可多行，每行一个产品）", example=EXAMPLE_CREATE)
async def create_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return _text(cmd.error)
    assert cmd.customer is not None and cmd.lines
    customer = await _resolve_customer(ctx, cmd.customer)
    if isinstance(customer, str):
        return _text(customer)
    currency = cmd.lines[0].currency or "USD"
    rates, missing = await _rates(ctx, currency)
    if missing:
        return _text(missing)
    _, rows = await quotes.fx_table(ctx.session, rates.base)
    now = ctx.clock.now()
    quote = Quote(
        number="",
        customer_id=customer.id or 0,
        owner_id=ctx.user_id,
        currency=currency,
        base_currency=rates.base,
        incoterm="FOB",
        validity_days=30,
        created_at=now,
        updated_at=now,
    )
    _lock_rate(quote, rates, rows, now)  # type: ignore[arg-type]
    _apply_terms(quote, cmd, rates)
    quote.opportunity_id = await _opportunity(ctx, customer.id or 0, cmd.terms.opportunity)
    lines = [_new_line(spec, quote, n) for n, spec in enumerate(cmd.lines, 1)]
    try:
        pricing = price(quote, lines, rates)
    except PricingError as err:
        return _text(f"{err}\n例如：{EXAMPLE_CREATE}")
    _store_totals(quote, pricing)
    quote.number = await quotes.next_number(ctx.session, ctx.now.year)
    ctx.session.add(quote)
    await ctx.session.flush()
    await _save_lines(ctx, quote, lines, "create")
    bundle = QuoteBundle(quote, lines, customer, ctx.user, pricing)
    tail = (
        ""
        if cmd.terms.opportunity is None or quote.opportunity_id
        else f"（没找到商机“{cmd.terms.opportunity}”，未关联）"
    )
    return [
        TextReply(
            f"已生成报价 {quote.number}（草稿）{tail}。确认无误请点“提交审批”或发“提交 {quote.number}”；"
            f"还要加产品：加一行 {quote.number} DN80球阀 500件 120美元"
        ),
        CardReply(quote_card(bundle, ctx.tz)),
    ]


def _store_totals(quote: Quote, pricing: QuotePricing) -> None:
    quote.total, quote.total_base, quote.margin_pct = pricing.total, pricing.total_base, pricing.margin_pct


async def _own_latest(ctx: Context, number: str | None, example: str) -> Quote | str:
    if number is None:
        return f"请写明报价编号。\n例如：{example}"
    quote = await quotes.latest(ctx.session, number)
    if quote is None:
        return f"没有找到报价 {number}。"
    if quote.owner_id != ctx.user_id:
        return f"{number} 不是您的报价，只有报价负责人可以修改。"
    return quote


@router.intent("quote_add_line", help="给报价加一行", example=EXAMPLE_ADD)
async def add_line(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return _text(cmd.error)
    found = (
        await _own_latest(ctx, cmd.number, EXAMPLE_ADD)
        if cmd.number
        else (
            await quotes.latest_draft(ctx.session, ctx.user_id) or f"您没有草稿报价。请写明编号。\n例如：{EXAMPLE_ADD}"
        )
    )
    if isinstance(found, str):
        return _text(found)
    if any(spec.currency not in (None, found.currency) for spec in cmd.lines):
        return _text(f"{found.number} 是 {found.currency} 报价，新行也要用 {found.currency}。\n例如：{EXAMPLE_ADD}")
    return await _change(
        ctx,
        found,
        cmd,
        lambda rows, quote: [
            *rows,
            *(_new_line(replace(s, currency=quote.currency), quote, len(rows) + i) for i, s in enumerate(cmd.lines, 1)),
        ],
    )


@router.intent("quote_revise", help="修改报价（生成新版本，重新审批）", example=EXAMPLE_REVISE)
async def revise_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return _text(cmd.error)
    found = await _own_latest(ctx, cmd.number, EXAMPLE_REVISE)
    if isinstance(found, str):
        return _text(found)
    return await _revise(ctx, found, cmd)


async def _revise(ctx: Context, quote: Quote, cmd: QuoteCommand) -> list[Reply]:
    rows = await quotes.lines(ctx.session, quote.id or 0)
    changed: dict[int, LineSpec] = {}
    for spec in cmd.lines:
        target = _target_line(rows, spec)
        if isinstance(target, str):
            return _text(target)
        if spec.currency not in (None, quote.currency):
            return _text(f"{quote.number} 是 {quote.currency} 报价，请用 {quote.currency} 写单价。")
        changed[target] = spec

    def apply(current: list[QuoteLine], q: Quote) -> list[QuoteLine]:
        out = []
        for row in current:
            spec = changed.get(row.line_no)
            new = QuoteLine(
                quote_id=q.id or 0,
                line_no=row.line_no,
                product=row.product,
                quantity=row.quantity,
                unit=row.unit,
                unit_price=row.unit_price,
                unit_cost=row.unit_cost,
                cost_currency=row.cost_currency,
            )
            if spec is not None:
                new.unit_price = spec.unit_price if spec.unit_price is not None else new.unit_price
                new.quantity = spec.quantity if spec.quantity is not None else new.quantity
                new.unit = spec.unit or new.unit
                if spec.unit_cost is not None:
                    new.unit_cost, new.cost_currency = spec.unit_cost, spec.cost_currency or q.currency
            out.append(new)
        return out

    return await _change(ctx, quote, cmd, apply)


def _target_line(rows: Sequence[QuoteLine], spec: LineSpec) -> int | str:
    if spec.line_no is not None:
        if any(r.line_no == spec.line_no for r in rows):
            return spec.line_no
        return f"没有第 {spec.line_no} 行（共 {len(rows)} 行）。"
    if spec.product:
        hits = [r.line_no for r in rows if spec.product.lower() in r.product.lower()]
        if len(hits) == 1:
            return hits[0]
    if len(rows) == 1:
        return rows[0].line_no
    return f"这张报价有 {len(rows)} 行，请写明改第几行。\n例如：修改 Q-2026-0007 第2行 单价78美元"


async def _change(
    ctx: Context, old: Quote, cmd: QuoteCommand, new_lines: Callable[[list[QuoteLine], Quote], list[QuoteLine]]
) -> list[Reply]:
    """Edit a draft in place, or make the next revision of a submitted quote (and withdraw its approvals)."""
    now = ctx.clock.now()
    rates, missing = await _rates(ctx, old.currency)
    if missing:
        return _text(missing)
    _, fx_rows = await quotes.fx_table(ctx.session, rates.base)
    current = await quotes.lines(ctx.session, old.id or 0)
    in_place = old.status == "draft"
    quote = (
        old
        if in_place
        else Quote(
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
    )
    before = snapshot(old)
    stale = expired(old, now)
    if cmd.terms.refresh_fx or stale:
        _lock_rate(quote, rates, fx_rows, now)  # type: ignore[arg-type]
        quote.created_at = now  # today's rate re-dates the quote: validity counts from now
    _apply_terms(quote, cmd, rates)
    lines = [QuoteLine(**ln.model_dump(exclude={"id"})) for ln in new_lines(current, quote)]  # fresh rows
    try:
        pricing = price(quote, lines, rates)
    except PricingError as err:
        return _text(f"{err}\n例如：{EXAMPLE_REVISE}")
    _store_totals(quote, pricing)
    quote.updated_at = now
    replies: list[Reply] = []
    if in_place:
        for row in current:
            await ctx.session.delete(row)
        await ctx.session.flush()
        ctx.session.add(quote)
    else:
        locked = await quotes.lock(ctx.session, old.id or 0)
        if locked is None or not await quotes.bump_version(ctx.session, locked, status="superseded", now=now):
            return _text(f"{old.number} 刚刚被其他人处理了，请重新查看：报价 {old.number}")
        replies += await withdraw(ctx, locked, f"已撤回 · {old.number} 已改为第{quote.revision}版")
        ctx.session.add(quote)
        await ctx.session.flush()
    await _save_lines(ctx, quote, lines, "update" if in_place else "revise", before=before)
    customer = await customers.get(ctx.session, quote.customer_id)
    assert customer is not None
    bundle = QuoteBundle(quote, lines, customer, ctx.user, pricing)
    what = "已更新草稿" if in_place else f"已生成第{quote.revision}版（第{old.revision}版已作废，审批将从头开始）"
    fx_note = "，已使用今天的汇率" if (cmd.terms.refresh_fx or stale) and quote.currency != rates.base else ""
    if stale and not cmd.terms.refresh_fx:
        fx_note = "，原报价已过有效期，已改用今天的汇率"
    return [
        *replies,
        TextReply(f"{what} {quote.number}{fx_note}。确认后请点“提交审批”或发“提交 {quote.number}”。"),
        CardReply(quote_card(bundle, ctx.tz)),
    ]


async def withdraw(ctx: Context, quote: Quote, card_text: str) -> list[Reply]:
    """A superseded revision's open approvals are closed and every card sent for them updated."""
    rows = await approvals.for_quote(ctx.session, quote.id or 0)
    open_ids = [a.id or 0 for a in rows if a.decision in approvals.OPEN]
    await approvals.close_open(ctx.session, open_ids, by=ctx.user_id, now=ctx.clock.now(), comment=card_text)
    if open_ids:
        await ctx.record("withdraw", "approvals", quote.id, after={"approval_ids": open_ids, "why": card_text})
    return await card_updates(ctx, open_ids, lambda _to: card_text)


@router.intent("quote_accept", help="接受审批人的条件（生成新版本）", example="接受 Q-2026-0007")
async def accept_condition(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    found = await _own_latest(ctx, cmd.number, "接受 Q-2026-0007") if cmd.number else None
    if found is None:
        return _text("请写明报价编号。\n例如：接受 Q-2026-0007")
    return await accept(ctx, found)


@router.action(AcceptConditions)
async def tap_accept(ctx: Context, action: AcceptConditions) -> list[Reply]:
    quote = await quotes.get(ctx.session, action.quote_id)
    if quote is None or quote.owner_id != ctx.user_id:
        return _text("这个按钮已失效。")
    return await accept(ctx, quote)


async def accept(ctx: Context, quote: Quote | str) -> list[Reply]:
    """The approver's condition, read as a revision (`单价不低于78美元` → 单价78美元), makes the next revision."""
    if isinstance(quote, str):
        return _text(quote)
    if quote.status != "conditional":
        return _text(f"{quote.number} 第{quote.revision}版没有待接受的条件（{STATUS_LABELS.get(quote.status)}）。")
    rows = await approvals.for_quote(ctx.session, quote.id or 0)
    condition = next((a.comment for a in rows if a.decision == "conditional"), "") or ""
    cmd = parse_quote_command(f"修改 {quote.number} {condition}", now=ctx.now, tz=ctx.tz)
    if cmd is None or cmd.error:
        return _text(f"条件“{condition}”需要您自己改报价，例如：修改 {quote.number} 单价78美元")
    await ctx.record("accept_condition", "quotes", quote.id, after={"condition": condition})
    return await _revise(ctx, quote, cmd)


@router.intent("quote_show", help="查看报价和审批记录", example="报价 Q-2026-0007")
async def show_quote(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.number is None:
        return _text("请写明报价编号。\n例如：报价 Q-2026-0007")
    return await show(ctx, cmd.number)


async def show(ctx: Context, number: str) -> list[Reply]:
    quote = await quotes.latest(ctx.session, number)
    if quote is None:
        return _text(f"没有找到报价 {number}。编号形如 Q-2026-0007。")
    if not await may_see(ctx, quote):
        return _text(f"您无权查看 {number}。")
    bundle = await load(ctx.session, quote)
    return [CardReply(quote_card(bundle, ctx.tz, history=await history(ctx.session, number, ctx.tz)))]


async def may_see(ctx: Context, quote: Quote) -> bool:
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    if owner_ids is None or quote.owner_id in owner_ids or ctx.role is Role.FINANCE:
        return True
    for rev in await quotes.revisions(ctx.session, quote.number):
        if any(a.approver_id == ctx.user_id for a in await approvals.for_quote(ctx.session, rev.id or 0)):
            return True
    return False


@router.intent("fx_set", help="设置汇率（财务）", example="汇率 USD 7.12")
async def set_fx(ctx: Context, cmd: QuoteCommand) -> list[Reply]:
    if cmd.error:
        return _text(cmd.error)
    assert cmd.currency is not None and cmd.rate is not None
    if ctx.role not in FX_SETTERS:
        setters = [u.name for role in FX_SETTERS for u in await users.holders_of(ctx.session, role)]
        log.warning("fx_set refused for %s (%s)", ctx.user.name, ctx.role)
        return _text(f"只有财务或管理员可以设置汇率{f'（{chr(12289).join(setters)}）' if setters else ''}。")
    base = ctx.settings.base_currency
    if cmd.currency == base:
        return _text(f"{base} 是本位币，汇率恒为 1。")
    row, previous = await quotes.set_rate(
        ctx.session,
        currency=cmd.currency,
        rate=cmd.rate,
        source=f"{ctx.user.name}",
        set_by_id=ctx.user_id,
        now=ctx.clock.now(),
    )
    await ctx.record(
        "update" if previous is not None else "create",
        "fx_rates",
        None,
        before={"currency": cmd.currency, "rate": str(previous)} if previous is not None else None,
        after={"currency": cmd.currency, "rate": str(cmd.rate)},
    )
    was = f"（原为 {previous.normalize():f}）" if previous is not None else ""
    return _text(
        f"已设置汇率 {format_rate(cmd.currency, row.rate_to_base, base)}{was}。"
        "新报价使用此汇率；已有报价保留各自锁定的汇率。"
    )


@router.intent("fx_show", help="查看汇率表", example="汇率")
async def show_fx(ctx: Context, _cmd: QuoteCommand) -> list[Reply]:
    base = ctx.settings.base_currency
    _, rows = await quotes.fx_table(ctx.session, base)
    if not rows:
        return _text("还没有设置汇率。财务可以发：汇率 USD 7.12")
    lines = [
        f"• {format_rate(cur, r.rate_to_base, base)} · {r.source} · {r.set_at.astimezone(ctx.tz):%m-%d %H:%M}"
        for cur, r in sorted(rows.items())
    ]
    return _text("当前汇率：\n" + "\n".join(lines))


async def _save_lines(
    ctx: Context, quote: Quote, lines: list[QuoteLine], action: str, *, before: dict[str, Any] | None = None
) -> None:
    """Attach the lines to the (flushed) quote and audit the quote with its lines as one change."""
    for line in lines:
        line.quote_id = quote.id or 0
        ctx.session.add(line)
    await ctx.session.flush()
    await ctx.record(
        action, "quotes", quote.id, before=before, after={**snapshot(quote), "lines": [snapshot(ln) for ln in lines]}
    )
