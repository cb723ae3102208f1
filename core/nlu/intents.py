"""What a rep's message asks for: one intent plus typed fields, from messy short Chinese / English chat.

A leading command word (typos and a missing space tolerated, see normalize.split_command) decides the
intent; without one, free text is classified by cue words (进入商务谈判 → stage, 怎么样 → lookup, visit /
call words or a known customer with a date → follow-up). Field extraction reuses the span extractors
(dates, money, quantities, incoterms, names), so every rule lives in exactly one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.money import Money
from core.nlu.asked_customer import asked_the_customer
from core.nlu.dates import DateSpan, resolve_dates
from core.nlu.incoterms import Incoterm, extract_incoterm
from core.nlu.money import extract_money
from core.nlu.names import NameIndex, NameMatch
from core.nlu.normalize import CLAUSE, as_written, asks_for_all, normalize, split_command, whole_command
from core.nlu.quantity import QuantitySpan, extract_quantities
from core.stages import OPEN_STAGES, STAGE_LABELS, Stage


class Intent(StrEnum):
    """Everything a message can ask for: the CRM parser's, the quote grammar's and the transfer grammar's.

    One vocabulary, so the router, the scorer and the tests name an intent the same way everywhere.
    """

    NEW_CUSTOMER = "new_customer"
    UPDATE_CUSTOMER = "update_customer"
    ADD_ALIAS = "add_alias"
    NEW_CONTACT = "new_contact"
    NEW_OPPORTUNITY = "new_opportunity"
    ADVANCE_STAGE = "advance_stage"
    WIN = "win"
    LOSE = "lose"
    SET_AMOUNT = "set_amount"  # 艾克美法兰项目金额调整为32万欧: an opportunity's amount changed
    FOLLOW_UP = "follow_up"
    LOOKUP = "lookup"
    LIST_TASKS = "list_tasks"
    COMPLETE_TASK = "complete_task"
    POSTPONE_TASK = "postpone_task"
    UNDO = "undo"
    FUNNEL = "funnel"
    HELP = "help"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    CHOICE = "choice"
    NOTE = "note"  # a customer mentioned with a demand or a fact, no interaction reported
    PLAN = "plan"  # only a step still to do (周五和X开视频会): tasks on the customer, nothing happened yet
    QUOTE_CREATE = "quote_create"
    QUOTE_SHOW = "quote_show"
    QUOTE_ADD_LINE = "quote_add_line"
    QUOTE_REVISE = "quote_revise"
    QUOTE_SUBMIT = "quote_submit"
    QUOTE_ACCEPT = "quote_accept"
    APPROVE = "approve"
    REJECT = "reject"
    PENDING_APPROVALS = "pending_approvals"
    FX_SET = "fx_set"
    FX_SHOW = "fx_show"
    FX_UNDO = "fx_undo"
    DELEGATE = "delegate"
    DELEGATE_CANCEL = "delegate_cancel"
    TRANSFER_REQUEST = "transfer_request"
    TRANSFER_ACCOUNT = "transfer_account"
    TRANSFER_DECIDE = "transfer_decide"
    TRANSFER_PENDING = "transfer_pending"  # 转移申请: the requests waiting for my decision
    OFFBOARD = "offboard"
    QUESTION = "question"  # core/nlu/questions.py: answered, never logged
    TASK_COMMAND = "task_command"  # core/nlu/task_commands.py: tasks named by number or words
    ASSIGN_TASK = "assign_task"  # 让李娜明天给张总回个电话: a manager gives one of the team a task
    CORRECT_KIND = "correct_kind"  # core/nlu/corrections.py: 刚才那条不是视频会议 是电话
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class NextStep:
    """One thing the rep plans to do, with its day when the message gives one (a task each)."""

    action: str
    due: datetime | None = None
    guessed: bool = False  # a period (下周, 月底前) pinned to a day: confirm it
    by_customer: bool = False  # the customer's promise (对方说月底前付): a day to check on, not the rep's to-do
    hosting: bool = False  # the customer comes to us (来工厂参观): the rep's task to host; their words stay in the note


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    text: str  # the normalised message
    customer: str | None = None  # as the rep wrote it
    customer_id: int | None = None  # resolved through the NameIndex, when unambiguous
    customer_candidates: tuple[NameMatch, ...] = ()  # to offer when the mention is ambiguous
    country: str | None = None
    tier: str | None = None  # A / B / C
    industry: str | None = None
    source: str | None = None  # 展会 / B2B平台 / 官网 / 社媒 / 代理商 / 转介绍 / 其他
    status: str | None = None
    alias: str | None = None
    contact_name: str | None = None
    title: str | None = None
    decision_role: str | None = None  # 决策者 / 技术影响者 / 使用者 / 商务对接人 / 其他
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    opportunity: str | None = None  # title of a new opportunity, or the hint naming an existing one
    amount: Decimal | None = None
    amount_high: Decimal | None = None  # the top of a range (5万到8万); amount is its bottom
    currency: str | None = None
    stage: Stage | None = None
    close_date: datetime | None = None
    reason: str | None = None
    kind: str | None = None  # 电话 / 拜访 / 邮件 / 视频会议 / 微信 / 展会 / 其他
    occurred_at: datetime | None = None
    summary: str | None = None
    next_action: str | None = None
    next_due: datetime | None = None  # follow-up's next step, or a postponed task's new due time
    next_steps: tuple[NextStep, ...] = ()  # every planned step; the first is next_action / next_due
    number: int | None = None  # task number or menu choice
    task_hint: str | None = None  # a task named by its words instead of its number (完成 寄样品)
    person: str | None = None  # a colleague named after 待办 / 漏斗 (待办 李娜, 李娜的漏斗): a manager's look
    aside: str | None = None  # words beside a question (…发了吗, …签了没 张总说…): not logged, and said so
    quantity: QuantitySpan | None = None
    incoterm: Incoterm | None = None
    missing: tuple[str, ...] = ()  # required fields the message did not give
    guesses: tuple[str, ...] = ()  # fields filled by a guess (a period pinned to a day, a default kind)
    confidence: float = 0.0  # 0..1, a rough ranking signal, not a calibrated probability
    also: tuple[Parsed, ...] = ()  # further records in the same message (上午去了A，下午去了B): one each

    @property
    def money(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None and self.currency else None


_COMMAND_INTENT = {
    "新客户": Intent.NEW_CUSTOMER,
    "客户": Intent.UPDATE_CUSTOMER,
    "别名": Intent.ADD_ALIAS,
    "联系人": Intent.NEW_CONTACT,
    "商机": Intent.NEW_OPPORTUNITY,
    "推进": Intent.ADVANCE_STAGE,
    "赢单": Intent.WIN,
    "输单": Intent.LOSE,
    "跟进": Intent.FOLLOW_UP,
    "查": Intent.LOOKUP,
    "待办": Intent.LIST_TASKS,
    "完成": Intent.COMPLETE_TASK,
    "推迟": Intent.POSTPONE_TASK,
    "申请转移": Intent.TRANSFER_REQUEST,
    "撤销": Intent.UNDO,
    "漏斗": Intent.FUNNEL,
    "帮助": Intent.HELP,
    "确认": Intent.CONFIRM,
    "取消": Intent.CANCEL,
}
_REQUIRED: dict[Intent, tuple[str, ...]] = {
    Intent.NEW_CUSTOMER: ("customer",),
    Intent.UPDATE_CUSTOMER: ("customer",),
    Intent.ADD_ALIAS: ("customer", "alias"),
    Intent.NEW_CONTACT: ("customer", "contact_name"),
    Intent.NEW_OPPORTUNITY: ("customer", "opportunity"),
    Intent.ADVANCE_STAGE: ("customer", "stage"),
    Intent.WIN: ("customer",),
    Intent.LOSE: ("customer",),
    Intent.FOLLOW_UP: ("customer", "summary"),
    Intent.LOOKUP: ("customer",),
    Intent.COMPLETE_TASK: ("number",),
    Intent.POSTPONE_TASK: ("number", "next_due"),
    Intent.CHOICE: ("number",),
    Intent.TRANSFER_REQUEST: ("customer",),
}

# --- vocabulary -------------------------------------------------------------------------------------


def _alt(words: str) -> str:
    """`a|b c|中文` → a regex alternation, longest first; Latin words get letter guards (pitfall 9)."""
    items = sorted(words.split("|"), key=len, reverse=True)
    return "|".join(rf"(?<![A-Za-z])(?:{w})(?![A-Za-z])" if w.isascii() else w for w in items)


_STAGE_WORDS: dict[str, Stage] = {label: stage for stage, label in STAGE_LABELS.items() if stage.is_open}
_STAGE_WORDS.update(
    {
        "初次接触": Stage.S1,
        "接触": Stage.S1,
        "需求": Stage.S2,
        "报价": Stage.S3,
        "方案": Stage.S3,
        "谈判": Stage.S4,
        "商谈": Stage.S4,
        "签合同": Stage.S5,
        "签约": Stage.S5,
        "合同": Stage.S5,
        "initial contact": Stage.S1,
        "prospecting": Stage.S1,
        "qualification": Stage.S2,
        "needs analysis": Stage.S2,
        "requirements": Stage.S2,
        "proposal": Stage.S3,
        "quotation": Stage.S3,
        "quoting": Stage.S3,
        "negotiation": Stage.S4,
        "negotiating": Stage.S4,
        "contract": Stage.S5,
        "contracting": Stage.S5,
    }
)
_STAGE_CODE = r"(?<![A-Za-z])[Ss]\s?([1-5])(?!\d)"
_STAGE_LABEL = "|".join(STAGE_LABELS[s] for s in OPEN_STAGES)
# After a command (商机 / 推进) only S-codes and official labels count: 谈了报价 in a title is no stage.
_STAGE_ANY = re.compile(rf"(?:阶段|stage)?\s?(?:{_STAGE_CODE}|(?P<label>{_STAGE_LABEL}))", re.I)
# Free text only moves a stage with a verb in front: 进入商务谈判, 推进到S3, 到了报价阶段.
# A bare 到 is no verb (寄到报价单上的地址); an arrow from another stage is (S2→S3, S1到S2).
_STAGE_VERB = (
    _alt(
        "进入|推进到|推进至|推到|推进|进到|到了|转到|转入|升到|升级到|改到|改为|改成|"
        "阶段到|阶段为|阶段:|阶段|moved? to|advanced? to|moving to|move to|stage|to"
    )
    + r"|(?<![A-Za-z])[Ss]\s?[1-5]\s?(?:→|->|=>|>|到|至|~|-)"
    + rf"|到(?=\s?(?:{_STAGE_LABEL})阶段)"  # 到方案报价阶段: 到 before a stage's full name and 阶段
    + rf"|进(?=\s?(?:{_alt('|'.join(_STAGE_WORDS))})阶段)"  # 进合同阶段了 (trial 9): 进 before a stage word and 阶段
)
_STAGE_MOVE = re.compile(
    rf"(?:{_STAGE_VERB})\s?(?:the\s)?(?:{_STAGE_CODE}|(?P<label>{_alt('|'.join(_STAGE_WORDS))}))(?:阶段|\sstage)?"
    rf"|(?:改|进|到|推)\s?{_STAGE_CODE}",  # 改S2, 进S5: a short verb right before a code
    re.I,
)
# `move Southern Cross to negotiation`: the customer between the verb and the stage
_STAGE_MOVE_EN = re.compile(
    rf"^(?:move|moved|advance|advanced|push|pushed)\s(?P<who>.+?)\sto\s(?:the\s)?"
    rf"(?:{_STAGE_CODE}|(?P<label>{_alt('|'.join(w for w in _STAGE_WORDS if w.isascii()))}))(?:\sstage)?$",
    re.I,
)
_WIN_WORDS = re.compile(
    _alt(
        "赢单|成单|签单了|签约了|成交了|成交|中标了?|拿下了|拿下|签了|签下了?|签合同了|合同签了|搞定了|"
        "won|closed won|deal won|signed the po|signed the contract|signed the order|signed"
    )
    + r"(?!.{0,6}(?:吗|没有|\?))",
    re.I,
)
_LOSE_WORDS = re.compile(
    _alt("输单|丢单|失单|没拿下|黄了|丢了|没戏了?|输给了?|项目取消|项目砍掉|单子取消|lost|closed lost|deal lost")
    + r"(?!.{0,6}(?:吗|没有|\?))",
    re.I,
)
_REASON = re.compile(r"(?:原因|理由|因为|由于|reason|because)\s?(?:是|为|:)?\s?(?P<reason>.+)$", re.I)

_SET = r"\s?(?:是|为|:|改为|改成|调为|调到|调整为|到)?\s?"  # 等级改为A, 国家: 德国
_TIER = re.compile(
    rf"(?:客户等级|等级|级别|评级|tier|level){_SET}(?P<v>[ABCabc])(?![A-Za-z])(?:级|类)?"
    r"|(?<![A-Za-z])(?P<v2>[ABC])\s?(?:级|类)(?:客户)?",
    re.I,
)
_VALUE = r"(?P<v>[^\s,，;；、]+)"
_KEYED = {
    "country": re.compile(rf"(?:国家|国别|country){_SET}{_VALUE}", re.I),
    "industry": re.compile(rf"(?:行业|industry){_SET}{_VALUE}", re.I),
    "source": re.compile(rf"(?:来源|渠道|source){_SET}{_VALUE}", re.I),
    "status": re.compile(rf"(?:状态|status){_SET}{_VALUE}", re.I),
}
_COUNTRIES: dict[str, str] = {
    c: c
    for c in (
        "中国 德国 美国 英国 法国 意大利 西班牙 葡萄牙 荷兰 比利时 瑞士 奥地利 瑞典 挪威 丹麦 芬兰 波兰 捷克 "
        "匈牙利 罗马尼亚 希腊 土耳其 俄罗斯 乌克兰 哈萨克斯坦 印度 巴基斯坦 孟加拉 越南 泰国 马来西亚 印尼 "
        "印度尼西亚 菲律宾 新加坡 日本 韩国 澳大利亚 新西兰 加拿大 墨西哥 巴西 阿根廷 智利 秘鲁 哥伦比亚 "
        "南非 尼日利亚 埃及 肯尼亚 摩洛哥 沙特 阿联酋 以色列 伊朗 卡塔尔 科威特 伊拉克 约旦"
    ).split()
}
_COUNTRIES.update(
    {
        "迪拜": "阿联酋",
        "澳洲": "澳大利亚",
        "germany": "德国",
        "usa": "美国",
        "us": "美国",
        "united states": "美国",
        "uk": "英国",
        "united kingdom": "英国",
        "france": "法国",
        "italy": "意大利",
        "spain": "西班牙",
        "netherlands": "荷兰",
        "poland": "波兰",
        "turkey": "土耳其",
        "russia": "俄罗斯",
        "india": "印度",
        "vietnam": "越南",
        "thailand": "泰国",
        "malaysia": "马来西亚",
        "indonesia": "印尼",
        "japan": "日本",
        "korea": "韩国",
        "australia": "澳大利亚",
        "canada": "加拿大",
        "mexico": "墨西哥",
        "brazil": "巴西",
        "chile": "智利",
        "uae": "阿联酋",
        "dubai": "阿联酋",
        "saudi arabia": "沙特",
        "south africa": "南非",
        "nigeria": "尼日利亚",
        "egypt": "埃及",
        "norway": "挪威",
        "sweden": "瑞典",
        "denmark": "丹麦",
        "belgium": "比利时",
    }
)
_COUNTRY = re.compile(_alt("|".join(_COUNTRIES)), re.I)
# A country not followed by more of a name (诺华泵业 德国, 诺华泵业德国A级): one opening a name (迪拜海湾贸易)
# is the name's.
_WORD_OF_ITS_OWN = re.compile(rf"(?:{_COUNTRY.pattern})(?![\u4e00-\u9fff])", re.I)
_SOURCES: dict[str, str] = {
    "展会": "展会",
    "广交会": "展会",
    "展上": "展会",
    "expo": "展会",
    "fair": "展会",
    "trade show": "展会",
    "b2b平台": "B2B平台",
    "b2b": "B2B平台",
    "阿里巴巴": "B2B平台",
    "阿里国际站": "B2B平台",
    "阿里": "B2B平台",
    "国际站": "B2B平台",
    "alibaba": "B2B平台",
    "中国制造网": "B2B平台",
    "made-in-china": "B2B平台",
    "环球资源": "B2B平台",
    "官网": "官网",
    "网站": "官网",
    "谷歌": "官网",
    "google": "官网",
    "website": "官网",
    "社媒": "社媒",
    "社交媒体": "社媒",
    "领英": "社媒",
    "linkedin": "社媒",
    "facebook": "社媒",
    "fb": "社媒",
    "instagram": "社媒",
    "ins": "社媒",
    "tiktok": "社媒",
    "youtube": "社媒",
    "代理商": "代理商",
    "代理": "代理商",
    "agent": "代理商",
    "转介绍": "转介绍",
    "介绍": "转介绍",
    "朋友介绍": "转介绍",
    "老客户介绍": "转介绍",
    "referral": "转介绍",
    "其他": "其他",
    "其它": "其他",
}
_SOURCE = re.compile(_alt("|".join(_SOURCES)), re.I)

_ROLES: dict[str, str] = {
    "决策者": "决策者",
    "决策人": "决策者",
    "拍板人": "决策者",
    "拍板的": "决策者",
    "关键决策人": "决策者",
    "decision maker": "决策者",
    "技术影响者": "技术影响者",
    "技术把关": "技术影响者",
    "技术决策": "技术影响者",
    "influencer": "技术影响者",
    "使用者": "使用者",
    "最终用户": "使用者",
    "end user": "使用者",
    "商务对接人": "商务对接人",
    "对接人": "商务对接人",
    "商务对接": "商务对接人",
    "其他角色": "其他",
}
_ROLE = re.compile(_alt("|".join(_ROLES)), re.I)
_TITLE = re.compile(
    r"(?:采购|销售|技术|质量|品质|工程|研发|财务|物流|运营|市场|商务|进口|外贸|生产|项目)?"
    r"(?:总监|经理|主管|工程师|专员|助理|主任|部长|负责人)|"
    r"(?:采购|销售|技术|质量|品质|工程|研发|财务|物流|运营|市场|商务|进口|外贸|生产|项目)部门?|"
    + _alt(
        "总经理|副总经理|副总裁|总裁|董事长|副总|老板|采购|买手|ceo|cto|cfo|coo|owner|buyer|manager|"
        "director|engineer|(?:purchasing|purchase|procurement|sales|project|general|technical|product) "
        "(?:manager|director)"
    ),
    re.I,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(
    rf"(?:(?:{_alt('电话|手机|座机|tel|phone|mobile|cell|whatsapp')})\s?(?:号码?|是|:)?\s?)?"
    r"(?P<v>\+?\d[\d\- ]{5,18}\d|(?<!\d)1[3-9]\d{9}(?!\d))",
    re.I,
)
_WECHAT = re.compile(
    rf"(?:{_alt('微信|v信|wechat|vx|wx')})\s?(?:号|id)?\s?(?:是|:)?\s?"
    r"(?P<v>[A-Za-z][A-Za-z0-9_-]{5,19}|1[3-9]\d{9})",
    re.I,
)
_CONTACT_KEYS = re.compile(
    _alt("电话|手机|邮箱|邮件|微信|职位|职务|姓名|名字|角色|是|:|email|e-mail|mail|title|role"), re.I
)

# First kind found wins: met … at the Hannover fair is a fair's contact. A chat on WhatsApp / Line / Skype stays 其他
# (微信 is WeChat's own kind); a dinner and 刚从艾克美出来 are visits.
_KIND_WORDS = (
    ("视频会议", "视频|腾讯会议|zoom|teams|video|google meet"),
    ("电话", "电话|通话|致电|来电|打给|call|called|calls|phoned|phone|rang"),
    ("展会", "展会|展上|展位|广交会|展台|expo|fair|trade show|booth"),
    (
        "拜访",
        "拜访|上门|见面|面谈|走访|来访|来厂|来公司|验厂|参观|见了|开会|开了个?会|会面|(?<![寄发送带拿回过下])去了|去过|跑了一趟|"
        r"吃饭|吃了个?饭|饭局|从[^\s,，。;；]{1,15}?[出回]来|"
        "visit|visited|visiting|met|meeting|dinner|lunch",
    ),
    ("邮件", "邮件|邮箱|email|emailed|e-mail|mail|mailed"),
    ("微信", "微信|wechat|vx"),
)
_KINDS = tuple((kind, re.compile(_alt(words), re.I)) for kind, words in _KIND_WORDS)
_KIND_ANY = re.compile("|".join(p.pattern for _, p in _KINDS), re.I)
# Cue words that a free-text message reports an interaction (so it is a follow-up, not noise).
_ACTIVITY = re.compile(
    _alt(
        "沟通|聊|谈|联系|回复|答复|报价|报了|发了|寄|送样|样品|下单|订单|询价|询盘|开会|会议|反馈|确认了|说|问|约了|"
        "付款|付了|到账|发货|出货|投诉|paid|shipped|confirmed|complained|"
        "visited|called|met|sent|discussed|quoted|emailed|spoke|talked|replied|asked|meeting|"
        "follow(?:ed)? up"
    ),
    re.I,
)
_FUTURE_CUE = re.compile(
    _alt(
        "再|下次|回头|需要|要|准备|计划|打算|安排|待|给答复|答复|回复|回访|跟进|约好了|约好|约了|约定了|约定|"
        "will|need to|send|follow up|to do|plan to|going to|remind"
    ),
    re.I,
)
_PAST_CUE = re.compile(
    _alt("了|已|visited|called|met|sent|was|were|did|had|went|got|told|spoke|gave|saw|took|brought")
    + r"|(?<![A-Za-z])(?!(?:need|speed|feed|seed|proceed|exceed|embed|red|bed|shed|breed)(?![A-Za-z]))"
    r"[a-z]{2,}ed(?![A-Za-z])",
    re.I,
)  # English past tense: discussed, agreed, confirmed (not need, speed)
_LOOKUP_TAIL = re.compile(
    r"\s?(?:的)?(?:怎么样了?|咋样了?|什么情况|啥情况|情况如何|情况怎么样|最近如何|最近怎么样|近况|进展如何|"
    r"进展怎么样)\s?[?]*$|\s?的(?:情况|进展|进度|资料|信息|详情)\s?[?]*$"
)
_ALIAS_FREE = re.compile(r"^(?P<who>.+?)\s?(?:的)?(?:别名|又叫|简称|也叫|也称)\s?(?:是|为|:)?\s?(?P<alias>.+)$")
_REPEATED_SEP = re.compile(r"([,，。;；])(?:\s*[,，。;；])+")
_EDGES = re.compile(r"^[\s,，。;；:：、!！?？.]+|[\s,，。;；:：、!！?？.]+$")
_MONEY_CUE_WORDS = _alt("合同金额|合同额|金额|总价|总额|预算|货值|价格|价值|budget|value|amount|total")
_MONEY_CUE = re.compile(rf"(?:{_MONEY_CUE_WORDS})\s?(?:是|为|:|约|大概)?\s?$", re.I)
_CLOSE_CUE = re.compile(rf"(?:{_alt('预计|预期|计划|争取|估计|大概|预测|expected|expect|close')})?\s?$", re.I)
_CLOSE_AFTER = re.compile(rf"^\s?(?:{_alt('签约|签单|成交|下单|落地|签合同|关单|定单|close|closing|sign')})?", re.I)
_NUMBER_HEAD = re.compile(r"^(?:第|#|no\.?\s?)?(?P<n>\d{1,3})(?:个|条|项|号)?(?![\d.])", re.I)
_CHOICE = re.compile(r"^(?:选|第)?(?P<n>\d{1,2})(?:个|项|条)?$")


def _clean(text: str) -> str:
    return _EDGES.sub("", re.sub(r"\s+", " ", text))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans with spaces, keeping every other offset valid."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


class _Context:
    """Per-message state: the text being read, lazily computed spans and the fields found so far."""

    def __init__(self, text: str, now: datetime, tz: ZoneInfo, names: NameIndex | None) -> None:
        self.text, self.now, self.tz, self.names = text, now, tz, names
        self.fields: dict[str, Any] = {}
        self.guesses: list[str] = []
        self.plan_only = False  # a free-text follow-up that only plans (set by _follow_up)
        self.sentence = False  # the command word was followed by 了 (完成了报价): a sentence, not a command
        self._dates: list[DateSpan] | None = None
        self._mentions: list[NameMatch] | None = None

    def retarget(self, text: str) -> None:
        """Read a part of the message from now on (the name before 怎么样, before 的别名)."""
        self.text, self._dates, self._mentions = text, None, None

    @property
    def dates(self) -> list[DateSpan]:
        if self._dates is None:
            self._dates = resolve_dates(self.text, self.now, self.tz)
        return self._dates

    @property
    def mentions(self) -> list[NameMatch]:
        if self._mentions is None:
            self._mentions = self.names.find_in(self.text) if self.names else []
        return self._mentions

    def customer(self, *, explicit: bool, whole: bool = False, as_written: bool = False) -> tuple[int, int] | None:
        """Find the customer and set its fields; returns its span in self.text.

        A known customer found in the text wins. Otherwise, for explicit commands, the leading token (or
        the whole text for lookups) is the customer as written, resolved by fuzzy lookup when possible.
        `as_written`: a known name inside the leading token (海湾 in 迪拜海湾) does not cut it; the token is the name.
        """
        token = _leading_token(self.text, self) if as_written and self.mentions else None
        if self.mentions and not (token and token[0] < self.mentions[0].start < token[1]):
            first = self.mentions[0]
            same = [m for m in self.mentions if (m.start, m.end) == (first.start, first.end)]
            self._set_customer(self.text[first.start : first.end], same, resolved=len(same) == 1)
            return first.start, first.end
        if not explicit:
            if m := _LEADING_NAME.match(self.text):  # a company not found in the text: asked, never guessed
                group = "name" if m["name"] else "one"
                found = list(self.names.decide(m[group]).matches) if self.names else []
                self._set_customer(m[group], found, resolved=False)
                return m.span(group)
            if found_new := _new_name(self.text):  # 展会认识的 Hamburg Marine Supply …: a new company, offered
                start, end = found_new
                found = list(self.names.decide(self.text[start:end]).matches) if self.names else []
                self._set_customer(self.text[start:end], found, resolved=False)
                return found_new
            return None
        span = (0, len(self.text)) if whole else _leading_token(self.text, self)
        if span is None:
            return None
        written = _clean(self.text[span[0] : span[1]])
        if not written:
            return None
        decision = self.names.decide(written) if self.names else None
        if decision is None:
            self._set_customer(written, [], resolved=False)
        else:
            self._set_customer(written, list(decision.matches), resolved=decision.kind == "match")
        return span

    def _set_customer(self, written: str, matches: list[NameMatch], *, resolved: bool) -> None:
        """A resolved match sets customer_id; otherwise the plausible ones become candidates to offer."""
        self.fields["customer"] = written
        if resolved:
            self.fields["customer_id"] = matches[0].customer_id
        elif matches:
            self.fields["customer_candidates"] = tuple(matches)


def _leading_token(text: str, ctx: _Context) -> tuple[int, int] | None:
    """The customer a command starts with: up to the first space, or before the first date / verb / field."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    if not stripped:
        return None
    if " " in stripped:
        end = offset + stripped.index(" ")
    else:
        end = len(text)
    stops = [d.start for d in ctx.dates] + [
        m.start()
        for m in (
            _ACTIVITY.search(text, offset),
            _STAGE_ANY.search(text, offset),
            _KIND_ANY.search(text, offset),
            _COUNTRY.search(text, offset),
            _TIER.search(text, offset),
        )
        if m
    ]
    end = min([end, *(s for s in stops if s >= offset + 2)])
    return (offset, end) if end > offset else None


def _stage(text: str, pattern: re.Pattern[str]) -> tuple[Stage, tuple[int, int]] | None:
    m = pattern.search(text)
    if m is None:
        return None
    code = next((g for g in m.groups()[: pattern.groups] if g and g.isdigit()), None)
    stage = Stage(f"S{code}") if code else _STAGE_WORDS[m["label"].lower()]
    return stage, m.span()


# --- intent handlers: return False to fall through to free-text classification -------------------------


_LONE_TIER = re.compile(r"(?<=\s)(?P<v>[ABC])(?=\s*$|\s*[,;、])")  # `… Germany B`: a lone capital at the end


def _new_customer(ctx: _Context) -> bool:
    spans = _customer_fields(ctx, bare=True)
    if "tier" not in ctx.fields and (m := _LONE_TIER.search(_blank(ctx.text, spans))):
        ctx.fields["tier"] = m["v"]
        spans.append(m.span())
    rest = _blank(ctx.text, spans)
    chunk = next((c for c in re.split(r"[,;、]", rest) if c.strip()), "")
    tokens = chunk.split()
    if tokens:  # Latin names keep their words (Nordwind Pumps AS); Chinese names end at a space
        ctx.fields["customer"] = _clean(" ".join(_latin_run(tokens)) if _LATIN.match(tokens[0]) else tokens[0])
    return True


_LATIN = re.compile(r"^[A-Za-z0-9\u00c0-\u024f.&'+/-]+$")  # Müller, São, Ødegaard are Latin words too


def _latin_run(tokens: list[str]) -> list[str]:
    run = []
    for token in tokens:
        if not _LATIN.match(token):
            break
        run.append(token)
    return run


def _customer_fields(ctx: _Context, *, bare: bool) -> list[tuple[int, int]]:
    """Tier, country, industry, source, status → fields; returns the spans used.

    `bare` also takes an unkeyed country or source word (新客户 … 德国 展会); updates need the key word, or
    客户说德国那边… would read as an update.
    """
    text, spans = ctx.text, []
    for name, pattern in _KEYED.items():
        if m := pattern.search(text):
            value = m["v"]
            if name == "country":
                value = _COUNTRIES.get(value.lower(), value)
            elif name == "source":
                value = _SOURCES.get(value.lower(), "其他")
            ctx.fields[name] = value
            spans.append(m.span())
    if m := _TIER.search(text):
        ctx.fields["tier"] = (m["v"] or m["v2"]).upper()
        spans.append(m.span())
    if not bare:
        return spans
    free = _blank(text, spans)
    if "country" not in ctx.fields and (m := _WORD_OF_ITS_OWN.search(free)):
        ctx.fields["country"] = _COUNTRIES[m[0].lower()]
        spans.append(m.span())
    if "source" not in ctx.fields and (m := _SOURCE.search(free)):
        ctx.fields["source"] = _SOURCES[m[0].lower()]
        spans.append(m.span())
    return spans


def _update_customer(ctx: _Context) -> bool:
    if not _customer_fields(ctx, bare=False):
        return False  # 客户说…: an ordinary sentence that starts with 客户
    ctx.customer(explicit=True)
    return True


def _add_alias(ctx: _Context) -> bool:
    span = ctx.customer(explicit=True)
    if span:
        alias = _clean(re.sub(r"^\s?(?:的)?(?:别名)?\s?(?:是|为|叫|:)?", "", ctx.text[span[1] :]))
        if alias:
            ctx.fields["alias"] = alias
    return True


def _new_contact(ctx: _Context) -> bool:
    text, spans = ctx.text, []
    if span := ctx.customer(explicit=True, as_written=True):
        spans.append(span)
    for name, pattern in (("email", _EMAIL), ("wechat", _WECHAT), ("phone", _PHONE)):
        free = _blank(text, spans)
        if m := pattern.search(free):
            ctx.fields[name] = (m.groupdict().get("v") or m[0]).replace(" ", "")
            spans.append(m.span())
    for name, pattern in (("decision_role", _ROLE), ("title", _TITLE)):
        if m := pattern.search(_blank(text, spans)):
            ctx.fields[name] = _ROLES.get(m[0].lower(), m[0]) if name == "decision_role" else m[0]
            spans.append(m.span())
    rest = re.split(r"[\s,，、;；]+", _CONTACT_KEYS.sub(" ", _blank(text, spans)).strip(" ,，、;；"))
    rest = [t for t in rest if t]
    if rest:
        ctx.fields["contact_name"] = " ".join(_latin_run(rest)) if _LATIN.match(rest[0]) else rest[0]
    return True


def _new_opportunity(ctx: _Context) -> bool:
    text, spans = ctx.text, []
    if span := ctx.customer(explicit=True, as_written=True):
        spans.append(span)
    if money_span := _extras(ctx):
        spans.append(money_span)
    if found := _stage(text, _STAGE_ANY):
        ctx.fields["stage"] = found[0]
        spans.append(found[1])
    future = [d for d in ctx.dates if not d.past]
    if future:
        close = future[0]
        ctx.fields["close_date"] = close.value
        if close.guessed:
            ctx.guesses.append("close_date")
        before = _CLOSE_CUE.search(text, 0, close.start)
        after = _CLOSE_AFTER.match(text[close.end :])
        spans.append((before.start() if before else close.start, close.end + (after.end() if after else 0)))
    title = _clean(_blank(text, spans))
    if title:
        ctx.fields["opportunity"] = title
    return True


_RANGE_JOIN = re.compile(r"\s?(?:到|至|-|~)\s?")


def _extras(ctx: _Context) -> tuple[int, int] | None:
    """Amount (a total before a unit price), quantity and incoterm; returns the amount's span with its cue."""
    text, span = ctx.text, None
    money = extract_money(text)
    if money:
        i, best = next(((i, m) for i, m in enumerate(money) if not m.per_unit), (0, money[0]))
        ctx.fields["amount"], ctx.fields["currency"] = best.amount, best.currency  # none given: asked
        end = best.end
        if i + 1 < len(money) and _RANGE_JOIN.fullmatch(text, best.end, money[i + 1].start):
            ctx.fields["amount_high"], end = money[i + 1].amount, money[i + 1].end  # 5万到8万美金
        cue = _MONEY_CUE.search(text, 0, best.start)
        span = (cue.start() if cue else best.start, end)
    quantities = extract_quantities(text)
    if quantities:
        ctx.fields["quantity"] = quantities[0]
    if incoterm := extract_incoterm(text):
        ctx.fields["incoterm"] = incoterm
    return span


def _stage_change(ctx: _Context, intent: Intent) -> bool:
    text, spans = ctx.text, []
    if intent is Intent.ADVANCE_STAGE:
        found = _stage(text, _STAGE_MOVE) or _stage(text, _STAGE_ANY)
        if found:
            ctx.fields["stage"] = found[0]
            spans.append(found[1])
    else:
        ctx.fields["stage"] = Stage.WON if intent is Intent.WIN else Stage.LOST
        for pattern in (_WIN_WORDS, _LOSE_WORDS):
            spans += [m.span() for m in pattern.finditer(text)]
    moved = max(spans, key=lambda span: span[1], default=None)  # the move's words: what follows is beside it
    if intent is not Intent.LOSE and (money_span := _deal_amount(ctx, intent)):  # the deal's value, when given
        spans.append(money_span)
    if m := _REASON.search(_blank(text, spans)):
        ctx.fields["reason"] = _clean(m["reason"])
        spans.append(m.span())
    if span := ctx.customer(explicit=True):
        spans.append(span)
    if moved is not None and (beside := _beside_move(ctx, spans, moved)):
        if intent is not Intent.LOSE:
            _steps_beside(ctx, moved[1])
        spans.append((moved[1], len(text)))
        ctx.fields["reason" if intent is Intent.LOSE and "reason" not in ctx.fields else "summary"] = beside
    hint = _clean(re.sub(r"(?:^|\s)(?:的|了|这单|这个单子|项目)(?=\s|$)", " ", _blank(text, spans)))
    if hint:
        ctx.fields["opportunity"] = hint
    return True


# The words before an amount said with a move that make it the deal's value (最终金额, 金额改成, 预算大概, 合同价):
# a win takes any amount, another move only one after such words.
_DEAL_AMOUNT_LEAD = re.compile(
    r"(?:(?:最终|成交|合同|预计|预估|估计|项目|总)(?:金额|价格?|额)|金额|预算|budget|amount|value)\s?"
    r"(?:(?:调整|调|改|更新|变|修改)(?:为|成|到)|改|是|为|:|：)?\s?(?:约|大概|大约|预计|估计|差不多)?\s?$",
    re.I,
)
_ESTIMATE = re.compile(r"大概|大约|约|预计|预估|估计|差不多|左右|预算|budget|estimate", re.I)
_ROUGHLY_AFTER = re.compile(r"\s?(?:左右|上下|出头)")  # 45万美元左右: part of the amount, no note


def _deal_amount(ctx: _Context, intent: Intent) -> tuple[int, int] | None:
    """The amount a win or a move states (签了 最终金额11.8万美元, 推到S2 预算大概45万美元) with its words; an
    estimate (大概 / 预算) is marked a guess, so the reply says so."""
    before = dict(ctx.fields)
    span = _extras(ctx)
    if span is None:
        return None
    money = extract_money(ctx.text)
    first = next((m for m in money if not m.per_unit), money[0])  # the one _extras took
    lead = _DEAL_AMOUNT_LEAD.search(ctx.text, 0, first.start)
    if intent is not Intent.WIN and lead is None:  # 推进到S3 报了12万: no amount of the deal's
        ctx.fields.clear()
        ctx.fields.update(before)
        return None
    start = min(span[0], lead.start()) if lead else span[0]
    end = roughly.end() if (roughly := _ROUGHLY_AFTER.match(ctx.text, span[1])) else span[1]
    if _ESTIMATE.search(ctx.text, start, end):
        ctx.guesses.append("amount")
    return start, end


def _steps_beside(ctx: _Context, start: int) -> None:
    """The rep's dated steps said beside a move (推进到S4了 … 下周二跟周静谈合同条款): tasks, as a follow-up's are."""
    dates = [d for d in ctx.dates if d.start >= start]
    steps = [step for step, _ in _steps(ctx.text, _pieces(ctx.text, start, dates), dates, ctx.now)]
    ours = tuple(step for step in steps if not step.by_customer and step.due is not None)
    if ours:
        ctx.fields["next_steps"] = ours
        ctx.fields["next_action"], ctx.fields["next_due"] = ours[0].action, ours[0].due
        if ours[0].guessed:
            ctx.guesses.append("next_due")


# What may follow a move and say nothing: 了 / 啦 / ！, or the deal itself (搞定了 2.3M USD 的单子).
_LOST_TO = re.compile(r"输给了?|lost(?=\sto\s)", re.I)
_BARE_AFTER_MOVE = re.compile(r"^[了啦呀哦的\s!！~。.,，]*(?:(?:这|那|的)?(?:单子|单|项目|订单))?[\s!！~。.]*$")


def _beside_move(ctx: _Context, spans: list[tuple[int, int]], moved: tuple[int, int]) -> str | None:
    """What the rep said after the move (…丢了 客户选了意大利的供应商, …进入合同阶段了 客户法务在审合同): the
    loss's reason or a note on the deal, never part of the opportunity's name. Only when something (the customer,
    the deal) comes before the move; a day alone (signed the PO today) or an emoji is nothing."""
    if not ctx.text[: moved[0]].strip():
        return None
    blanked = _blank(ctx.text, spans)
    undated = _blank(blanked, [(d.start, d.end) for d in ctx.dates])[moved[1] :]
    if _BARE_AFTER_MOVE.match(undated) or not re.search(r"[\w\u4e00-\u9fff]", undated):
        return None
    if to := _LOST_TO.search(ctx.text, moved[0], moved[1] + len(" to ")):  # 输给了意大利的供应商: said whole
        return _clean(ctx.text[to.start() : moved[1]] + blanked[moved[1] :])
    return _clean(re.sub(r"^[了啦呀哦\s!！~]+", "", blanked[moved[1] :])) or None


# The legal-form tail of a customer's full name, when the index matched only its distinctive part.
_NAME_SUFFIX = re.compile(
    r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)"
    r"|\s?(?:GmbH|Ltd\.?|Co\.,? Ltd\.?|Inc\.?|LLC|AG|S\.p\.A\.|S\.A\.|Pvt\.? Ltd\.?|Pty\.? Ltd\.?)(?![A-Za-z])",
    re.I,
)


# A message that opens with a plan (打算下周去拜访…, 准备月中旬…, 我们计划…) and reports nothing done: tasks only.
_PLAN_OPENING = re.compile(
    r"\s?(?:我们|我方|我)?\s?(?:打算|准备|计划|想要?|要去|将要?|(?:下周|下个?月|明天|后天|周[一二三四五六日末])\s?要?去)"
    r"|\s?(?:I|we)\s(?:plan|am planning|are planning|intend|am going|are going|will)\s",
    re.I,
)


# A note that would end on a request or a speech verb once the step is taken out (客户要求, 要我们, 她说让我们,
# they want): the step is what they said, so the note keeps it.
_DANGLING = re.compile(
    r"(?:要求|希望|请求|让我们?|要我们?|请我们?|叫我们?|说|表示|提出|需要|想要|"
    r"(?:答应|承诺|保证)(?:了|过)?[^\s,，。;；]{0,12}|"  # 我答应里斯本船舶杨杰 | 下周一前把样品寄出去: kept whole
    r"(?<![A-Za-z])(?:want|wants|asked(?: us)?|need|needs|requested)(?![A-Za-z]))[\s,，:：]*$",
    re.I,
)


# All that is left once the dated step is taken out is the appointment itself (约了 + the customer and a name).
_APPOINTMENT_ONLY = re.compile(r"(?:已经)?(?:和|跟|与)?[^\s,，。;；]{0,12}?约(?:好了|好|了|定了|定)[^\s,，。;；]{0,12}")


# The customer's name as the subject of a want or a word (北风要样品, 雅典那边说…): what follows is theirs.
_CUSTOMER_WANTS_AFTER = re.compile(
    r"\s?(?:那边|方面|这边|[\u4e00-\u9fff]{1,3}(?:总|经理|工)?)?\s?(?:打电话来|打来电话|来电话?|发邮件来|来邮件|发来|来信)?\s?"
    r"(?:要|需要|想要|希望|说|表示|反馈|问|觉得|认为|嫌)"
)


def _follow_up(ctx: _Context, *, explicit: bool) -> bool:
    """Summary, kind, when it happened, and every planned step (a task each); the customer's promises stay
    in the summary (对方说月底前付 is theirs to do, not the rep's)."""
    text = ctx.text
    span = ctx.customer(explicit=explicit)
    # An explicit leading customer token is not part of the summary; a mention inside the sentence is.
    body_start = span[1] if explicit and span and not text[: span[0]].strip() else 0
    if body_start and (suffix := _NAME_SUFFIX.match(text, body_start)):  # 跟进 艾克美工业有限公司 …: the name's tail
        body_start = suffix.end()
    dates = [d for d in ctx.dates if d.start >= body_start]
    mentions = ctx.names.mentions(text) if ctx.names else []
    subjects = frozenset(m.start for m in mentions if _CUSTOMER_WANTS_AFTER.match(text, m.end))
    pieces = _pieces(text, body_start, dates, subjects)
    steps = _steps(text, pieces, dates, ctx.now)
    ours = {span for step, span in steps if not step.by_customer}
    if steps:  # what they said that is ours to do (来工厂参观 → 接待) is the rep's step, not also their promise
        ctx.fields["next_steps"] = tuple(step for step, span in steps if not (step.by_customer and span in ours))
    if first := next((step for step, _ in steps if not step.by_customer), None):
        ctx.fields["next_action"] = first.action
        if first.due is not None:
            ctx.fields["next_due"] = first.due
            if first.guessed:
                ctx.guesses.append("next_due")
    promises = [span for step, span in steps if step.by_customer]  # theirs, and what they asked of us, stay
    used = [
        span
        for step, span in steps
        if not step.by_customer and not step.hosting and not _asked_of_rep(text, *span, dates)
    ]
    summary_text = _dated(_blank(text, used), promises, dates, ctx.tz)[body_start:]
    if _DANGLING.search(_clean(summary_text)):  # 客户要求 | 周五前报价DN100闸阀: what they asked stays in the note
        summary_text = _dated(text, promises, dates, ctx.tz)[body_start:]
    summary = _clean(_REPEATED_SEP.sub(r"\1", re.sub(r"\s*([,，。;；])\s*", r"\1", summary_text)))
    summary = _clean(_REPEATED_SEP.sub(r"\1", summary))
    if summary:
        ctx.fields["summary"] = summary
    elif first:
        ctx.fields["summary"] = first.action
        ctx.plan_only = not explicit and not any(d.past for d in dates) and not any(s.by_customer for s, _ in steps)
    if first and summary and _APPOINTMENT_ONLY.fullmatch(summary):  # 约了艾克美张芳 | 下周四下午两点来公司开会
        ctx.plan_only = not any(d.past for d in dates)
    if first and _PLAN_OPENING.match(text, body_start) and not _PAST_CUE.search(text[body_start:]):
        ctx.plan_only = not any(d.past for d in dates) and not any(s.by_customer for s, _ in steps)
    if first and first.due is not None and _dated_before_the_activity(text, body_start, dates, ctx.now):
        ctx.plan_only = not any(s.by_customer for s, _ in steps)  # 南十字矿业 下周四 视频会议 讲方案: still to come
    # A visit the customer plans to pay us is not a visit held: the kind comes from the rest of the message.
    hosting = any(step.hosting for step, _ in steps)
    hosted = [_no_numbers(_COMING_TO_US.sub(" ", t) if hosting else t) for t in (summary or "", text)]
    kind = next((k for k, p in _KINDS if p.search(hosted[0])), None) or next(
        (k for k, p in _KINDS if p.search(hosted[1])), None
    )
    if kind is None:
        kind = "其他"
        ctx.guesses.append("kind")
    ctx.fields["kind"] = kind
    in_step = [(a, b) for a, b in used]
    # The latest day that has come (上周五发了报价 今天张总回复说要再降5%: today's contact is the news).
    happened = max(
        (
            d
            for d in dates
            if (d.past or (d.value <= ctx.now and not any(a <= d.start < b for a, b in in_step)))
            and not _BOOKED_IN_CLAUSE.search(_clause_before(text, d.start))  # 约了北风今天下午拜访: not yet reported
            and d.value >= ctx.now - _LONG_AGO  # 交期确认好了 1月8号出货: a day named, not the day of the contact
        ),
        key=lambda d: d.value,
        default=None,
    )
    occurred = ctx.now
    today = ctx.now.astimezone(ctx.tz).date()
    if happened is not None and (happened.has_time or happened.value.date() != today):
        occurred = happened.value
    ctx.fields["occurred_at"] = occurred
    _extras(ctx)
    return True


def _no_numbers(text: str) -> str:
    """The text without phone numbers and their labels (电话+90 532…): a number written down is no call."""
    numbers = _PHONE.finditer(text)  # 打电话 13800001111: the call stays
    return _blank(text, [m.span("v" if m.start() and text[m.start() - 1] in "打回来通致拨" else 0) for m in numbers])


_LONG_AGO = timedelta(days=60)
_BOOKED_IN_CLAUSE = re.compile(r"约|定在|改到|改在|推到")


def _clause_before(text: str, at: int) -> str:
    """The text of `at`'s clause before it."""
    start = next((c.start() for c in CLAUSE.finditer(text) if c.start() <= at < c.end()), at)
    return text[start:at]


def _dated_before_the_activity(text: str, start: int, dates: list[DateSpan], now: datetime) -> bool:
    """Nothing done yet: every day is still ahead, nothing says 了 / 已, and the first one comes before the contact
    word's clause ends (明天上午去拜访雅典能源 带上新样册; not 电话北风沟通交期 下周二再跟进, a call and a plan)."""
    if not dates or any(d.past or d.value <= now for d in dates) or _PAST_CUE.search(text, start):
        return False
    if _SAID.search(text, start):  # 老刘说周五过来: they said so, a conversation that happened
        return False
    contact = _KIND_ANY.search(text, start)
    if contact is None:
        return False
    clause_end = next((c.end() for c in CLAUSE.finditer(text, start) if c.start() <= contact.start() < c.end()), 0)
    return dates[0].start < clause_end


_ABSOLUTE_DAY = re.compile(r"\d{1,2}\s?(?:月|/|\.|-)\s?\d{1,2}|\d{4}-\d{1,2}-\d{1,2}")


def _dated(text: str, promises: list[tuple[int, int]], dates: list[DateSpan], tz: ZoneInfo) -> str:
    """The customer's promises keep their day in the note (下个月中旬定 → 下个月中旬定（约1月15日）): a note read
    next month still says when. A day already written out (12月5日) is left as it is."""
    for lo, hi in sorted(promises, reverse=True):
        day = next((d for d in reversed(dates) if lo <= d.start < hi and not d.past), None)  # 下午…月底前下单: 月底
        if day is None or _ABSOLUTE_DAY.search(text, day.start, day.end):
            continue
        local = day.value.astimezone(tz)
        end = len(text[:hi].rstrip())
        text = f"{text[:end]}（{'约' if day.guessed else ''}{local.month}月{local.day}日）{text[end:]}"
    return text


# Where a run-on message (voice input, no punctuation) starts a new thought: before a date word that follows
# a verb phrase. Not after words that bind the date to what precedes it (从 / 到 / 在 / 于 / 截止 / 预计).
_BINDS_DATE = re.compile(
    r"(?:从|到|在|于|截止|截至|预计|大概|约|是|和|或|及|的|了|过|说|表示|答应|承诺|讲|称|问|提醒我|记得|remind me|"
    r"打算|准备|计划|想|将|下一步|"
    r"and|or|on|by|before|until|said|says|(?<![A-Za-z])(?:the|a|an|of|for|in|this|that|our|their|its|about))\s?$",
    re.I,
)  # …discussed the Q1 delivery schedule: a date after an article or a preposition is part of what was said
# The customer speaking or acting (客户说…, 对方月底前付, they will review): theirs to do, not the rep's.
_THEIRS = r"(?:对方|客户|他们|他|她|老板|买家|the customer|customer|client|they|he|she|buyer)"
_SPEAKER = re.compile(
    rf"{_THEIRS}\s?(?:问|will|would|asked)|(?<![我们])(?:说|表示|讲|称|提到|透露|反映|觉得|认为)"
    r"|(?<![我们\s])(?<!^)(?:答应|承诺)(?!$)"  # 答应了北风… with no subject, 给出交期承诺: the rep's, not theirs
    r"|(?<![A-Za-z])(?<!I )(?<!we )(?:said|says|promised)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?!(?:I|We)\s)(?-i:[A-Z][a-z]+)(?:\s(?-i:[A-Z][a-z]+))?\s(?:will|would|is going to)\s"  # Mehmet
    rf"|^\s?(?:[^\s,]{{0,8}}\s)?{_THEIRS}(?![A-Za-z])",
    re.I,
)
_ASKS_US = re.compile(r"要求|让我|需要我|希望我|要我|请我|叫我|asked us|asked me|wants us|need us", re.I)
_STEP_LEAD = re.compile(
    r"^(?:提醒我|记得|下一步|next steps?|我们|我方|我|先|然后|再说|之后|打算|准备(?!好)|计划|想要|想|"
    r"说(?=\s)|答应|承诺|"
    r"要(?=去|来|约|拜访|见|打|跟|给|和)|"
    r"(?:已经)?约(?:好了|好|了|定了|定)|"
    r"remind me to|remind me|and then|then|and|I'll|I will|we'll|"
    r"we will|will|we(?![A-Za-z']))\s?",
    re.I,
)
_STEP_TRAIL = re.compile(
    r"\s?(?:(?<![A-Za-z])(?:by|before|on|until|till|at|(?:in the )?(?:morning|afternoon|evening))"
    r"|之前|以前|前|左右|的时候|时)$",
    re.I,
)


# Where a run-on clause (voice input) turns to another thought: a discourse word (另外, 然后, 还有), or a pronoun
# taking over as the subject (…聊了报价他们要下周给答复我周四把样品寄过去). A pronoun right after a word that takes an
# object (给他们, 让我, 答复我) is no new subject, unless a date follows it (答复我周四…: 我 opens the next step).
_DISCOURSE = re.compile(
    r"另外|此外|还有|然后|同时|而且|并且|顺便|对了|接着|下一步|another thing|also|and then|next steps?(?![A-Za-z])",
    re.I,
)
_REP_NEXT = re.compile(r"\s?(?:下一步|next steps?(?![A-Za-z]))", re.I)  # the rep's own plan, whoever spoke before
_PRONOUN = re.compile(r"我们|我|咱们|他们|她们|对方|他|她")
_BOUND_OBJECT = "和跟给让对向把被帮请问诉带陪叫找约醒催同与应诺"  # 提醒我明天…, 让他们周五…, 答应他们…: the object
_TAKES_OBJECT = _BOUND_OBJECT + "的说要系知送寄发回复等为"
_LEADING_DISCOURSE = re.compile(rf"^\s?(?:{_DISCOURSE.pattern})\s?,?\s?", re.I)
_REP_SUBJECT = re.compile(r"^\s?(?:我们|我方|我|咱们|we|I)(?![A-Za-z])", re.I)
_DEADLINE_EN = re.compile(r"(?:by|before|until|till)\s", re.I)
_EN_TURN = re.compile(r"(?<=[A-Za-z0-9] )(?:and|then|also)\s(?=(?:we|I|we'll|I'll)\s)", re.I)
_REP_SAYS = re.compile(r"^\s?(?:我们|我方|我)(?:跟|和|对|给|告诉)[^\s,，。;；]{0,8}?说")


def _turns(text: str, a: int, b: int, dates: list[DateSpan]) -> list[int]:
    """Offsets inside one clause where a run-on message starts a new thought (see _DISCOURSE / _PRONOUN)."""
    starts = {d.start for d in dates}
    out = [m.start() for m in _DISCOURSE.finditer(text, a, b) if m.start() >= a + 2]
    for m in _PRONOUN.finditer(text, a, b):
        at = m.start()
        if at < a + 2 or (at > 0 and text[at - 1] in "我他她们"):
            continue
        follows = text[m.end() : m.end() + 1]
        dated = m.end() in starts or (follows == " " and m.end() + 1 in starts)
        if text[at - 1] in _BOUND_OBJECT:
            continue
        spaced = text[at - 1].isspace() and at - 2 >= a and text[at - 2] not in _TAKES_OBJECT  # 降到600 我答应…
        if dated or (spaced and _REP_SUBJECT.match(text[at:])):
            out.append(at)
        elif text[at - 1] not in _TAKES_OBJECT and not text[at - 1].isspace() and follows != "的":
            out.append(at)
    for m in _EN_TURN.finditer(text, a, b):  # send catalog by friday and we meet…: a dated step, then another
        if any(a <= d.start and d.end <= m.start() for d in dates):
            out.append(m.start())
    return out


_TIME_OF_DAY = re.compile(r"(?:in the )?(?:morning|afternoon|evening|night|noon|am|pm|早上|上午|中午|下午|晚上)", re.I)


def _pieces(
    text: str, start: int, dates: list[DateSpan], subjects: frozenset[int] = frozenset()
) -> list[tuple[int, int, bool]]:
    """Clauses from `start`, with run-on ones cut before each date that starts a new step and at each turn.

    Each piece is (start, end, promised): promised when a clause's speaker is the customer (客户说…, 他们要…, or
    a piece opening with the customer's name and a want or a word: 北风要样品, `subjects` are where such names
    start), which carries over to the rest of that clause until the rep speaks (我…).
    """
    out: list[tuple[int, int, bool]] = []
    for clause in CLAUSE.finditer(text, start):
        if not clause.group().strip():
            continue
        a, b = clause.span()
        turns = _turns(text, a, b, dates)
        dated_cuts = {
            d.start
            for d in dates
            if a + 2 <= d.start < b
            and not _BINDS_DATE.search(text, a, d.start)
            and not _DEADLINE_EN.match(text, d.start)  # send catalog by friday: the deadline ends its step
            and _clean(text[d.end : b])
            and not _TIME_OF_DAY.fullmatch(_clean(text[d.end : b]))  # i'll email certs tmrw morning
            and not _PRONOUN.fullmatch(_clean(text[max([a, *(t for t in turns if t < d.start)]) : d.start]))
        }  # `visited ACME today`: a date ending its clause stays with it; 我周四…: the date stays with its subject
        cuts = sorted(dated_cuts | set(turns))
        promised = False
        for lo, hi in zip([a, *cuts], [*cuts, b], strict=True):
            piece = _LEADING_DISCOURSE.sub("", text[lo:hi])
            named = hi - len(piece.lstrip()) in subjects
            if _REP_SAYS.match(piece):  # 我跟她说要请示一下领导: the rep speaking of their own step
                promised = False
            elif (named or _SPEAKER.search(piece)) and not _ASKS_US.search(piece):
                promised = True
            elif _REP_SUBJECT.match(piece) or _REP_NEXT.match(text, lo):
                promised = False
            out.append((lo, hi, promised))
    return _join_bare_dates(text, out, dates)


def _join_bare_dates(
    text: str, pieces: list[tuple[int, int, bool]], dates: list[DateSpan]
) -> list[tuple[int, int, bool]]:
    """`三天后 回访`, `技术交流 周三下午`: a piece that is only a date belongs to its neighbour."""
    out: list[tuple[int, int, bool]] = []
    carry: tuple[int, int, bool] | None = None
    for lo, hi, promised in pieces:
        if carry is not None:
            lo, promised = carry[0], carry[2] or promised
            carry = None
        bare = not _clean(_blank(text, [(d.start, d.end) for d in dates])[lo:hi])
        if bare:
            carry = (lo, hi, promised)
            continue
        out.append((lo, hi, promised))
    if carry is not None:
        if out:
            lo, _, promised = out.pop()
            out.append((lo, carry[1], promised or carry[2]))
        else:
            out.append(carry)
    return out


# What only the customer does (下批量订单, 付款, 下个月中旬定, 给我们答复) or wants (要 8000 米, 想要样品): with no
# 我 in front, a dated one is their promise (a day to check on, in the note), an undated one is no step at all.
_CUSTOMER_ACT = re.compile(
    r"^(?:都|也|就|才|会|能|要|可能|应该|准备|打算|计划|争取|大概|估计)?\s?"
    r"(?:下单|下.{0,6}?(?:单|订单)|[付打汇回]款|付(?:清|钱|尾款|定金|全款)?$|定(?:下来|单|货)?$|决定|拍板|确认订单|"
    r"给(?:我们|我方|我(?![们方]))(?!的|老板|领导|经理|工厂|公司|同事|团队)|"  # 给我们技术反馈: they deliver to us
    r"出结果|考虑一下|要货|要到货|到货|到港|提货|订货|"
    r"开标|招标|签(?:合同|约|单|字)?$|盖章)"
)
# Acts either side may do (给答复, 确认): the customer's when the piece before was the customer saying they must
# deliberate first (张总说…还要走流程 下周三前给答复).
_DELIBERATE = re.compile(r"内部|流程|考虑|商量|研究|讨论|审批|请示|开会|领导|老板")  # …还要走流程: they will answer
_EITHER_SIDE = re.compile(r"^(?:会|能|要|争取|尽快)?\s?(?:给(?:个)?)?(?:答复|回复|回音|反馈|确认|消息|结果)")
# After 他说 / 客户说, a dated answer (回复, 给测试结果, 给反馈) is theirs: one given to them names them (给他们回复).
_SAID = re.compile(rf"{_THEIRS}\s?(?:说|表示|讲|称)")
_THEIR_ANSWER = re.compile(
    r"^(?:会|能|要|争取|尽快)?\s?(?:给(?:我们|我方|我)?(?:个)?[^\s他她对客]{0,4}?)?(?:答复|回复|回音|反馈|消息|结果)"
)
# `Nordic HVAC will pay by end of month`, `they'll place the order next week`: the customer's own act, in English.
_CUSTOMER_ACT_EN = re.compile(
    r"(?<!I )(?<!we )(?<!We )(?:(?<![A-Za-z])(?:will|would|to|promised to|plan to|going to)|'ll)\s"
    r"(?:pay|place|order|sign|confirm|decide|"
    r"get back|reply|come back|release|issue|send (?:us|the (?:PO|RFQ|order|payment|deposit)))(?![A-Za-z])",
    re.I,
)
_CUSTOMER_WANTS = re.compile(
    r"^(?:还|也|都|就)?(?:要|想要|需要|想订|订|采购|求购|买)\s?"
    r"(?:[\d一二两三四五六七八九十几百千万]|[A-Za-z]{1,4}\s?\d+|样品|样|报价|目录|资料|图纸|价格|方案|规格书|datasheet|catalog)",
    re.I,
)


_WANTED = re.compile(r"(?:想要|需要|要)(?P<obj>[^\s,，。;；]{2,12})\s?[,，]?\s?$")


_SENT_TO = re.compile(r"(?P<verb>[发寄送传报])给(?P<who>他们|她们|他|她|对方|客户)")
_ASKED_FOR = re.compile(
    r"(?<![A-Za-z])(?:asked for|asks for|wants?|needs?|requested|想要|需要|要了|要)\s?(?P<obj>[^,，。;；]{2,40}?)\s*$",
    re.I,
)


def _with_object(text: str, lo: int, action: str) -> tuple[str, int]:
    """A bare verb (寄, 发) takes the thing the customer asked for just before it (想要船用阀目录 下周二寄 →
    寄船用阀目录), or the thing put first (样品我周五寄, 报价我明天发 → 寄样品, 发报价), which then belongs to the
    step (returned: the title and where the step now starts)."""
    if (to := _SENT_TO.fullmatch(action)) and (asked := _ASKED_FOR.search(text, 0, lo)):
        return f"{to['verb']}{asked['obj']}给{to['who']}", lo  # he asked for catalog… 明天发给他: what is sent
    if len(action) > 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", action):
        return action, lo
    if m := _WANTED.search(text, 0, lo):
        return f"{action}{m['obj']}", lo
    if m := _THING_FIRST.search(text, 0, lo):
        return f"{action}{m['obj']}", m.start()
    return action, lo


# What the customer asks the rep to deliver by a day (周五要报价单, 要求周五前回复, they want samples by next Friday):
# the rep's task, not their promise. What they will do themselves (付款, 下单, 给我们答复) stays theirs.
_DELIVERABLE_CN = (
    r"报价单|报价|样品|样本|样|目录|资料|图纸|价格|价钱|方案|规格书|技术参数|参数表|证书|测试报告|检测报告|合同|形式发票|"
    r"datasheet|catalog|PI|回复|答复|回音|反馈"
)
_ASKS_CN = re.compile(
    r"(?<!给我们)(?<!给我)(?:要求|希望|想要|需要|要|让我们|让我|请我们|催)\s?(?:我们|我方|我)?\s?"
    r"(?:尽快|先|把)?(?:发|提供|给|寄|出|做|报)?(?:个|一份|一下|一套|一版)?\s?"
    rf"(?P<obj>(?!他|她|对方|客户)(?:[A-Za-z0-9]+\s?)?[^\s,，。;；]{{0,6}}?(?:{_DELIVERABLE_CN}))",
    re.I,
)
_ASKS_EN = re.compile(
    r"(?<![A-Za-z])(?:wants?|need|needs|asked for|asks for|ask for|requested|requests|expects?|would like)\s"
    r"(?:(?:us |me )?to (?:send|provide|give|share)\s)?(?:to (?:see|get|have|receive)\s)?"
    r"(?:our\s|a\s|an\s|the\s|some\s)?"
    r"(?P<obj>(?:[\w.-]+\s){0,4}?(?:quote|quotation|samples?|catalogs?|catalogues?|datasheets?|drawings?|prices?|"
    r"pricing|proposal|offer|specs?|specifications|certificates?|test reports?|reply|answer|feedback))(?![A-Za-z])",
    re.I,
)


# The things a rep delivers, as one name each (报价单 is 报价, 样本 / samples are 样品): what a step sends, what a
# note says was delivered, and what a task is about are compared by these.
_THINGS = re.compile(
    _DELIVERABLE_CN.removesuffix("|回复|答复|回音|反馈") + "|认证文件|文件|报告|参数|samples?|quote", re.I
)
_SAME_THING = {
    "报价单": "报价", "样本": "样品", "样": "样品", "价钱": "价格", "认证文件": "证书",
    "samples": "样品", "sample": "样品", "quote": "报价", "catalog": "目录",
}  # fmt: skip


_THEIR_SUBJECT = re.compile(r"\s?(?:他们|她们|对方|客户|他|她|they|he|she)(?![A-Za-z])", re.I)


def things_in(text: str, start: int = 0, end: int | None = None) -> set[str]:
    """The deliverables `text[start:end]` speaks of, each by its one name."""
    found = _THINGS.findall(text, start, len(text) if end is None else end)
    return {_SAME_THING.get(t.lower(), t.lower()) for t in found}


_THING_FIRST = re.compile(rf"(?:^|(?<=[\s,，。;；]))(?P<obj>(?:{_DELIVERABLE_CN}))\s?(?:我们|我)?\s?$")


def _asked_of_rep(text: str, lo: int, hi: int, dates: list[DateSpan]) -> str | None:
    """The rep's task when the customer asks for something of the rep's by a day: `发报价单`, `send samples`."""
    piece = _blank(text, [(max(lo, d.start), min(hi, d.end)) for d in dates])[lo:hi]
    piece = re.sub(r"\s+", " ", piece)
    said = [m.start() for m in _SAID.finditer(piece)]
    piece = piece[said[-1] :] if said else piece  # 催PI 他说周五前回复: what is dated is what they said
    if m := _ASKS_EN.search(piece):
        obj = m["obj"]
        return f"reply to them ({obj})" if re.fullmatch(r"reply|answer|feedback", obj, re.I) else f"send {obj}"
    if m := _ASKS_CN.search(piece):
        obj = m["obj"].strip()
        if re.fullmatch(r"回复|答复|回音|反馈", obj):
            return "回复客户"
        return f"发{obj}"
    return None


_TO_THEM = re.compile(r"(?:发|寄|送|报|传|交|回复|回)给?(?:她们|他们|她|他|对方|客户)(?![们])")


def _theirs(text: str, lo: int, hi: int, action: str) -> bool:
    """A step with no 我 in front whose verb is the customer's (see _CUSTOMER_ACT / _CUSTOMER_WANTS)."""
    if _REP_SUBJECT.match(_LEADING_DISCOURSE.sub("", text[lo:hi])):
        return False
    return bool(_CUSTOMER_ACT.match(action) or _CUSTOMER_WANTS.match(action) or _CUSTOMER_ACT_EN.search(action))


# A want that goes on from the customer's (阿兹特克建材需要500个DN25球阀 要CE证书): their requirement, not a step.
_WANTS_MORE = re.compile(r"^(?:还|也|并且|而且|同时)?\s?(?:要求|需要|要)(?!我|求我|去|来|约|拜访|见|打|跟|给|和)")
_WANTS = re.compile(r"要求|需要|想要|要|希望|want|need|require", re.I)


def _theirs_too(text: str, pieces: list[tuple[int, int, bool]], i: int, dates: list[DateSpan]) -> bool:
    """A piece with no subject that goes on from the customer's words: what they must deliberate first (…还要走流程
    下周三前给答复), or a further want (…需要500个球阀 要CE证书)."""
    lo, hi = pieces[i][:2]
    if not i or not pieces[i - 1][2] or _REP_SUBJECT.match(text[lo:hi]):
        return False
    before = text[pieces[i - 1][0] : pieces[i - 1][1]]
    if _DELIBERATE.search(before) and _EITHER_SIDE.match(_action(text, lo, hi, dates)):
        return True
    if _SAID.search(before) and _THEIR_ANSWER.match(_action(text, lo, hi, dates)):  # 客户说… 下周一给测试结果
        return True
    return bool(_WANTS.search(before) and _WANTS_MORE.match(_LEADING_DISCOURSE.sub("", text[lo:hi])))


def _steps(
    text: str, pieces: list[tuple[int, int, bool]], dates: list[DateSpan], now: datetime
) -> list[tuple[NextStep, tuple[int, int]]]:
    """The rep's planned steps and the customer's promises, soonest first, each with the span it came from.

    A step is a piece with a date still ahead that plans (再 / 给答复 / send) or at least reports no fact
    (定了明年Q1的订单 is a fact); without any dated step, the last undated plan (回头再约) is one. The customer's
    promises (对方说月底前付, 春节后下批量订单) are marked by_customer: kept whole, never the rep's task.
    """
    steps: list[tuple[NextStep, tuple[int, int]]] = []
    pieces = [(lo, hi, promised or _theirs_too(text, pieces, i, dates)) for i, (lo, hi, promised) in enumerate(pieces)]
    for i, (lo, hi, promised) in enumerate(pieces):
        piece = text[lo:hi]
        inside = [d for d in dates if lo <= d.start < hi and d.value > now and not d.past]
        if not inside:
            continue
        due = inside[0]
        action = _action(text, lo, hi, inside)
        if wanted := _asked_of_rep(text, lo, hi, inside):  # they want our quote by Friday: the rep's to do
            steps.append((NextStep(wanted, due.value, due.guessed), (lo, hi)))
            continue
        if action and _TO_THEM.search(action):  # 她说…明天上午十点前把新报价发给她: sent to them, so by the rep
            title, start = _with_object(text, lo, action)
            steps.append((NextStep(title, due.value, due.guessed), (start, hi)))
            continue
        if promised or (action and _theirs(text, lo, hi, action)):  # kept whole and marked: theirs
            steps.append((NextStep(_clean(piece), due.value, due.guessed, by_customer=True), (lo, hi)))
            if hosting := _hosting(text, lo, hi, inside):  # 刘总说想下周来工厂参观: theirs to say, ours to host
                steps.append((NextStep(hosting, due.value, due.guessed, hosting=True), (lo, hi)))
            continue
        if not (_FUTURE_CUE.search(piece) or not _PAST_CUE.search(piece)):
            continue
        if hosting := _hosting(text, lo, hi, inside):  # 滨海国贸刘总下周来厂参观: the rep hosts them
            steps.append((NextStep(hosting, due.value, due.guessed, hosting=True), (lo, hi)))
        elif action:
            title, start = _with_object(text, lo, action)
            if i + 1 < len(pieces) and (purpose := _purpose(text, pieces[i + 1], dates)):
                title, hi = f"{title}，{purpose}", pieces[i + 1][1]
            steps.append((NextStep(title, due.value, due.guessed), (start, hi)))
    if not any(not step.by_customer for step, _ in steps):
        taken = {span for _, span in steps}
        for lo, hi, promised in reversed(pieces):
            piece = text[lo:hi]
            if (lo, hi) in taken:
                continue
            heard = _SPEAKER.search(_LEADING_DISCOURSE.sub("", piece))  # 说报价太高要我们降5%: a request, no step
            if not promised and not heard and _FUTURE_CUE.search(piece) and not _PAST_CUE.search(piece):
                if (action := _action(text, lo, hi, [])) and not _theirs(text, lo, hi, action):
                    steps.append((NextStep(action), (lo, hi)))
                break
    steps.sort(key=lambda s: s[0].due or now)
    return steps


# The customer coming to us (来工厂参观, 来厂考察, 过来看厂): a future event for the rep to host, not a visit held.
_COMING_TO_US = re.compile(
    r"(?P<visit>(?:来|过来|到)(?:我们|我司|我们的?|咱们)?(?:工厂|厂里|公司|总部|车间|厂)?"
    r"(?:参观|考察|看厂|验厂|看看|拜访|访问|审厂)|来访|来厂(?!开会))"
)
_VISITOR_ENDS = re.compile(r"说|表示|告诉我|反馈|打算|计划|准备|想|要")


def _hosting(text: str, lo: int, hi: int, dates: list[DateSpan]) -> str | None:
    """接待<who><visit> when the piece has the customer coming to us (来工厂参观; 来我们工厂看看 may run past the piece
    into its clause); who is what stands before it, up to 说 / 想 (刘总), else 客户."""
    start, end = next(((c.start(), c.end()) for c in CLAUSE.finditer(text) if c.start() <= lo < c.end()), (lo, hi))
    visit = _COMING_TO_US.search(text, lo, max(hi, end))
    if visit is None or visit.start() >= hi or _REP_SUBJECT.match(text[lo:hi]):
        return None
    before = _blank(text, [(d.start, d.end) for d in dates])[start : visit.start()]
    who = re.sub(r"\s+", "", _VISITOR_ENDS.split(before, maxsplit=1)[0])
    return f"接待{who or '客户'}{visit['visit']}"


# What a call or a visit is for, written after it (明天给刘静回个电话 问下技术反馈): part of the step's title.
_PURPOSE = re.compile(
    r"^(?:顺便|顺带|主要)?(?:(?:问|了解|确认|催|谈|聊|看|商量|讨论)(?:下|一下|问|了解|看|看看)|(?:确认|了解|问)(?![了过好]))"
)  # 回个电话 确认DN50球阀的交期: 确认 / 了解 / 问 with its object says what for, too


def _purpose(text: str, piece: tuple[int, int, bool], dates: list[DateSpan]) -> str | None:
    """The next piece when it only says what the step is for, with no day, speaker or subject of its own."""
    lo, hi, promised = piece
    if promised or any(lo <= d.start < hi for d in dates):
        return None
    words = _clean(text[lo:hi])
    return words if _PURPOSE.match(words) else None


def _action(text: str, lo: int, hi: int, dates: list[DateSpan]) -> str:
    """A task's title: the piece without its date (明天 / 过两天 / 下周三之前 are in the due date)."""
    piece = _blank(text, [(max(lo, d.start), min(hi, d.end)) for d in dates])[lo:hi]
    piece = re.sub(r"\s+", " ", piece).strip()
    for _ in range(2):
        piece = _STEP_LEAD.sub("", _clean(_STEP_TRAIL.sub("", piece)))
    return _clean(piece)


def _lookup(ctx: _Context) -> bool:
    ctx.retarget(_LOOKUP_TAIL.sub("", ctx.text).rstrip("?"))
    ctx.customer(explicit=True, whole=True)
    return True


def _task_number(ctx: _Context, *, with_due: bool) -> bool:
    """`完成 3`, `推迟 8 3天`; or the task named by its words (`完成 寄样品`, `推迟 给泰晤士寄目录 到下周五`)."""
    m = _NUMBER_HEAD.match(ctx.text)
    due = next((d for d in ctx.dates if d.start >= (m.end() if m else 0) and not d.past), None)
    if with_due and due is not None:
        ctx.fields["next_due"] = due.value
    if m is not None:
        ctx.fields["number"] = int(m["n"])
        return True
    if ctx.sentence or _PAST_CUE.search(ctx.text):
        return False  # 完成了报价, 已完成发货了: a sentence, not a task command
    hint = _clean(re.sub(r"^[✅✔️☑:\s]+|[✅✔️☑]+", " ", _blank(ctx.text, [(due.start, due.end)] if due else [])))
    hint = _clean(re.sub(r"(?:^|\s)(?:到|至|推迟到|延到|改到|to)$", "", hint))
    if not hint:
        return False
    ctx.fields["task_hint"] = hint
    ctx.customer(explicit=False)
    return True


def _list_tasks(ctx: _Context) -> bool:
    if ctx.text.strip() and not asks_for_all(ctx.text):
        ctx.customer(explicit=True, whole=True)
    return True


# 待办 李娜, 李娜的待办, 漏斗 李娜, 李娜的漏斗: a manager looks at one of the team (the handler knows the people; a name
# that is nobody's is read as before).
_COLLEAGUE_VIEW = re.compile(
    r"(?:(?P<cmd>漏斗|日报|待办|任务)\s?(?!全部|所有|更多|剩下|其余)(?P<a>[\u4e00-\u9fff]{2,4})(?:的)?"
    r"|(?P<b>[\u4e00-\u9fff]{2,4})\s?的\s?(?P<cmd2>漏斗|日报|待办|任务|逾期待办))(?:\s?(?:全部|所有))?\s?[?？]*"
)
_VIEW_INTENT = {"漏斗": Intent.FUNNEL, "日报": Intent.FUNNEL}


def _transfer(ctx: _Context) -> bool:
    ctx.customer(explicit=True, whole=True)
    return True


_HANDLERS: dict[Intent, Callable[[_Context], bool]] = {
    Intent.NEW_CUSTOMER: _new_customer,
    Intent.UPDATE_CUSTOMER: _update_customer,
    Intent.ADD_ALIAS: _add_alias,
    Intent.NEW_CONTACT: _new_contact,
    Intent.NEW_OPPORTUNITY: _new_opportunity,
    Intent.ADVANCE_STAGE: lambda ctx: _stage_change(ctx, Intent.ADVANCE_STAGE),
    Intent.WIN: lambda ctx: _stage_change(ctx, Intent.WIN),
    Intent.LOSE: lambda ctx: _stage_change(ctx, Intent.LOSE),
    Intent.FOLLOW_UP: lambda ctx: _follow_up(ctx, explicit=True),
    Intent.LOOKUP: _lookup,
    Intent.LIST_TASKS: _list_tasks,
    Intent.COMPLETE_TASK: lambda ctx: _task_number(ctx, with_due=False),
    Intent.POSTPONE_TASK: lambda ctx: _task_number(ctx, with_due=True),
    Intent.TRANSFER_REQUEST: _transfer,
}


# Greetings and thanks (在吗, 谢谢): answered by core/nlu/questions.py, never a customer's name to look up.
GREETING = re.compile(r"^(?:你好|您好|hi|hello|hey|早上好|早|下午好|晚上好|在吗|在不在)[呀啊吗!！~。.,，\s]*$", re.I)
THANKS = re.compile(r"^(?:谢谢|多谢|感谢|谢了|thanks|thank you|thx|辛苦了|好的谢谢)[你您啦了呀!！~。.,，\s]*$", re.I)


# A command kabot does not have (删除 艾克美, 合并 A B, 导出 艾克美): shown the right ones, never logged as a note.
_OTHER_COMMAND = re.compile(
    r"^(?:删除|删掉|合并|导出|导入|修改|编辑|更改|关闭|停用|启用|恢复|重命名|改名|归档|设置|设为|标记|分配|delete|remove|"
    r"merge|export|import|edit|rename|archive)(?:\s|$)",
    re.I,
)


# A person introduced with a number (新来的采购叫刘强 电话139…, 新的对接人是王丽 邮箱…): a contact to add.
_INTRODUCED = re.compile(
    r"(?:新来的|新的|新任|新换的|换了)\S{0,6}?(?:叫|名叫|是)\s?(?P<name>[\u4e00-\u9fff]{2,3}?)"
    r"(?=\s|电话|手机|邮箱|微信|,|，|$)"
)


# A deal's outcome asked about (签了没, 拿下了吗, 丢了?): a question, whatever the won / lost words say.
_ASKS_OUTCOME = re.compile(
    r"(?:签了|签没签|拿下了?|成了|丢了|黄了|定了|赢了|输了)\s?(?:没有?|吗|么|没呢|[?？])|(?:签|拿下|定)没(?:签|拿下|定)"
)
_CLAUSE_AFTER = re.compile(r"^[\s,，。;；?？]+")


def _classify_free(ctx: _Context) -> Intent:
    """No command word: decide from cue words, in order of how specific they are."""
    text = ctx.text
    if GREETING.match(text) or THANKS.match(text):
        return Intent.UNKNOWN
    if asked := _ASKS_OUTCOME.search(text):  # 法兰项目合同签了没 张总上周说这周盖章: asked, never moved
        if ctx.mentions:
            ctx.customer(explicit=False)
        if rest := _clean(_CLAUSE_AFTER.sub("", text[asked.end() :])):
            ctx.fields["aside"] = rest
        return Intent.LOOKUP
    if _WIN_WORDS.search(text):
        _stage_change(ctx, Intent.WIN)
        return Intent.WIN
    if _LOSE_WORDS.search(text):
        _stage_change(ctx, Intent.LOSE)
        return Intent.LOSE
    if m := _STAGE_MOVE_EN.match(text):
        _stage_change(ctx, Intent.ADVANCE_STAGE)
        return Intent.ADVANCE_STAGE
    if _STAGE_MOVE.search(text) or (ctx.mentions and re.search(rf"(?:^|\s){_STAGE_CODE}(?:\s|$)", text)):
        _stage_change(ctx, Intent.ADVANCE_STAGE)  # 艾克美 走合同流程了 S5: a customer and a bare code
        return Intent.ADVANCE_STAGE
    if _set_amount(ctx):
        return Intent.SET_AMOUNT
    if m := _ALIAS_FREE.match(text):
        ctx.retarget(m["who"])
        ctx.customer(explicit=True, whole=True)
        ctx.fields["alias"] = _clean(m["alias"])
        return Intent.ADD_ALIAS
    if _is_lookup(ctx):
        _lookup(ctx)
        return Intent.LOOKUP
    if _is_question(ctx):
        if ctx.mentions:
            ctx.customer(explicit=False)
        return Intent.LOOKUP
    if ctx.mentions and (called := _INTRODUCED.search(text)) and (_PHONE.search(text) or _EMAIL.search(text)):
        _new_contact(ctx)  # 北风泵业新来的采购叫刘强 电话139…: a person to add, not a call that happened
        ctx.fields["contact_name"] = called["name"]
        return Intent.NEW_CONTACT
    if _KIND_ANY.search(text) or _ACTIVITY.search(text) or (ctx.mentions and ctx.dates) or _REMIND.match(text):
        return _free_follow_up(ctx)
    if ctx.mentions or _LEADING_NAME.match(text):
        return _note(ctx)
    return Intent.UNKNOWN


# A named deal's amount changed (法兰项目金额调整为32万欧, 项目改成30万美元, update ACME flange amount to EUR 320k): the
# amount word, or the deal word right before the verb, and money right after it (单价改为… is a quote's, not this).
_AMOUNT_CHANGE = re.compile(
    r"(?:(?:合同金额|合同额|总金额|金额|总价|总额|(?<!单)价格)|(?:项目|商机|单子|订单))\s?(?:的)?\s?"
    r"(?:调整为|调整到|调整成|调为|调到|改为|改成|改到|更新为|更新成|变为|变成|变更为|修改为|改)\s?(?=[\d$€¥£]|人民币|美元|欧元)"
    r"|(?<![A-Za-z])(?:amount|value)\s(?:to|is\snow|now)\s",
    re.I,
)

_AMOUNT_VERB = re.compile(r"(?<![A-Za-z])(?:update|change|set|adjust)d?\s(?:the\s)?|^\s*的|的\s*$", re.I)


def _set_amount(ctx: _Context) -> bool:
    """An amount change of a named deal: the customer, the new amount, and the words naming the deal."""
    change = _AMOUNT_CHANGE.search(ctx.text)
    if change is None or not (ctx.mentions or _LEADING_NAME.match(ctx.text)):
        return False
    spans = [change.span()]
    if money_span := _extras(ctx):
        spans.append(money_span)
    if "amount" not in ctx.fields:
        return False
    if span := ctx.customer(explicit=False):
        spans.append(span)
    if hint := _clean(_AMOUNT_VERB.sub(" ", _blank(ctx.text, spans))):
        ctx.fields["opportunity"] = hint
    return True


# `Texas Flow Controls: …`, `Kiwi Water 要样品`: a Latin name (two words or more) opening the message.
_LATIN_CHARS = r"[A-Za-z0-9\u00c0-\u024f&.'-]"
_LEADING_NAME = re.compile(
    rf"^(?P<name>[A-Z]{_LATIN_CHARS}*(?:\s[A-Z]{_LATIN_CHARS}*)+)\s?(?::|\s?(?=[\u4e00-\u9fff]))"
    rf"|^(?P<one>[A-Z]{_LATIN_CHARS}+)\s?:"
)  # Nordik Pipe的Erik来电: the name ends where the Chinese starts


# A company named mid-sentence that the index does not know: after words that introduce one (展会认识的, 新客户,
# 一家叫), or a run of capitalised Latin words ending in a company word (… Hamburg Marine Supply 想要…). Offered
# for creation, never dropped; a person (采购经理Klaus Weber) has no such cue.
_COMPANY_WORD = (
    r"(?:GmbH|Ltd\.?|Limited|Inc\.?|LLC|AG|AB|AS|A/S|SA|S\.A\.|S\.p\.A\.|SpA|BV|NV|Co\.?|Corp\.?|Company|Group|"
    r"Supply|Supplies|Trading|Traders|Industries|Industrial|Engineering|Pumps|Valves|Marine|Logistics|Systems|"
    r"Technologies|Technology|Tech|Solutions|International|Imports|Exports|Manufacturing|Machinery|Electric|Energy)"
)
_LATIN_NAME_WORD = r"[A-Z\u00c0-\u00de][\w&.'/-]*"
_NAME_PARTICLE = r"(?:de|del|la|las|los|da|do|dos|von|van|der|den|of)"  # Grupo Hidraulico del Norte
_NEW_NAME = re.compile(
    r"(?:(?:新认识的|认识的|认识了|新认识|一[个家位](?:[\u4e00-\u9fff]{0,6}?的)?新?(?:客户|公司|厂家|工厂|买家)|"
    r"新客户|一家叫|一家|叫做|名叫|介绍的|介绍了|来自)\s?)+"
    rf"(?P<name>{_LATIN_NAME_WORD}(?:\s(?:{_NAME_PARTICLE}\s)?{_LATIN_NAME_WORD}){{0,4}}|[\u4e00-\u9fff]{{2,12}}?(?=\s|[,，。;；]|$))"
    rf"|(?<![A-Za-z])(?P<name2>{_LATIN_NAME_WORD}(?:\s{_LATIN_NAME_WORD}){{0,3}}\s{_COMPANY_WORD})(?![A-Za-z])"
)


# What follows 新客户 may be what was done with them, not their name (周五约了新客户开会, 新客户海德堡泵阀开会).
_DONE_WITH = re.compile(r"(?:开会|开个会|见面|碰面|吃饭|拜访|面谈|谈判|沟通|视频|电话|聊聊|聊)$")


def _new_name(text: str) -> tuple[int, int] | None:
    """Where a company the index does not know is named (see _NEW_NAME), its activity word left out."""
    for m in _NEW_NAME.finditer(text):
        group = "name" if m["name"] else "name2"
        start, end = m.span(group)
        if (cut := _DONE_WITH.search(text, start, end)) is not None:
            end = cut.start()
        if end - start >= 2:
            return start, end
    return None


def _note(ctx: _Context) -> Intent:
    """A customer named with a demand, a price or a fact, and no interaction reported: kept as a note."""
    _follow_up(ctx, explicit=False)
    ctx.fields.pop("kind", None)
    if "kind" in ctx.guesses:
        ctx.guesses.remove("kind")
    return Intent.NOTE


_REMIND = re.compile(r"^(?:提醒我|提醒一下|记得|remind me)", re.I)


def _free_follow_up(ctx: _Context) -> Intent:
    """A report, or only a plan (周五下午3点和北欧暖通开视频会: nothing happened yet, a task on the customer)."""
    _follow_up(ctx, explicit=False)
    if ctx.plan_only:
        ctx.fields["occurred_at"] = None
        return Intent.PLAN
    return Intent.FOLLOW_UP


# Words that make a part of the message speak of every customer named (两家都问交期, both want samples).
_SHARED = re.compile(r"两家|三家|几家|各家|每家|都|分别|各自|(?<![A-Za-z])(?:both|all of them|each)(?![A-Za-z])", re.I)
# Only a conjunction between two names (A和B都要样本): one part about both, no split.
_JOINS_NAMES = re.compile(r"\s?(?:和|与|跟|及|以及|还有|、|/|&|,|，|and)?\s?", re.I)


def _mentions(names: NameIndex, text: str) -> list[NameMatch] | None:
    """Every mention in order; a short form shared by several (华信) is the one named in full elsewhere in the
    message, else the message is ambiguous (None: asked about first)."""
    by_span: dict[tuple[int, int], list[NameMatch]] = {}
    for m in names.mentions(text):
        by_span.setdefault((m.start, m.end), []).append(m)
    sure = {ms[0].customer_id for ms in by_span.values() if len(ms) == 1}
    out = []
    for ms in by_span.values():
        known = [m for m in ms if m.customer_id in sure] if len(ms) > 1 else ms
        if len(known) != 1:
            return None
        out.append(known[0])
    return out


_SAID = re.compile(r"说|表示|答应|承诺|反馈|回复说|告诉我")
_LIST_HEAD = re.compile(r"[^:：,，。;；]{2,30}[:：]")
_TURN = re.compile(r"然后|另外|接着|随后|之后又|后来又|后来|还有|(?<![A-Za-z])(?:and then|then)(?![A-Za-z])", re.I)


def _by_customer(text: str, names: NameIndex | None, dates: list[DateSpan]) -> list[tuple[NameMatch, str]]:
    """The parts of a free-text message that each speak of one customer (上午去了A，下午去了B), one text each.

    The message is cut into clauses, and a run-on clause naming two customers (上午拜访A下午电话B) is cut again
    before the second one's date or contact word. A piece naming one customer is that customer's; a piece naming
    none belongs to the customer before it, unless it speaks of all of them (两家都问交期: every customer's); a
    piece naming several joined by 和 / 、 is every one of them's. One customer, or an ambiguous mention, is no split.
    """
    if names is None:
        return []
    mentions = _mentions(names, text)
    if mentions is None or len({m.customer_id for m in mentions}) < 2:
        return []
    cuts: set[int] = set()
    for clause in CLAUSE.finditer(text):
        inside = [m for m in mentions if clause.start() <= m.start < clause.end()]
        for prev, m in zip(inside, inside[1:], strict=False):
            if prev.customer_id == m.customer_id or _JOINS_NAMES.fullmatch(text, prev.end, m.start):
                continue
            # The last date or discourse word before the second name starts its part (他们说下周给图纸然后下午又给B:
            # at 下午, not at 下周); with neither, its first contact word (上午拜访A电话B).
            # A date after what the first one said (A那边说下周发图纸B说…) is part of their words: the cut is then
            # at the second name.
            said = _SAID.search(text, prev.end, m.start)
            heard = said.end() if said else m.start
            turn = [d.start for d in dates if prev.end <= d.start < m.start and d.start < heard]
            turn += [t.start() for t in _TURN.finditer(text, prev.end, m.start)]
            kinds = [k.start() for k in _KIND_ANY.finditer(text, prev.end, m.start)]
            cuts.add(max(turn) if turn else min(kinds) if kinds else m.start)
    if (head := _LIST_HEAD.match(text)) and head.end() <= mentions[0].start:
        cuts.add(head.end())  # 今天打了两个电话：A…，B…: the head is every customer's (both were calls today)
    bounds = sorted({c.start() for c in CLAUSE.finditer(text)} | cuts)
    pieces = [(a, b) for a, b in zip(bounds, [*bounds[1:], len(text)], strict=True) if text[a:b].strip(" ,，。;；")]
    owners: list[set[int] | None] = []  # None: every customer's
    last: set[int] = set()
    things: dict[str, set[int]] = {}  # 报价 → the customers whose own pieces speak of it
    for a, b in pieces:
        named = {m.customer_id for m in mentions if a <= m.start < b}
        if named:
            last = named
            owners.append(named if len(named) == 1 else None)
        elif _SHARED.search(text, a, b):
            owners.append(None)
        else:
            # 穆勒…谈了蝶阀报价 北欧暖通…要目录 我明天发报价: the step about the quote is 穆勒's.
            about = {c for thing in things_in(text, a, b) for c in things.get(thing, ())}
            theirs = _THEIR_SUBJECT.match(_LEADING_DISCOURSE.sub("", text[a:b]))  # 他们也要样品: the last one's
            owners.append(about if len(about) == 1 and not theirs else last or None)
        if (owner := owners[-1]) is not None and len(owner) == 1:
            for thing in things_in(text, a, b):
                things.setdefault(thing, set()).update(owner)
    order = {m.customer_id: m for m in reversed(mentions)}  # each customer's first mention
    if not any(o is not None and len(o) == 1 for o in owners) or sum(1 for o in owners if o) < 2:
        return []  # every piece is about all of them: one record copied to each (_same_for_others)
    parts = []
    for cid, first in sorted(order.items(), key=lambda item: item[1].start):
        mine = [_clean(text[a:b]) for (a, b), o in zip(pieces, owners, strict=True) if o is None or cid in o]
        parts.append((first, "，".join(p for p in mine if p)))
    return parts


# A question about a customer (艾克美的预付款到账了没, Gulf Star 的联系人邮箱是多少, 孟买工程那单现在什么阶段):
# answered, never logged. Reported speech (客户问能不能…, 他说…吗) is a follow-up.
_QUESTION = re.compile(
    r"(?:吗|么|没|没有|呢|多少|什么|啥|哪些|哪个|哪家|几个|几台|谁|是否|有没有|如何|怎样|什么时候|什么阶段|进展)\s?[?]*$"
    r"|\?$|^(?:谁|哪些|哪个|有没有|是不是|what|who|which|when|how|is|are|did|does|do)(?![A-Za-z])"
    r"|的?(?:跟进记录|联系人|报价历史|报价记录|商机|跟进情况|订单情况)\s?[?]*$",
    re.I,
)
_REPORTED_SPEECH = re.compile(r"问|说|问了|asked|said|wants to know", re.I)


# A question word inside a short message with nothing reported (艾克美上次是谁去拜访的, 北风的合同什么时候签,
# 泰晤士工程开标是哪天, 艾克美还有哪些待办没做): asked, not logged.
_ASKS_INSIDE = re.compile(
    r"谁|什么时候|啥时候|哪天|几号|几时|哪些|哪一天|多少(?:钱|来着)?[?？]*$|来着|有没有|是不是|是否|怎么办|为什么"
)
_NOT_KNOWN = re.compile(r"不清楚|不知道|不确定|还没定|待定|再说|要问|问问|确认一下")


def _is_question(ctx: _Context) -> bool:
    text = ctx.text
    if _REPORTED_SPEECH.search(text):
        return False
    if _QUESTION.search(text) and len(text) <= 40:
        return not asked_the_customer(text)  # 艾克美 下周一再跟进 样品收到没: what the rep will ask them
    asks = _ASKS_INSIDE.search(text)
    if asks is None or not ctx.mentions or len(text) > 30 or _PAST_CUE.search(text) or _NOT_KNOWN.search(text):
        return False
    return not _KIND_ANY.search(text, 0, asks.start())  # 拜访北风 谁负责采购: a visit reported first


def _is_lookup(ctx: _Context) -> bool:
    text = ctx.text
    named = max((m.end - m.start for m in ctx.mentions), default=0)  # a long Latin name is no long message
    if _LOOKUP_TAIL.search(text) and len(text) - named <= 30:
        return True
    if ctx.mentions:  # just a customer's name, maybe with a question mark
        first = ctx.mentions[0]
        return not _clean(text[: first.start] + text[first.end :]).strip("?")
    return text.endswith("?") and len(text) <= 40 and not _ACTIVITY.search(text) and not ctx.dates


def parse_message(text: str, *, now: datetime, tz: ZoneInfo, names: NameIndex | None = None) -> Parsed:
    """Read one chat message. `now` must be aware; dates resolve in `tz`; `names` resolves customers."""
    normalized = normalize(text)
    canon = whole_command(normalized)
    if canon is not None:
        return _finish(_COMMAND_INTENT[canon], normalized, {}, [], 1.0)
    if m := _CHOICE.match(normalized):
        return _finish(Intent.CHOICE, normalized, {"number": int(m["n"])}, [], 1.0)
    if m := _COLLEAGUE_VIEW.fullmatch(normalized):
        intent = _VIEW_INTENT.get(m["cmd"] or m["cmd2"], Intent.LIST_TASKS)
        return _finish(intent, normalized, {"person": m["a"] or m["b"]}, [], 1.0)
    canon, rest = split_command(normalized)
    if canon is None and (named := _named_command(normalized, names)) is not None:
        canon, rest = named
    ctx = _Context(rest, now, tz, names)
    ctx.sentence = bool(re.match(r"^\S{1,3}了", normalized)) and canon in ("完成", "推迟")
    if canon is not None:
        intent = _COMMAND_INTENT[canon]
        handler = _HANDLERS.get(intent)
        if handler is None or handler(ctx):
            if intent is Intent.FOLLOW_UP and ctx.plan_only:  # 跟进 X 打算下周去拜访: nothing happened yet
                intent, ctx.fields["occurred_at"] = Intent.PLAN, None
            parsed = _finish(intent, normalized, ctx.fields, ctx.guesses, 0.95)
            if intent is Intent.FOLLOW_UP and (cid := parsed.customer_id) is not None:
                written = parsed.customer or ""
                occasions = [t.removeprefix(written) for t in _by_occasion(ctx.text, ctx.dates, now, tz)]
                parts = [_free_part(t, now, tz, names, written, cid) for t in occasions]
                parts = _one_day(parts, ctx.text, ctx.dates, now, tz)
                if parts and all(p.intent is Intent.FOLLOW_UP for p in parts):
                    return replace(parts[0], text=normalized, also=tuple(parts[1:]))
            return parsed
        ctx = _Context(normalized, now, tz, names)
    if _OTHER_COMMAND.match(normalized):
        return _finish(Intent.UNKNOWN, normalized, {}, [], 0.0)
    if canon is None and (split := _new_one_after(normalized, names)) is not None:
        head, tail = (parse_message(part, now=now, tz=tz, names=names) for part in split)
        if head.customer_id is not None and tail.customer_id is None and tail.customer and tail.intent in _RECORDS:
            return replace(head, text=normalized, also=(*head.also, tail))
    texts = _by_customer(normalized, names, ctx.dates) if canon is None else []
    parts = [_free_part(part, now, tz, names, normalized[m.start : m.end], m.customer_id) for m, part in texts]
    parts = _one_day(parts, normalized, ctx.dates, now, tz)
    if len(parts) > 1 and all(p.intent in _RECORDS for p in parts):
        return replace(parts[0], text=normalized, also=tuple(parts[1:]))
    intent = _classify_free(ctx)
    if intent is Intent.UNKNOWN:
        return _finish(intent, normalized, {}, [], 0.0)
    parsed = _finish(intent, normalized, ctx.fields, ctx.guesses, 0.8 if "customer_id" in ctx.fields else 0.6)
    if canon is None and intent in _RECORDS and parsed.customer_id is not None:
        if others := _same_for_others(parsed, ctx.mentions):
            return replace(parsed, also=others)
        cid, written = parsed.customer_id, parsed.customer or ""
        parts = [_free_part(t, now, tz, names, written, cid) for t in _by_occasion(normalized, ctx.dates, now, tz)]
        parts = _one_day(parts, normalized, ctx.dates, now, tz)
        if parts and all(p.intent is Intent.FOLLOW_UP for p in parts):
            return replace(parts[0], text=normalized, also=tuple(parts[1:]))
    return parsed


def parse_plan(text: str, *, now: datetime, tz: ZoneInfo, names: NameIndex | None = None) -> Parsed:
    """What someone is told to do (让李娜周五前给出交期承诺 → 周五前给出交期承诺): read as a plan whatever its words, so
    its day and title are found with no contact word or customer in it."""
    ctx = _Context(normalize(text), now, tz, names)
    _follow_up(ctx, explicit=False)
    return _finish(Intent.PLAN, ctx.text, {**ctx.fields, "occurred_at": None}, ctx.guesses, 0.8)


_BOOKED_FOR = re.compile(r"(?:约|约了|约好|约在|定在|定了|改到|改在|推到|到|在|从|于|说|答应)\s?$")


def _by_occasion(text: str, dates: list[DateSpan], now: datetime, tz: ZoneInfo) -> list[str]:
    """昨天下午拜访了北风杨杰 今天又电话跟进了一次: two contacts on two occasions are two records, each on its day.

    An occasion is a day or time already come, followed closely by a contact word (拜访 / 电话 / 微信 …); a later
    occasion at another time, not bound to the words before it (约了今天下午拜访 is one), starts a part.
    """
    today = now.astimezone(tz).date()
    occasions = [
        d
        for d in dates
        if (d.past or d.value.astimezone(tz).date() <= today) and _KIND_ANY.search(text, d.end, d.end + 8)
    ]
    cuts = [
        d.start
        for prev, d in zip(occasions, occasions[1:], strict=False)
        if d.value != prev.value and d.start >= prev.end and not _BOOKED_FOR.search(text, 0, d.start)
    ]
    bounds = [0, *cuts, len(text)]
    parts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    if not cuts or not all(_PAST_CUE.search(p) for p in parts[1:]):  # 约了…今天下午拜访: not yet reported as done
        return []
    return [_clean(p) for p in parts]


_RECORDS = (Intent.FOLLOW_UP, Intent.PLAN, Intent.NOTE)
_AFTER_NAME = ("联系人", "商机")  # commands reps write after the customer: 孟买工程 新增联系人 …, X 新商机 …


def _named_command(text: str, names: NameIndex | None) -> tuple[str, str] | None:
    """`孟买工程 新增联系人 Rajesh Kumar 技术总监`: a known customer first, then a command word — that command,
    with the customer in front of the rest (联系人 孟买工程 Rajesh Kumar 技术总监)."""
    found = names.find_in(text) if names else []
    first = min(found, key=lambda m: m.start, default=None)
    if first is None or first.start != 0:
        return None
    canon, rest = split_command(text[first.end :].lstrip())
    if canon not in _AFTER_NAME or rest == text[first.end :].lstrip() or not rest.strip() or _QUESTION.search(text):
        return None  # 罗西管业联系人有哪些, Alpen Precision contact phone?: a question
    return canon, f"{text[: first.end]} {rest}"


def _same_for_others(parsed: Parsed, mentions: list[NameMatch]) -> tuple[Parsed, ...]:
    """泰晤士和南十字 都要了样本: one sentence about several customers is filed under each of them."""
    by_span: dict[tuple[int, int], list[NameMatch]] = {}
    for m in mentions:
        by_span.setdefault((m.start, m.end), []).append(m)
    others = {
        ms[0].customer_id: ms[0] for ms in by_span.values() if len(ms) == 1 and ms[0].customer_id != parsed.customer_id
    }
    return tuple(
        replace(parsed, customer=parsed.text[m.start : m.end], customer_id=cid, customer_candidates=())
        for cid, m in others.items()
    )


# 艾克美杨芳来展位了… 另外新认识一家墨西哥的客户 Grupo…: what follows is that new customer's, not 艾克美's.
_NEW_ONE = re.compile(r"(?:另外|此外|还有|然后|同时)?\s?(?:新认识了?|认识了|新加了?)\s?一[家个位]")


def _new_one_after(text: str, names: NameIndex | None) -> tuple[str, str] | None:
    """The message cut where a new customer is introduced after a known one is named (head, tail)."""
    m = _NEW_ONE.search(text)
    if m is None or names is None or not any(n.end <= m.start() for n in names.find_in(text)):
        return None
    head, tail = _clean(text[: m.start()]), _clean(text[m.start() :])
    return (head, tail) if head and tail else None


def _free_part(text: str, now: datetime, tz: ZoneInfo, names: NameIndex | None, written: str, cid: int) -> Parsed:
    """One customer's part of a message (see _by_customer), filed under that customer even when a shared piece
    (北风和穆勒都…) names another one first."""
    ctx = _Context(_clean(text), now, tz, names)
    intent = _classify_free(ctx)
    fields = {**ctx.fields, "customer": written, "customer_id": cid, "customer_candidates": ()}
    return _finish(intent, ctx.text, fields, ctx.guesses, 0.8)


_BARE_TIME = re.compile(
    rf"(?:{_TIME_OF_DAY.pattern})(?:\s?[\d一二两三四五六七八九十]{{1,3}}(?:点半?|:\d{{2}})?)?(?:[\d一二两三四五六七八九十]{{1,2}}分)?",
    re.I,
)


def _one_day(parts: list[Parsed], text: str, dates: list[DateSpan], now: datetime, tz: ZoneInfo) -> list[Parsed]:
    """上午去了穆勒… 下午去了安第斯…: times of day with no day named are one day's, the latest day on which every one
    of them has come (at 10:00 that is yesterday, both parts), never today's morning and yesterday's afternoon."""
    held = [d for d in dates if d.past or d.value <= now]
    if not held or any(not _BARE_TIME.fullmatch(text, d.start, d.end) for d in held):
        return parts
    timed = [p.occurred_at.astimezone(tz) for p in parts if p.occurred_at is not None and p.occurred_at != now]
    if len({t.date() for t in timed}) < 2:
        return parts
    today = now.astimezone(tz).date()
    day = today if all(datetime.combine(today, t.timetz()) <= now for t in timed) else today - timedelta(days=1)

    def moved(p: Parsed) -> Parsed:
        if p.occurred_at is None or p.occurred_at == now:
            return p
        return replace(p, occurred_at=datetime.combine(day, p.occurred_at.astimezone(tz).timetz()))

    return [moved(p) for p in parts]


def _finish(intent: Intent, text: str, fields: dict[str, Any], guesses: list[str], confidence: float) -> Parsed:
    if fields.get("summary"):
        fields = {**fields, "summary": as_written(fields["summary"])}
    missing = tuple(f for f in _REQUIRED.get(intent, ()) if fields.get(f) is None)
    if fields.get("amount") is not None and fields.get("currency") is None:
        missing += ("currency",)
    if fields.get("next_action") and fields.get("next_due") is None:
        missing += ("next_due",)
    if fields.get("customer_candidates"):
        confidence -= 0.1
    confidence = max(0.05, confidence - 0.15 * len(missing)) if confidence else 0.0
    return Parsed(
        intent=intent,
        text=text,
        missing=missing,
        guesses=tuple(dict.fromkeys(guesses)),
        confidence=round(confidence, 2),
        **fields,
    )
