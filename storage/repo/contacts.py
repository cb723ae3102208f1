"""Contacts of one customer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contact


async def of_customer(session: AsyncSession, customer_id: int) -> Sequence[Contact]:
    return (await session.exec(select(Contact).where(col(Contact.customer_id) == customer_id))).all()
