"""`kabot wecom sync-users`: WeCom's directory (departments, members, direct leaders) into the users table.

Why roles are left alone: WeCom knows who reports to whom, not who may approve a discount. Roles are set by hand
(`kabot users import`), so a sync never changes an existing person's role; people new to kabot start as reps.
A member whose direct leader WeCom does not show (outside the app's visible range, or not maintained) keeps the
manager kabot already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.wecom.api import WeComAPI
from bot.channels.wecom.inbound import normalise_userid
from core.roles import Role
from storage.models import User
from storage.repo import users

CHANNEL = "wecom"


@dataclass(frozen=True)
class Member:
    userid: str  # lower-cased
    name: str
    team: str | None  # the name of the member's main department
    leader: str | None  # lower-cased UserID of the first direct leader


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int


async def fetch_members(api: WeComAPI) -> list[Member]:
    """Every member of every department the app can see, once each (people can sit in several)."""
    departments = await api.list_departments()
    names = {int(d["id"]): str(d["name"]) for d in departments}
    members: dict[str, Member] = {}
    for dept in departments:
        for raw in await api.list_users(int(dept["id"])):
            userid = normalise_userid(str(raw["userid"]))
            if userid in members:
                continue
            main = raw.get("main_department") or (raw.get("department") or [dept["id"]])[0]
            leaders = raw.get("direct_leader") or []
            members[userid] = Member(
                userid=userid,
                name=str(raw.get("name") or userid),
                team=names.get(int(main)),
                leader=normalise_userid(str(leaders[0])) if leaders else None,
            )
    return list(members.values())


async def apply_members(session: AsyncSession, members: list[Member], *, now: datetime, default_tz: str) -> SyncResult:
    """Create or update one user per member, then link managers (a leader may be created in the same run)."""
    by_userid = {normalise_userid(userid): u for userid, u in (await users.users_on(session, CHANNEL)).items()}
    created: set[str] = set()
    changed: set[str] = set()
    for m in members:
        user = by_userid.get(m.userid)
        if user is None:
            user = User(
                name=m.name, role=Role.REP.value, team=m.team, timezone=default_tz, created_at=now, updated_at=now
            )
            by_userid[m.userid] = user
            created.add(m.userid)
        elif (user.name, user.team) != (m.name, m.team):
            user.name, user.team = m.name, m.team
            changed.add(m.userid)
        session.add(user)
    await session.flush()  # ids for the new people, so they can be managers and have identities
    for userid in created:
        user_id = by_userid[userid].id
        assert user_id is not None
        await users.set_identities(session, user_id, {CHANNEL: userid})
    for m in members:
        leader = by_userid.get(m.leader) if m.leader else None
        user = by_userid[m.userid]
        if leader is not None and leader is not user and user.manager_id != leader.id:
            user.manager_id = leader.id
            changed.add(m.userid)
            session.add(user)
    for userid in changed - created:
        by_userid[userid].updated_at = now
    updated = len(changed - created)
    return SyncResult(created=len(created), updated=updated, unchanged=len(members) - len(created) - updated)
