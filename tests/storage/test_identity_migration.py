"""Migration 0006: the per-app id columns of `users` become rows of `user_identities`, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from storage.db import Database, alembic_config
from storage.repo import users
from storage.types import UTCDateTime


async def test_ids_move_from_columns_to_identities(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url
    db = Database(url, schema=schema)

    def upgrade_to(revision: str) -> object:
        def run(conn: Connection) -> None:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

        return run

    async with db.engine.begin() as conn:
        await conn.run_sync(upgrade_to("0002"))  # type: ignore[arg-type]
        await conn.execute(
            text(
                "INSERT INTO users (id, name, role, timezone, wecom_userid, dingtalk_userid, active, created_at, "
                "updated_at) VALUES (1, '赵敏', 'manager', 'Asia/Shanghai', 'ZhaoMin', 'ding-zm', true, "
                ":t, :t), (2, '李娜', 'rep', 'Asia/Shanghai', 'lina', NULL, true, :t, :t), "
                "(3, '吴芳', 'finance', 'Asia/Shanghai', NULL, NULL, true, :t, :t)"
            ).bindparams(bindparam("t", type_=UTCDateTime())),
            {"t": datetime(2026, 11, 23, 2, 0, tzinfo=UTC)},
        )
    await db.upgrade()
    async with db.session() as s:
        ids = await users.identities(s, [1, 2, 3])
        assert ids == {1: {"wecom": "zhaomin", "dingtalk": "ding-zm"}, 2: {"wecom": "lina"}, 3: {}}
        zhaomin = await users.by_identity(s, "wecom", "zhaomin")
        assert zhaomin is not None and zhaomin.name == "赵敏"
        assert (await users.by_identity(s, "dingtalk", "ding-zm")) == zhaomin
        assert (await users.by_identity(s, "console", "LINA")) is not None  # kabot chat --as takes any app's id
    await db.close()
