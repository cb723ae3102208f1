"""The 360° view of an account as a card: what a rep needs before a call, on one phone screen."""

from __future__ import annotations

from datetime import datetime
from unicodedata import east_asian_width
from zoneinfo import ZoneInfo

from bot.cards.model import Card
from core.clock import calendar_days
from core.countries import country_name
from core.decision_chain import ChainContact, analyze_decision_chain, parse_decision_role
from core.money import format_money_short
from core.quote_status import quote_status_label
from core.rfm import WonDeal, segment_customer
from core.stages import Stage
from storage.repo.account import AccountFacts

STATUS_LABELS = {"active": "跟进中", "pool": "公海", "dormant": "休眠", "lost": "已流失"}


def _short(text: str, width: int = 60) -> str:
    """Cut to about two phone lines by width: a Chinese character takes two columns, a Latin letter one (an English
    note cut at 26 characters said nothing)."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if east_asian_width(ch) in "WF" else 1
        if used > width:
            return text[:i] + "…"
    return text


def account_card(facts: AccountFacts, *, now: datetime, tz: ZoneInfo) -> Card:
    c = facts.customer
    last = facts.recent_follow_ups[0].happened_at if facts.recent_follow_ups else None
    chain = analyze_decision_chain(
        [ChainContact(p.name, parse_decision_role(p.decision_role), p.last_touch) for p in facts.contacts],
        now=now.astimezone(tz),
    )
    rfm = segment_customer(
        [WonDeal(at.astimezone(tz).date(), amount, cur) for at, amount, cur in facts.won],
        today=now.astimezone(tz).date(),
        fx=facts.fx,
    )
    overdue = [t for t in facts.open_tasks if t.due_at is not None and t.due_at < now]
    data = {
        "header": " · ".join(
            x
            for x in (
                f"{c.tier}级",
                country_name(c.country),
                c.industry,
                f"负责人 {facts.owner_name or '无'}",
                STATUS_LABELS.get(c.status, c.status),
            )
            if x
        ),
        "last_contact": "从未联系"
        if last is None
        else ("今天联系过" if calendar_days(last, now, tz) <= 0 else f"{calendar_days(last, now, tz)} 天前联系"),
        "segment": f"{rfm.segment.value}：{rfm.reason}",
        "roles": [r.line for r in chain.roles],
        "gaps": list(chain.lines),
        "opportunities": [
            f"{o.title} · {Stage(o.stage).value} {Stage(o.stage).label} · "
            f"{format_money_short(o.amount, o.currency) if o.amount is not None else '金额未填'} · "
            f"本阶段 {calendar_days(o.stage_entered_at, now, tz)} 天"
            for o in facts.open_opportunities
        ],
        "follow_ups": [
            f"{f.happened_at.astimezone(tz):%m-%d} {f.kind} {_short(f.content)}（{f.author}）"
            for f in facts.recent_follow_ups
        ],
        "quotes": [
            f"{q.number} 第{q.revision}版 · {quote_status_label(q.status)} · "
            f"{format_money_short(q.total, q.currency) if q.total is not None else '—'}"
            for q in facts.quotes
        ],
        "tasks": [
            f"{'⚠逾期 ' if t in overdue else ''}{t.due_at.astimezone(tz):%m-%d %H:%M} {t.subject}"
            if t.due_at
            else t.subject
            for t in facts.open_tasks
        ],
        "overdue_count": len(overdue),
    }
    return Card(template="account_view", title=c.name, data=data)
