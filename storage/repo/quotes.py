"""Quote queries: numbering, revisions, lines, the row lock decisions take, and the FX table.

Quote numbers come from the `counters` table inside the caller's transaction (insert-if-missing, then one
`UPDATE … SET value = value + 1 RETURNING value`), so two replicas never hand out the same number and a rolled
back quote gives its number back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.pricing import FxRates
from storage.models import Counter, FxRate, Quote, QuoteLine


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
        update(Counter).where(col(Counter.name) == name).values(value=Counter.value + 1).returning(Counter.value)
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


async def latest_draft(session: AsyncSession, owner_id: int) -> Quote | None:
    """What a bare `提交` means: the owner's newest draft."""
    q = select(Quote).where(Quote.owner_id == owner_id, Quote.status == "draft").order_by(col(Quote.id).desc()).limit(1)
    return (await session.exec(q)).first()


async def lines(session: AsyncSession, quote_id: int) -> list[QuoteLine]:
    q = select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(col(QuoteLine.line_no))
    return list((await session.exec(q)).all())


async def fx_table(session: AsyncSession, base: str) -> tuple[FxRates, dict[str, FxRate]]:
    """Today's rates as core.pricing wants them, and the rows (source, set time) to lock on a quote."""
    rows = {r.currency: r for r in (await session.exec(select(FxRate))).all() if r.currency != base}
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
