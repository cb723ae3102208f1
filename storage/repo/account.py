"""The facts behind the 360° view of one account, in one statement (one round trip).

Each part of the card is a sub-select aggregated to a JSON array (json_agg on PostgreSQL, json_group_array on
SQLite: the only differences between the two texts, filled into one template), so the database does the sorting,
the limits and the contact-touch matching, and Python only reads a few short lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from core.stages import OPEN_STAGES
from storage.models import Customer
from storage.types import UTCDateTime

TOUCH_LOOKBACK = timedelta(days=365)
TOUCH_NOTES = 300  # the newest notes of the lookback searched for a contact's name


@dataclass(frozen=True)
class ContactFact:
    name: str
    decision_role: str
    last_touch: datetime | None  # last mentioned in a follow-up (full name, or surname + 总/经理/工), within a year


@dataclass(frozen=True)
class OpportunityFact:
    title: str
    stage: str
    amount: Decimal | None
    currency: str
    stage_entered_at: datetime


@dataclass(frozen=True)
class FollowUpFact:
    happened_at: datetime
    kind: str
    content: str
    author: str


@dataclass(frozen=True)
class QuoteFact:
    number: str
    revision: int
    status: str
    total: Decimal | None
    currency: str


@dataclass(frozen=True)
class TaskFact:
    subject: str
    due_at: datetime | None


@dataclass(frozen=True)
class AccountFacts:
    customer: Customer
    owner_name: str | None
    contacts: Sequence[ContactFact]  # in the order they were added
    open_opportunities: Sequence[OpportunityFact]  # largest amount first, those without an amount last
    recent_follow_ups: Sequence[FollowUpFact]  # the newest 5, newest first
    quotes: Sequence[QuoteFact]  # the newest 5 not superseded, newest first
    open_tasks: Sequence[TaskFact]  # the first 10 open ones by due time, undated last
    won: Sequence[tuple[datetime, Decimal, str]]  # (closed_at, amount, currency)
    fx: dict[str, Decimal]


_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STAGES)
_NAMED = "{pos}(n.content, x.name) > 0"
_SURNAMED = "(length(x.name) IN (2, 3) AND {pos}(n.content, substr(x.name, 1, 1) || '%s') > 0)"
_TOUCH_KEYS = " OR ".join([_NAMED] + [_SURNAMED % title for title in ("总", "经理", "工")])


def _part(columns: str, source: str, order: str, limit: int | None, agg: str) -> str:
    """A JSON array of the `columns` of the first `limit` rows of `source` (whose rows are `x`) in `order`."""
    rows = f"({source} ORDER BY {order}{f' LIMIT {limit}' if limit else ''}) x"
    if agg == "json_agg":
        return f"(SELECT coalesce(json_agg(json_build_array({columns}) ORDER BY {order}), '[]') FROM {rows})"
    return f"(SELECT coalesce(json_group_array(json_array({columns})), '[]') FROM {rows})"  # keeps the rows' order


def _statement(agg: str, pos: str) -> str:
    touch = (
        "(SELECT max(n.happened_at) FROM (SELECT happened_at, content FROM follow_ups "
        f"WHERE customer_id = :cid AND happened_at >= :since ORDER BY happened_at DESC LIMIT {TOUCH_NOTES}) n "
        f"WHERE {_TOUCH_KEYS.format(pos=pos)})"
    )
    parts = [
        _part(f"x.name, x.decision_role, {touch}", "SELECT * FROM contacts WHERE customer_id = :cid", "id", None, agg),
        _part(
            "title, stage, amount, currency, stage_entered_at",
            f"SELECT * FROM opportunities WHERE customer_id = :cid AND stage IN ({_OPEN})",
            "amount IS NULL, amount DESC, id",
            None,
            agg,
        ),
        _part(
            "happened_at, kind, content, author",
            "SELECT f.*, (SELECT u.name FROM users u WHERE u.id = f.author_id) AS author "
            "FROM follow_ups f WHERE f.customer_id = :cid",
            "happened_at DESC, id DESC",
            5,
            agg,
        ),
        _part(
            "number, revision, status, total, currency",
            "SELECT * FROM quotes WHERE customer_id = :cid AND status <> 'superseded'",
            "created_at DESC, id DESC",
            5,
            agg,
        ),
        _part(
            "subject, due_at",
            "SELECT * FROM tasks WHERE customer_id = :cid AND status = 'open'",
            "due_at IS NULL, due_at, id",
            10,
            agg,
        ),
        _part(
            "coalesce(closed_at, stage_entered_at), coalesce(amount, 0), currency",
            "SELECT * FROM opportunities WHERE customer_id = :cid AND stage = 'won'",
            "id",
            None,
            agg,
        ),
        _part("currency, rate_to_base", "SELECT * FROM fx_rates", "currency", None, agg),
    ]
    return (
        "SELECT (SELECT u.name FROM users u WHERE u.id = c.owner_id), "
        + ", ".join(parts)
        + " FROM customers c WHERE c.id = :cid"
    )


_PARAMS = (bindparam("cid", type_=Integer), bindparam("since", type_=UTCDateTime))
_STATEMENTS = {
    "postgresql": text(_statement("json_agg", "strpos")).bindparams(*_PARAMS),
    "sqlite": text(_statement("json_group_array", "instr")).bindparams(*_PARAMS),
}


def _at(value: str) -> datetime:
    """A timestamp as JSON gives it: ISO with an offset (PostgreSQL) or naive UTC (SQLite)."""
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _rows(value: Any) -> list[list[Any]]:
    """A JSON array column: a string from asyncpg and SQLite (money parsed exactly, as Decimal)."""
    return json.loads(value, parse_float=Decimal) if isinstance(value, str) else value  # type: ignore[no-any-return]


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


async def account_facts(session: AsyncSession, customer: Customer, *, now: datetime) -> AccountFacts | None:
    """None when the customer is gone."""
    conn = await session.connection()  # Core, not the ORM: nothing here becomes an entity
    statement = _STATEMENTS[conn.dialect.name]
    row = (await conn.execute(statement, {"cid": customer.id, "since": now - TOUCH_LOOKBACK})).first()
    if row is None:
        return None
    owner_name, contacts, opps, recent, quotes, tasks, won, fx = row
    return AccountFacts(
        customer=customer,
        owner_name=owner_name,
        contacts=[ContactFact(n, r, _at(t) if t else None) for n, r, t in _rows(contacts)],
        open_opportunities=[OpportunityFact(t, s, _money(a), c, _at(e)) for t, s, a, c, e in _rows(opps)],
        recent_follow_ups=[FollowUpFact(_at(h), k, c, a) for h, k, c, a in _rows(recent)],
        quotes=[QuoteFact(n, int(r), s, _money(t), c) for n, r, s, t, c in _rows(quotes)],
        open_tasks=[TaskFact(s, _at(d) if d else None) for s, d in _rows(tasks)],
        won=[(_at(at), Decimal(a), c) for at, a, c in _rows(won)],
        fx={c: Decimal(r) for c, r in _rows(fx)},
    )
