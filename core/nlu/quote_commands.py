"""Quote and approval commands: `报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海`, `同意 Q-2026-0007`, `汇率 USD 7.12`.

Pure and tried before the general parser, so it only claims a message that starts with one of its command words
and carries what makes it unambiguous (a quote number, or a quantity or price after 报价); anything else returns
None and the general parser sees it. A claimed but malformed command comes back with `error` set to the Chinese
reply (with an example), so the rep learns the right form instead of getting a generic "not understood".

Amounts, quantities and incoterms come from the shared span extractors (core.nlu.money / quantity / incoterms);
this module only knows the quote grammar around them. Every field that is not in the message stays None, so a
revision changes exactly what the rep wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from core.approval_policy import RejectReason, parse_reject_reason
from core.nlu.dates import resolve_dates
from core.nlu.incoterms import extract_incoterm
from core.nlu.money import CURRENCY_WORDS, extract_money
from core.nlu.normalize import normalize
from core.nlu.quantity import extract_quantities

EXAMPLE_CREATE = "报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海"
EXAMPLE_ADD = "加一行 Q-2026-0007 DN80球阀 500件 120美元"
EXAMPLE_REVISE = "修改 Q-2026-0007 单价78美元"
EXAMPLE_REJECT = "驳回 Q-2026-0007 价格低于底线"
EXAMPLE_FX = "汇率 USD 7.12"
EXAMPLE_DELEGATE = "委托 孙丽 至 12-05"

NUMBER = re.compile(r"(?<![A-Za-z0-9])Q-?(\d{4})-(\d{1,6})(?!\d)", re.I)


@dataclass(frozen=True)
class LineSpec:
    """One product line as written; in a revision only the fields the rep gave are set."""

    product: str = ""
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    currency: str | None = None  # of unit_price; None when the rep gave none
    unit_cost: Decimal | None = None
    cost_currency: str | None = None  # None: the line's currency
    line_no: int | None = None  # 第2行 in a revision


@dataclass(frozen=True)
class QuoteTerms:
    incoterm: str | None = None
    port: str | None = None
    validity_days: int | None = None
    payment_terms: str | None = None
    lead_time_days: int | None = None
    freight: Decimal | None = None
    freight_currency: str | None = None
    insurance_pct: Decimal | None = None  # 0.3 means 0.3 %
    opportunity: str | None = None  # a hint naming the customer's opportunity
    refresh_fx: bool = False  # 更新汇率: lock today's rate

    @property
    def empty(self) -> bool:
        return self == QuoteTerms()


@dataclass(frozen=True)
class QuoteCommand:
    """`intent` is what the router dispatches on; `error` set means: reply with it and change nothing."""

    intent: str
    text: str
    number: str | None = None  # Q-2026-0007
    customer: str | None = None
    lines: tuple[LineSpec, ...] = ()
    terms: QuoteTerms = field(default_factory=QuoteTerms)
    note: str = ""  # the condition of 有条件同意, or the words of a rejection
    reason: RejectReason | None = None
    currency: str | None = None  # 汇率 USD 7.12
    rate: Decimal | None = None
    person: str | None = None  # 委托 孙丽
    until: datetime | None = None  # end of the delegation, aware
    error: str | None = None

    @property
    def conditional(self) -> bool:
        return self.intent == "approve" and bool(self.note)


# --- command words -----------------------------------------------------------------------------------

_CMD = re.compile(
    r"^(?P<cmd>有条件同意|有条件通过|加一行|添加一行|增加一行|新增一行|加行|取消委托|待审批|我的审批|审批列表|"
    r"更新汇率|汇率|报价单|报价|修改报价|修改|提交报价|提交|同意|批准|通过|驳回|拒绝|委托|接受条件|接受|查看|查|"
    r"(?:pending approvals|approve|reject|submit|revise|quote|fx))(?=$|[\s:：,，]|[^A-Za-z])",
    re.I,
)
_ALIASES = {
    "有条件通过": "有条件同意",
    "添加一行": "加一行",
    "增加一行": "加一行",
    "新增一行": "加一行",
    "加行": "加一行",
    "我的审批": "待审批",
    "审批列表": "待审批",
    "pending approvals": "待审批",
    "报价单": "报价",
    "quote": "报价",
    "修改报价": "修改",
    "revise": "修改",
    "提交报价": "提交",
    "submit": "提交",
    "批准": "同意",
    "通过": "同意",
    "approve": "同意",
    "拒绝": "驳回",
    "reject": "驳回",
    "接受条件": "接受",
    "查看": "查",
    "fx": "汇率",
}

# --- terms, each removed from the text once read ------------------------------------------------------

_VALIDITY = re.compile(r"(?:有效期|validity)\s?(?:为|:)?\s?(?P<n>\d{1,3})\s?(?:天|日|days?)", re.I)
_LEAD = re.compile(
    r"(?:交期|交货期|货期|lead time)\s?(?:为|:)?\s?(?P<n>\d{1,3})\s?(?:天|日|days?)"
    r"|(?P<n2>\d{1,3})\s?天交货",
    re.I,
)
_FREIGHT = re.compile(
    r"(?:海运费|运费|freight)\s?(?:为|:)?\s?(?P<v>(?:US\$|[$¥€£])?\s?\d[\d,.]*\s?(?:[kK万])?"
    r"\s?(?:美元|美金|欧元|人民币|元|USD|EUR|CNY|RMB)?)",
    re.I,
)
_INSURANCE = re.compile(r"(?:保险费率|保险费|保险|insurance)\s?(?:为|:)?\s?(?P<v>\d+(?:\.\d+)?)\s?%", re.I)
_PAYMENT = re.compile(
    r"(?:(?:付款方式|付款条件|付款|payment)\s?:?\s?)?(?<![A-Za-z])(?:T/T|L/C|D/P|D/A|O/A)(?![A-Za-z])"
    r"(?:\s?(?:at sight|即期|见票即付|\d{1,3}\s?%\s?(?:预付|定金|订金|deposit|余款)?|\d{1,3}\s?(?:天|days)|预付|"
    r"余款[\u4e00-\u9fff]*|见提单[\u4e00-\u9fff]*|发货前[\u4e00-\u9fff]*|against B/L(?: copy)?|balance|[,，+]))*",
    re.I,
)
_OPPORTUNITY = re.compile(r"(?:商机|项目|opportunity)\s?(?:为|:)?\s?(?P<v>[^\s,，;；]+)", re.I)
_COST = re.compile(
    r"(?:成本价|成本|cost)\s?(?:为|:)?\s?(?P<v>(?:US\$|[$¥€£])?\s?\d[\d,.]*\s?"
    r"(?:美元|美金|欧元|人民币|元|块|USD|EUR|CNY|RMB)?)",
    re.I,
)
_REFRESH_FX = re.compile(r"更新汇率|刷新汇率|用今天的?汇率|refresh fx", re.I)
_LINE_NO = re.compile(r"第\s?(?P<n>\d{1,2})\s?(?:行|项)|(?<![A-Za-z])(?:line|#)\s?(?P<n2>\d{1,2})(?![\d.])", re.I)
_PRICE_CUE = re.compile(
    r"(?:单价|价格|价钱|报价|price)\s?(?:改为|改成|调为|调到|为|是|:|不低于|不得低于|至少|最低|≥|>=)?\s?$"
    r"|(?:不低于|不得低于|至少|最低|≥|>=)\s?$",
    re.I,
)
_QTY_CUE = re.compile(r"(?:数量|订量|qty)\s?(?:改为|改成|为|是|:)?\s?$", re.I)
_SEPARATORS = re.compile(r"[\n;；]+")
_FILLER = re.compile(r"^[\s,，、:：。.]+|[\s,，、:：。.]+$")
_RATE = re.compile(r"^(?P<cur>[A-Za-z]{3}|美元|美金|欧元|英镑|日元|港币|港元)\s?(?:=|:)?\s?(?P<rate>\d+(?:\.\d+)?)$")
_PLAIN_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONTH_DAY = re.compile(r"(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?")


def parse_quote_command(text: str, *, now: datetime, tz: ZoneInfo) -> QuoteCommand | None:
    """The quote / approval command in `text`, or None when the message is not one.

    Usage: `parse_quote_command("同意 Q-2026-0007", now=now, tz=tz).intent == "approve"`.
    """
    raw_lines = [normalize(part) for part in _SEPARATORS.split(text) if normalize(part)]
    if not raw_lines:
        return None
    head = raw_lines[0]
    m = _CMD.match(head)
    if m is None:
        return None
    cmd = _ALIASES.get(m["cmd"].lower(), m["cmd"])
    rest = _FILLER.sub("", head[m.end() :])
    number = find_number(rest)
    body = _FILLER.sub("", NUMBER.sub(" ", rest)) if number else rest
    flat = normalize(" ".join(raw_lines))
    match cmd:
        case "报价":
            return _create_or_show(flat, number, body, raw_lines)
        case "查":
            return QuoteCommand("quote_show", flat, number=number) if number else None
        case "加一行":
            return _add_line(flat, number, [body, *raw_lines[1:]])
        case "修改":
            return _revise(flat, number, [body, *raw_lines[1:]]) if number else None
        case "提交":
            return QuoteCommand("quote_submit", flat, number=number) if number or not body else None
        case "接受":
            return QuoteCommand("quote_accept", flat, number=number) if number or not body else None
        case "同意" | "有条件同意":
            return _approve(flat, number, body, conditional=cmd == "有条件同意", bare_ok=m["cmd"] != "通过")
        case "驳回":
            return _reject(flat, number, body)
        case "待审批":
            return QuoteCommand("pending_approvals", flat) if not body else None
        case "汇率" | "更新汇率":
            return _fx(flat, body) if cmd == "汇率" else None
        case "委托":
            return _delegate(flat, body, now=now, tz=tz)
        case "取消委托":
            return QuoteCommand("delegate_cancel", flat) if not body else None
    return None


def find_number(text: str) -> str | None:
    """The quote number in `text`, in its canonical form: `q-2026-7` → `Q-2026-0007`."""
    m = NUMBER.search(text)
    return f"Q-{m[1]}-{int(m[2]):04d}" if m else None


def _error(intent: str, text: str, message: str, example: str) -> QuoteCommand:
    return QuoteCommand(intent, text, error=f"{message}\n例如：{example}")


# --- quotes -------------------------------------------------------------------------------------------


def _create_or_show(flat: str, number: str | None, body: str, raw_lines: list[str]) -> QuoteCommand | None:
    if number:
        return QuoteCommand("quote_show", flat, number=number)
    if not body:
        return None
    if not (extract_money(flat) or extract_quantities(flat)):
        return None  # 报价已发给客户 … is a follow-up, not a command
    customer, _, first = body.partition(" ")
    terms, segments = read_terms([first, *raw_lines[1:]])
    lines, error = _lines(segments)
    if error:
        return _error("quote_create", flat, error, EXAMPLE_CREATE)
    return QuoteCommand("quote_create", flat, customer=customer, lines=lines, terms=terms)


def _add_line(flat: str, number: str | None, segments: list[str]) -> QuoteCommand:
    terms, rest = read_terms(segments)
    lines, error = _lines(rest)
    if error:
        return _error("quote_add_line", flat, error, EXAMPLE_ADD)
    return QuoteCommand("quote_add_line", flat, number=number, lines=lines, terms=terms)


def _revise(flat: str, number: str | None, segments: list[str]) -> QuoteCommand:
    terms, rest = read_terms(segments)
    changes: list[LineSpec] = []
    for segment in rest:
        for piece in _split_line_numbers(segment):
            change = _line_change(piece)
            if change is not None:
                changes.append(change)
    if not changes and terms.empty:
        return _error(
            "quote_revise",
            flat,
            "没看出要修改什么。可以改单价、数量、有效期、付款方式、交期、运费、保险，或“更新汇率”。",
            EXAMPLE_REVISE,
        )
    return QuoteCommand("quote_revise", flat, number=number, lines=tuple(changes), terms=terms)


def read_terms(segments: list[str]) -> tuple[QuoteTerms, list[str]]:
    """Quote-level terms from any segment, and the segments with those words taken out."""
    found: dict[str, object] = {}
    out: list[str] = []
    for segment in segments:
        text = normalize(segment)
        if (inc := extract_incoterm(text)) is not None and "incoterm" not in found:
            found["incoterm"], found["port"] = inc.code, inc.place
            text = normalize(text[: inc.start] + " " + text[inc.end :])
        text = _take(text, _VALIDITY, found, "validity_days", lambda m: int(m["n"]))
        text = _take(text, _LEAD, found, "lead_time_days", lambda m: int(m["n"] or m["n2"]))
        text = _take(text, _INSURANCE, found, "insurance_pct", lambda m: Decimal(m["v"]))
        text = _take(text, _FREIGHT, found, "freight", lambda m: _money_or_number(m["v"]))
        text = _take(text, _PAYMENT, found, "payment_terms", lambda m: _FILLER.sub("", m.group()))
        text = _take(text, _OPPORTUNITY, found, "opportunity", lambda m: m["v"])
        if _REFRESH_FX.search(text):
            found["refresh_fx"] = True
            text = normalize(_REFRESH_FX.sub(" ", text))
        if text:
            out.append(text)
    freight = found.pop("freight", None)
    if isinstance(freight, tuple):
        found["freight"], found["freight_currency"] = freight
    return QuoteTerms(**found), out  # type: ignore[arg-type]


def _take(text: str, pattern: re.Pattern[str], found: dict[str, object], key: str, value: object) -> str:
    m = pattern.search(text)
    if m is None:
        return text
    if key not in found:
        found[key] = value(m)  # type: ignore[operator]
    return normalize(text[: m.start()] + " " + text[m.end() :])


def _money_or_number(text: str) -> tuple[Decimal, str | None] | None:
    """`¥62` → (62, CNY); `9.8` → (9.8, None): a bare number is in the line's own currency."""
    spans = extract_money(text)
    if spans:
        return spans[0].amount, spans[0].currency
    m = _PLAIN_NUMBER.search(text)
    return (_decimal(m.group()), None) if m else None


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return Decimal(0)


def _lines(segments: list[str]) -> tuple[tuple[LineSpec, ...], str | None]:
    """Full product lines (product, quantity, price); the first problem found is the error."""
    lines: list[LineSpec] = []
    for segment in segments:
        line = _line_change(segment)
        if line is None:
            continue
        where = f"“{segment}”"
        if not line.product:
            return (), f"{where} 缺少产品名称。"
        if line.quantity is None:
            return (), f"{where} 缺少数量（如 1000件）。"
        if line.unit_price is None:
            return (), f"{where} 缺少单价（如 单价80美元）。"
        lines.append(line)
    if not lines:
        return (), "报价需要至少一行产品：产品、数量、单价。"
    currency = next((ln.currency for ln in lines if ln.currency), None)
    if currency is None:
        return (), "请写明币种。"
    if any(ln.currency not in (None, currency) for ln in lines):
        return (), "一张报价只能用一种币种，请分开报价。"
    return tuple(replace(ln, currency=currency) for ln in lines), None


def _split_line_numbers(segment: str) -> list[str]:
    """`第1行 单价78美元 第2行 单价110美元` → one piece per line number."""
    starts = [m.start() for m in _LINE_NO.finditer(segment)]
    if len(starts) < 2:
        return [segment]
    return [segment[a:b] for a, b in zip(starts, [*starts[1:], len(segment)], strict=True)]


def _line_change(segment: str) -> LineSpec | None:
    """Whatever of a line this segment gives; None when it gives nothing."""
    text = normalize(segment)
    cost = None
    if (m := _COST.search(text)) is not None:
        cost = _money_or_number(m["v"])
        text = normalize(text[: m.start()] + " " + text[m.end() :])
    line_no = None
    if (m := _LINE_NO.search(text)) is not None:
        line_no = int(m["n"] or m["n2"])
        text = normalize(text[: m.start()] + " " + text[m.end() :])
    cut: list[tuple[int, int]] = []
    price = next(iter(extract_money(text)), None)
    if price is not None:
        cue = _PRICE_CUE.search(text, 0, price.start)
        cut.append((cue.start() if cue else price.start, price.end))
    qty = next(
        (q for q in extract_quantities(text) if price is None or q.end <= price.start or q.start >= price.end), None
    )
    if qty is not None:
        cue = _QTY_CUE.search(text, 0, qty.start)
        cut.append((cue.start() if cue else qty.start, qty.end))
    product = text
    for start, end in sorted(cut, reverse=True):
        product = product[:start] + " " + product[end:]
    product = _FILLER.sub("", normalize(product))
    if price is None and qty is None and cost is None and not line_no:
        return None
    return LineSpec(
        product=product,
        quantity=qty.value if qty else None,
        unit=qty.unit if qty else None,
        unit_price=price.amount if price else None,
        currency=price.currency if price else None,
        unit_cost=cost[0] if cost else None,
        cost_currency=cost[1] if cost else None,
        line_no=line_no,
    )


# --- approvals ----------------------------------------------------------------------------------------


def _approve(flat: str, number: str | None, body: str, *, conditional: bool, bare_ok: bool) -> QuoteCommand | None:
    if number is None and not bare_ok:
        return None
    if number is None and body:
        return None  # 同意客户的要求 … is not a decision
    if conditional and not body:
        return QuoteCommand(
            "approve", flat, number=number, error="有条件同意需要写明条件。\n例如：同意 Q-2026-0007 单价不低于78美元"
        )
    return QuoteCommand("approve", flat, number=number, note=body)


def _reject(flat: str, number: str | None, body: str) -> QuoteCommand | None:
    if number is None:
        return None if body else QuoteCommand("reject", flat, error=f"请写明报价编号和原因。\n例如：{EXAMPLE_REJECT}")
    reason, note = classify_reject_reason(body) if body else (None, "")
    return QuoteCommand("reject", flat, number=number, reason=reason, note=note)


_REASON_KEYWORDS: tuple[tuple[RejectReason, re.Pattern[str]], ...] = (
    (RejectReason.LOW_MARGIN, re.compile(r"毛利|利润|margin", re.I)),
    (RejectReason.PAYMENT_TERMS, re.compile(r"付款|账期|结算|信用证|payment|L/C|T/T", re.I)),
    (RejectReason.LEAD_TIME, re.compile(r"交期|货期|交货|lead time|delivery", re.I)),
    (RejectReason.PRICE_TOO_LOW, re.compile(r"价格|价低|单价|底价|底线|太便宜|price", re.I)),
)
_REASON_BY_NUMBER = dict(enumerate(RejectReason, 1))


def classify_reject_reason(text: str) -> tuple[RejectReason, str]:
    """(reason from the short list, the approver's words); `1`–`5` pick from the list as numbered on the card."""
    text = normalize(text)
    head, _, tail = text.partition(" ")
    if head.isdigit() and int(head) in _REASON_BY_NUMBER:
        return _REASON_BY_NUMBER[int(head)], tail
    if (exact := parse_reject_reason(head)) is not None:
        return exact, tail
    for reason, pattern in _REASON_KEYWORDS:
        if pattern.search(text):
            return reason, text
    return RejectReason.OTHER, text


# --- FX and delegation --------------------------------------------------------------------------------


def _fx(flat: str, body: str) -> QuoteCommand:
    if not body:
        return QuoteCommand("fx_show", flat)
    m = _RATE.match(body)
    if m is None:
        return _error("fx_set", flat, "汇率的写法是：汇率 币种 1单位外币折合多少本位币。", EXAMPLE_FX)
    word = m["cur"].lower()
    currency = CURRENCY_WORDS.get(word, word.upper() if word.isascii() else "")
    rate = Decimal(m["rate"])
    if not currency or rate <= 0:
        return _error("fx_set", flat, "汇率必须是大于 0 的数字，币种用三个字母。", EXAMPLE_FX)
    return QuoteCommand("fx_set", flat, currency=currency, rate=rate)


def _delegate(flat: str, body: str, *, now: datetime, tz: ZoneInfo) -> QuoteCommand:
    person, _, when = body.partition(" ")
    for word in ("至", "到", "直到", "until"):
        if word in person:  # 委托孙丽至12-05
            person, _, tail = person.partition(word)
            when = f"{tail} {when}".strip()
    when = re.sub(r"^(?:至|到|直到|until)\s?", "", when)
    until = _end_date(when, now=now, tz=tz) if when else None
    if not person or until is None:
        return _error("delegate", flat, "请写明委托给谁、到哪天。", EXAMPLE_DELEGATE)
    end = datetime.combine(until, time(23, 59, 59), tzinfo=tz)
    if end <= now:
        return _error("delegate", flat, "委托的结束日期已经过去了。", EXAMPLE_DELEGATE)
    return QuoteCommand("delegate", flat, person=person, until=end)


def _end_date(text: str, *, now: datetime, tz: ZoneInfo) -> date | None:
    """`12-05` / `12月5日` / `2027-01-10` / `下周五`; a month-day already past means next year."""
    if (m := _MONTH_DAY.search(text)) is not None:
        year = int(m["y"]) if m["y"] else now.year
        try:
            day = date(year, int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        if not m["y"] and day < now.astimezone(tz).date():
            day = day.replace(year=year + 1)
        return day
    spans = resolve_dates(text, now, tz)
    return spans[0].value.date() if spans else None
