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
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from zoneinfo import ZoneInfo

from core.approval_policy import RejectReason, parse_reject_reason
from core.nlu.dates import resolve_dates
from core.nlu.incoterms import INCOTERMS_2020, extract_incoterm
from core.nlu.intents import Intent
from core.nlu.money import CURRENCY_WORDS, extract_money
from core.nlu.normalize import as_written, normalize
from core.nlu.quantity import QuantitySpan, extract_quantities

EXAMPLE_CREATE = "报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海"
EXAMPLE_ADD = "加一行 Q-2026-0007 DN80球阀 500件 120美元"
EXAMPLE_REVISE = "修改 Q-2026-0007 单价78美元"
EXAMPLE_REJECT = "驳回 Q-2026-0007 价格低于底线"
EXAMPLE_FX = "汇率 USD 7.12"
EXAMPLE_DELEGATE = "委托 孙丽 至 12-05"

MAX_DELEGATION = timedelta(days=180)
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
    rename: str | None = None  # 品名 DN25球阀: the line's new product name
    per_unit: bool | None = None  # the price is per unit (单价, 每台) True, for the line (总价) False, not said None


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
    tax_included: bool | None = None  # 含税 True, 不含税 False, not said None

    @property
    def empty(self) -> bool:
        return self == QuoteTerms()


@dataclass(frozen=True)
class QuoteCommand:
    """`intent` is what the router dispatches on; `error` set means: reply with it and change nothing."""

    intent: Intent
    text: str
    number: str | None = None  # Q-2026-0007
    customer: str | None = None
    lines: tuple[LineSpec, ...] = ()
    terms: QuoteTerms = field(default_factory=QuoteTerms)
    note: str = ""  # the approver's comment on 同意, or the words of a rejection
    condition: str = ""  # only an explicit one: 有条件同意 …, 同意 … 条件：…
    reason: RejectReason | None = None
    currency: str | None = None  # 汇率 USD 7.12
    rate: Decimal | None = None
    person: str | None = None  # 委托 孙丽
    from_person: str | None = None  # 委托 赵敏 给 王强: an admin setting up someone else's delegation
    until: datetime | None = None  # end of the delegation, aware
    error: str | None = None

    @property
    def conditional(self) -> bool:
        return self.intent is Intent.APPROVE and bool(self.condition)


# --- command words -----------------------------------------------------------------------------------

_CMD = re.compile(
    r"^(?P<cmd>有条件同意|有条件通过|加一行|添加一行|增加一行|新增一行|加行|取消委托|待审批|我的审批|审批列表|"
    r"撤销汇率|更新汇率|汇率|报价单|报价|修改报价|修改|提交报价|提交|同意|批准|通过|驳回|拒绝|委托|接受条件|接受|查看|查|"
    r"(?:pending approvals|approve|reject|submit|revise|quote|fx))(?=$|[\s:：,，]|[^A-Za-z]|Q-?\d)",
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
    r"(?:(?:付款方式|付款条件|付款|payment)\s?:?\s?)?(?P<v>(?<![A-Za-z])(?:T/T|L/C|D/P|D/A|O/A)(?![A-Za-z])"
    r"(?:\s?(?:at sight|即期|见票即付|\d{1,3}\s?%\s?(?:预付|定金|订金|deposit|余款)?|\d{1,3}\s?(?:天|days)|预付|"
    r"余款[\u4e00-\u9fff]*|见提单[\u4e00-\u9fff]*|发货前[\u4e00-\u9fff]*|against B/L(?: copy)?|balance|[,，+]))*)",
    re.I,
)
# A keyed form takes the words that follow, up to the next term: 付款方式 30%预付 70%见提单副本.
_TERM_WORDS = (
    r"有效期|validity|交期|交货期|货期|lead time|海运费|运费|freight|保险|insurance|商机|项目|opportunity|"
    r"含税|不含税|未税|incl\.? VAT|excl\.? VAT|FOB|CIF|CFR|EXW|FCA|CPT|CIP|DAP|DDP"
)
_PAYMENT_KEYED = re.compile(
    rf"(?:付款方式|付款条件|付款条款|支付方式|结算方式|payment terms?|付款|payment)\s?(?:为|是|改为|改成|:)?\s?"
    rf"(?P<v>.+?)(?=\s(?:{_TERM_WORDS})|$)",
    re.I,
)
_PAYMENT_PERCENT = re.compile(
    r"(?<![\d.])\d{1,3}\s?%\s?(?:的)?(?:预付款?|定金|订金|首付|deposit|advance)"
    r"(?:[\s,，+]*\d{1,3}\s?%\s?(?:余款|尾款|见提单[\u4e00-\u9fff]*|发货前[\u4e00-\u9fff]*"
    r"|against B/L(?: copy)?|balance[\w ]*?)(?=$|\s))?"
    r"|款到发货|全款预付",
    re.I,
)
_TAX = re.compile(
    r"(?P<net>不含税|未税|除税|不含增值税|excl(?:uding|\.)?\s?VAT|ex[- ]VAT|net of VAT|plus VAT|\+\s?VAT)"
    r"|(?P<gross>含税价?|含增值税|含\d{1,2}%(?:增值)?税|税价合计|incl(?:uding|\.)?\s?VAT|VAT incl(?:uded|\.)?)",
    re.I,
)
_OPPORTUNITY = re.compile(r"(?:商机|项目|opportunity)\s?(?:为|:)?\s?(?P<v>[^\s,，;；]+)", re.I)
_COST = re.compile(
    r"(?:成本价|成本|unit cost|cost price|cost)\s?(?:为|是|:|at)?\s?"
    r"(?P<v>(?:US\$|[$¥€£]|(?:USD|EUR|CNY|RMB|GBP|JPY|HKD)\s?)?\s?\d[\d,.]*\s?(?:万|千|[kK](?![A-Za-z]))?\s?"
    r"(?:美元|美金|欧元|人民币|元|块|USD|EUR|CNY|RMB|GBP)?)",
    re.I,
)
# Words around a price that are not part of the product name: 80美元/件, USD 35 each, 单价.
_PER_UNIT = re.compile(
    r"\s?(?:/|每)\s?(?:件|个|套|只|台|吨|米|箱|双|pcs|pc|piece|unit|set|kg|ton|mt)(?![A-Za-z])"
    r"|\s?(?:each|ea\.?|apiece|per (?:pc|piece|unit|set))(?![A-Za-z])",
    re.I,
)
_PRODUCT_NOISE = re.compile(r"(?<![A-Za-z])(?:at|@|unit price|price)(?![A-Za-z])\s?$|^\s?(?:at|@)(?![A-Za-z])", re.I)
_RENAME = re.compile(
    r"(?:品名|产品名称|产品名|名称|product name|rename(?: to)?)\s?(?:改为|改成|为|是|:|to)?\s?(?P<v>.+)$", re.I
)
_REFRESH_FX = re.compile(r"更新汇率|刷新汇率|用今天的?汇率|refresh fx", re.I)
_LINE_NO = re.compile(r"第\s?(?P<n>\d{1,2})\s?(?:行|项)|(?<![A-Za-z])(?:line|#)\s?(?P<n2>\d{1,2})(?![\d.])", re.I)
_PRICE_CUE = re.compile(
    r"(?:单价|价格|价钱|报价|price)\s?(?:改为|改成|调为|调到|为|是|:|不低于|不得低于|至少|最低|≥|>=)?\s?$"
    r"|(?:不低于|不得低于|至少|最低|≥|>=)\s?$"
    r"|(?:每|一)\s?(?:件|个|套|只|台|吨|米|箱|双|pcs|pc|piece|unit|set)\s?:?\s?$"
    r"|(?:(?:降价|涨价|总价|价格)?(?:降到|降至|降为|涨到|提到|调到|调至|调整到|调整为|改到|改成|改为))\s?$",
    re.I,
)
_PER_UNIT_CUE = re.compile(r"单价|每|一\s?(?:件|个|套|只|台)|price", re.I)
# `500 flanges`: a number before an English noun counts it (the noun stays the product).
_LATIN_COUNT = re.compile(
    r"(?<![\w.,])(?P<n>\d[\d,]*)\s?(?=(?!(?:{})(?![A-Za-z]))[A-Za-z][A-Za-z-]{{2,}}(?![A-Za-z]))".format(
        "|".join([*INCOTERMS_2020, *(w for w in CURRENCY_WORDS if w.isascii() and w.isalpha()), "days?", "pls"])
    ),
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

    Usage: `parse_quote_command("同意 Q-2026-0007", now=now, tz=tz).intent is Intent.APPROVE`.
    """
    raw_lines = [normalize(part) for part in _SEPARATORS.split(text) if normalize(part)]
    if not raw_lines:
        return None
    raw_lines = [_validity_until(line, now, tz) for line in raw_lines]
    head = raw_lines[0]
    if (found := _quote_for(head, now, tz)) is not None:
        intent, customer, rest = found
        read = _create if intent is Intent.QUOTE_CREATE else _revise_for
        return read(normalize(" ".join(raw_lines)), customer, [rest, *raw_lines[1:]])
    m = _CMD.match(head)
    if m is None:
        return None
    cmd = _ALIASES.get(m["cmd"].lower(), m["cmd"])
    rest = _FILLER.sub("", head[m.end() :])
    number, body = take_number(rest, year=now.astimezone(tz).year)
    flat = normalize(" ".join(raw_lines))
    if number is None and _BARE_DIGITS.fullmatch(body.partition(" ")[0]) and cmd in _NUMBERED:
        return QuoteCommand(
            _NUMBERED[cmd], flat, error=f"请写完整的报价编号，例如：{cmd} Q-{now.year}-0007 或 {cmd} 0007"
        )
    if cmd in ("提交", "接受") and _THE_LAST_ONE.fullmatch(body):
        body = ""  # 提交刚才那个: the newest one
    match cmd:
        case "报价":
            return _create_or_show(flat, number, body, raw_lines)
        case "查":
            return QuoteCommand(Intent.QUOTE_SHOW, flat, number=number) if number else None
        case "加一行":
            return _add_line(flat, number, [body, *raw_lines[1:]])
        case "修改":
            return _revise(flat, number, [body, *raw_lines[1:]]) if number else None
        case "提交":
            return QuoteCommand(Intent.QUOTE_SUBMIT, flat, number=number) if number or not body else None
        case "接受":
            return QuoteCommand(Intent.QUOTE_ACCEPT, flat, number=number) if number or not body else None
        case "同意" | "有条件同意":
            return _approve(flat, number, body, conditional=cmd == "有条件同意", bare_ok=m["cmd"] != "通过")
        case "驳回":
            return _reject(flat, number, body)
        case "待审批":
            return QuoteCommand(Intent.PENDING_APPROVALS, flat) if not body else None
        case "汇率":
            return _fx(flat, body)
        case "撤销汇率":
            return _fx_undo(flat, body)
        case "委托":
            return _delegate(flat, body, now=now, tz=tz)
        case "取消委托":
            return QuoteCommand(Intent.DELEGATE_CANCEL, flat) if not body else None
    return None


# A number alone after these command words is meant as a quote number: 提交 0003, 同意 2026-7.
_NUMBERED = {
    "提交": Intent.QUOTE_SUBMIT,
    "同意": Intent.APPROVE,
    "有条件同意": Intent.APPROVE,
    "驳回": Intent.REJECT,
    "接受": Intent.QUOTE_ACCEPT,
    "修改": Intent.QUOTE_REVISE,
    "加一行": Intent.QUOTE_ADD_LINE,
}
_SHORT_NUMBER = re.compile(r"(?:(?P<y>20\d{2})-(?P<n>\d{1,6})|(?P<padded>0\d{3,5}))")
_BARE_DIGITS = re.compile(r"\d{1,3}")
_THE_LAST_ONE = re.compile(
    r"刚才那个|刚才那张|刚才的|上一个|上一张|最新的|最新那个|这个|这张|那个|那张"
    r"|(?:the )?last(?: one)?|(?:the )?latest",
    re.I,
)


def find_number(text: str) -> str | None:
    """The quote number in `text`, in its canonical form: `q-2026-7` → `Q-2026-0007`."""
    m = NUMBER.search(text)
    return f"Q-{m[1]}-{int(m[2]):04d}" if m else None


def take_number(text: str, *, year: int) -> tuple[str | None, str]:
    """The quote number as people type it, and the rest of the text.

    `Q-2026-3` anywhere; at the start also `2026-0003` or a zero-padded `0003` (this year's). A short bare number
    (`同意 3`) is not taken: it could mean the third line of a list, and approving the wrong quote costs money.
    """
    if (number := find_number(text)) is not None:
        return number, _FILLER.sub("", NUMBER.sub(" ", text, count=1))
    first, _, tail = text.partition(" ")
    m = _SHORT_NUMBER.fullmatch(first)
    if m is None:
        return None, text
    n = int(m["n"] or m["padded"])
    if n == 0:
        return None, text
    return f"Q-{int(m['y'] or year)}-{n:04d}", _FILLER.sub("", tail)


_VALIDITY_UNTIL = re.compile(r"(?:有效期|validity|valid)\s?(?:到|至|截止到?|until|till|through)\s?(?P<when>\S+)", re.I)


def _validity_until(text: str, now: datetime, tz: ZoneInfo) -> str:
    """`有效期到月底` → `有效期7天`: a validity given as its last day is counted in days from today."""
    m = _VALIDITY_UNTIL.search(text)
    if m is None or not (spans := resolve_dates(m["when"], now, tz)):
        return text
    days = (spans[0].value.astimezone(tz).date() - now.astimezone(tz).date()).days
    return f"{text[: m.start()]}有效期{days}天{text[m.end() :]}" if days > 0 else text


def _error(intent: Intent, text: str, message: str, example: str) -> QuoteCommand:
    return QuoteCommand(intent, text, error=f"{message}\n例如：{example}")


# --- quotes -------------------------------------------------------------------------------------------


def _create_or_show(flat: str, number: str | None, body: str, raw_lines: list[str]) -> QuoteCommand | None:
    if number:
        return QuoteCommand(Intent.QUOTE_SHOW, flat, number=number)
    if not body or _REPORTED.search(flat):
        return None  # 报价 12.5万 给罗西了，他们嫌贵: a report of a quote sent, a follow-up
    if not (extract_money(flat) or extract_quantities(flat)):
        return None  # 报价已发给客户 … is a follow-up, not a command
    body = _FILLER.sub("", body)
    if m := _LATIN_NAME.match(body):  # 报价 Alpen Precision AG 控制阀 …: a Latin name keeps its words
        return _create(flat, m["c"], [body[m.end() :], *raw_lines[1:]])
    customer, *first = re.split(r"\s?:\s?|\s", body, maxsplit=1)
    return _create(flat, customer, [first[0] if first else "", *raw_lines[1:]])


# Two to four capitalised Latin words, none of them an incoterm or a currency code (报价 ACME FOB Hamburg …).
_LATIN_WORD = r"(?!(?:{})(?![A-Za-z]))[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f&.'-]*".format(
    "|".join([*INCOTERMS_2020, *(w.upper() for w in CURRENCY_WORDS if w.isascii() and w.isalpha())])
)
_LATIN_RUN = rf"{_LATIN_WORD}(?:\s{_LATIN_WORD}){{1,3}}"
_LATIN_NAME = re.compile(rf"^(?P<c>{_LATIN_RUN})(?:\s?:\s?|\s|$)")


# A quote already sent, told as news: 报价…给X了 / 已发 / 发过去了 / 他们嫌贵.
_REPORTED = re.compile(
    r"了(?:$|[\s,，。;；!！])|已经|已发|已报|发过去|嫌贵|嫌价格|(?<![A-Za-z])(?:sent|quoted)(?![A-Za-z])", re.I
)
# Words that ask for a quote to be made; a bare 报价 is also a noun (艾克美 报价 偏高 is news).
_REQUEST_WORD = r"(?:报个价|报一下价?|(?:新建|新增|创建|新开|出|做|开)(?:一个|一份|个|份)?报价单?|要个报价|出个价)"
_QUOTE_WORD = rf"(?:{_REQUEST_WORD}|报价单|报价)"
_AGAIN_WORD = r"(?:重新(?:报个价|报一下价?|报价单?|(?:出|做|开)(?:一个|一份|个|份)?报价单?))"
_CHANGE_WORD = r"(?:修改一下|修改|改一下|改下|改成|改为|调整一下|调整为|调整|调一下|更新一下|更新为|更新)"
_POLITE = r"(?:帮忙|帮我|麻烦|请|我要|我想)?\s?"
_NAME = r"[^\s:,]+?"


class _Form(Enum):
    """How a quote-word form names the customer, which decides how much it must say to be a command."""

    ASKED = "asked"  # 给X报个价, 报价给X: an instruction even with nothing else said
    NAMED = "named"  # X 报个价, 报个价 X: an instruction when the word is a request word (X 报价 偏高 is news)
    FULL = "full"  # 报价：… 给X, 报X …: a command only with a quantity and a price
    AGAIN = "again"  # 给X重新报个价, X报价改一下: the customer's newest quote revised


_QUOTE_FOR: tuple[tuple[re.Pattern[str], _Form], ...] = (
    (re.compile(rf"^{_POLITE}给\s?(?P<c>{_NAME})\s?{_AGAIN_WORD}\s?:?\s?(?P<rest>.*)$"), _Form.AGAIN),
    (re.compile(rf"^(?P<c>{_NAME})\s?(?:的)?报价单?\s?{_CHANGE_WORD}\s?:?\s?(?P<rest>.*)$"), _Form.AGAIN),
    (re.compile(rf"^(?:修改|改一下|改下|调整)\s?(?P<c>{_NAME})\s?的报价单?\s?:?\s?(?P<rest>.*)$"), _Form.AGAIN),
    (re.compile(rf"^{_AGAIN_WORD}\s?给?\s?(?P<c>{_NAME})(?:\s?[:,]\s?|\s|$)(?P<rest>.*)$"), _Form.AGAIN),
    (re.compile(rf"^{_POLITE}给\s?(?P<c>{_NAME})\s?(?P<w>{_QUOTE_WORD})\s?:?\s?(?P<rest>.*)$"), _Form.ASKED),
    (  # 报价给布莱特星：…, 做一份报价给Axon fluid，…
        re.compile(rf"^{_POLITE}(?P<w>{_QUOTE_WORD})\s?给\s?(?P<c>[^:,]+?)\s?[:,]\s?(?P<rest>.*)$"),
        _Form.ASKED,
    ),
    (re.compile(rf"^{_POLITE}(?P<w>{_QUOTE_WORD})\s?给\s?(?P<c>\S+)(?:\s(?P<rest>.*))?$"), _Form.ASKED),
    (re.compile(r"^(?:quote|quotation|offer) for\s(?P<c>[^:,]+?)\s?[:,]\s?(?P<rest>.*)$", re.I), _Form.ASKED),
    # 报价：… 给里斯本船舶 / 帮忙出个报价 … 客户是自由港物流: the customer at the end
    (
        re.compile(
            rf"^{_POLITE}{_QUOTE_WORD}\s?:?\s?(?P<rest>.*?)[,\s]\s?(?:给|客户是|客户:|for)\s?(?P<c>[^\s,:]+)$", re.I
        ),
        _Form.FULL,
    ),
    (  # 大阪机械 报价 …, Osaka Kikai quote: …, 罗西管业 报一下 …, 枫叶管道 出个报价 …
        re.compile(
            rf"^(?P<c>[^\s:,]+(?:\s[A-Za-z][\w.&-]*){{0,3}}?)\s?(?P<w>{_QUOTE_WORD}|(?<![A-Za-z])(?:quote|quotation)"
            rf"(?:\s(?:pls|please|plz))?(?![A-Za-z]))\s?:?\s?(?P<rest>.*)$",
            re.I,
        ),
        _Form.NAMED,
    ),
    (re.compile(r"^报\s?(?P<c>[^\s价:,一个]\S+)\s(?P<rest>.*)$"), _Form.FULL),  # 报枫叶管道 止回阀 …
    # 报个价 曼谷水务 …, 新建报价 北风泵业 …, 报价 Alpen Precision AG …
    (
        re.compile(rf"^{_POLITE}(?P<w>{_QUOTE_WORD})\s?:?\s(?P<c>{_LATIN_RUN}|[^\s:,]+)(?:\s?:?\s(?P<rest>.*))?$"),
        _Form.NAMED,
    ),
)


_NOT_A_NAME = re.compile(r"^(?:帮忙|帮我|麻烦|请|做个|出个|给|报价|quote|新建|新增|创建|新开|重新)", re.I)
# Words in front of a quote word that make it news, not an instruction: 艾克美让我们报个价, 明天报个价.
_NOT_A_CUSTOMER = re.compile(
    r"让|叫|要|说|问|想|希望|需要|我|他|她|你|客户|今天|明天|后天|昨天|下周|本周|这周|月底|月初|周[一二三四五六日]"
    r"|上午|下午|晚上|早上|马上|尽快|刚才|已经|再|先|还|也|都|能不能|可以|帮忙|完成|推迟|待办|任务|删除|提醒"
)


def _quote_for(head: str, now: datetime, tz: ZoneInfo) -> tuple[Intent, str, str] | None:
    """(create or revise, customer, the rest) when `head` asks for a quote naming the customer around the quote
    word. An instruction (给X报个价) needs nothing else; a form that is also news (X 报价 …) only with a quantity and
    a price; words that set a day (给X报个价 下周一前) make it a plan, not a command."""
    if _REPORTED.search(head) or _ASKS.search(head):
        return None
    full = bool(extract_money(head) and extract_quantities(head))
    for pattern, form in _QUOTE_FOR:
        m = pattern.match(head)
        if m is None or not (customer := _FILLER.sub("", m["c"])):
            continue
        if _NOT_A_NAME.match(customer) or extract_money(customer) or extract_quantities(customer):
            continue
        rest = m["rest"] or ""
        if form is _Form.AGAIN:  # only with the change: 完成 报价单更新 is a task, 艾克美报价改一下 alone is news
            changes = _revise("", None, [rest]) if rest else None
            if changes is None or changes.error or _NOT_A_CUSTOMER.search(customer):
                return None
            return Intent.QUOTE_REVISE, customer, rest
        if full:
            return Intent.QUOTE_CREATE, customer, rest
        asked = form is _Form.ASKED or (form is _Form.NAMED and re.fullmatch(_REQUEST_WORD, m["w"]))
        if asked and not _NOT_A_CUSTOMER.search(customer) and not rest.startswith("的"):
            if not resolve_dates(" ".join(read_terms([rest])[1]), now, tz):  # 交期30天 is a term, not a day
                return Intent.QUOTE_CREATE, customer, rest
    return None


_ASKS = re.compile(r"[?？]|吗$|么$|没有?$")


def _create(flat: str, customer: str, segments: list[str]) -> QuoteCommand:
    """What the rep gave of a new quote; what is missing (gaps) is asked for before a draft is made."""
    terms, segments = read_terms(segments)
    said, segments = _said_currency(segments)
    lines: list[LineSpec] = []
    for segment in segments:
        line = _line_change(segment) or _product_only(segment)
        if line is None:
            continue
        if line.quantity is None and line.unit_price is not None and line.per_unit is None:
            if line.unit_price >= _LUMP_AT_LEAST:  # 不锈钢管件 人民币 15万: the price of the lot
                line = replace(line, quantity=Decimal(1), unit=_lump_unit(segment), per_unit=False)
        lines.append(line)
    currencies = {ln.currency for ln in lines if ln.currency}
    if len(currencies) > 1:
        return _error(Intent.QUOTE_CREATE, flat, "一张报价只能用一种币种，请分开报价。", EXAMPLE_CREATE)
    currency = next(iter(currencies), said)
    lines = [replace(ln, currency=currency) for ln in lines]
    return QuoteCommand(
        Intent.QUOTE_CREATE, flat, customer=customer, lines=tuple(lines), terms=terms, currency=currency
    )


_LUMP_AT_LEAST = Decimal(10_000)


def gaps(cmd: QuoteCommand) -> tuple[str, ...]:
    """What a new quote still needs before it can be priced, in the rep's words (产品、数量、单价、币种)."""
    if not cmd.lines:
        return ("产品", "数量", "单价") + (() if cmd.currency else ("币种",))
    missing: list[str] = []
    for line in cmd.lines:
        name = line.product or "这一行"
        if not line.product:
            missing.append("产品名称")
        if line.quantity is None:
            missing.append(f"{name}的数量")
        if line.unit_price is None:
            missing.append(f"{name}的单价")
    if cmd.currency is None:
        missing.append("币种")
    return tuple(missing)


_CURRENCY_NAMES = sorted(
    [w for w in CURRENCY_WORDS if len(w) > 1 and w not in ("块钱", "us$", "hk$")], key=len, reverse=True
)
_SAID_CURRENCY = re.compile(
    r"(?<![A-Za-z\d.])(?:用|以|按)?(?P<w>{})(?:报价?|计价|结算)?(?![A-Za-z\d])".format("|".join(_CURRENCY_NAMES)),
    re.I,
)


def _said_currency(segments: list[str]) -> tuple[str | None, list[str]]:
    """A currency named without an amount (做个报价 FOB 宁波 美元): the quote's currency; the word is taken out."""
    said: str | None = None
    out: list[str] = []
    for segment in segments:
        spans = extract_money(segment)
        m = next(
            (m for m in _SAID_CURRENCY.finditer(segment) if not any(s.start <= m.start() < s.end for s in spans)),
            None,
        )
        if m is not None:
            said = said or CURRENCY_WORDS[m["w"].lower()]
            segment = normalize(segment[: m.start()] + " " + segment[m.end() :])
        out.append(segment)
    return said, out


_POLITENESS = re.compile(
    r"(?<![A-Za-z])(?:pls|please|plz|thx|thanks|asap)(?![A-Za-z])|谢谢|麻烦了|辛苦了|一下|吧$|哈$", re.I
)


def _product_only(segment: str) -> LineSpec | None:
    """A product named with nothing else (给北风做个报价 蝶阀): kept, its quantity and price asked for."""
    product = _FILLER.sub("", normalize(_POLITENESS.sub(" ", segment)))
    return LineSpec(product=product) if len(product) >= 2 else None


def completed(kept: str, answer: str, *, now: datetime, tz: ZoneInfo) -> tuple[str, QuoteCommand] | None:
    """The quote request kept while kabot asked what it lacks, with the rep's answer read into it: (the text of
    both, the command), or None when the answer fills none of the gaps (it is some other message).

    One line of answer continues a product already named (离心泵 30台 欧元 + 单价 800); otherwise each line of
    the answer is a product line of its own."""
    before = parse_quote_command(kept, now=now, tz=tz)
    if before is None or before.intent is not Intent.QUOTE_CREATE:
        return None
    first, *more = [line for line in answer.strip().splitlines() if line.strip()] or [""]
    joined = f"{kept} {first}" if before.lines else f"{kept}\n{first}"
    joined = "\n".join([joined, *more])
    after = parse_quote_command(joined, now=now, tz=tz)
    if after is None or after.intent is not Intent.QUOTE_CREATE or after.customer != before.customer:
        return None
    return (joined, after) if after.error or len(gaps(after)) < len(gaps(before)) else None


def _revise_for(flat: str, customer: str, segments: list[str]) -> QuoteCommand:
    """给X重新报个价 降到3万欧: the customer's newest quote, changed as a `修改 Q-…` would change it."""
    cmd = _revise(flat, None, segments)
    return replace(cmd, customer=customer)


def _add_line(flat: str, number: str | None, segments: list[str]) -> QuoteCommand:
    terms, rest = read_terms(segments)
    lines, error = _lines(rest)
    if error:
        return _error(Intent.QUOTE_ADD_LINE, flat, error, EXAMPLE_ADD)
    return QuoteCommand(Intent.QUOTE_ADD_LINE, flat, number=number, lines=lines, terms=terms)


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
            Intent.QUOTE_REVISE,
            flat,
            "没看出要修改什么。可以改单价、数量、有效期、付款方式、交期、运费、保险，或“更新汇率”。",
            EXAMPLE_REVISE,
        )
    return QuoteCommand(Intent.QUOTE_REVISE, flat, number=number, lines=tuple(changes), terms=terms)


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
        text = _take(text, _TAX, found, "tax_included", lambda m: m["gross"] is not None)
        text = _take(text, _PAYMENT, found, "payment_terms", lambda m: _FILLER.sub("", m["v"]))
        text = _take(text, _PAYMENT_KEYED, found, "payment_terms", lambda m: _FILLER.sub("", m["v"]))
        text = _take(text, _PAYMENT_PERCENT, found, "payment_terms", lambda m: _FILLER.sub("", m.group()))
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


# 总价 26 万美元 含法兰、止回阀: one price for the lot, a line of one 批.
_LUMP_SUM = re.compile(r"(?:总价|合计|总额|总金额|一共|整单价?|打包价?|(?<![A-Za-z])(?:lump[- ]sum|total))\s?$", re.I)


def _lump_unit(text: str) -> str:
    return "批" if re.search(r"[\u4e00-\u9fff]", text) else "lot"


_INCLUDING = re.compile(r"^(?:含|包含|包括|including)\s?", re.I)


def _line_change(segment: str) -> LineSpec | None:
    """Whatever of a line this segment gives; None when it gives nothing."""
    text = normalize(segment)
    rename = None
    if (m := _RENAME.search(text)) is not None:
        rename = _FILLER.sub("", m["v"]) or None
        text = normalize(text[: m.start()])
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
    per_unit: bool | None = None
    if price is not None:
        cue = _PRICE_CUE.search(text, 0, price.start)
        each = _PER_UNIT.match(text, price.end)  # 80美元/件, USD 35 each
        cut.append((cue.start() if cue else price.start, each.end() if each else price.end))
        per_unit = True if price.per_unit or each or (cue and _PER_UNIT_CUE.search(cue.group())) else None
    qty = next(
        (q for q in extract_quantities(text) if price is None or q.end <= price.start or q.start >= price.end), None
    )
    if qty is None and (counted := _LATIN_COUNT.search(text)) and (price is None or counted.end() <= price.start):
        qty = QuantitySpan(counted.start(), counted.end(), _decimal(counted["n"]), "pcs")
    if qty is not None:
        cue = _QTY_CUE.search(text, 0, qty.start)
        cut.append((cue.start() if cue else qty.start, qty.end))
    lump_cue = _LUMP_SUM.search(text, 0, price.start) if qty is None and price is not None else None
    lump = lump_cue is not None
    if lump_cue is not None:
        cut.append(lump_cue.span())
    product = text
    for start, end in sorted(cut, reverse=True):
        product = product[:start] + " " + product[end:]
    product = _FILLER.sub("", _PRODUCT_NOISE.sub("", normalize(_POLITENESS.sub(" ", product))))
    if lump:
        product = _INCLUDING.sub("", product)
    if price is None and qty is None and cost is None and not line_no and rename is None:
        return None
    return LineSpec(
        product=product,
        quantity=qty.value if qty else Decimal(1) if lump else None,
        unit=qty.unit if qty else _lump_unit(text) if lump else None,
        unit_price=price.amount if price else None,
        currency=price.currency if price else None,
        unit_cost=cost[0] if cost else None,
        cost_currency=cost[1] if cost else None,
        line_no=line_no,
        rename=rename,
        per_unit=False if lump else per_unit,
    )


# --- approvals ----------------------------------------------------------------------------------------


_CONDITION = re.compile(r"(?:附加?条件|条件|前提是?|conditions?)\s?(?:是|为|:)\s?(?P<c>.+)$", re.I)


def _approve(flat: str, number: str | None, body: str, *, conditional: bool, bare_ok: bool) -> QuoteCommand | None:
    """Only an explicit condition is one (有条件同意 …, 条件：…); other words after 同意 are the approver's comment."""
    if number is None and not bare_ok:
        return None
    if number is None and body:
        return None  # 同意客户的要求 … is not a decision
    comment, condition = body, ""
    if conditional:
        comment, condition = "", body
    elif (m := _CONDITION.search(body)) is not None:
        comment, condition = _FILLER.sub("", body[: m.start()]), m["c"].strip()
    if conditional and not condition:
        return QuoteCommand(
            Intent.APPROVE,
            flat,
            number=number,
            error="有条件同意需要写明条件。\n例如：有条件同意 Q-2026-0007 单价不低于78美元",
        )
    return QuoteCommand(Intent.APPROVE, flat, number=number, note=as_written(comment), condition=condition)


def _reject(flat: str, number: str | None, body: str) -> QuoteCommand | None:
    if number is None:
        error = f"请写明报价编号和原因。\n例如：{EXAMPLE_REJECT}"
        return None if body else QuoteCommand(Intent.REJECT, flat, error=error)
    reason, note = classify_reject_reason(body) if body else (None, "")
    return QuoteCommand(Intent.REJECT, flat, number=number, reason=reason, note=as_written(note))


# A code only when the words complain about that thing: 毛利太低 is 毛利不足, 没填成本无法核算毛利 is not.
_LOW = r"(?:太|偏|过|比较|有点|较)?(?:低|薄|少|不够|不足|不达标|达不到|没达到)"
_REASON_KEYWORDS: tuple[tuple[RejectReason, re.Pattern[str]], ...] = (
    (
        RejectReason.LOW_MARGIN,
        re.compile(
            rf"(?:毛利率?|利润率?|margin)\s?{_LOW}|低毛利|亏本|亏钱|不赚钱|margin (?:is )?too (?:low|thin)", re.I
        ),
    ),
    (
        RejectReason.PAYMENT_TERMS,
        re.compile(
            r"(?:付款|账期|结算|信用证|payment|L/C|O/A|D/A)\s?(?:方式|条件|条款|terms?)?\s?"
            r"(?:太|偏|过)?(?:长|久|不行|不接受|不能接受|风险|有风险|不合理|unacceptable|too long|risky)"
            r"|账期太长|赊账|没有预付|无预付|预付(?:太|过)?(?:少|低)|no (?:deposit|prepayment)",
            re.I,
        ),
    ),
    (
        RejectReason.LEAD_TIME,
        re.compile(
            r"(?:交期|货期|交货期?|lead time|delivery)\s?(?:太|偏|过)?(?:长|短|紧|赶不上|来不及|做不到|无法满足|不行|"
            r"too (?:long|short|tight))|赶不上交期|来不及交货",
            re.I,
        ),
    ),
    (
        RejectReason.PRICE_TOO_LOW,
        re.compile(
            rf"(?:价格|价钱|单价|报价|售价|price)\s?{_LOW}|价低|低于底价|低于底线|底价|底线|太便宜|price too low", re.I
        ),
    ),
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
        return QuoteCommand(Intent.FX_SHOW, flat)
    if (undo := _fx_undo_words(body)) is not None:
        return _fx_undo(flat, undo)
    m = _RATE.match(body)
    if m is None:
        return _error(Intent.FX_SET, flat, "汇率的写法是：汇率 币种 1单位外币折合多少本位币。", EXAMPLE_FX)
    currency = _currency_code(m["cur"])
    rate = Decimal(m["rate"])
    if not currency or rate <= 0:
        return _error(Intent.FX_SET, flat, "汇率必须是大于 0 的数字，币种用三个字母。", EXAMPLE_FX)
    return QuoteCommand(Intent.FX_SET, flat, currency=currency, rate=rate)


def _currency_code(word: str) -> str:
    """`usd` → USD, `美元` → USD, `RMB` → CNY (one currency, two names)."""
    word = word.lower()
    return CURRENCY_WORDS.get(word, word.upper() if word.isascii() and word.isalpha() else "")


def _fx_undo_words(body: str) -> str | None:
    """`汇率 USD 撤销` / `汇率 撤销 USD` → "USD"; None when the body is not an undo."""
    words = body.split()
    if "撤销" not in words and "undo" not in (w.lower() for w in words):
        return None
    return " ".join(w for w in words if w not in ("撤销",) and w.lower() != "undo")


def _fx_undo(flat: str, body: str) -> QuoteCommand:
    body = body.strip()
    if not body:
        return QuoteCommand(Intent.FX_UNDO, flat)
    currency = _currency_code(body)
    if len(currency) != 3:
        return _error(Intent.FX_UNDO, flat, "请写明要撤销哪个币种的汇率。", "撤销汇率 USD")
    return QuoteCommand(Intent.FX_UNDO, flat, currency=currency)


_DELEGATE_FOR = re.compile(r"^(?P<from>\S+?)\s?(?:给|→|->|to)\s?(?P<to>\S+)\s?(?P<rest>.*)$")


def _delegate(flat: str, body: str, *, now: datetime, tz: ZoneInfo) -> QuoteCommand:
    """`委托 孙丽 至 12-05`; an admin may write `委托 赵敏 给 王强 至 12-05` for someone else."""
    from_person = None
    if (m := _DELEGATE_FOR.match(body)) is not None:
        from_person, body = m["from"], f"{m['to']} {m['rest']}".strip()
    person, _, when = body.partition(" ")
    for word in ("至", "到", "直到", "until"):
        if word in person:  # 委托孙丽至12-05
            person, _, tail = person.partition(word)
            when = f"{tail} {when}".strip()
    when = re.sub(r"^(?:至|到|直到|until)\s?", "", when)
    if not person or not when:
        return _error(Intent.DELEGATE, flat, "请写明委托给谁、到哪天。", EXAMPLE_DELEGATE)
    until, problem = _end_date(when, now=now, tz=tz)
    if until is None:
        return _error(Intent.DELEGATE, flat, problem, EXAMPLE_DELEGATE)
    end = datetime.combine(until, time(23, 59, 59), tzinfo=tz)
    return QuoteCommand(Intent.DELEGATE, flat, person=person, from_person=from_person, until=end)


def _end_date(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[date | None, str]:
    """(the last day, "") for `12-05` / `12月5日` / `2027-01-10` / `下周五`; (None, why) for a past or vague date.

    A month-day already past this year means next year only when that is within the longest delegation
    (`至 1-10` in November); `至 11-20` on 11-23 is a slip, and is refused rather than run for a year.
    """
    today = now.astimezone(tz).date()
    if (m := _MONTH_DAY.search(text)) is not None:
        try:
            day = date(int(m["y"]) if m["y"] else today.year, int(m["m"]), int(m["d"]))
        except ValueError:
            return None, f"没有 {m.group()} 这一天。"
        if not m["y"] and day < today and _next_year(day) <= today + MAX_DELEGATION:
            day = _next_year(day)
    else:
        spans = resolve_dates(text, now, tz)
        if not spans:
            return None, f"看不懂结束日期“{text}”，请写具体日期。"
        if spans[0].guessed:
            return None, f"“{text}”不是一个确定的日期，请写具体哪天。"
        day = spans[0].value.date()
    if day < today:
        return None, f"委托的结束日期 {day:%Y-%m-%d} 已经过去了。"
    if day > today + MAX_DELEGATION:
        return None, f"委托最长 {MAX_DELEGATION.days} 天，{day:%Y-%m-%d} 太远了。"
    return day, ""


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 2-29
        return day.replace(year=day.year + 1, day=28)
