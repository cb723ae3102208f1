"""Answers to a rep's questions (core.nlu.questions): read-only, and only about accounts the asker may see."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.access import colleague_in_view
from bot.context import Context
from bot.errors import NotFound
from bot.understand import name_index
from core.clock import calendar_days
from core.money import format_money_short
from core.nlu.normalize import normalize
from core.nlu.questions import Ask, Period, Question
from core.quote_status import quote_status_label
from core.stages import Stage
from core.timefmt import format_day, format_due
from storage.models import Contact, User
from storage.repo import questions, tasks, users

CANNOT = (
    "这个问题我暂时还回答不了。我能回答的，例如：\n• 艾克美张总电话多少\n• 上周我跟进了哪些客户\n"
    "• 我的客户\n• 艾克美的报价\n发“帮助”查看全部用法。"
)
_HONORIFIC = re.compile(r"^(?P<surname>[\u4e00-\u9fff])(?:总|经理|工|先生|女士|小姐|老板|主任|总监)$")
ROLE = {"phone": "电话", "email": "邮箱", "role": "职位/角色", "name": "联系人"}


async def answer(ctx: Context, q: Question) -> str:
    if q.ask is Ask.GREETING:
        return f"{ctx.user.name}您好！直接告诉我今天的拜访、电话或问题就行，例如“艾克美张总电话多少”。"
    if q.ask is Ask.THANKS:
        return "不客气！"
    if q.ask is Ask.CONTACT:
        return await _contact(ctx, q)
    if q.ask is Ask.FOLLOWED:
        return await _followed(ctx, q)
    if q.ask is Ask.MY_CUSTOMERS:
        return await _customers(ctx, q)
    if q.ask is Ask.QUOTES:
        return await _quotes(ctx, q)
    if q.ask is Ask.STAGE:
        return await _stage(ctx, q)
    if q.ask is Ask.QUIET:
        return await _quiet(ctx, q)
    if q.ask is Ask.COLLEAGUE:
        return await _colleague(ctx, q)
    return CANNOT


async def _person(ctx: Context, name: str | None, what: str) -> User:
    """The asker, or the colleague named whose `what` they may see (a rep asking about a colleague is refused)."""
    if not name:
        return ctx.user
    found = await colleague_in_view(ctx, name, what)
    if found is None:
        raise NotFound(f"没有叫“{name}”的同事。" + ("要看自己的请发“我的客户”。" if what == "客户" else ""))
    return found


async def _customers(ctx: Context, q: Question) -> str:
    person = await _person(ctx, q.person, "客户")
    rows = await questions.owned_customers(ctx.session, person.id or 0)
    who = "您" if person.id == ctx.user_id else person.name
    if not rows:
        return f"{who}名下还没有客户。" + ("新建：新客户 艾克美 德国 A级" if who == "您" else "")
    return f"{who}负责 {len(rows)} 个客户：\n" + "\n".join(f"• {c.name}（{c.tier}级）" for c in rows)


RECENT_DAYS = 7  # 李娜最近怎么样: the follow-ups of the last week
TASKS_SHOWN, ALL_TASKS = 5, 300  # tasks listed; tasks counted (a rep has fewer than 300 open)


async def _colleague(ctx: Context, q: Question) -> str:
    """How one of the team is doing: whom they followed up lately, and their open tasks, overdue first."""
    person = await _person(ctx, q.person, "跟进")
    assert person.id is not None
    since = datetime.combine(ctx.now.date() - timedelta(days=RECENT_DAYS - 1), time(0), ctx.tz)
    followed = await questions.followed_customers(ctx.session, person.id, since, ctx.now + timedelta(days=1))
    lines = [f"{person.name}最近 {RECENT_DAYS} 天跟进了 {len(followed)} 个客户" + ("：" if followed else "。")]
    lines += [f"• {name}：{n} 次，最近 {format_day(at.astimezone(ctx.tz))}" for name, n, at in followed]
    every = await tasks.open_tasks(ctx.session, person.id, limit=ALL_TASKS)
    open_rows, now = every[:TASKS_SHOWN], ctx.clock.now()
    overdue = sum(1 for t, _ in every if t.due_at is not None and t.due_at < now)
    late = f"，其中逾期 {overdue} 条" if overdue else ""
    lines.append(f"未完成待办 {len(every)} 条{late}" + ("，最早的：" if open_rows else "。"))
    lines += [
        f"• {'【逾期】' if t.due_at is not None and t.due_at < now else ''}{t.subject}"
        f"{f'（{customer}）' if customer else ''}"
        f"{' —— ' + format_due(t.due_at.astimezone(ctx.tz), now=ctx.now) if t.due_at else ''}"
        for t, customer in open_rows
    ]
    if person.id != ctx.user_id:
        lines.append(f"全部待办请发“{person.name}的待办”，漏斗请发“漏斗 {person.name}”。")
    return "\n".join(lines)


QUIET_SHOWN = 20  # accounts listed for 超过30天没联系; the count says how many more


async def _quiet(ctx: Context, q: Question) -> str:
    """The accounts the asker may see with no follow-up for more than `q.days` days, the longest silent first."""
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    mine = owner_ids == [ctx.user_id]
    before = datetime.combine(ctx.now.date() - timedelta(days=q.days), time(0), ctx.tz)
    rows = await questions.quiet_customers(ctx.session, owner_ids, before)
    whose = "您的客户" if mine else "您能看到的客户"
    if not rows:
        return f"{whose}都在 {q.days} 天内联系过。"
    lines = [
        f"• {c.name}{'' if mine else f'（{owner}）'}："
        + (
            f"{calendar_days(at, ctx.now, ctx.tz)} 天没联系（上次 {format_day(at.astimezone(ctx.tz))}）"
            if at
            else "从没有跟进记录"
        )
        for c, owner, at in rows[:QUIET_SHOWN]
    ]
    more = f"\n还有 {len(rows) - QUIET_SHOWN} 个没列出。" if len(rows) > QUIET_SHOWN else ""
    return f"{whose}中有 {len(rows)} 个超过 {q.days} 天没联系（最久的在前）：\n" + "\n".join(lines) + more


async def _contact(ctx: Context, q: Question) -> str:
    subject = normalize(q.subject or "").strip()
    owner_ids = await users.visible_owner_ids(ctx.session, ctx.user)
    digits = re.sub(r"\D", "", subject)
    if len(digits) >= 7 and len(digits) >= len(subject.replace(" ", "")) - 3:
        rows = await questions.contacts(ctx.session, owner_ids, phone_digits=digits[-11:], limit=SHOWN + 1)
    else:
        mentions = (await name_index(ctx, subject)).find_in(subject)
        customer_ids = [m.customer_id for m in mentions[:1]]
        rest = subject[mentions[0].end :].strip(" 的") if mentions else subject
        name = m["surname"] if (m := _HONORIFIC.match(rest)) else rest or None
        rows = await questions.contacts(
            ctx.session, owner_ids, customer_ids=customer_ids, name_prefix=name, limit=SHOWN + 1
        )
    if not rows:
        raise NotFound(f"没找到“{q.subject}”这位联系人（只查您能看到的客户）。例如：艾克美张总电话多少 / 张伟的邮箱")
    more = "\n还有更多符合的联系人，请写全名或加上公司名，例如：艾克美张伟电话多少" if len(rows) > SHOWN else ""
    return "\n".join(_contact_line(c, company, q.field) for c, company in rows[:SHOWN]) + more


SHOWN = 10  # contacts listed for one question; a longer list asks for a narrower question


def _contact_line(c: Contact, company: str, field: str | None) -> str:
    parts = {
        "phone": f"电话 {c.phone or '未填'}",
        "email": f"邮箱 {c.email or '未填'}",
        "role": f"{c.title or '职位未填'} · {c.decision_role}",
    }
    shown = [parts[field]] if field in parts else list(parts.values())
    return f"{c.name}（{company}）：" + "，".join(shown)


def _span(period: Period, now: datetime) -> tuple[datetime, datetime]:
    today = datetime.combine(now.date(), time(0), now.tzinfo)
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    before_first = (first - timedelta(days=1)).replace(day=1)
    return {
        Period.TODAY: (today, today + timedelta(days=1)),
        Period.THIS_WEEK: (monday, monday + timedelta(days=7)),
        Period.LAST_WEEK: (monday - timedelta(days=7), monday),
        Period.THIS_MONTH: (first, (first + timedelta(days=32)).replace(day=1)),
        Period.LAST_MONTH: (before_first, first),
    }[period]


async def _followed(ctx: Context, q: Question) -> str:
    person = ctx.user
    if q.person:
        found = await colleague_in_view(ctx, q.person, "跟进")
        if found is None:
            raise NotFound(f"没有叫“{q.person}”的同事。")
        person = found
    since, until = _span(q.period, ctx.now)
    assert person.id is not None
    rows = await questions.followed_customers(ctx.session, person.id, since, until)
    who = "您" if person.id == ctx.user_id else person.name
    if not rows:
        return f"{who}{q.period.value}没有跟进记录。"
    lines = [f"• {name}：{n} 次，最近 {format_day(at.astimezone(ctx.tz))}" for name, n, at in rows]
    return f"{who}{q.period.value}跟进了 {len(rows)} 个客户：\n" + "\n".join(lines)


async def _stage(ctx: Context, q: Question) -> str:
    """Where a customer's open opportunities stand, the furthest first."""
    subject = q.subject or ""
    decision = (await name_index(ctx, subject, [subject])).decide(subject)
    if decision.best is None:
        raise NotFound(f"没找到您能查看的客户“{subject}”。例如：艾克美现在到哪个阶段了")
    rows = await questions.open_opportunities(ctx.session, decision.best.customer_id)
    name = decision.best.name
    if not rows:
        return f"{name} 现在没有在谈的商机。新建：商机 {name} DN50球阀 12万美元 S2"
    lines = [
        f"• {o.title}：{o.stage} {Stage(o.stage).label}"
        f"{'，' + format_money_short(o.amount, o.currency) if o.amount is not None else ''}"
        f"{f'，预计 {o.expected_close:%m-%d} 成交' if o.expected_close else ''}"
        for o in rows
    ]
    return f"{name} 在谈的商机（{len(rows)} 个）：\n" + "\n".join(lines)


async def pending_transfers(ctx: Context, customer: str | None = None) -> str:
    """What waits on this person's decision, and how to decide it (审批 转移 X, 同意 X without a request)."""
    rows = await questions.transfers_waiting_on(ctx.session, ctx.user_id)
    waiting = customer and any(customer in c or c in customer for c, _ in rows)
    head = f"没有“{customer}”的待处理转移申请（这条消息没有记录）。\n" if customer and not waiting else ""
    if not rows:
        return f"{head}现在没有等您决定的客户转移申请。报价审批请发“待审批”查看。"
    lines = [f"• {c}：{who} 申请转给自己" for c, who in rows]
    first = next((c for c, _ in rows if customer and (customer in c or c in customer)), rows[0][0])
    return (
        f"{head}等您决定的客户转移申请：\n"
        + "\n".join(lines)
        + f"\n同意请发“同意转移 {first}”，拒绝请发“拒绝转移 {first} 原因”。报价审批请发“待审批”查看。"
    )


async def _quotes(ctx: Context, q: Question) -> str:
    colleague = await colleague_in_view(ctx, q.subject, "报价") if q.subject else None
    if colleague is not None and colleague.id != ctx.user_id:  # 李娜的报价, from her manager
        rows = await questions.latest_quotes(ctx.session, owner_id=colleague.id)
        head = f"{colleague.name}的报价"
    elif q.subject and colleague is None:
        decision = (await name_index(ctx, q.subject, [q.subject])).decide(q.subject)
        if decision.best is None:
            raise NotFound(f"没找到您的客户“{q.subject}”。例如：艾克美的报价 / 我的报价")
        rows = await questions.latest_quotes(ctx.session, customer_id=decision.best.customer_id)
        head = f"{decision.best.name} 的报价"
    else:
        rows = await questions.latest_quotes(ctx.session, owner_id=ctx.user_id)
        head = "您的报价"
    if not rows:
        return f"{head}：还没有。新建：报价 艾克美 DN50球阀 1000个 单价12美元 FOB上海"
    lines = [
        f"• {quote.number} 第{quote.revision}版 {company} "
        f"{format_money_short(quote.total, quote.currency) if quote.total is not None else '金额未算'} "
        f"—— {quote_status_label(quote.status)}"
        for quote, company in rows
    ]
    return f"{head}（共 {len(rows)} 份，最新在前）：\n" + "\n".join(lines)
