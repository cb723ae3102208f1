"""Which customer a message means: one clear match is used, several are offered by number, none may be created.

The open question is kept with `ctx.ask`, and the answer ('2', or '是') completes the original command through
`redispatch`, so the rep never types it again.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.access import can_change, can_see, not_yours
from bot.asking import preview
from bot.context import Context
from bot.errors import NeedsAnswer, NotAllowed, NotFound, UserInputError
from bot.understand import name_index
from core.countries import country_name
from core.nlu.intents import Intent, Parsed, parse_message
from core.nlu.names import build_aliases, clean_name, normalize_name, trade_name
from core.nlu.near_names import homophone_in, latin_near_name
from core.nlu.normalize import CLAUSE, normalize
from core.text import MAX_NAME_CHARS
from storage.models import Customer, User
from storage.repo import customers, names

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_RECORDS = (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN)
UNSAVED = "\n这条没有保存。"  # said whenever a colleague's account stops a change: the rep knows nothing went in
NAME_CUSTOMER = "name_customer"  # a note with no customer in it waits for the rep to name one
_WORD = re.compile(r"[^\s,，。;；:：]+")
EXAMPLES = {
    "lookup": "查 艾克美",
    "follow_up": "跟进 艾克美 今天电话沟通了报价，下周二再跟进",
    "new_contact": "联系人 艾克美 张伟 采购总监 决策者 电话13800001111",
    "new_opportunity": "商机 艾克美 DN50球阀年度采购 50万美元 S2",
}


def fit_name(name: str, what: str, example: str) -> str:
    """The name as it may be stored: invisible and bidi characters dropped (a name that reads as another), and
    refused, saying so, when nothing readable is left (`%`, `——`, zero-width only) or it is longer than a name can be
    (a pasted paragraph is not a customer)."""
    cleaned = clean_name(name).strip()
    if not any(ch.isalnum() for ch in cleaned):
        raise UserInputError(f"{what}“{cleaned}”里没有文字，没有保存。请写正式名称。", example=example)
    if len(cleaned) > MAX_NAME_CHARS:
        raise UserInputError(f"{what}太长了（最多 {MAX_NAME_CHARS} 个字），没有保存。请写简短的名称。", example=example)
    return cleaned


async def customer_for(ctx: Context, parsed: Parsed, *, change: bool) -> Customer:
    """The customer the message is about; raises to ask the rep to pick, to create, or to say it is not theirs."""
    chosen = ctx.command.customer_id or parsed.customer_id
    if chosen is not None:
        customer = await customers.get(ctx.session, int(chosen))
        if customer is None:
            raise NotFound("这个客户已不存在。")
        allowed = await (can_change(ctx, customer) if change else can_see(ctx, customer))
        if not allowed:
            said = UNSAVED if change else ""
            raise NotAllowed(await not_yours(ctx, customer) + said, entity="customers", entity_id=customer.id)
        if ctx.command.customer_id and parsed.customer and len(parsed.customer_candidates) > 1:
            await names.learn(ctx.session, ctx.user_id, parsed.customer, customer)  # picked from our list
        elif ctx.command.customer_id is None and (written := await _other_name(ctx, customer)):
            if exact := await names.owned_anywhere(ctx.session, written):  # the exact name of another account
                if await (can_change(ctx, exact[0]) if change else can_see(ctx, exact[0])):
                    return exact[0]
                said = UNSAVED if change else ""
                raise NotAllowed(await not_yours(ctx, exact[0]) + said, entity="customers", entity_id=exact[0].id)
            raise NeedsAnswer(
                f"“{written}”和您的客户“{customer.name}”名字相近，但不是同一个名字。回复编号：\n"
                f"1. 记到 {customer.name}（以后“{written}”也认作它）\n2. 新建客户“{written}”\n回复“取消”不保存。",
                kind="near_customer",
                data={"command": ctx.command.to_data(), "id": customer.id, "name": written},
                asks=f"“{written}”记到 {customer.name}（回复 1）还是新建客户（回复 2）？",
                unanswered=None if change else "",
            )
        return customer

    # A colleague's account named as such (艾克森流体设备, 艾克森) says whose it is, before any fuzzy guess of ours.
    elsewhere = await names.owned_anywhere(ctx.session, parsed.customer) if parsed.customer else []
    if elsewhere and not await (can_change(ctx, elsewhere[0]) if change else can_see(ctx, elsewhere[0])):
        said = UNSAVED if change else ""
        raise NotAllowed(await not_yours(ctx, elsewhere[0]) + said, entity="customers", entity_id=elsewhere[0].id)

    if len(parsed.customer_candidates) > 1:
        ids = [m.customer_id for m in parsed.customer_candidates]
        options = await _owners(ctx, ids)
        lines = [f"{i}. {name}" for i, name in enumerate(options, 1)]
        raise NeedsAnswer(
            "您说的是哪个客户？回复编号：\n" + "\n".join(lines),
            kind="choose_customer",
            data={"command": ctx.command.to_data(), "ids": ids},
            unanswered=None if change else "",
        )

    written = parsed.customer or ""
    if len(parsed.customer_candidates) == 1 and _LATIN_WORD.fullmatch(written):  # mullar: 您是说 穆勒机械 吗？
        [only] = parsed.customer_candidates
        raise NeedsAnswer(
            near_question(written, only.name),
            kind="near_customer",
            data={"command": ctx.command.to_data(), "id": only.customer_id, "name": written},
        )

    if not parsed.customer:
        if owned := await _named_anywhere(ctx):
            if await (can_change(ctx, owned) if change else can_see(ctx, owned)):
                return owned
            said = UNSAVED if change else ""
            raise NotAllowed(await not_yours(ctx, owned) + said, entity="customers", entity_id=owned.id)
        if parsed.intent in _RECORDS and (typo := await _misspelt(ctx)):  # mullar 今天电话…: 您是说 穆勒机械 吗？
            written, customer_id, name = typo
            raise NeedsAnswer(
                "这条还没有保存。" + near_question(written, name),
                kind="near_customer",
                data={"command": ctx.command.to_data(), "id": customer_id, "name": written},
            )
        if parsed.intent in _RECORDS:  # aikemei说节后再谈…: the note waits for the customer's name
            raise NeedsAnswer(
                "这条还没有保存：是哪个客户的？直接回复客户名，例如“艾克美”，我就记到它名下；回复“取消”不保存。",
                kind=NAME_CUSTOMER,
                data={"command": ctx.command.to_data()},
                asks=f"“{preview(ctx.command.text)}”是哪个客户的？",
            )
        raise UserInputError(
            "请告诉我是哪个客户，这条还没有保存。", example=EXAMPLES.get(str(parsed.intent), EXAMPLES["lookup"])
        )

    example = EXAMPLES.get(str(parsed.intent), EXAMPLES["lookup"])
    name = fit_name(parsed.customer, "客户名称", example)
    if elsewhere:
        return elsewhere[0]
    if not could_be_company(name):  # `查 %克%`, `查 ' OR 1=1 --`, `查 化学`: nothing to create
        saved = "" if parsed.intent is Intent.LOOKUP else "这条还没有保存。"
        raise NotFound(f"没有找到客户“{name}”。{await _closest(ctx, name)}{saved}", example=example)
    raise NeedsAnswer(
        f"没有找到客户“{name}”。回复“是”新建这个客户并继续，回复“否”取消。",
        kind="create_customer",
        data={"command": ctx.command.to_data(), "name": name},
        asks=f"要新建客户“{name}”吗？（回复“是”或“否”）",
        unanswered=None if change else f"没有新建客户“{name}”",
    )


def near_question(written: str, name: str) -> str:
    """您是说 X 吗？ with the two answers: file it under X (the written name learned), or create it."""
    return (
        f"没有找到客户“{written}”。您是说 {name} 吗？回复编号：\n"
        f"1. 是，记到 {name}（以后“{written}”也认作它）\n2. 新建客户“{written}”\n回复“取消”不保存。"
    )


def named_as_spelled(written: str, customer: Customer) -> bool:
    """Whether `written` is one of the customer's names as spelled, not only a name that sounds like one
    (安迪斯铜业 for 安第斯铜业): a homophone is a typo to ask about, or another company."""
    aliases = build_aliases(customer.name, customer.aliases)
    return normalize_name(written) in aliases or normalize(written).lower() in aliases


_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]{4,}")


async def _misspelt(ctx: Context) -> tuple[str, int, str] | None:
    """A Latin word among the first few of the message that is one letter off a customer's name (mullar), or
    Chinese characters that sound like one (穆乐机械 for 穆勒机械): the words, the customer's id and name."""
    words = _LATIN_WORD.findall(normalize(ctx.command.text))[:3]
    if not words:
        return await _sounds_like(ctx)
    index = await name_index(ctx, ctx.command.text, words)
    for word in words:
        if ids := index.typo_of(word):
            customer_id = min(ids)
            return word, customer_id, index.name(customer_id)
    return None


async def _sounds_like(ctx: Context) -> tuple[str, int, str] | None:
    """The first customer whose name the first Chinese words of the message sound like (穆乐机械 ~ 穆勒机械)."""
    for run in _CJK_RUN.findall(normalize(ctx.command.text))[:2]:
        query = run[:HOMOPHONE_QUERY]
        for match in (await name_index(ctx, queries=[query])).lookup(query):
            if written := homophone_in(run, match.name):
                return written, match.customer_id, match.name
    return None


HOMOPHONE_QUERY = 8  # characters of a run whose look-alike customers are read


def names_a_company(answer: str) -> bool:
    """Whether a short answer can be a customer's name (海德堡泵阀), not a new message (12月5日 5万美元)."""
    text = normalize(answer).strip()
    return 0 < len(text) <= MAX_ANSWER_CHARS and could_be_company(text) and not _DIGIT.search(text)


MAX_ANSWER_CHARS = 30
_DIGIT = re.compile(r"\d")
_QUANTIFIED = re.compile(r"[一两几某]\s?[个家位]")  # 一个新客户, 一家公司: no company's name
_NAME_CHARS = re.compile(r"[\w\s&.,·()（）'’/+-]+")


def could_be_company(name: str) -> bool:
    """Whether `name` may be offered as a new customer: letters and digits with the punctuation of company names,
    no wildcard or SQL-like junk (`%克%`, `' OR 1=1 --`), and more than a generic word (化学, 有限公司, Trading):
    what is left of `<字号>name` once legal forms and industry words are dropped must be more than the 字号."""
    probe = "甲乙"  # a stand-in 字号: trade_name keeps a generic word when nothing stands before it
    return (
        bool(_NAME_CHARS.fullmatch(name))
        and name[0].isalnum()
        and "_" not in name
        and "--" not in name
        and not _QUANTIFIED.match(name)
        and trade_name(normalize_name(probe + name)) != probe
    )


async def _closest(ctx: Context, name: str) -> str:
    """The visible customers `name` resembles, as a sentence (empty when none)."""
    near = (await name_index(ctx, queries=[name])).lookup(name, limit=3)
    return f"相近的客户：{'、'.join(m.name for m in near)}。" if near else ""


async def _named_anywhere(ctx: Context) -> Customer | None:
    """The customer of any owner that the message names exactly, where the parser (which sees only this user's
    customers) found none: `今天拜访了大阪机械 谈了阀门价格` from a rep who does not own 大阪机械. First an alias
    inside the text (the longest mention), then a word after the command word (a clear start of a name)."""
    text = ctx.command.text
    exact = [m for m in (await names.index_for(ctx.session, None, text)).find_in(text) if m.score >= 100]
    if exact and (found := await customers.get(ctx.session, exact[0].customer_id)) is not None:
        return found  # a homophone of a name the rep cannot see is no reason to mention it
    for word in _WORD.findall(normalize(text))[1:4]:  # an exact name the index cannot show
        if owned := await names.owned_anywhere(ctx.session, word):
            return owned[0]
    return None


# A message that may name more than one account (A和B, 顺便去了趟B, 然后去了B): worth a second read of the names, with
# everyone's accounts, to find a colleague's among them.
_MAY_NAME_OTHERS = re.compile(
    r"和|、|与|及|还有|分别|两家|几家|顺便|然后|另外|后来|接着|又去|也去|再去|"
    r"(?<![A-Za-z])(?:and|both|then|also)(?![A-Za-z])",
    re.I,
)


async def apart_from_colleagues(ctx: Context, parsed: Parsed) -> tuple[Parsed, list[str]]:
    """The message's records without what it says about accounts the user may not change (今天分别拜访了枫叶管道和
    艾克美工业有限公司, from 王强; 去了穆勒和罗西管业 穆勒要样品 罗西要报价, from 李娜), and one line for each such
    account: its part is neither saved nor left inside the user's own note."""
    text = ctx.command.text
    if not _MAY_NAME_OTHERS.search(text):  # one account named: no second read of the names
        return parsed, []
    everyone = await names.index_for(ctx.session, None, text)
    theirs: dict[int, Customer] = {}
    for m in everyone.find_in(text):
        other = await customers.get(ctx.session, m.customer_id) if m.score >= 100 else None
        if other is not None and not await can_change(ctx, other):
            theirs[m.customer_id] = other
    if not theirs:
        return parsed, []
    lines = [f"{await not_yours(ctx, other)}\n这条里关于“{other.name}”的部分没有保存。" for other in theirs.values()]
    split = parse_message(text, now=ctx.now, tz=ctx.tz, names=everyone)
    mine = [p for p in (split, *split.also) if p.customer_id is not None and p.customer_id not in theirs]
    if mine and parsed.intent is split.intent:
        return replace(mine[0], text=split.text, also=tuple(mine[1:])), lines
    # Mine was named in a way only my own names know (艾克每 for 艾克美): read again without their clauses.
    spans = [(m.start, m.end) for m in everyone.mentions(text) if m.customer_id in theirs]
    kept = [c.group() for c in CLAUSE.finditer(normalize(text)) if not any(c.start() <= a < c.end() for a, _ in spans)]
    if not kept:
        return parsed, lines
    rest = " ".join(kept)
    again = parse_message(rest, now=ctx.now, tz=ctx.tz, names=await name_index(ctx, rest))
    return (again if again.intent is parsed.intent and again.customer_id is not None else parsed), lines


async def _other_name(ctx: Context, customer: Customer) -> str | None:
    """A longer name written where only the customer's 字号 matched: 宏达电子 for 宏达机电 is another company; in
    Latin script a plural or another legal form (Hamburg Valves, Hamburg Valve Ltd for Hamburg Valve GmbH)."""
    text = normalize(ctx.command.text)
    if latin := latin_near_name(text, customer.name, list(customer.aliases)):  # Hamburg Valves, … Ltd for … GmbH
        return latin
    known = set(build_aliases(customer.name, customer.aliases))
    for match in (await name_index(ctx, ctx.command.text)).find_in(ctx.command.text):
        if match.customer_id != customer.id:
            continue
        said = text[match.start : match.end]
        after = _CJK_RUN.match(text, match.end)
        tail = after.group() if after else ""
        for k in range(min(len(tail), 4), 1, -1):
            written = said + tail[:k]
            if trade_name(normalize_name(written)) == normalize_name(said) and normalize_name(written) not in known:
                return written
    return None


async def _owners(ctx: Context, ids: list[int]) -> list[str]:
    out = []
    for cid in ids:
        c = await customers.get(ctx.session, cid)
        if c is None:
            continue
        owner = await ctx.session.get(User, c.owner_id) if c.owner_id else None
        out.append(f"{c.name}（{country_name(c.country) or '国家未填'}，负责人 {owner.name if owner else '无'}）")
    return out
