"""`kabot users import`: a CSV or XLSX roster, checked whole before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.roles import Role, parse_role
from storage.models import User
from storage.repo import users
from storage.table_file import read_table

HEADERS: dict[str, str] = {
    "name": "name",
    "姓名": "name",
    "wecom_userid": "wecom_userid",
    "企业微信id": "wecom_userid",
    "企业微信ID": "wecom_userid",
    "dingtalk_userid": "dingtalk_userid",
    "钉钉id": "dingtalk_userid",
    "钉钉ID": "dingtalk_userid",
    "role": "role",
    "角色": "role",
    "manager": "manager",
    "上级": "manager",
    "team": "team",
    "团队": "team",
    "timezone": "timezone",
    "时区": "timezone",
}


class RosterError(Exception):
    """Every bad row, by its row number in the file; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("名单有误，未导入任何人：\n" + "\n".join(problems))


@dataclass(frozen=True)
class RosterRow:
    line: int  # the row number as a spreadsheet shows it (header = 1)
    name: str
    role: str
    wecom_userid: str | None
    dingtalk_userid: str | None
    manager: str | None
    team: str | None
    timezone: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def read_rows(path: Path) -> list[dict[str, str]]:
    table = read_table(path)  # raises TableFileError: a file that cannot be read, in one line
    if not table:
        raise RosterError(["文件是空的：第 1 行应为表头 name,wecom_userid,dingtalk_userid,role,manager,team,timezone"])
    header = [HEADERS.get(h.strip(), HEADERS.get(h.strip().lower(), "")) for h in table[0]]
    missing = {"name", "role"} - set(header)
    if missing:
        raise RosterError([f"第 1 行：表头缺少 {', '.join(sorted(missing))}（也可用 姓名/角色）"])
    return [dict(zip(header, r, strict=False)) | {"_line": str(i)} for i, r in enumerate(table[1:], start=2) if any(r)]


def validate(raw: list[dict[str, str]], default_tz: str, known_ids: set[str]) -> list[RosterRow]:
    """Check every row (and manager references across the file and the database) before writing anything."""
    problems: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    file_ids = {v.lower() for r in raw for k in ("wecom_userid", "dingtalk_userid") if (v := r.get(k, "").strip())}
    for r in raw:
        line = int(r["_line"])
        name = r.get("name", "").strip()
        role = parse_role(r.get("role", ""))
        wecom = r.get("wecom_userid", "").strip().lower() or None
        ding = r.get("dingtalk_userid", "").strip() or None
        manager = r.get("manager", "").strip() or None
        tz = r.get("timezone", "").strip() or default_tz
        errs = []
        if not name:
            errs.append("缺少姓名")
        if role is None:
            known = "销售/销售经理/销售总监/总经理/财务/管理员 或 rep/manager/..."
            errs.append(f"角色“{r.get('role', '')}”无法识别（可用：{known}）")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            errs.append(f"时区“{tz}”无效（例如 Asia/Shanghai）")
        if manager and manager.lower() not in file_ids and manager.lower() not in known_ids:
            errs.append(f"上级“{manager}”不在名单中（请填上级的企业微信ID或钉钉ID）")
        for ident in (wecom, ding):
            if ident and ident in seen:
                errs.append(f"ID {ident} 与第 {seen[ident]} 行重复")
            elif ident:
                seen[ident] = line
        if errs:
            problems.append(f"第 {line} 行：" + "；".join(errs))
            continue
        assert role is not None
        rows.append(RosterRow(line, name, role.value, wecom, ding, manager, r.get("team", "").strip() or None, tz))
    if problems:
        raise RosterError(problems)
    return rows


async def import_roster(session: AsyncSession, path: Path, *, default_tz: str, now: datetime) -> ImportResult:
    """Create or update people in place (matched by WeCom id, then DingTalk id, then name); all or nothing."""
    existing = list((await session.exec(select(User))).all())
    idents = await users.identities(session, [u.id for u in existing if u.id is not None])

    def ids_of(u: User) -> dict[str, str]:
        return idents.get(u.id or 0, {})

    known = {i.lower() for u in existing for i in ids_of(u).values()}
    rows = validate(read_rows(path), default_tz, known)

    def find(row: RosterRow) -> User | None:
        for u in existing:
            if (row.wecom_userid and ids_of(u).get("wecom") == row.wecom_userid) or (
                row.dingtalk_userid and ids_of(u).get("dingtalk") == row.dingtalk_userid
            ):
                return u
        return next((u for u in existing if u.name == row.name), None)

    pairs: list[tuple[RosterRow, User, bool]] = []
    for row in rows:
        user = find(row)
        is_new = user is None
        if user is None:
            user = User(name=row.name, role=row.role, created_at=now, updated_at=now)
            session.add(user)
            existing.append(user)
        pairs.append((row, user, is_new))
    await session.flush()  # ids for new people, so managers can point at them

    by_ident = {i.lower(): u for u in existing for i in ids_of(u).values()}
    by_ident.update({i: u for row, u, _ in pairs for i in (row.wecom_userid, row.dingtalk_userid) if i})
    created = updated = unchanged = 0
    for row, user, is_new in pairs:
        fields = {
            "name": row.name,
            "role": row.role,
            "team": row.team,
            "timezone": row.timezone,
            "manager_id": by_ident[row.manager.lower()].id if row.manager else None,
        }
        changed = any(getattr(user, k) != v for k, v in fields.items())
        for k, v in fields.items():
            setattr(user, k, v)
        assert user.id is not None
        identities = {"wecom": row.wecom_userid, "dingtalk": row.dingtalk_userid}
        changed = await users.set_identities(session, user.id, identities) or changed
        if is_new:
            created += 1
        elif changed:
            user.updated_at = now
            updated += 1
        else:
            unchanged += 1
        session.add(user)
    return ImportResult(created, updated, unchanged)


class DirectoryEntry(Protocol):
    """One person as a chat app's directory shows them (WeCom and DingTalk sync give these)."""

    @property
    def userid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def leader(self) -> str | None: ...  # the userid of their manager, when the directory knows it


async def sync_directory(
    session: AsyncSession,
    channel: str,
    members: Sequence[DirectoryEntry],
    *,
    now: datetime,
    default_tz: str,
    normalise: Callable[[str], str] = str,
) -> ImportResult:
    """A chat app's directory into the roster: `kabot wecom sync-users` and `kabot dingtalk sync-users`.

    Why roles are left alone: a directory knows who reports to whom, not who may approve a discount; roles are set
    by hand (`kabot users import`), so a sync never changes an existing person's role and newcomers start as reps.
    A member is matched by their id on `channel`, else by name when exactly one person of that name has no id there
    yet (someone already known from the other chat app, so a person reachable on both stays one person). A member
    whose manager the directory does not show keeps the manager kabot has. `normalise` is the app's rule for ids
    (WeCom's are case-insensitive and lower-cased; DingTalk's are case-sensitive and kept as they are).
    """
    by_userid = {normalise(userid): u for userid, u in (await users.users_on(session, channel)).items()}
    linked = {u.id for u in by_userid.values()}
    unlinked: dict[str, list[User]] = {}
    for u in (await session.exec(select(User))).all():
        if u.id not in linked:
            unlinked.setdefault(u.name, []).append(u)
    created: set[str] = set()
    changed: set[str] = set()
    new_ids: set[str] = set()
    for m in members:
        userid = normalise(m.userid)
        user = by_userid.get(userid)
        if user is None and len(same := unlinked.get(m.name, [])) == 1:
            user = same.pop()
            new_ids.add(userid)
            changed.add(userid)
        if user is None:
            user = User(
                name=m.name, role=Role.REP.value, team=m.team, timezone=default_tz, created_at=now, updated_at=now
            )
            created.add(userid)
            new_ids.add(userid)
        elif (user.name, user.team) != (m.name, m.team):
            user.name, user.team = m.name, m.team
            changed.add(userid)
        by_userid[userid] = user
        session.add(user)
    await session.flush()  # ids for the new people, so they can be managers and have identities
    for userid in new_ids:
        user_id = by_userid[userid].id
        assert user_id is not None
        await users.set_identities(session, user_id, {channel: userid})
    for m in members:
        leader = by_userid.get(normalise(m.leader)) if m.leader else None
        user = by_userid[normalise(m.userid)]
        if leader is not None and leader is not user and user.manager_id != leader.id:
            user.manager_id = leader.id
            changed.add(normalise(m.userid))
            session.add(user)
    for userid in changed - created:
        by_userid[userid].updated_at = now
    updated = len(changed - created)
    return ImportResult(created=len(created), updated=updated, unchanged=len(members) - len(created) - updated)
