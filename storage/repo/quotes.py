"""Quote queries: numbering, revisions, lines, the row lock decisions take, and the FX table.

Quote numbers come from the `counters` table inside the caller's transaction (insert-if-missing, then one
`UPDATE … SET value = value + 1 RETURNING value`), so two replicas never hand out the same number and a rolled
back quote gives its number back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.pricing import FxRates
from storage.models import Counter, FxRate, Quote, QuoteLine

log = logging.getLogger(__name__)


async def next_number(session: AsyncSession, year: int) -> str:
    """`Q-2026-0008`: the next number of that year, unique across replicas.

    Usage: `quote.number = await next_number(session, 2026)`.
    """
    name = f"quote:{year}"
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.exec(  # type: ignore[call-overload]
        dialect.insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    result = await session.exec(  # type: ignore[call-overload]
        update(Counter).where(col(Counter.name) == name).values(value=Counter.value + 1).returning(col(Counter.value))
    )
    return f"Q-{year}-{int(result.scalar_one()):04d}"


async def get(session: AsyncSession, quote_id: int) -> Quote | None:
    return await session.get(Quote, quote_id)


async def lock(session: AsyncSession, quote_id: int) -> Quote | None:
    """The quote row, locked until the transaction ends (SELECT … FOR UPDATE on PostgreSQL).

    SQLite ignores FOR UPDATE; there the whole transaction already holds the database write lock. The row is
    re-read (populate_existing) so a decision waiting on the lock sees what the winner committed.
    """
    q = select(Quote).where(Quote.id == quote_id).with_for_update().execution_options(populate_existing=True)
    return (await session.exec(q)).first()


async def bump_version(session: AsyncSession, quote: Quote, *, status: str, now: datetime) -> bool:
    """Optimistic check: move the quote to `status` only if nobody changed it since it was read."""
    assert quote.id is not None
    result = await session.exec(  # type: ignore[call-overload]
        update(Quote)
        .where(col(Quote.id) == quote.id, col(Quote.version) == quote.version)
        .values(
            version=quote.version + 1,
            status=status,
            updated_at=now,
            decided_at=now if status in ("approved", "rejected", "conditional") else quote.decided_at,
        )
    )
    if result.rowcount != 1:
        return False
    await session.refresh(quote)
    return True


async def latest(session: AsyncSession, number: str) -> Quote | None:
    """The newest revision of a quote number."""
    q = select(Quote).where(Quote.number == number).order_by(col(Quote.revision).desc()).limit(1)
    return (await session.exec(q)).first()


async def revisions(session: AsyncSession, number: str) -> Sequence[Quote]:
    """Every revision, oldest first: earlier revisions stay readable."""
    return (await session.exec(select(Quote).where(Quote.number == number).order_by(col(Quote.revision)))).all()


async def latest_with_status(session: AsyncSession, owner_id: int, status: str) -> Quote | None:
    """What a bare `提交` (a draft) or `接受` (a conditional approval) means: the owner's newest such quote."""
    q = select(Quote).where(Quote.owner_id == owner_id, Quote.status == status).order_by(col(Quote.id).desc()).limit(1)
    return (await session.exec(q)).first()


async def newest_of_customer(session: AsyncSession, customer_id: int, owner_id: int) -> Quote | None:
    """The owner's newest quote row for this customer (a revision is a newer row than the one it replaces)."""
    q = (
        select(Quote)
        .where(Quote.customer_id == customer_id, Quote.owner_id == owner_id)
        .order_by(col(Quote.id).desc())
        .limit(1)
    )
    return (await session.exec(q)).first()


async def of_customer(session: AsyncSession, customer_id: int) -> list[Quote]:
    """Every revision of every quote for this customer (an account transfer moves them all)."""
    return list((await session.exec(select(Quote).where(Quote.customer_id == customer_id))).all())


async def lines(session: AsyncSession, quote_id: int) -> list[QuoteLine]:
    q = select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(col(QuoteLine.line_no))
    return list((await session.exec(q)).all())


async def fx_rows(session: AsyncSession) -> list[FxRate]:
    """Every stored rate, usable or not (for the 汇率 list)."""
    return list((await session.exec(select(FxRate).order_by(col(FxRate.currency)))).all())


async def fx_table(session: AsyncSession, base: str) -> tuple[FxRates, dict[str, FxRate]]:
    """Today's rates as core.pricing wants them, and the rows (source, set time) to lock on a quote.

    A row that is not a usable rate (0 after rounding, negative) is left out, so it counts as not set for its own
    currency and never breaks quotes in the others.
    """
    rows: dict[str, FxRate] = {}
    for r in await fx_rows(session):
        if r.currency == base:
            continue
        if r.rate_to_base is None or r.rate_to_base <= 0:
            log.warning("fx rate %s = %s is not usable; treated as missing", r.currency, r.rate_to_base)
            continue
        rows[r.currency] = r
    return FxRates(base, {cur: r.rate_to_base for cur, r in rows.items()}), rows


async def set_rate(
    session: AsyncSession, *, currency: str, rate: Decimal, source: str, set_by_id: int | None, now: datetime
) -> tuple[FxRate, Decimal | None]:
    """Upsert one rate; returns the row and the previous rate (None when it is new)."""
    row = await session.get(FxRate, currency)
    previous = row.rate_to_base if row else None
    if row is None:
        row = FxRate(currency=currency, rate_to_base=rate, source=source, set_by_id=set_by_id, set_at=now)
    else:
        row.rate_to_base, row.source, row.set_by_id, row.set_at = rate, source, set_by_id, now
    session.add(row)
    await session.flush()
    return row, previous


async def restore_rate(
    session: AsyncSession, *, currency: str, previous: FxRate | None, now: datetime
) -> FxRate | None:
    """Put back the row a rate change replaced (`previous`), or remove a rate that was new; returns the row now."""
    row = await session.get(FxRate, currency)
    if previous is None:
        if row is not None:
            await session.delete(row)
            await session.flush()
        return None
    if row is None:
        row = FxRate(currency=currency, rate_to_base=previous.rate_to_base, set_at=now)
    row.rate_to_base, row.source, row.set_by_id, row.set_at = (
        previous.rate_to_base,
        previous.source,
        previous.set_by_id,
        previous.set_at,
    )
    session.add(row)
    await session.flush()
    return row
