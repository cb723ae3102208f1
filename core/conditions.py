"""An approver's condition read as constraints on the quote, never as a rewrite of it.

`单价不低于4400欧元，预付30%` on a €4,500 quote with `T/T 30%预付 70%见提单副本` changes nothing: both clauses already
hold. On a €4,300 quote the price goes up to €4,400 and the payment terms stay. A clause kabot cannot apply by
itself (`需附CE证书`, a price floor on one of several lines it cannot tell apart) is kept as text for the rep.

Pure: `parse_conditions(text)` gives the clauses, `apply_conditions(clauses, terms)` what each one does to the
quote's current terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from core.money import format_money
from core.nlu.money import extract_money
from core.nlu.normalize import normalize


class ClauseKind(StrEnum):
    MIN_PRICE = "min_price"  # 单价不低于 X
    SET_PRICE = "set_price"  # 单价改为 X
    MIN_PREPAY = "min_prepay"  # 预付 30%
    MAX_LEAD_TIME = "max_lead_time"  # 交期不超过 30 天
    MAX_VALIDITY = "max_validity"  # 有效期不超过 15 天
    TEXT = "text"  # anything else: the rep acts on it


@dataclass(frozen=True)
class Clause:
    kind: ClauseKind
    text: str  # the approver's words for this clause
    amount: Decimal | None = None  # price, percentage or days
    currency: str | None = None  # of a price; None: the quote's
    line_no: int | None = None  # 第2行
    product: str | None = None  # DN80球阀 单价不低于…


@dataclass(frozen=True)
class LineTerms:
    line_no: int
    product: str
    unit_price: Decimal


@dataclass(frozen=True)
class QuoteTerms:
    """The part of a quote a condition can constrain."""

    currency: str
    lines: tuple[LineTerms, ...]
    payment_terms: str | None = None
    lead_time_days: int | None = None
    validity_days: int = 30


class Effect(StrEnum):
    KEPT = "kept"  # the quote already satisfies it
    CHANGED = "changed"  # the quote was changed to satisfy it
    MANUAL = "manual"  # kabot cannot apply it: the rep must


@dataclass(frozen=True)
class ClauseResult:
    clause: Clause
    effect: Effect
    detail: str  # Chinese: why it holds, what changed (old → new), or what the rep must do


@dataclass(frozen=True)
class Applied:
    terms: QuoteTerms  # the terms after every clause that could be applied
    results: tuple[ClauseResult, ...]

    @property
    def changed(self) -> bool:
        return any(r.effect is Effect.CHANGED for r in self.results)

    @property
    def manual(self) -> tuple[ClauseResult, ...]:
        return tuple(r for r in self.results if r.effect is Effect.MANUAL)


# --- reading -------------------------------------------------------------------------------------------

# A space ends a clause after an amount, a percentage or a number of days (单价不低于46美元 预付不低于30% is two:
# read as one, the price floor was lost and `接受` said the condition was met at $45 — trial 9).
_SPLIT = re.compile(
    r"[,，;；。]|(?:并且|而且|另外|同时|且)|(?<![A-Za-z])and(?![A-Za-z])"
    r"|(?:(?<=[元%天日金])|(?<=USD)|(?<=EUR)|(?<=RMB)|(?<=CNY))\s+(?=[\u4e00-\u9fff])",
    re.I,
)
_LINE_NO = re.compile(r"第\s?(\d{1,2})\s?(?:行|项)|(?<![A-Za-z])line\s?(\d{1,2})", re.I)
_FLOOR = re.compile(
    r"不低于|不得低于|不能低于|不少于|至少|最低|最少|≥|>=|at least|no less than|not below|min(?:imum)?", re.I
)
_SET = re.compile(r"改为|改成|调为|调到|调整为|提高到|提到|涨到|上调到|raise(?:d)? to|increase(?:d)? to", re.I)
_PRICE_WORD = re.compile(r"单价|价格|报价|售价|price", re.I)
_PREPAY = re.compile(
    r"(?:预付款?|预付|定金|订金|首付|deposit|prepay(?:ment)?|advance)\s?(?:不低于|不少于|至少|≥|>=|为|:)?\s?"
    r"(?P<a>\d{1,3})\s?%"
    r"|(?P<b>\d{1,3})\s?%\s?(?:的)?(?:预付款?|定金|订金|首付|deposit|prepay(?:ment)?|advance|T/T in advance)",
    re.I,
)
_FULL_PREPAY = re.compile(r"款到发货|全款预付|100%\s?预付|预付全款|cash in advance|full payment in advance", re.I)
_LEAD = re.compile(
    r"(?:交期|交货期|货期|lead time|delivery)\s?(?:不超过|不得超过|不能超过|最多|最长|控制在|≤|<=|within|为|:)?\s?"
    r"(?P<n>\d{1,3})\s?(?:天|日|days?)",
    re.I,
)
_VALIDITY = re.compile(
    r"(?:有效期|validity)\s?(?:不超过|最多|最长|缩短到|缩短为|改为|为|:|≤|<=)?\s?(?P<n>\d{1,3})\s?(?:天|日|days?)", re.I
)
_PRICE_FILLER = re.compile(r"单价|价格|报价|售价|price|的|须|需|要|必须|应", re.I)


def parse_conditions(text: str) -> tuple[Clause, ...]:
    """The clauses of a condition, in the order written; words that are no known constraint become TEXT."""
    out: list[Clause] = []
    for piece in _SPLIT.split(normalize(text)):
        piece = piece.strip(" .、:：")
        if piece:
            out.append(_clause(piece))
    return tuple(out)


def _clause(piece: str) -> Clause:
    if _FULL_PREPAY.search(piece):
        return Clause(ClauseKind.MIN_PREPAY, piece, Decimal(100))
    if m := _PREPAY.search(piece):
        return Clause(ClauseKind.MIN_PREPAY, piece, Decimal(m["a"] or m["b"]))
    if m := _LEAD.search(piece):
        return Clause(ClauseKind.MAX_LEAD_TIME, piece, Decimal(m["n"]))
    if m := _VALIDITY.search(piece):
        return Clause(ClauseKind.MAX_VALIDITY, piece, Decimal(m["n"]))
    money = extract_money(piece)
    floor, set_to = _FLOOR.search(piece), _SET.search(piece)
    cue = floor or set_to
    if money and cue and (_PRICE_WORD.search(piece) or cue.start() < money[0].start):
        line = _LINE_NO.search(piece)
        head = piece[: min(cue.start(), money[0].start)]
        if line:
            head = head.replace(line.group(), " ")
        product = normalize(_PRICE_FILLER.sub(" ", head)) or None
        kind = ClauseKind.MIN_PRICE if floor else ClauseKind.SET_PRICE
        return Clause(
            kind,
            piece,
            money[0].amount,
            money[0].currency,
            int(line[1] or line[2]) if line else None,
            product,
        )
    return Clause(ClauseKind.TEXT, piece)


# --- applying ------------------------------------------------------------------------------------------

_PREPAY_IN_TERMS = re.compile(
    r"(?P<pct>\d{1,3})\s?%\s?(?:的)?(?:T/T\s?)?(?:预付款?|定金|订金|首付|deposit|advance|in advance|prepay(?:ment)?)"
    r"|(?:预付款?|定金|订金|首付|deposit|advance)\s?(?P<pct2>\d{1,3})\s?%",
    re.I,
)
_PERCENT = re.compile(r"(\d{1,3})\s?%")


def apply_conditions(clauses: tuple[Clause, ...], terms: QuoteTerms) -> Applied:
    """What each clause does to `terms`: kept, changed to satisfy it, or left to the rep."""
    results: list[ClauseResult] = []
    for clause in clauses:
        terms, result = _apply(clause, terms)
        results.append(result)
    return Applied(terms, tuple(results))


def _apply(c: Clause, t: QuoteTerms) -> tuple[QuoteTerms, ClauseResult]:
    if c.kind in (ClauseKind.MIN_PRICE, ClauseKind.SET_PRICE):
        return _price(c, t)
    if c.kind is ClauseKind.MIN_PREPAY:
        return _prepay(c, t)
    if c.kind is ClauseKind.MAX_LEAD_TIME:
        return _at_most(c, t, "lead_time_days", "交期", "天")
    if c.kind is ClauseKind.MAX_VALIDITY:
        return _at_most(c, t, "validity_days", "有效期", "天")
    return t, ClauseResult(c, Effect.MANUAL, "kabot 无法自动处理，请您落实")


def _price(c: Clause, t: QuoteTerms) -> tuple[QuoteTerms, ClauseResult]:
    assert c.amount is not None
    if c.currency not in (None, t.currency):
        return t, ClauseResult(c, Effect.MANUAL, f"条件的币种与报价（{t.currency}）不同，请自行核对：{c.text}")
    if c.line_no is not None:
        targets = [ln for ln in t.lines if ln.line_no == c.line_no]
    elif c.product:
        targets = [ln for ln in t.lines if c.product.lower() in ln.product.lower()]
    else:
        targets = list(t.lines) if len(t.lines) == 1 else []
    if not targets:
        return t, ClauseResult(c, Effect.MANUAL, f"看不出条件指哪一行，请自行修改：{c.text}")
    floor = c.kind is ClauseKind.MIN_PRICE
    money = format_money(c.amount, t.currency)
    changed: list[str] = []
    lines = []
    for ln in t.lines:
        ok = ln.unit_price >= c.amount if floor else ln.unit_price == c.amount
        if ln in targets and not ok:
            changed.append(f"{ln.product} 单价 {format_money(ln.unit_price, t.currency)} → {money}")
            ln = replace(ln, unit_price=c.amount)
        lines.append(ln)
    if not changed:
        now = "、".join(f"{ln.product} {format_money(ln.unit_price, t.currency)}" for ln in targets)
        return t, ClauseResult(c, Effect.KEPT, f"已满足（{now}）")
    return replace(t, lines=tuple(lines)), ClauseResult(c, Effect.CHANGED, "；".join(changed))


def prepay_share(payment_terms: str | None) -> Decimal | None:
    """The prepaid share written in payment terms (`T/T 30%预付 70%见提单` → 30), None when none is."""
    if not payment_terms:
        return None
    if _FULL_PREPAY.search(payment_terms):
        return Decimal(100)
    m = _PREPAY_IN_TERMS.search(payment_terms)
    return Decimal(m["pct"] or m["pct2"]) if m else None


def _prepay(c: Clause, t: QuoteTerms) -> tuple[QuoteTerms, ClauseResult]:
    assert c.amount is not None
    need = c.amount
    current = prepay_share(t.payment_terms)
    if current is not None and current >= need:
        return t, ClauseResult(c, Effect.KEPT, f"已满足（付款方式：{t.payment_terms}）")
    if not t.payment_terms:
        new = f"{need}%预付"
    elif current is None:
        return t, ClauseResult(c, Effect.MANUAL, f"请把付款方式（{t.payment_terms}）改为满足：{c.text}")
    else:
        new = _raise_prepay(t.payment_terms, current, need)
    detail = f"付款方式 {t.payment_terms or '未填'} → {new}"
    return replace(t, payment_terms=new), ClauseResult(c, Effect.CHANGED, detail)


def _raise_prepay(text: str, current: Decimal, need: Decimal) -> str:
    """`T/T 20%预付 80%见提单` with 30 → `T/T 30%预付 70%见提单`: the balance moves with the deposit."""
    m = _PREPAY_IN_TERMS.search(text)
    assert m is not None
    group = "pct" if m["pct"] else "pct2"
    out = text[: m.start(group)] + f"{need}" + text[m.end(group) :]
    balance = 100 - current
    tail_start = m.start(group) + len(f"{need}")
    for p in _PERCENT.finditer(out, tail_start):
        if Decimal(p[1]) == balance:
            return out[: p.start(1)] + f"{100 - need}" + out[p.end(1) :]
    return out


def _at_most(c: Clause, t: QuoteTerms, field: str, label: str, unit: str) -> tuple[QuoteTerms, ClauseResult]:
    assert c.amount is not None
    limit = int(c.amount)
    current = getattr(t, field)
    if current is not None and current <= limit:
        return t, ClauseResult(c, Effect.KEPT, f"已满足（{label} {current} {unit}）")
    was = f"{current} {unit}" if current is not None else "未填"
    new = replace(t, lead_time_days=limit) if field == "lead_time_days" else replace(t, validity_days=limit)
    return new, ClauseResult(c, Effect.CHANGED, f"{label} {was} → {limit} {unit}")
