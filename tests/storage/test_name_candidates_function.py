"""Migration 0011: on PostgreSQL the names read runs in functions planned once per connection; their bodies must
be what storage/repo/names.py would send, or a lookup would silently follow an older rule."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.services import Services
from storage.repo import names


@pytest.mark.parametrize("everyone", [False, True])
async def test_the_candidates_functions_are_the_code_s_query(services: Services, everyone: bool) -> None:
    if services.db.is_sqlite:
        pytest.skip("SQLite reads the candidates in the statement itself")
    name, body = names.candidates_function(everyone=everyone)
    async with services.db.session() as s:
        conn = await s.connection()
        rows = (await conn.execute(text("SELECT prosrc, proconfig FROM pg_proc WHERE proname = :n"), {"n": name})).all()
    assert len(rows) == 1, f"{name}: add a migration that creates or replaces it"
    deployed, settings = rows[0]
    assert deployed.strip() == body.strip(), f"{name} differs from names.candidates_function: add a migration"
    assert settings == ["plan_cache_mode=force_generic_plan"]
