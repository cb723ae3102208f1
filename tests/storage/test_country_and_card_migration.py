"""The data in the i9a migrations: countries become ISO codes, approval cards move out of the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.services import Services
from storage.db import alembic_config


async def test_upgrade_converts_countries_and_copies_cards(services: Services) -> None:
    db = services.db

    def down_to(revision: str) -> Callable[[Connection], None]:
        def run(conn: Connection) -> None:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

        return run

    async with db.engine.connect() as conn:
        if db.is_sqlite:  # SQLite rebuilds `users` on the way down: as in Database.upgrade, keys are checked after
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        async with conn.begin():
            await conn.run_sync(down_to("0002"))
        if db.is_sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()
    now = "2026-11-20 02:00:00"
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, name, role, timezone, active, created_at, updated_at) "
                f"VALUES (1, '赵敏', 'manager', 'Asia/Shanghai', true, '{now}', '{now}')"
            )
        )
        for i, country in enumerate(("德国", "Germany", "DE", "火星", None), 1):
            await conn.execute(
                text(
                    "INSERT INTO customers (id, name, normalized_name, aliases, country, tier, owner_id, status, tags, "
                    f"created_at, updated_at) VALUES ({i}, 'c{i}', 'c{i}', '[]', :country, 'A', 1, 'active', '[]', "
                    f"'{now}', '{now}')"
                ),
                {"country": country},
            )
        await conn.execute(
            text(
                "INSERT INTO quotes (id, number, revision, customer_id, owner_id, currency, base_currency, "
                "validity_days, status, version, created_at, updated_at) VALUES "
                f"(1, 'Q-2026-0001', 1, 1, 1, 'USD', 'CNY', 30, 'pending', 1, '{now}', '{now}')"
            )
        )
        for aid, decision in ((1, "pending"), (2, "approved")):
            await conn.execute(
                text(
                    "INSERT INTO approvals (id, quote_id, step_no, step_name, mode, approver_id, decision, created_at) "
                    f"VALUES ({aid}, 1, {aid}, 's', 'any', 1, '{decision}', '{now}')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, after, undone) VALUES "
                    f"('{now}', 1, 'card_sent', 'approvals', {aid}, :after, false)"
                ),
                {"after": json.dumps({"card_id": f"apv{aid}xabc", "to_user_id": 1})},
            )
    await db.upgrade()
    async with db.engine.connect() as conn:
        countries = (await conn.execute(text("SELECT country FROM customers ORDER BY id"))).scalars().all()
        cards = (
            await conn.execute(text("SELECT card_id, approval_id, closed_at IS NULL FROM quote_cards ORDER BY id"))
        ).all()
    assert countries == ["DE", "DE", "DE", "火星", None]
    assert [tuple(c) for c in cards] == [("apv1xabc", 1, True), ("apv2xabc", 2, False)]
