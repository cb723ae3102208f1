"""Pooled PostgreSQL connections are not pinged at checkout (three round trips each, several checkouts a message):
one the server closed must still never reach a message."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import asyncpg
import pytest
from sqlalchemy import text

from bot.services import Services
from tests.fakes.harness import ChatHarness


async def test_pooled_connections_the_server_closed_are_replaced(services: Services, bot: ChatHarness) -> None:
    if services.db.is_sqlite:
        pytest.skip("PostgreSQL connections can be closed by the server")
    engine = services.db.engine
    closed: list[asyncio.Event] = []
    pids = []
    async with AsyncExitStack() as stack:  # every connection the pool holds, and one more
        for _ in range(engine.pool.checkedin() + 1):  # type: ignore[attr-defined]
            conn = await stack.enter_async_context(engine.connect())
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            pids.append(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            event = asyncio.Event()
            driver.add_termination_listener(lambda _conn, event=event: event.set())
            closed.append(event)
            await conn.rollback()
    admin = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        for pid in pids:  # as after a server restart or an idle timeout
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in closed)), timeout=10)

    assert (await bot.say("lina", "查 艾克美"))[0].startswith("【艾克美")
    async with services.db.session() as s:
        conn = await s.connection()
        assert int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()) not in pids
