"""DingTalk's directory (departments, members, managers) as rows for the roster code, for `kabot dingtalk sync-users`.

The rows have the shape `kabot wecom sync-users` gives `bot.channels.wecom.sync.apply_members` (userid, name,
team, leader), so one roster path serves both platforms: roles set by hand are kept, people new to kabot start as
reps, and a member whose manager cannot be found keeps the manager kabot already has.

Who is someone's manager: `manager_userid` (直属主管) when the admin set it; DingTalk only returns it then
(KB:query-user-details). Otherwise the heads of the member's main department (`dept_manager_userid_list`,
KB:query-department-details0-v2); a member who heads that department reports to the heads of the department
above, and so on up to the root (department 1). `topapi/v2/user/list` has no manager field, hence one
`user/get` per member; contacts APIs are exempt from the monthly quota but limited to 20 calls a second, so a
throttled call waits and tries again.

    members = await fetch_members(api)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from bot.channels.dingtalk.api import DingTalkAPI, DingTalkTransientError

ROOT = 1
ATTEMPTS = 4
T = TypeVar("T")


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    parent_id: int | None
    heads: tuple[str, ...] = ()  # dept_manager_userid_list


@dataclass(frozen=True)
class DirectoryMember:
    userid: str  # DingTalk userId, as DingTalk spells it
    name: str
    team: str | None  # the name of the member's main department
    leader: str | None  # the userId of the member's manager


def resolve_manager(
    userid: str,
    manager_userid: str | None,
    dept_ids: Sequence[int],
    heads_of: Mapping[int, Department],
    *,
    leads: frozenset[int] = frozenset(),
) -> str | None:
    """The member's manager: `manager_userid`, else the first head of the main department the member does not lead
    themselves, walking up the parents; None when nobody above is known."""
    if manager_userid and manager_userid != userid:
        return manager_userid
    current: int | None = dept_ids[0] if dept_ids else None
    seen: set[int] = set()
    while current is not None and current not in seen and current in heads_of:
        seen.add(current)
        dept = heads_of[current]
        heads = [h for h in dept.heads if h != userid]
        if heads and current not in leads:
            return heads[0]
        current = dept.parent_id
    return None


Sleep = Callable[[float], Awaitable[object]]


async def fetch_departments(api: DingTalkAPI, *, sleep: Sleep = asyncio.sleep) -> dict[int, Department]:
    """Every department the app can see, with its heads (breadth first from the root)."""
    root = await _patient(partial(api.get_department, ROOT), sleep)
    found = {ROOT: _department(ROOT, root)}
    queue = [ROOT]
    while queue:
        parent = queue.pop(0)
        for sub in await _patient(partial(api.list_sub_departments, parent), sleep):
            dept_id = int(sub["dept_id"])
            if dept_id in found:
                continue
            detail = await _patient(partial(api.get_department, dept_id), sleep)
            found[dept_id] = _department(dept_id, {**sub, **detail})
            queue.append(dept_id)
    return found


async def fetch_members(api: DingTalkAPI, *, sleep: Sleep = asyncio.sleep) -> list[DirectoryMember]:
    """Every member of every visible department, once each, with team and manager resolved."""
    departments = await fetch_departments(api, sleep=sleep)
    userids: dict[str, None] = {}  # ordered set: people can sit in several departments
    for dept_id in departments:
        for raw in await _patient(partial(api.list_department_users, dept_id), sleep):
            userids.setdefault(str(raw["userid"]), None)
    members = []
    for userid in userids:
        detail = await _patient(partial(api.get_user, userid), sleep)
        dept_ids = [int(d) for d in detail.get("dept_id_list") or []]
        leads = frozenset(int(x["dept_id"]) for x in detail.get("leader_in_dept") or [] if x.get("leader"))
        main = departments.get(dept_ids[0]) if dept_ids else None
        members.append(
            DirectoryMember(
                userid=userid,
                name=str(detail.get("name") or userid),
                team=main.name if main else None,
                leader=resolve_manager(userid, detail.get("manager_userid"), dept_ids, departments, leads=leads),
            )
        )
    return members


def _department(dept_id: int, raw: Mapping[str, Any]) -> Department:
    parent = raw.get("parent_id")
    return Department(
        id=dept_id,
        name=str(raw.get("name") or dept_id),
        parent_id=int(parent) if parent and dept_id != ROOT else None,
        heads=tuple(str(h) for h in raw.get("dept_manager_userid_list") or []),
    )


async def _patient(call: Callable[[], Awaitable[T]], sleep: Sleep) -> T:
    """Try again after the pause DingTalk asks for when throttled (20 calls a second per API)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except DingTalkTransientError as err:
            if attempt == ATTEMPTS:
                raise
            await sleep(err.retry_after_s or float(attempt))
    raise AssertionError("unreachable")
