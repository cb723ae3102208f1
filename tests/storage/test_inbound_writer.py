"""The inbound log's acknowledging writes go through a connection the database keeps for them: they must still
store every message when another process holds SQLite's write lock, or when PostgreSQL closed that connection."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlmodel import select

from bot.services import Services
from storage.models import InboundMessage
from storage.repo import inbound as inbound_log
from tests.conftest import NOW


def _row(msg_id: str) -> dict[str, object]:
    return {
        "channel": "wecom",
        "platform_msg_id": msg_id,
        "sender": "lina",
        "conversation": None,
        "payload": {"text": "待办", "action": None},
        "status": "new",
        "received_at": NOW,
    }


async def _stored(services: Services) -> list[str]:
    async with services.db.session() as s:
        return [r.platform_msg_id for r in (await s.exec(select(InboundMessage))).all()]


async def test_sqlite_writer_waits_for_a_worker_holding_the_write_lock(services: Services) -> None:
    if not services.db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    worker = sqlite3.connect(services.db.engine.url.database or "", isolation_level=None)
    worker.execute("BEGIN IMMEDIATE")  # a worker's transaction in the middle of its writes
    store = asyncio.create_task(inbound_log.store_new(services.db, [_row("msgid:1")]))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not store.done(), "acknowledged before the message could be written"
    worker.execute("COMMIT")
    worker.close()
    assert await store == {("wecom", "msgid:1"): 1}
    assert await _stored(services) == ["msgid:1"]


async def test_a_writer_connection_the_server_closed_is_replaced(services: Services) -> None:
    if services.db.is_sqlite:
        pytest.skip("PostgreSQL connections can be closed by the server")
    await inbound_log.store_new(services.db, [_row("msgid:1")])
    async with services.db.writer() as driver:
        driver.terminate()  # as after a server restart: the socket is gone
    ids = await inbound_log.store_new(services.db, [_row("msgid:2"), _row("msgid:1")])
    assert list(ids) == [("wecom", "msgid:2")], "the redelivery is still recognised"
    assert sorted(await _stored(services)) == ["msgid:1", "msgid:2"]
