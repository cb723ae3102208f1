"""Customer queries: name matching material, lookups by name across owners."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import POOL, Customer


def _visible(owner_ids: Sequence[int] | None) -> Any:
    """Own (or team's) accounts plus the public pool; None means every account."""
    if owner_ids is None:
        return True
    return or_(col(Customer.owner_id).in_(owner_ids), text(POOL))


async def names_stamp(session: AsyncSession, owner_ids: Sequence[int] | None) -> tuple[object, ...]:
    """Changes whenever a visible customer is added, removed or renamed: the name-index cache key.

    Own accounts and the pool are counted apart so that each part is an index-only scan.
    """
    parts = [True] if owner_ids is None else [col(Customer.owner_id).in_(owner_ids), text(POOL)]
    out: list[object] = []
    for cond in parts:
        n, at = (await session.exec(select(func.count(), func.max(Customer.updated_at)).where(cond))).one()
        out += [int(n), at]
    return tuple(out)


async def name_rows(session: AsyncSession, owner_ids: Sequence[int] | None) -> list[tuple[int, str, list[str]]]:
    rows = (await session.exec(select(Customer.id, Customer.name, Customer.aliases).where(_visible(owner_ids)))).all()
    return [(int(i), n, list(a or [])) for i, n, a in rows]


async def by_normalized(
    session: AsyncSession, normalized: str, *, prefix: bool = True, limit: int = 5
) -> Sequence[Customer]:
    """Any owner's customers whose normalized name equals (or, with `prefix`, starts with) `normalized`.

    This reaches past the user's own name index, so a rep learns that an account exists and whose it is.
    """
    if not normalized:
        return []
    cond = Customer.normalized_name == normalized
    if prefix:
        cond = or_(cond, col(Customer.normalized_name).startswith(normalized))
    q = select(Customer).where(cond).order_by(func.length(Customer.normalized_name)).limit(limit)
    return (await session.exec(q)).all()


async def get(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)
