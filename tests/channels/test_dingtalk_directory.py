"""DingTalk's directory as roster rows: every member once, their team, and their manager (walking up the heads)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.channels.dingtalk.api import DingTalkAPI, DingTalkTransientError
from bot.channels.dingtalk.directory import Department, DirectoryMember, fetch_members, resolve_manager
from bot.channels.wecom.tokens import MemoryTokenStore
from bot.services import Services
from core.clock import FakeClock
from storage.models import User
from storage.repo import users
from storage.roster import DirectoryError, ImportResult, sync_directory
from tests.fakes.dingtalk_rig import Sleeps
from tests.fakes.dingtalk_server import USER_GET, USER_LIST, FakeDingTalk

ORG = {
    1: Department(1, "艾克美贸易", None, ("boss01",)),
    2: Department(2, "销售部", 1, ("director01",)),
    3: Department(3, "销售一组", 2, ("manager4220",)),
    4: Department(4, "销售二组", 2, ()),
    5: Department(5, "财务部", 1, ("fin01", "fin02")),
}


@pytest.mark.parametrize(
    ("userid", "manager_userid", "depts", "leads", "expected"),
    [
        ("rep01", None, [3], (), "manager4220"),  # no 直属主管 set: the head of the department
        ("rep02", "director01", [3], (), "director01"),  # set by the admin: it wins
        ("rep03", None, [4], (), "director01"),  # a department without a head: the one above
        ("manager4220", None, [3], (3,), "director01"),  # heads their own department: the head above
        ("fin02", None, [5], (5,), "boss01"),  # a co-head does not report to the other co-head
        ("fin03", None, [5], (), "fin01"),
        ("boss01", None, [1], (1,), None),  # nobody above the top
        ("rep05", "rep05", [3], (), "manager4220"),  # pointing at oneself is ignored
        ("rep06", None, [], (), None),  # in no department kabot can see
        ("rep07", None, [99], (), None),
    ],
)
def test_the_manager_is_found_walking_up(
    userid: str, manager_userid: str | None, depts: list[int], leads: tuple[int, ...], expected: str | None
) -> None:
    assert resolve_manager(userid, manager_userid, depts, ORG, leads=frozenset(leads)) == expected


def test_a_looping_department_tree_ends() -> None:
    loop = {7: Department(7, "a", 8, ("x",)), 8: Department(8, "b", 7, ())}
    assert resolve_manager("x", None, [7], loop, leads=frozenset({7})) is None


# ---- against the fake ---------------------------------------------------------------------------------


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalk:
    fake = FakeDingTalk(clock=clock)
    departments = [
        {"dept_id": 1, "name": "艾克美贸易", "dept_manager_userid_list": ["boss01"]},
        {"dept_id": 2, "name": "销售部", "parent_id": 1, "dept_manager_userid_list": ["director01"]},
        {"dept_id": 3, "name": "销售一组", "parent_id": 2, "dept_manager_userid_list": ["manager4220"]},
        {"dept_id": 4, "name": "销售二组", "parent_id": 2, "dept_manager_userid_list": []},
        {"dept_id": 5, "name": "财务部", "parent_id": 1, "dept_manager_userid_list": ["fin01"]},
    ]

    def user(userid: str, name: str, depts: list[int], **extra: Any) -> dict[str, Any]:
        return {"userid": userid, "name": name, "dept_id_list": depts, **extra}

    users = [
        user("boss01", "赵总", [1], leader_in_dept=[{"dept_id": 1, "leader": True}]),
        user("director01", "周总监", [2], leader_in_dept=[{"dept_id": 2, "leader": True}]),
        user("manager4220", "王强", [3], leader_in_dept=[{"dept_id": 3, "leader": True}]),
        user("rep01", "李娜", [3]),
        user("rep02", "张伟", [3], manager_userid="director01"),
        user("rep03", "刘洋", [4]),
        user("rep04", "陈静", [3, 4]),  # in two departments: listed once, team from the first
        user("fin01", "孙会计", [5], leader_in_dept=[{"dept_id": 5, "leader": True}]),
        *(user(f"new{i:03d}", f"新人{i}", [4]) for i in range(120)),  # more than one page of 100
    ]
    fake.set_org(departments, users)
    return fake


@pytest.fixture
async def api(fake: FakeDingTalk, aiohttp_server: Any, clock: FakeClock) -> AsyncIterator[DingTalkAPI]:
    base = fake.base_url(await aiohttp_server(fake.make_app()))
    async with aiohttp.ClientSession() as session:
        yield DingTalkAPI(
            session,
            api_base=base,
            oapi_base=base,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            robot_code=fake.client_id,
            token_store=MemoryTokenStore(clock),
        )


async def test_every_member_once_with_team_and_manager(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    members = await fetch_members(api, sleep=Sleeps())
    by_id = {m.userid: m for m in members}
    assert len(members) == len(by_id) == 128
    named = ["boss01", "director01", "manager4220", "rep01", "rep02", "rep04", "rep03", "new000", "fin01"]
    assert {u: (by_id[u].name, by_id[u].team, by_id[u].leader) for u in named} == {
        "boss01": ("赵总", "艾克美贸易", None),
        "director01": ("周总监", "销售部", "boss01"),
        "manager4220": ("王强", "销售一组", "director01"),
        "rep01": ("李娜", "销售一组", "manager4220"),
        "rep02": ("张伟", "销售一组", "director01"),
        "rep04": ("陈静", "销售一组", "manager4220"),
        "rep03": ("刘洋", "销售二组", "director01"),
        "new000": ("新人0", "销售二组", "director01"),
        "fin01": ("孙会计", "财务部", "boss01"),  # heads 财务部: reports to the head of the company
    }
    assert len(fake.calls_to(USER_GET)) == 128  # the manager is only in user/get
    assert [c.json["cursor"] for c in fake.calls_to(USER_LIST) if c.json and c.json["dept_id"] == 4] == [0, 100]


async def test_a_throttled_directory_call_waits_and_tries_again(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    sleeps = Sleeps()
    fake.fail_next(USER_GET, body={"errcode": 90018, "errmsg": "QpsLimitForAppkeyAndApi"}, times=2)
    members = await fetch_members(api, sleep=sleeps)
    assert len(members) == 128 and sleeps.delays == [1.0, 1.0]


async def test_a_directory_that_stays_throttled_fails_loudly(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    fake.fail_next(USER_GET, body={"errcode": -1, "errmsg": "系统繁忙"}, times=4)
    with pytest.raises(DingTalkTransientError):
        await fetch_members(api, sleep=Sleeps())


# ---- into the roster: the refusals `kabot users import` makes -----------------------------------------------


async def roster(services: Services) -> dict[str, tuple[str | None, str | None]]:
    """name -> (DingTalk id, manager's name), for everyone kabot knows."""
    async with services.db.session() as s:
        everyone = list((await s.exec(select(User))).all())
        on_ding = {u.id: userid for userid, u in (await users.users_on(s, "dingtalk")).items()}
    names = {u.id: u.name for u in everyone}
    return {u.name: (on_ding.get(u.id), names.get(u.manager_id)) for u in everyone}


async def sync(services: Services, members: list[DirectoryMember]) -> ImportResult:
    async with services.db.session() as s:
        return await sync_directory(s, "dingtalk", members, now=services.clock.now(), default_tz="Asia/Shanghai")


async def test_a_manager_cycle_in_the_directory_refuses_the_whole_sync(services: Services) -> None:
    members = [
        DirectoryMember("boss01", "周建国", "总部", None),
        DirectoryMember("zhaomin", "赵敏", "销售部", "liuyang"),
        DirectoryMember("liuyang", "刘洋", "销售部", "zhaomin"),
    ]
    with pytest.raises(DirectoryError) as err:
        await sync(services, members)
    assert "成员 赵敏（zhaomin）：上级关系绕成了一个圈" in str(err.value)
    assert "成员 刘洋（liuyang）：上级关系绕成了一个圈" in str(err.value)
    assert await roster(services) == {}  # nothing written
    members[2] = DirectoryMember("liuyang", "刘洋", "销售部", "boss01")
    await sync(services, members)
    assert (await roster(services))["赵敏"] == ("zhaomin", "刘洋")


async def test_a_cycle_through_a_manager_kabot_already_has_is_refused(services: Services) -> None:
    await sync(services, [DirectoryMember("a1", "甲", None, None), DirectoryMember("b1", "乙", None, "a1")])
    with pytest.raises(DirectoryError) as err:  # 甲 now under 乙, who stays under 甲 (not in this sync)
        await sync(services, [DirectoryMember("a1", "甲", None, "b1")])
    assert "成员 甲（a1）：上级关系绕成了一个圈" in str(err.value)
    assert (await roster(services))["甲"] == ("a1", None)


async def test_own_manager_repeated_ids_and_ambiguous_names_are_refused(services: Services) -> None:
    now = services.clock.now()
    async with services.db.session() as s:  # two people kabot knows by name only (say, from a roster file)
        s.add(User(name="王芳", role="rep", created_at=now, updated_at=now))
        s.add(User(name="王芳", role="manager", created_at=now, updated_at=now))
    members = [
        DirectoryMember("self01", "孙悦", None, "self01"),
        DirectoryMember("dup01", "钱进", None, None),
        DirectoryMember("dup01", "钱进二", None, None),
        DirectoryMember("wangfang", "王芳", None, None),
        DirectoryMember("fine01", "吴昊", None, None),
    ]
    with pytest.raises(DirectoryError) as err:
        await sync(services, members)
    problems = err.value.problems
    assert problems == [
        "成员 孙悦（self01）：上级不能是自己",
        "成员 钱进二（dup01）：ID dup01 与 成员 钱进（dup01） 重复",
        "成员 王芳（wangfang）：kabot 里有 2 人叫“王芳”，分不清是哪一位（请用 kabot users import 填上ID）",
    ]
    assert str(err.value).startswith("通讯录有误，未同步任何人")
    assert set(await roster(services)) == {"王芳"}  # 吴昊 was not added either: all or nothing
