"""Customer names in the database: the keys kept in step with every customer, and the lookups over them.

A message is resolved against a small NameIndex of its candidates — the customers whose alias or pinyin key
occurs in the text, plus those sharing grams with a name the parser asked about — instead of an index of every
visible name built per process. The keys are rewritten on flush (create, rename, new alias, undo), whichever
code path changed the customer, so every replica sees the same names at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    any_,
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
_KEYS = CustomerNameKey.__table__  # type: ignore[attr-defined]


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


def _exact(session: AsyncSession, keys: set[tuple[str, str]], owner_ids: Sequence[int] | None) -> Any:
    """Customers with one of these alias or pinyin keys (a collision between the two kinds only adds a candidate)."""
    values = sorted({key for kind, key in keys if kind in (KEY_ALIAS, KEY_PINYIN)})
    if not values:
        return None
    return (
        select(CustomerNameKey.customer_id, literal(None, String).label("learned"))
        .join(Customer, col(Customer.id) == CustomerNameKey.customer_id)
        .where(col(CustomerNameKey.kind).in_((KEY_ALIAS, KEY_PINYIN)))
        .where(_one_of(session, col(CustomerNameKey.key), values, String), visible(session, owner_ids))
    )


def _fuzzy(session: AsyncSession, keys: set[tuple[str, str]], owner_ids: Sequence[int] | None) -> Any:
    """The customers sharing the most grams with the names asked about."""
    grams = sorted(key for kind, key in keys if kind == KEY_GRAM)
    if not grams:
        return None
    best = select(CustomerNameKey.customer_id)
    if owner_ids is not None:  # everyone's (a director's) needs no look at the owner
        best = best.join(Customer, col(Customer.id) == CustomerNameKey.customer_id)
    top = (
        best.where(CustomerNameKey.kind == KEY_GRAM)
        .where(_one_of(session, col(CustomerNameKey.key), grams, String), visible(session, owner_ids))
        .group_by(col(CustomerNameKey.customer_id))
        .order_by(func.count().desc(), col(CustomerNameKey.customer_id))
        .limit(FUZZY_CANDIDATES)
        .subquery()
    )
    return select(top.c.customer_id, literal(None, String).label("learned"))


def _learned(session: AsyncSession, keys: Sequence[str], owner_ids: Sequence[int] | None) -> Any:
    """The customers this rep picked from a list for these names (keys `<user id>:<name>`)."""
    if not keys:
        return None
    return (
        select(CustomerNameKey.customer_id, col(CustomerNameKey.key).label("learned"))
        .join(Customer, col(Customer.id) == CustomerNameKey.customer_id)
        .where(CustomerNameKey.kind == KEY_LEARNED, col(CustomerNameKey.key).in_(keys))
        .where(visible(session, owner_ids))
    )


async def index_for(
    session: AsyncSession,
    owner_ids: Sequence[int] | None,
    text: str = "",
    queries: Sequence[str] = (),
    *,
    user_id: int | None = None,
) -> NameIndex:
    """The customers (among those visible) that `find_in(text)` or `decide(q)` for each query could return,
    with the names this user once picked from a list (`learn`): one statement."""
    keys = mention_keys(text) if text else set()
    wanted: set[tuple[str, str]] = set()
    for q in queries:
        wanted |= query_keys(q)
    mine = {f"{user_id}:{n}": n for n in map(normalize_name, queries) if n} if user_id is not None else {}
    parts = [
        p
        for p in (
            _exact(session, keys | wanted, owner_ids),
            _fuzzy(session, wanted, owner_ids),
            _learned(session, sorted(mine), owner_ids),
        )
        if p is not None
    ]
    if not parts:
        return NameIndex()
    found: Any = union(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    stmt = select(Customer.id, Customer.name, Customer.aliases, found.c.learned).join(
        found, found.c.customer_id == col(Customer.id)
    )
    rows = (await session.exec(stmt)).all()
    learned = {mine[key]: int(cid or 0) for cid, _, _, key in rows if key is not None}
    customers = {int(cid or 0): (name, list(aliases or [])) for cid, name, aliases, _ in rows}
    return NameIndex(((cid, n, a) for cid, (n, a) in sorted(customers.items())), learned)


async def learn(session: AsyncSession, user_id: int, written: str, customer_id: int) -> None:
    """Remember that this rep, writing `written`, meant this customer (picked from a list): next time it resolves
    at once. One customer per written name and rep; a later pick replaces it."""
    name = normalize_name(written)
    if not name:
        return
    key = f"{user_id}:{name}"
    await session.exec(
        delete(CustomerNameKey).where(col(CustomerNameKey.kind) == KEY_LEARNED, col(CustomerNameKey.key) == key)
    )  # type: ignore[call-overload]
    session.add(CustomerNameKey(kind=KEY_LEARNED, key=key, customer_id=customer_id))


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


def _rows(customer_id: int, name: str, aliases: Sequence[str]) -> list[dict[str, Any]]:
    return [{"kind": k, "key": v, "customer_id": customer_id} for k, v in name_keys(name, aliases)]


def write_keys(conn: Connection, customers: Iterable[tuple[int, str, Sequence[str]]]) -> int:
    """Replace the keys of these customers (id, name, aliases); returns how many keys were written."""
    batch = list(customers)
    if not batch:
        return 0
    ids = [cid for cid, _, _ in batch]
    conn.execute(delete(_KEYS).where(_KEYS.c.customer_id.in_(ids), _KEYS.c.kind != KEY_LEARNED))
    rows = [r for cid, name, aliases in batch for r in _rows(cid, name, aliases)]
    if rows:
        conn.execute(insert(_KEYS), rows)
    return len(rows)


def _changed(customer: Customer) -> bool:
    state = inspect(customer)
    return bool(state.attrs.name.history.has_changes() or state.attrs.aliases.history.has_changes())


@event.listens_for(Session, "after_flush")
def _keep_keys(session: Session, _context: Any) -> None:
    """Every flush that adds, renames or re-aliases a customer rewrites its keys in the same transaction."""
    touched = [c for c in (*session.new, *session.dirty) if isinstance(c, Customer) and c.id is not None]
    touched = [c for c in touched if c in session.new or _changed(c)]
    if touched:
        write_keys(session.connection(), ((int(c.id or 0), c.name, list(c.aliases or [])) for c in touched))
