"""What people see of quotes and approvals: the cards (channel-neutral) and the texts, built from the outcomes
of bot.sales. No state changes here; every card id was recorded by the service that decided to send it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.cards.actions import AcceptConditions, ApprovalTap, SubmitQuote, Tap
from bot.cards.model import Button, Card
from bot.exports.quote_xlsx import LABELS, QuotationLine, QuotationSheet, sheet_language, write_quote_xlsx
from bot.replies import CardReply, FileReply, Reply, TextReply
from bot.sales.approvals import (
    ApproverCard,
    ConditionsAccepted,
    Decided,
    Expired,
    PendingItem,
    Progress,
    Submitted,
    expired_text,
)
from bot.sales.contacts import KEPT as KEPT_CONTACT_FIELDS
from bot.sales.contacts import LABELS as CONTACT_LABELS
from bot.sales.contacts import SEPARATOR as CONTACT_SEPARATOR
from bot.sales.contacts import ContactAdded, ContactUpdated
from bot.sales.delegation import Delegated
from bot.sales.fx import RateRow, RateSet, RateUndone
from bot.sales.quotes import LinesAsked, QuoteBundle, QuoteDrafted, QuoteShown, RevisionTrail, expires_at
from bot.sales.scope import Scope
from bot.settings import Settings
from core.approval_policy import RejectReason
from core.conditions import Effect
from core.countries import country_name, country_name_en
from core.money import format_money
from core.nlu.quote_commands import LineSpec
from core.pricing import format_rate
from core.quote_status import quote_status_label
from core.timefmt import format_due
from storage.models import Task

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
EFFECT_MARK = {Effect.KEPT: "✓", Effect.CHANGED: "→", Effect.MANUAL: "！"}


# --- cards -----------------------------------------------------------------------------------------------


def _qty(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _vat(b: QuoteBundle) -> str:
    p = b.pricing
    if not p.vat_rate_pct:
        return "出口报价，增值税 0%" if b.quote.tax_included is not None else ""
    rate = f"{p.vat_rate_pct.normalize():f}%"
    if p.prices_include_vat:
        return f"含税价（增值税 {rate}），毛利按不含税价计算"
    if p.prices_include_vat is False:
        return f"不含税价（另加增值税 {rate}）"
    return ""


def quote_body(b: QuoteBundle, tz: ZoneInfo) -> dict[str, object]:
    """The part every quote card shares (rep's card, approver's card, 详情)."""
    q, p, c = b.quote, b.pricing, b.customer
    term = " ".join(x for x in (q.incoterm, q.port) if x)  # a domestic quote names no incoterm
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
    if vat := _vat(b):
        terms.append(vat)
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
        "customer": " · ".join(x for x in (c.name, f"{c.tier}级", country_name(c.country)) if x),
        "status": f"第{q.revision}版 · {quote_status_label(q.status)}",
        "lines": lines,
        "total": " ".join(x for x in ("合计", term, format_money(p.total, q.currency)) if x)
        + ("" if q.currency == q.base_currency else f" ≈ {format_money(p.total_base, q.base_currency)}"),
        "amount": format_money(p.total, q.currency),  # a card's rows: the figures alone, never cut by the term
        "amount_base": "" if q.currency == q.base_currency else format_money(p.total_base, q.base_currency),
        "margin": f"毛利 {p.margin_pct}%" if p.margin_pct is not None else "毛利未知（未填成本）",
        "stack": p.stack.lines() if len(p.stack.steps) > 1 else [],
        "fx": fx,
        "terms": " · ".join(terms),
        "payment": q.payment_terms or "",
        "notes": [n for n in p.notes if "未填成本" not in n],
    }


def quote_card(b: QuoteBundle, tz: ZoneInfo, card_id: str | None, *, history: Sequence[str] = ()) -> Card:
    """The rep's view: a draft carries the 提交 button."""
    q = b.quote
    buttons: tuple[Button, ...] = ()
    if q.status == "draft" and card_id:
        buttons = (Button("提交审批", SubmitQuote(q.id or 0), "primary"),)
    return Card(
        template="quote_card",
        title=f"报价 {q.number}",
        data={**quote_body(b, tz), "history": list(history)},
        buttons=buttons,
        ref=card_id if buttons else None,
    )


def approval_card(b: QuoteBundle, c: ApproverCard, tz: ZoneInfo) -> Card:
    a = c.approval
    data: dict[str, object] = {
        **quote_body(b, tz),
        "requester": b.owner.name,
        "step": a.step_no,
        "steps": c.steps,
        "step_name": a.step_name,
        "reasons": a.reason or a.step_name,
        "conditions": list(c.conditions),
        "comments": list(c.comments),
    }
    key = a.id or 0
    return Card(
        template="approval_request",
        title=f"报价审批 {b.quote.number} 第{b.quote.revision}版",
        data=data,
        buttons=(
            Button("同意", ApprovalTap(key, Tap.APPROVE), "primary"),
            Button("驳回", ApprovalTap(key, Tap.REJECT), "danger"),
            Button("有条件同意", ApprovalTap(key, Tap.CONDITIONAL)),
            Button("详情", ApprovalTap(key, Tap.DETAILS)),
        ),
        ref=c.card_id,
    )


def _approver_cards(b: QuoteBundle, new: Sequence[ApproverCard], tz: ZoneInfo) -> list[Reply]:
    return [CardReply(approval_card(b, c, tz), to_user_id=c.approval.approver_id) for c in new]


def history_lines(trail: Sequence[RevisionTrail], names: dict[int, str], tz: ZoneInfo) -> list[str]:
    """Every revision with its approval trail, oldest first."""
    out: list[str] = []
    for t in trail:
        rev = t.quote
        out.append(
            f"第{rev.revision}版 · {quote_status_label(rev.status)} · "
            f"{format_money(rev.total or Decimal(0), rev.currency)}"
        )
        for a in t.approvals:
            when = f" {a.decided_at.astimezone(tz):%m-%d %H:%M}" if a.decided_at and a.decision != "superseded" else ""
            by = names.get(a.decided_by_id) if a.decided_by_id and a.decided_by_id != a.approver_id else None
            reason = RejectReason(a.reason_code).label if a.reason_code else ""
            words = "，".join(x for x in (reason, a.comment) if x)
            out.append(
                f"  第{a.step_no}步 {a.step_name} {names.get(a.approver_id, '?')} "
                f"{DECISION_LABELS.get(a.decision, a.decision)}{f'（{by}）' if by else ''}{when}"
                f"{f'：{words}' if words else ''}"
            )
    return out


# --- the sheet ---------------------------------------------------------------------------------------------


def quotation_file(b: QuoteBundle, *, settings: Settings, tz: ZoneInfo, conditions: Sequence[str] = ()) -> FileReply:
    """The buyer's sheet: in the customer's language, marked DRAFT / 草稿 unless approved."""
    q, c = b.quote, b.customer
    lang = sheet_language(c.country, home=settings.home_country.upper())
    buyer = c.name if lang == "zh" else next((a for a in c.aliases if a.isascii()), c.name)
    country = country_name(c.country) if lang == "zh" else country_name_en(c.country)
    sheet = QuotationSheet(
        seller_name=settings.company_name,
        buyer_name=buyer,
        buyer_lines=tuple(x for x in (c.name if buyer != c.name else "", country) if x),
        quote_no=q.number,
        revision=q.revision,
        quote_date=q.created_at.astimezone(tz).date(),
        currency=q.currency,
        incoterm=q.incoterm or "",
        port=q.port or "",
        lines=tuple(
            QuotationLine(row.product, row.quantity, row.unit, row.unit_price, lp.amount)
            for row, lp in zip(b.lines, b.pricing.lines, strict=True)
        ),
        total=b.pricing.total,
        validity_days=q.validity_days,
        payment_terms=q.payment_terms or "",
        lead_time=LABELS[lang]["lead_time_value"].format(days=q.lead_time_days) if q.lead_time_days else "",
        contact=b.owner.name,
        language=lang,
        draft=q.status != "approved",
        vat_rate=b.pricing.vat_rate_pct if b.pricing.prices_include_vat is not None else None,
        vat_included=bool(b.pricing.prices_include_vat),
        remarks=tuple(conditions),
    )
    return FileReply(
        f"{q.number}-R{q.revision}.xlsx",
        write_quote_xlsx(sheet),
        f"报价单 {q.number} 第{q.revision}版（{c.name}）",
        to_user_id=q.owner_id,
    )


# --- quotes ------------------------------------------------------------------------------------------------


def drafted(d: QuoteDrafted, tz: ZoneInfo) -> list[Reply]:
    q = d.bundle.quote
    if d.kind == "created":
        tail = f"（没找到商机“{d.unlinked_opportunity}”，未关联）" if d.unlinked_opportunity else ""
        text = (
            f"已生成报价 {q.number}（草稿）{tail}。确认无误请点“提交审批”或发“提交 {q.number}”；"
            f"还要加产品：加一行 {q.number} DN80球阀 500件 120美元"
        )
    else:
        what = (
            "已更新草稿"
            if d.kind == "updated"
            else f"已生成第{q.revision}版（第{d.old_revision}版已作废，审批将从头开始）"
        )
        text = f"{what} {q.number}{d.fx_note}。确认后请点“提交审批”或发“提交 {q.number}”。"
    return [TextReply(text), CardReply(quote_card(d.bundle, tz, d.card_id))]


def lines_asked(a: LinesAsked) -> str:
    """What a quote request still lacks, with an answer to copy; nothing is saved until it is given."""
    cmd = a.cmd
    said = [
        " ".join(x for x in (cmd.terms.incoterm, cmd.terms.port) if x),
        cmd.currency or "",
        f"有效期 {cmd.terms.validity_days} 天" if cmd.terms.validity_days else "",
        *(_line_said(ln) for ln in cmd.lines),
    ]
    given = "、".join(x for x in said if x)
    return (
        f"好的，给 {a.customer.name} 报价{f'（{given}）' if given else ''}。还缺：{'、'.join(a.gaps)}。\n"
        f"请回复，例如：{_answer_example(a)}\n"
        "（报价还没有保存，回复后生成草稿；不报了请回复“取消”。）"
    )


_UNIT_WORDS = {"pcs": "件", "unit": "台", "set": "套", "pair": "双", "carton": "箱", "ton": "吨", "container": "柜"}


def _line_said(line: LineSpec) -> str:
    parts = [line.product]
    if line.quantity is not None:
        parts.append(f"{line.quantity.normalize():f}{_UNIT_WORDS.get(line.unit or '', line.unit or '')}")
    if line.unit_price is not None:
        parts.append(f"{'总价' if line.per_unit is False else '单价'} {line.unit_price.normalize():f}")
    return " ".join(p for p in parts if p)


def _answer_example(a: LinesAsked) -> str:
    currency = a.cmd.currency or "USD"
    if not a.cmd.lines:
        return f"DN50球阀 1000件 单价80 {currency}"
    parts = []
    for what in a.gaps:
        if what == "产品名称":
            parts.append("控制阀")
        elif what.endswith("的数量"):
            parts.append("100件")
        elif what.endswith("的单价"):
            parts.append(f"单价80 {currency}" if a.cmd.currency else "单价80美元")
        elif what == "币种" and not any(p.startswith("单价") for p in parts):
            parts.append("美元")
    return " ".join(dict.fromkeys(parts))


def shown(s: QuoteShown, tz: ZoneInfo) -> list[Reply]:
    return [CardReply(quote_card(s.bundle, tz, s.card_id, history=history_lines(s.trail, s.names, tz)))]


# --- approvals -----------------------------------------------------------------------------------------------


def _approved_file(p: Progress, scope: Scope) -> FileReply:
    return quotation_file(p.bundle, settings=scope.settings, tz=scope.tz, conditions=p.conditions)


def submitted(s: Submitted, scope: Scope) -> list[Reply]:
    q = s.progress.bundle.quote
    skipped = "".join(f"（{x}）" for x in s.skipped)
    if s.progress.status == "approved" and not s.route:
        return [
            TextReply(f"{q.number} 按审批策略无需审批，已直接批准。{skipped}"),
            _approved_file(s.progress, scope),
        ]
    carried = f"（沿用第{q.revision - 1}版的同意）"
    lines = "\n".join(
        f"{n}. {r.name}：{'、'.join(r.approvers)} — {r.reason}{carried if r.carried else ''}"
        for n, r in enumerate(s.route, 1)
    )
    head = f"已提交 {q.number} 第{q.revision}版，审批路线：\n{lines}{skipped}"
    if s.progress.status == "approved":
        return [
            TextReply(f"{head}\n✅ 各步均已同意，报价已批准，报价单见下一条消息。"),
            _approved_file(s.progress, scope),
        ]
    return [
        *_approver_cards(s.progress.bundle, s.progress.cards, scope.tz),
        TextReply(f"{head}\n现在等 {'、'.join(s.progress.waiting)} 审批，每一步有结果我都会告诉您。"),
    ]


def decided(d: Decided, scope: Scope) -> list[Reply]:
    """The approver's answer, the rep's notice, and the next approvers' cards."""
    q, owner = d.progress.bundle.quote, d.progress.bundle.quote.owner_id
    replies: list[Reply] = [TextReply(f"{d.label} {q.number} 第{q.revision}版（{d.where}）。")]
    head = f"{q.number} 第{q.revision}版 {d.where}：{d.decider} {d.label}"
    said = f"，附言：{d.comment}" if d.comment else ""
    p = d.progress
    if p.status == "approved":
        cond = f"（附条件：{'；'.join(p.conditions)}）" if p.conditions else ""
        replies += [
            TextReply(f"✅ {head}{said}。报价已批准{cond}，报价单见下一条消息。", to_user_id=owner),
            _approved_file(p, scope),
        ]
    elif p.status == "rejected":
        more = f"，{d.comment}" if d.comment and d.comment != (d.reason.label if d.reason else "") else ""
        replies.append(
            TextReply(f"❌ {head}{more}。可以修改后重新提交，例如：修改 {q.number} 单价85美元", to_user_id=owner)
        )
    elif p.status == "conditional":
        replies.append(CardReply(condition_card(d, scope.tz), to_user_id=owner))
    elif not p.moved_on:
        replies.append(TextReply(f"{head}{said}，还需 {'、'.join(p.waiting)} 同意。", to_user_id=owner))
    else:
        replies += [
            *_approver_cards(p.bundle, p.cards, scope.tz),
            TextReply(
                f"{head}{said}。现在等第{p.step_no}步 {p.step_name}：{'、'.join(p.waiting)} 审批。", to_user_id=owner
            ),
        ]
    return replies


def condition_card(d: Decided, tz: ZoneInfo) -> Card:
    q = d.progress.bundle.quote
    return Card(
        template="approval_condition",
        title=f"有条件同意 {q.number}",
        data={
            **quote_body(d.progress.bundle, tz),
            "approver": d.decider,
            "condition": d.condition,
            "number": q.number,
        },
        buttons=(Button("接受条件", AcceptConditions(q.id or 0), "primary"),),
        ref=d.condition_card_id,
    )


def expired_refusal(e: Expired, scope: Scope) -> list[Reply]:
    q = e.bundle.quote
    return [
        TextReply(expired_text(q, e.bundle.owner.name, scope)),
        TextReply(
            f"{e.approver} 想批准 {q.number}，但它已过有效期。请发“修改 {q.number} 更新汇率”生成新版本后重新提交。",
            to_user_id=q.owner_id,
        ),
    ]


def accepted(a: ConditionsAccepted, scope: Scope) -> list[Reply]:
    lines = "\n".join(f"{EFFECT_MARK[r.effect]} {r.clause.text}：{r.detail}" for r in a.applied.results)
    todo = "\n请您自行处理标“！”的条件。" if a.applied.manual else ""
    replies: list[Reply] = [TextReply(f"已接受 {a.number} 的条件：\n{lines}{todo}")]
    now = a.submitted.progress if a.submitted else a.progress
    state = "已批准" if now and now.status == "approved" else "继续审批中"
    revision = f"，已改为第{a.drafted.bundle.quote.revision}版" if a.drafted else "，报价未改动"
    replies += [
        TextReply(f"{a.rep} 已接受您对 {a.number} 的条件{revision}，{state}：\n{lines}", to_user_id=who)
        for who in a.approvers
    ]
    if a.submitted is not None:
        assert a.drafted is not None
        replies.append(CardReply(quote_card(a.drafted.bundle, scope.tz, None)))
        replies += submitted(a.submitted, scope)
    elif a.progress is not None:
        p, q = a.progress, a.progress.bundle.quote
        if p.status == "approved":
            replies += [
                TextReply(f"✅ {q.number} 第{q.revision}版报价单已批准（附条件：{'；'.join(p.conditions)}）。"),
                _approved_file(p, scope),
            ]
        elif p.moved_on:
            replies += [
                *_approver_cards(p.bundle, p.cards, scope.tz),
                TextReply(f"报价未改动，继续审批：现在等第{p.step_no}步 {p.step_name}：{'、'.join(p.waiting)}。"),
            ]
        else:
            replies.append(TextReply(f"报价未改动，继续审批：还需 {'、'.join(p.waiting)} 同意。"))
    return replies


def pending_list(items: Sequence[PendingItem], tz: ZoneInfo) -> str:
    if not items:
        return "目前没有等您审批的报价。"
    lines = []
    for n, it in enumerate(items, 1):
        q, a = it.quote, it.approval
        when = f" · {q.submitted_at.astimezone(tz):%m-%d %H:%M} 提交" if q.submitted_at else ""
        lines.append(
            f"{n}. {q.number} 第{q.revision}版 · {it.customer} · {format_money(q.total or Decimal(0), q.currency)} · "
            f"第{a.step_no}步 {a.step_name} · {it.requester}{when}"
        )
    first = items[0].quote.number
    return (
        f"等您审批的报价（{len(items)}）：\n"
        + "\n".join(lines)
        + f"\n回复“同意 {first}”或“驳回 {first} 原因”，“报价 编号”看详情。"
    )


def delegated(d: Delegated, scope: Scope) -> list[Reply]:
    until = f"{d.until:%m-%d}"
    moved = f"；{d.moved} 张待审批已转给对方" if d.moved else ""
    replies: list[Reply] = [
        CardReply(approval_card(b, c, scope.tz), to_user_id=c.approval.approver_id) for c, b in d.cards
    ]
    own = scope.actor is not None and d.delegator.id == scope.actor.id
    who = "您" if own else d.delegator.name
    before = "".join(f"（原来的委托至 {r.ends_at.astimezone(scope.tz):%m-%d} 已由这次代替）" for r in d.replaced)
    replies += [
        TextReply(f"已委托 {d.delegate.name} 代{who}审批报价，至 {until}{moved}。{before}提前回来可发“取消委托”。"),
        TextReply(
            f"{d.delegator.name} 委托您代为审批报价，至 {until}。待您审批的会直接发给您。", to_user_id=d.delegate.id
        ),
    ]
    replies += [
        TextReply(f"{d.delegator.name} 对您的审批委托已结束（改为委托 {d.delegate.name}）。", to_user_id=r.to_user_id)
        for r in d.replaced
        if r.to_user_id != d.delegate.id
    ]
    if not own:
        replies.append(
            TextReply(
                f"管理员 {scope.name} 已设置：您的报价审批委托 {d.delegate.name}，至 {until}。",
                to_user_id=d.delegator.id,
            )
        )
    return replies


# --- exchange rates ----------------------------------------------------------------------------------------


def rate_set(r: RateSet) -> str:
    was = f"（原为 {r.previous.normalize():f}）" if r.previous is not None else ""
    return (
        f"已设置汇率 {format_rate(r.currency, r.rate, r.base)}{was}。新报价使用此汇率；已有报价保留各自锁定的汇率。"
        f"设错了可发“撤销汇率 {r.currency}”。"
    )


def rate_undone(r: RateUndone) -> str:
    now = (
        f"恢复为 {format_rate(r.currency, r.restored, r.base)}"
        if r.restored is not None
        else f"{r.currency} 现在没有汇率"
    )
    return f"已撤销 {format_rate(r.currency, r.undone, r.base)}，{now}。"


def rate_list(rows: Sequence[RateRow], base: str, tz: ZoneInfo) -> str:
    if not rows:
        return "还没有设置汇率。财务可以发：汇率 USD 7.12"
    lines = [
        f"• {format_rate(r.currency, r.rate, base) if r.usable else f'{r.currency} 无效（{r.rate}），请重新设置'}"
        f" · {r.set_by} · {r.set_at.astimezone(tz):%m-%d %H:%M}"
        for r in rows
    ]
    return "当前汇率（1 单位外币折合本位币）：\n" + "\n".join(lines)


def _contact_change(field: str, old: str | None, new: str) -> str:
    """A new number is said with the old one kept behind it (电话 139…（原 138… 仍保留）)."""
    if field in KEPT_CONTACT_FIELDS and old and new.endswith(old):
        return f"{CONTACT_LABELS[field]} {new.split(CONTACT_SEPARATOR)[0]}（原 {old} 仍保留）"
    return f"{CONTACT_LABELS[field]} {new}" + (f"（原 {old}）" if old else "")


def contact_saved(outcome: ContactAdded | ContactUpdated, customer: str) -> str:
    c = outcome.contact
    if isinstance(outcome, ContactAdded):
        facts = " · ".join(x for x in (c.title, c.decision_role, c.phone, c.email, c.wechat) if x)
        hint = "" if outcome.role_given else "（没写角色，先记为“其他”，可补充：决策者/技术影响者/使用者/商务对接人）"
        return f"已添加联系人：{c.name}（{facts}）→ {customer}。{hint}说错了可发“撤销”。"
    if not outcome.changes:
        return f"{c.name} 已在 {customer} 的联系人里，信息没有变化。"
    changed = "；".join(_contact_change(f, old, new) for f, old, new in outcome.changes)
    return f"{c.name} 已在 {customer} 的联系人里，已更新：{changed}。说错了可发“撤销”。"


def task_list(
    rows: Sequence[tuple[Task, str | None]], total: int, owner: str | None, *, now: datetime, tz: ZoneInfo
) -> str:
    """待办, overdue first, numbered for 完成 / 推迟; `owner` names a colleague whose list a manager reads (no numbers
    to act on: the tasks are theirs)."""
    who = owner or "您"
    if not rows:
        return f"{who}没有未完成的待办。"
    overdue = sum(1 for t, _ in rows if t.due_at is not None and t.due_at < now)
    more = f"待办 {owner} 全部" if owner else "待办 全部"
    shown = f"，先列最早的 {len(rows)} 条（发“{more}”看其余 {total - len(rows)} 条）" if total > len(rows) else ""
    head = f"{who}有 {total} 条待办{shown}" + (f"，其中 {overdue} 条已逾期" if overdue else "") + "："
    lines = []
    for i, (t, customer) in enumerate(rows, 1):
        due = format_due(t.due_at.astimezone(tz), now=now.astimezone(tz)) if t.due_at else "无截止时间"
        flag = "⚠逾期 " if t.due_at is not None and t.due_at < now else ""
        lines.append(f"{i}. {flag}{due} {t.subject}" + (f"（{customer}）" if customer else ""))
    tail = f"这是{owner}的待办，由{owner}本人完成或改期。" if owner else "完成请发“完成 1”，改期请发“推迟 1 明天”。"
    return "\n".join([head, *lines, tail])
