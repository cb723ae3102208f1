"""Questions a rep asks kabot (a phone number, whom I followed up, my quotes): told apart from things to log.

Pure: the text in, a `Question` out (or None when the message is not a question). It runs before the
follow-up parser, so `艾克美张总电话多少` is answered, never saved as a follow-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.nlu.asked_customer import asked_the_customer
from core.nlu.intents import GREETING, THANKS, Intent
from core.nlu.normalize import CLAUSE, normalize


class Ask(StrEnum):
    CONTACT = "contact"  # a contact's phone / e-mail / role, by name, company or phone number
    FOLLOWED = "followed"  # whom someone followed up in a period
    MY_CUSTOMERS = "my_customers"
    QUOTES = "quotes"  # my quotes, or one customer's, with their status
    STAGE = "stage"  # where a customer's open opportunities stand (艾克美现在到哪个阶段了)
    COLLEAGUE = "colleague"  # how one of the team is doing (李娜最近怎么样): recent follow-ups, open tasks
    QUIET = "quiet"  # customers not contacted for more than `days` days (我有哪些客户超过30天没联系了)
    GREETING = "greeting"
    THANKS = "thanks"
    OTHER = "other"  # a question kabot cannot answer yet


class Period(StrEnum):
    TODAY = "今天"
    THIS_WEEK = "这周"
    LAST_WEEK = "上周"
    THIS_MONTH = "这个月"
    LAST_MONTH = "上个月"


@dataclass(frozen=True)
class Question:
    ask: Ask
    subject: str | None = None  # contact name, company or phone number; a customer for QUOTES
    field: str | None = None  # phone / email / role
    person: str | None = None  # FOLLOWED, MY_CUSTOMERS, COLLEAGUE: whose; None is the asker
    period: Period = Period.THIS_WEEK
    days: int = 30  # QUIET: more than this many days without a follow-up

    @property
    def intent(self) -> Intent:
        return Intent.QUESTION


_PERIODS = {
    "今天": Period.TODAY,
    "本周": Period.THIS_WEEK,
    "这周": Period.THIS_WEEK,
    "这个星期": Period.THIS_WEEK,
    "上周": Period.LAST_WEEK,
    "上个星期": Period.LAST_WEEK,
    "本月": Period.THIS_MONTH,
    "这个月": Period.THIS_MONTH,
    "上个月": Period.LAST_MONTH,
    "上月": Period.LAST_MONTH,
}
_PERIOD = "|".join(sorted(_PERIODS, key=len, reverse=True))
_FOLLOWED = re.compile(
    rf"^(?P<a>{_PERIOD})?(?P<who>[^\s]{{0,6}}?)(?P<b>{_PERIOD})?(?:都)?跟进了?(?:哪些|什么|几个|多少)(?:个)?客户[?？呢吗]*$"
)
# 王强今天干啥了 / 李娜今天干了什么 / 王强这周做了什么: answered with whom they followed up in that period.
_DID = re.compile(
    rf"^(?P<a>{_PERIOD})?(?P<who>[^\s]{{0,6}}?)(?P<b>{_PERIOD})?(?:都|在)?(?:干|做|忙)了?(?:些)?(?:啥|什么|哪些事|什么事)了?"
    r"[?？呢吗啊]*$"
)
_MY_CUSTOMERS = re.compile(
    r"^(?:我的客户|我有哪些客户|我负责的客户|我的客户(?:有哪些|列表))[?？]*$"
    r"|^(?:my|list my|show my) (?:customers|accounts)[?]*$",
    re.I,
)
# 李娜的客户 (a manager): one of the team's accounts; a name that is nobody's is said to be no colleague.
_THEIR_CUSTOMERS = re.compile(r"^(?P<who>[\u4e00-\u9fff]{2,4})(?:的|负责的)客户(?:有哪些|列表)?[?？]*$")
_MY_QUOTES_EN = re.compile(r"^(?:my|list my|show my) quotes?[?]*$", re.I)
_PERIODS_EN = {
    "today": Period.TODAY,
    "this week": Period.THIS_WEEK,
    "last week": Period.LAST_WEEK,
    "this month": Period.THIS_MONTH,
    "last month": Period.LAST_MONTH,
}
# what did I do last week / who did I follow up this week: whom I followed up in that period.
_DID_EN = re.compile(
    rf"^(?:what did i do|what have i done|who did i (?:follow up|contact|call|visit))(?: with)?"
    rf"(?: (?P<period>{'|'.join(_PERIODS_EN)}))?[?]*$",
    re.I,
)
# 我有哪些客户超过30天没联系了 / 超过30天没跟进的客户 / 哪些客户很久没联系了: the accounts going cold.
_QUIET = re.compile(
    r"^(?:我|我们|我的|团队)?(?:有)?(?:哪些|哪几个|哪几家|什么)?(?:客户)?(?:里|中)?(?:有)?(?:哪些)?(?:已经)?(?:超过|有|快)?"
    r"(?:(?P<n>\d{1,3})\s*(?:天|日)|(?P<month>一个多?月)|很久|好久)(?:以上|多)?(?:都|还)?(?:没|没有|未)(?:再)?"
    r"(?:联系|跟进|沟通)(?:过)?了?(?:的客户)?(?:有哪些|是哪些|有几个|有多少|有谁)?[?？吗呢了]*$"
)
# Said at the end, a question however it starts (…没联系了吗, …多少？); only a message naming no customer is read so.
_ASKS_AT_END = re.compile(r"(?:[?？]|吗|哪些|多少|什么|几个|几家|哪个|哪家|谁|怎么样|如何)[了啊呀呢]?\s*$")
# Someone else's words reported (客户问价格多少, 他说没什么): news to keep, whatever its last word.
_REPORTED = re.compile(r"说|问|讲|表示|回复|回了|告诉|反馈|他们|对方|[他她]")
_ASKS_FOR_MINE = re.compile(r"^(?:我|我们)(?:有|的)?(?:哪些|多少|几个|几家|什么)")
_QUOTES = re.compile(r"^(?P<who>[^,，。;；]{1,16}?)的?报价(?:单)?(?:情况|状态|进度|怎么样了?|到哪了)?[?？呢吗]*$")
# 艾克美上次报的什么价, 穆勒报了多少钱: asked of the account's quotes, answered with them, never logged.
_QUOTED_PRICE = re.compile(
    r"^(?P<who>[^\s,，。;；?？]{1,16}?)的?(?:上次|上回|之前|最近|最后一次)?(?:给他们|给)?(?:报的|报了|报过|报价)"
    r"(?:是|的是)?(?:什么价(?:格|钱)?|啥价|多少钱?|几钱)[?？呢啊]*$"
)
# 艾克美现在到哪个阶段了, 艾克美那单到哪一步了, 艾克美的商机什么阶段, ACME what stage: a customer's open deals.
_STAGE_Q = re.compile(
    r"^(?:查一?下|请问)?(?P<who>[^,，。;；?？]{1,24}?)\s?(?:的)?(?:那单|这单|单子|商机|项目|订单)?\s?(?:现在|目前|最近)?\s?"
    r"(?:到了?|在|是|处于|处在|进展到|推进到|走到)?\s?(?:哪个|什么|啥|哪一个|哪)\s?(?:阶段|一步|步)了?\s?[?？呢吗啊]*$"
    r"|^(?P<who2>[^,，。;；?？]{1,24}?)\s?(?:的)?(?:那单|这单|单子|商机|项目)?\s?(?:现在|目前)?\s?(?:进展到|到|推进到)哪了?[?？呢]*$"
    r"|^(?:what stage is|which stage is|where is)\s(?P<who3>.{1,40}?)\s?(?:at|in)?[?]*$",
    re.I,
)
_FIELDS = {
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "电话号码": "phone",
    "联系方式": "phone",
    "邮箱": "email",
    "email": "email",
    "e-mail": "email",
    "邮件地址": "email",
    "职位": "role",
    "职务": "role",
    "角色": "role",
    "头衔": "role",
}
_FIELD = "|".join(sorted(map(re.escape, _FIELDS), key=len, reverse=True))
_CONTACT = re.compile(
    rf"^(?:查一?下|请问)?(?P<who>[^,，。;；]{{1,24}}?)的?(?P<field>{_FIELD})(?:号码)?(?:是|是多少|多少|是什么|呢|有吗|给我)*[?？]*$",
    re.I,
)
# Klaus phone?, what is Klaus Becker's email, ACME contact email, phone number of Anna
_FIELDS_EN = {"phone": "phone", "mobile": "phone", "number": "phone", "phone number": "phone", "email": "email",
              "e-mail": "email", "mail": "email", "title": "role", "role": "role", "position": "role"}  # fmt: skip
_FIELD_EN = "|".join(sorted(map(re.escape, _FIELDS_EN), key=len, reverse=True))
_CONTACT_EN = re.compile(
    rf"^(?!(?:send|call|give|tell|ask|remind|email|mail|update|add|change)\s)"
    rf"(?:what(?:'s| is)\s)?(?:the\s)?(?:(?P<field1>{_FIELD_EN})\s(?:of|for)\s(?P<who1>[^?]{{1,40}}?)"
    rf"|(?P<who2>[^?]{{1,40}}?)(?:'s|s')?\s(?:contact\s)?(?P<field2>{_FIELD_EN}))\s?[?]*$",
    re.I,
)
_PHONE = re.compile(r"^\+?[\d\s-]{7,20}$")
_WHO_IS_PHONE = re.compile(r"^(?P<phone>\+?\d[\d\s-]{6,19})\s*(?:是谁|是哪位|是谁的)[?？]*$")
_QUESTION_END = re.compile(r"(?:[?？]|吗|么|呢|有哪些|是哪些|有几个|有多少)\s*$")  # …没跟进的客户有哪些
_QUESTION_WORD = re.compile(r"^(?:怎么|如何|为什么|能不能|可不可以|可以|能否|有没有|是不是|哪些|谁)")
_LOG_WORD = re.compile(r"^(?:跟进|记录|拜访|电话|今天|昨天|刚才|上午|下午)")
# 打电话 / 回电话 / 提醒我… is something to do, not a question about a phone number
_TO_DO = re.compile(r"提醒|[打回通]电话|[打回]个电话")


def parse_question(text: str) -> Question | None:
    """The question in `text`, or None when it is something to do or to log."""
    t = normalize(text).strip()
    if not t:
        return None
    if GREETING.match(t):
        return Question(Ask.GREETING)
    if THANKS.match(t):
        return Question(Ask.THANKS)
    if m := _FOLLOWED.match(t) or _DID.match(t):
        who = m["who"].strip() or None
        period = _PERIODS.get(m["a"] or m["b"] or "", Period.THIS_WEEK)
        if who and who.endswith("最近") and who[:-2] not in ("", "我"):  # 李娜最近在忙什么: how she is doing
            return Question(Ask.COLLEAGUE, person=who[:-2])
        who = who.removesuffix("最近") if who else None
        return Question(Ask.FOLLOWED, person=None if who in (None, "", "我") else who, period=period)
    if (m := _QUIET.match(t)) and "客户" in t:
        return Question(Ask.QUIET, days=int(m["n"]) if m["n"] else 30)
    if m := _DID_EN.match(t):
        return Question(Ask.FOLLOWED, period=_PERIODS_EN[(m["period"] or "this week").lower()])
    if _MY_CUSTOMERS.match(t):
        return Question(Ask.MY_CUSTOMERS)
    if m := _THEIR_CUSTOMERS.match(t):
        return Question(Ask.MY_CUSTOMERS, person=m["who"])
    if _MY_QUOTES_EN.match(t):
        return Question(Ask.QUOTES)
    if (m := _QUOTES.match(t)) and not (_LOG_WORD.match(t) or _QUESTION_WORD.match(t)):
        who = m["who"].strip()
        return Question(Ask.QUOTES, subject=None if who == "我" else who)
    if (m := _QUOTED_PRICE.match(t)) and not _LOG_WORD.match(t):
        return Question(Ask.QUOTES, subject=m["who"])
    if (m := _STAGE_Q.match(t)) and not _LOG_WORD.match(t):
        who = (m["who"] or m["who2"] or m["who3"]).strip()
        return Question(Ask.STAGE, subject=who)
    if m := _WHO_IS_PHONE.match(t):
        return Question(Ask.CONTACT, subject=m["phone"].strip(), field="name")
    if (m := _CONTACT_EN.match(t)) and not _LOG_WORD.match(t):
        who, field = (m["who1"], m["field1"]) if m["who1"] else (m["who2"], m["field2"])
        return Question(Ask.CONTACT, subject=who.strip(), field=_FIELDS_EN[field.lower()])
    if (m := _CONTACT.match(t)) and not (_LOG_WORD.match(t) or _TO_DO.search(t)):
        return Question(Ask.CONTACT, subject=m["who"].strip(), field=_FIELDS[m["field"].lower()])
    if _PHONE.match(t):
        return Question(Ask.CONTACT, subject=t, field="name")
    if _LOG_WORD.match(t) or asked_the_customer(t):  # 北风泵业 微信问了付款安排好了吗: a report, never asked back
        return None
    if _QUESTION_END.search(t) or _QUESTION_WORD.match(t):
        return Question(Ask.OTHER)
    return None


def asks(text: str) -> bool:
    """Whether the message asks something (ends like a question, or asks for what I have): a message naming no
    customer that asks is never filed as a note waiting for its customer's name."""
    t = normalize(text).strip()
    if _REPORTED.search(t):
        return False
    return bool(_ASKS_AT_END.search(t) or _ASKS_FOR_MINE.match(t) or _QUESTION_WORD.match(t))


def report_then_question(text: str) -> tuple[str, str] | None:
    """(report, question) when only the last clause of a longer message asks (…下周签合同 对了穆勒的报价发了吗)."""
    t = normalize(text).strip()
    clauses = [m for m in CLAUSE.finditer(t) if m.group().strip()]
    if len(clauses) < 2:
        return None
    last = clauses[-1]
    if parse_question(t[last.start() :]) is None or parse_question(t[: last.start()]) is not None:
        return None
    return t[: last.start()].rstrip(" ,，。;；"), t[last.start() :].strip()
