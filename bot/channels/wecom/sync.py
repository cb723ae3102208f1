"""`kabot wecom sync-users`: WeCom's directory (departments, members, direct leaders) into the users table.

The roster rules (roles set by hand kept, newcomers as reps, a manager WeCom does not show kept) are
storage.roster.sync_directory's, shared with `kabot dingtalk sync-users`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.wecom.api import WeComAPI
from bot.channels.wecom.inbound import normalise_userid
from storage.roster import ImportResult, sync_directory

CHANNEL = "wecom"


@dataclass(frozen=True)
class Member:
    userid: str  # lower-cased
    name: str
    team: str | None  # the name of the member's main department
    leader: str | None  # lower-cased UserID of the first direct leader


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


async def apply_members(
    session: AsyncSession, members: list[Member], *, now: datetime, default_tz: str
) -> ImportResult:
    """Create or update one user per member, then link managers (storage.roster.sync_directory)."""
    return await sync_directory(session, CHANNEL, members, now=now, default_tz=default_tz, normalise=normalise_userid)
