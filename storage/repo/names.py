"""Customer names in the database: the keys kept in step with every customer, and the lookups over them.

A message is resolved against a small NameIndex of its candidates — the customers whose alias or pinyin key
occurs in the text, plus those sharing grams with a name the parser asks about — instead of an index of every
visible name built per process. Each key carries the customer's owner (`visible_to`, 0 in the public pool), so a
rep's or a team's candidates are found inside the index. The keys are rewritten on flush (create, rename, new
alias, new owner, into or out of the pool, undo), whichever code path changed the customer, so every replica sees
the same names at once; an index read is remembered for the rest of the session until a customer changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    any_,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    text,
    true,
    union,
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


def _keys(session: AsyncSession, owner_ids: Sequence[int] | None) -> Any:
    """Key rows of the customers these owners' user may see, read from the index alone (no join to customers)."""
    rows = select(CustomerNameKey.customer_id)
    if owner_ids is None:
        return rows
    return rows.where(_one_of(session, col(CustomerNameKey.visible_to), sorted({POOL_AUDIENCE, *owner_ids}), Integer))


def _exact(session: AsyncSession, keys: set[tuple[str, str]], owner_ids: Sequence[int] | None, via: str) -> list[Any]:
    """Customers with one of these alias or pinyin keys, tagged `via`: one index-only read per kind."""
    out = []
    for kind in (KEY_ALIAS, KEY_PINYIN):
        if values := sorted(key for k, key in keys if k == kind):
            found = _keys(session, owner_ids).where(
                CustomerNameKey.kind == kind, _one_of(session, col(CustomerNameKey.key), values, String)
            )
            out.append(found.add_columns(literal(via).label("via")))
    return out


def _fuzzy(session: AsyncSession, grams: Sequence[str], owner_ids: Sequence[int] | None, unless: Any) -> Any:
    """The customers sharing the most grams with the names asked about (none when `unless` holds)."""
    best = _keys(session, owner_ids).where(
        CustomerNameKey.kind == KEY_GRAM, _one_of(session, col(CustomerNameKey.key), grams, String)
    )
    if unless is not None:
        best = best.where(~unless)
    return (
        best.group_by(col(CustomerNameKey.customer_id))
        .order_by(func.count().desc(), col(CustomerNameKey.customer_id))
        .limit(FUZZY_CANDIDATES)
        .subquery()
    )


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
    grams = sorted(key for kind, key in wanted if kind == KEY_GRAM)
    mine = {f"{user_id}:{n}": n for n in map(normalize_name, queries) if n} if user_id is not None else {}
    named = _exact(session, mentions, owner_ids, _MENTIONED)
    parts: list[Any] = [*named, *_exact(session, wanted - mentions, owner_ids, KEY_ALIAS)]
    if grams:
        unless = or_(*(part.exists() for part in named)) if guessed and named else None
        top = _fuzzy(session, grams, owner_ids, unless)
        parts.append(select(top.c.customer_id, literal(KEY_GRAM).label("via")))
    if mine:
        learned = _keys(session, owner_ids).where(
            CustomerNameKey.kind == KEY_LEARNED, _one_of(session, col(CustomerNameKey.key), sorted(mine), String)
        )
        parts.append(learned.add_columns(col(CustomerNameKey.key).label("via")))
    if not parts:
        return NameIndex(covered=queries)  # nothing to read (an empty text): nothing worth remembering
    every: Any = union(*parts) if len(parts) > 1 else parts[0]
    found = every.cte("found")
    if session.sync_session.get_bind().dialect.name == "postgresql":  # the few ids as one array: the customers are
        ids = cast(select(func.array_agg(found.c.customer_id)).scalar_subquery(), ARRAY(Integer))  # read by
        wanted_ids = col(Customer.id) == any_(ids)  # primary key, whatever the planner guesses of how many match
    else:
        wanted_ids = col(Customer.id).in_(select(found.c.customer_id))
    stmt = (  # the customer row has the last word on visibility: a key row only copies its owner
        select(Customer.id, Customer.name, Customer.aliases, found.c.via)
        .join(found, found.c.customer_id == col(Customer.id))
        .where(wanted_ids, visible(session, owner_ids))
    )
    rows = (await session.exec(stmt)).all()
    learned_ids = {mine[via]: int(cid or 0) for cid, _, _, via in rows if via in mine}
    customers = {int(cid or 0): (name, list(aliases or [])) for cid, name, aliases, _ in rows}
    skipped = guessed and any(via == _MENTIONED for *_, via in rows)  # the fuzzy part found nothing to do
    index = NameIndex(
        ((cid, n, a) for cid, (n, a) in sorted(customers.items())), learned_ids, covered=() if skipped else queries
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
