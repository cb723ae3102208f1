"""Customer names in the database: the keys kept in step with every customer, and the lookups over them.

A message is resolved against a small NameIndex of its candidates — the customers whose alias or pinyin key
occurs in the text, plus those sharing grams with a name the parser asks about — instead of an index of every
visible name built per process. Each key carries the customer's owner (`visible_to`, 0 in the public pool), so a
rep's or a team's candidates are found inside the index. The keys are rewritten on flush (create, rename, new
alias, new owner, into or out of the pool, undo), whichever code path changed the customer, so every replica sees
the same names at once; an index read is remembered for the rest of the session until a customer changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    any_,
    column,
    delete,
    event,
    insert,
    inspect,
    literal,
    or_,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.nlu.names import (
    KEY_ALIAS,
    KEY_GRAM,
    KEY_LEARNED,
    KEY_PINYIN,
    NameIndex,
    mention_keys,
    name_keys,
    near_exact,
    normalize_name,
    query_keys,
)
from storage.models import POOL, Customer, CustomerNameKey

FUZZY_CANDIDATES = 64  # customers sharing the most grams with a name, scored by rapidfuzz in NameIndex
_INDEXES = "kabot.name_indexes"  # session.info: (owners, user, text) → the NameIndex read for it in this session
_HELD = "kabot.customers_read"  # session.info: the customers read (the identity map only holds them weakly)
_MENTIONED = "m"  # a row found by a name in the text (the other rows say KEY_ALIAS, KEY_GRAM or the learned key)
POOL_AUDIENCE = 0  # `visible_to` of a customer in the public pool: anyone may see it
_KEYS = CustomerNameKey.__table__  # type: ignore[attr-defined]


def audience(owner_id: int | None, status: str) -> int:
    """Whose team may see a customer (`customer_name_keys.visible_to`): its owner, or everyone in the pool."""
    return POOL_AUDIENCE if status == "pool" or owner_id is None else owner_id


def _one_of(session: AsyncSession, column: Any, values: Sequence[Any], item: Any) -> Any:
    """`column IN values`: on PostgreSQL one array parameter, so the statement is prepared once whatever the count."""
    if session.sync_session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(item)))
    return column.in_(values)


def visible(session: AsyncSession, owner_ids: Sequence[int] | None) -> Any:
    """Own (or team's) accounts plus the public pool; None means every account."""
    if owner_ids is None:
        return true()
    return or_(_one_of(session, col(Customer.owner_id), owner_ids, Integer), text(POOL))


_CUSTOMERS = Customer.__table__  # type: ignore[attr-defined]
_VIA = column("via", String)


_KEY_ARRAYS = ("m_alias", "m_pinyin", "w_alias", "w_pinyin", "grams", "learned")  # the keys a message asks about


def _in(name: str, param: str, dialect: str, item: str = "TEXT") -> str:
    """Column `name` holds one of the array parameter's values (a JSON array on SQLite, which has no arrays)."""
    if dialect == "postgresql":
        return f"{name} = ANY(CAST(:{param} AS {item}[]))"
    return f"{name} IN (SELECT value FROM json_each(:{param}))"


def _found(dialect: str, *, everyone: bool) -> str:
    """The candidates of one message (customer id, how it was found), of one text whatever the message asks (an
    empty array asks nothing): the customers whose alias or pinyin key is in the text (`m`) or is a name asked
    about (`a`), the top gram matches of the names asked about (`g`; not when `guessed` and the text names a
    customer) and this rep's learned names (the key). A rep's or a team's keys are read inside the index
    (`visible_to`: the owner, 0 in the pool)."""
    audience = "" if everyone else " AND " + _in("visible_to", "audience", dialect, "INTEGER")

    def keys(kind: str, param: str) -> str:
        return f"FROM customer_name_keys WHERE kind = '{kind}' AND {_in('key', param, dialect)}{audience}"

    guessed = ":guessed" if dialect == "sqlite" else "CAST(:guessed AS BOOLEAN)"
    named = f"SELECT 1 {keys(KEY_ALIAS, 'm_alias')} UNION ALL SELECT 1 {keys(KEY_PINYIN, 'm_pinyin')}"
    return (
        f"SELECT customer_id, '{_MENTIONED}' AS via {keys(KEY_ALIAS, 'm_alias')}"
        f" UNION SELECT customer_id, '{_MENTIONED}' {keys(KEY_PINYIN, 'm_pinyin')}"
        f" UNION SELECT customer_id, '{KEY_ALIAS}' {keys(KEY_ALIAS, 'w_alias')}"
        f" UNION SELECT customer_id, '{KEY_ALIAS}' {keys(KEY_PINYIN, 'w_pinyin')}"
        f" UNION SELECT customer_id, '{KEY_GRAM}' FROM (SELECT customer_id {keys(KEY_GRAM, 'grams')}"
        f" AND NOT ({guessed} AND EXISTS ({named}))"
        f" GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT {FUZZY_CANDIDATES}) top"
        f" UNION SELECT customer_id, key {keys(KEY_LEARNED, 'learned')}"
    )


def candidates_function(*, everyone: bool) -> tuple[str, str]:
    """(name, PL/pgSQL body) of the PostgreSQL function that runs `_found` (migration 0011 created it from this;
    a test keeps the two equal, so a change here needs a migration that replaces it).

    Why a function: prepared in the statement, `_found` was planned anew for every message (PostgreSQL's
    `plan_cache_mode = auto` keeps custom plans when the arrays' sizes make the generic plan look dearer), and
    planning took ~0.4–1 ms against ~0.1–0.3 ms to run it. The function is declared with `plan_cache_mode =
    force_generic_plan`, so its query is planned once per connection, and nothing else changes its plans."""
    body = re.sub(r":(\w+)", r"\1", _found("postgresql", everyone=everyone))
    name = "name_candidates" if everyone else "name_candidates_for"
    return name, f"#variable_conflict use_column\nBEGIN\n    RETURN QUERY {body};\nEND\n"


def _index_statement(dialect: str, *, everyone: bool) -> Any:
    """`_found` (in a function on PostgreSQL) and the customers it found, built and prepared once. The customer
    row has the last word on visibility, since a key only copies its owner. The customers come as entities: the
    one a message names is then in the session, and resolving it (customers.get) costs no second read."""
    if dialect == "postgresql":
        name, _ = candidates_function(everyone=everyone)
        arrays = ", ".join(f"CAST(:{a} AS TEXT[])" for a in _KEY_ARRAYS)
        audience = "" if everyone else "CAST(:audience AS INTEGER[]), "
        found = f"SELECT customer_id, via FROM {name}({audience}{arrays}, CAST(:guessed AS BOOLEAN))"
    else:
        found = _found(dialect, everyone=everyone)
    if dialect == "postgresql":  # the few ids as one array: the customers are read by primary key, whatever the
        wanted = "id = ANY(ARRAY(SELECT customer_id FROM found))"  # planner guesses of how many match
    else:
        wanted = "id IN (SELECT customer_id FROM found)"
    if not everyone:
        wanted += f" AND ({_in('owner_id', 'owners', dialect, 'INTEGER')} OR {POOL})"
    columns = ", ".join(f"customers.{c.name}" for c in _CUSTOMERS.c)
    statement = text(
        f"WITH found AS ({found}) SELECT {columns}, found.via FROM customers"
        f" JOIN found ON found.customer_id = customers.id WHERE {wanted}"
    )
    return select(Customer, _VIA).from_statement(statement.columns(*_CUSTOMERS.c, _VIA))


_INDEX_STATEMENTS = {
    (dialect, everyone): _index_statement(dialect, everyone=everyone)
    for dialect in ("postgresql", "sqlite")
    for everyone in (False, True)
}


async def index_for(
    session: AsyncSession,
    owner_ids: Sequence[int] | None,
    text: str = "",
    queries: Sequence[str] = (),
    *,
    user_id: int | None = None,
    guessed: bool = False,
) -> NameIndex:
    """The customers (among those visible) that `find_in(text)` or `decide(q)` for each query could return,
    with the names this user once picked from a list (`learn`): one statement.

    `guessed`: the queries are what the parser would ask if the text named no customer, so their fuzzy
    candidates are fetched only when no visible customer's name or its pinyin occurs in the text; the index
    says in `covered` which queries it fully answers, and the caller asks again for any other."""
    memo: dict[Any, NameIndex] = session.info.setdefault(_INDEXES, {})
    seen = (None if owner_ids is None else tuple(owner_ids), user_id, text)
    if not queries and seen in memo:  # any index read for this text has every customer it names
        return memo[seen]
    mentions = mention_keys(text) if text else set()
    wanted: set[tuple[str, str]] = set()
    for q in queries:
        wanted |= query_keys(q)
    mine = {f"{user_id}:{n}": n for n in map(normalize_name, queries) if n} if user_id is not None else {}
    arrays: dict[str, list[Any]] = {
        "m_alias": sorted(key for kind, key in mentions if kind == KEY_ALIAS),
        "m_pinyin": sorted(key for kind, key in mentions if kind == KEY_PINYIN),
        "w_alias": sorted(key for kind, key in wanted - mentions if kind == KEY_ALIAS),
        "w_pinyin": sorted(key for kind, key in wanted - mentions if kind == KEY_PINYIN),
        "grams": sorted(key for kind, key in wanted if kind == KEY_GRAM),
        "learned": sorted(mine),
    }
    if not any(arrays.values()):
        return NameIndex(covered=queries)  # nothing to read (an empty text): nothing worth remembering
    if owner_ids is not None:
        arrays |= {"audience": sorted({POOL_AUDIENCE, *owner_ids}), "owners": list(owner_ids)}
    dialect = session.sync_session.get_bind().dialect.name
    params: dict[str, Any] = {k: v if dialect == "postgresql" else json.dumps(v) for k, v in arrays.items()}
    statement = _INDEX_STATEMENTS[dialect, owner_ids is None]
    rows = (await session.exec(statement, params={**params, "guessed": guessed})).all()
    learned_ids = {mine[via]: c.id or 0 for c, via in rows if via in mine}
    customers = {c.id or 0: c for c, _ in rows}
    session.info.setdefault(_HELD, []).extend(customers.values())
    skipped = guessed and any(via == _MENTIONED for _, via in rows)  # the fuzzy part found nothing to do
    index = NameIndex(
        ((cid, c.name, list(c.aliases or [])) for cid, c in sorted(customers.items())),
        learned_ids,
        covered=() if skipped else queries,
    )
    if text:
        memo[seen] = index
    return index


async def learn(session: AsyncSession, user_id: int, written: str, customer: Customer) -> None:
    """Remember that this rep, writing `written`, meant this customer (picked from a list): next time it resolves
    at once. One customer per written name and rep; a later pick replaces it."""
    name = normalize_name(written)
    if not name or customer.id is None:
        return
    key = f"{user_id}:{name}"
    await session.exec(
        delete(CustomerNameKey).where(col(CustomerNameKey.kind) == KEY_LEARNED, col(CustomerNameKey.key) == key)
    )  # type: ignore[call-overload]
    session.add(
        CustomerNameKey(
            kind=KEY_LEARNED, key=key, customer_id=customer.id, visible_to=audience(customer.owner_id, customer.status)
        )
    )


async def owned_anywhere(session: AsyncSession, written: str, limit: int = 5) -> list[Customer]:
    """Any owner's customers that `written` names (an alias, or a clear start of one: 艾克森 of 艾克森流体设备).

    This reaches past what the user may see, so it is as strict as near_exact: `%`, `艾_森` or `艾` name nothing.
    """
    q = normalize_name(written)
    if not q:
        return []
    pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = (
        await session.exec(
            select(CustomerNameKey.customer_id, CustomerNameKey.key)
            .where(CustomerNameKey.kind == KEY_ALIAS)
            .where(or_(col(CustomerNameKey.key) == q, col(CustomerNameKey.key).like(pattern, escape="\\")))
            .limit(200)
        )
    ).all()
    aliases: dict[int, list[str]] = {}
    for cid, key in rows:
        aliases.setdefault(int(cid), []).append(key)
    ranked = sorted(
        (cid for cid, keys in aliases.items() if near_exact(written, keys)),
        key=lambda cid: (q not in aliases[cid], min(len(k) for k in aliases[cid]), cid),
    )
    found = [await session.get(Customer, cid) for cid in ranked[:limit]]
    return [c for c in found if c is not None]


# --- keeping the keys in step ------------------------------------------------------------------------------

Named = tuple[int, str, Sequence[str], int]  # customer id, name, aliases, audience


def write_keys(conn: Connection, customers: Iterable[Named]) -> int:
    """Replace the keys of these customers; returns how many keys were written."""
    batch = list(customers)
    if not batch:
        return 0
    ids = [cid for cid, *_ in batch]
    conn.execute(delete(_KEYS).where(_KEYS.c.customer_id.in_(ids), _KEYS.c.kind != KEY_LEARNED))
    rows = [
        {"kind": kind, "key": key, "customer_id": cid, "visible_to": seen}
        for cid, name, aliases, seen in batch
        for kind, key in name_keys(name, aliases)
    ]
    if rows:
        conn.execute(insert(_KEYS), rows)
    return len(rows)


def _move_keys(conn: Connection, customers: Iterable[Named]) -> None:
    """Point every key of these customers (learned ones too) at their audience: a new owner, into or out of the
    pool."""
    for cid, *_, seen in customers:
        conn.execute(
            update(_KEYS).where(_KEYS.c.customer_id == cid, _KEYS.c.visible_to != seen).values(visible_to=seen)
        )


def _changed(customer: Customer, *fields: str) -> bool:
    attrs = inspect(customer).attrs
    return any(getattr(attrs, f).history.has_changes() for f in fields)


def _named(c: Customer) -> Named:
    return int(c.id or 0), c.name, list(c.aliases or []), audience(c.owner_id, c.status)


@event.listens_for(Session, "after_flush")
def _keep_keys(session: Session, _context: Any) -> None:
    """Every flush that adds, renames, re-aliases or moves a customer (new owner, into or out of the pool)
    rewrites its keys in the same transaction."""
    if any(isinstance(o, Customer | CustomerNameKey) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_INDEXES, None)
    touched = [c for c in (*session.new, *session.dirty) if isinstance(c, Customer) and c.id is not None]
    renamed = [c for c in touched if c in session.new or _changed(c, "name", "aliases")]
    moved = [c for c in touched if c not in session.new and _changed(c, "owner_id", "status")]
    if renamed or moved:
        conn = session.connection()
        write_keys(conn, map(_named, renamed))
        _move_keys(conn, map(_named, moved))


@event.listens_for(Session, "after_rollback")
def _forget_indexes(session: Session) -> None:
    session.info.pop(_INDEXES, None)
    session.info.pop(_HELD, None)
