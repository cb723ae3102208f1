"""`kabot wecom sync-users`: WeCom's directory into the users table, keeping roles set by hand."""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.channels.wecom.channel import build_api
from bot.channels.wecom.sync import apply_members, fetch_members
from bot.cli import cmd_wecom_sync_users
from bot.demo import seed_demo
from bot.services import Services
from core.clock import FakeClock
from storage.models import User
from storage.repo import users
from tests.conftest import PG_URL
from tests.fakes.wecom_rig import wecom_settings
from tests.fakes.wecom_server import FakeWeCom

DEPARTMENTS = [
    {"id": 1, "name": "示例贸易", "parentid": 0},
    {"id": 2, "name": "欧美组", "parentid": 1},
    {"id": 3, "name": "亚非组", "parentid": 1},
]
MEMBERS = [
    {"userid": "SunLi", "name": "孙丽", "department": [1], "main_department": 1, "direct_leader": []},
    {"userid": "ZhaoMin", "name": "赵敏", "department": [2], "main_department": 2, "direct_leader": ["sunli"]},
    {"userid": "lina", "name": "李娜", "department": [2, 3], "main_department": 3, "direct_leader": ["LiuYang"]},
    {"userid": "LiuYang", "name": "刘洋", "department": [3], "main_department": 3, "direct_leader": ["sunli"]},
    {"userid": "XiaoMing", "name": "王小明", "department": [3], "main_department": 3, "direct_leader": ["liuyang"]},
    {"userid": "newboss", "name": "钱总", "department": [1], "main_department": 1, "direct_leader": []},
    {"userid": "newrep", "name": "新人", "department": [1], "main_department": 1, "direct_leader": ["NewBoss"]},
]


@pytest.fixture
async def org(services: Services, clock: FakeClock, aiohttp_server: Any) -> FakeWeCom:
    fake = FakeWeCom(clock=clock)
    fake.set_org(DEPARTMENTS, MEMBERS)
    server = await aiohttp_server(fake.make_app())
    services.settings = wecom_settings(services, fake, FakeWeCom.base_url(server))
    async with services.db.session() as s:
        await seed_demo(s, clock.now())
    return fake


async def people(services: Services) -> dict[str, User]:
    async with services.db.session() as s:
        everyone = (await s.exec(select(User))).all()
        ids = await users.identities(s, [u.id for u in everyone if u.id is not None])
    return {ids[u.id or 0].get("wecom") or u.name: u for u in everyone}


async def sync(services: Services) -> Any:
    async with aiohttp.ClientSession() as http:
        members = await fetch_members(build_api(services.settings, http, services.clock))
    async with services.db.session() as s:
        return await apply_members(s, members, now=services.clock.now(), default_tz="Asia/Shanghai")


async def test_sync_creates_new_people_as_reps_and_keeps_hand_set_roles(services: Services, org: FakeWeCom) -> None:
    before = await people(services)
    result = await sync(services)
    after = await people(services)
    assert (result.created, result.updated, result.unchanged) == (3, 2, 2)  # lina moved, sunli got a team
    assert after["xiaoming"].role == "rep" and after["xiaoming"].team == "亚非组"
    assert after["xiaoming"].manager_id == after["liuyang"].id
    assert after["newrep"].manager_id == after["newboss"].id  # a leader created in the same run
    assert after["lina"].role == "rep" and after["lina"].team == "亚非组"  # moved: team and manager follow WeCom
    assert after["lina"].manager_id == after["liuyang"].id
    for userid in ("zhaomin", "sunli", "liuyang"):
        assert after[userid].role == before[userid].role  # manager / director stay what they were made
    assert after["sunli"].manager_id == before["sunli"].manager_id  # no direct_leader in WeCom: kept
    again = await sync(services)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)


@pytest.mark.skipif(bool(PG_URL), reason="the command opens the database by URL alone (no per-test schema)")
async def test_sync_users_command(services: Services, org: FakeWeCom, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cmd_wecom_sync_users(argparse.Namespace(), services.settings) == 0
    assert "新增 3 人" in capsys.readouterr().out
    assert "xiaoming" in await people(services)
