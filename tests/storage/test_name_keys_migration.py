"""Migration 0010: the name keys of existing customers get their owner (0 in the public pool), so a rep's lookup
right after the upgrade finds their own and the pool's customers and no one else's."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from storage.db import Database, alembic_config
from storage.repo import names
from storage.types import UTCDateTime


async def test_existing_keys_get_their_owner(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url
    db = Database(url, schema=schema)

    def upgrade_to(revision: str) -> object:
        def run(conn: Connection) -> None:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

        return run

    t = {"t": datetime(2026, 11, 23, 2, 0, tzinfo=UTC)}
    async with db.engine.begin() as conn:
        await conn.run_sync(upgrade_to("0006"))  # type: ignore[arg-type]
        await conn.execute(
            text(
                "INSERT INTO users (id, name, role, timezone, active, created_at, updated_at) VALUES "
                "(1, '李娜', 'rep', 'Asia/Shanghai', true, :t, :t), (2, '王强', 'rep', 'Asia/Shanghai', true, :t, :t)"
            ).bindparams(bindparam("t", type_=UTCDateTime())),
            t,
        )
        for cid, name, owner, status in [
            (1, "艾克美工业有限公司", 1, "active"),
            (2, "艾克森流体设备", 2, "active"),
            (3, "艾克斯阀门", None, "active"),
            (4, "艾克林泵业", 2, "pool"),
        ]:
            await conn.execute(
                text(
                    "INSERT INTO customers (id, name, normalized_name, aliases, tier, owner_id, status, tags, "
                    "created_at, updated_at) VALUES (:id, :name, :name, '[]', 'B', :owner, :status, '[]', :t, :t)"
                ).bindparams(bindparam("t", type_=UTCDateTime())),
                {"id": cid, "name": name, "owner": owner, "status": status, **t},
            )
        await conn.run_sync(upgrade_to("0007"))  # type: ignore[arg-type]  # the keys, without owners
    await db.upgrade()
    async with db.session() as s:
        rows = (await s.exec(text("SELECT DISTINCT customer_id, visible_to FROM customer_name_keys"))).all()  # type: ignore[call-overload]
        assert sorted(tuple(r) for r in rows) == [(1, 1), (2, 2), (3, 0), (4, 0)]
        index = await names.index_for(s, [1], "", ["艾克"], user_id=1)
        assert {m.name for m in index.lookup("艾克", limit=10)} == {"艾克美工业有限公司", "艾克斯阀门", "艾克林泵业"}
    await db.close()
