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
from storage import audit
from storage.audit import snapshot
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
    """Every bad row, by its row number in the file (or member, for a directory sync); nothing was written."""

    heading = "名单有误，未导入任何人："

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.heading + "\n" + "\n".join(problems))


class DirectoryError(RosterError):
    """A chat app's directory the roster cannot take as it is: the same refusals as a file's, by member."""

    heading = "通讯录有误，未同步任何人（请在通讯录里改正后再同步）："


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
    present: frozenset[str]  # the file's columns: a column it lacks is left as it was for everyone matched


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def synced(self) -> str:
        """What a directory sync (WeCom or DingTalk) tells the admin."""
        return (
            f"同步完成：新增 {self.created} 人，更新 {self.updated} 人，未变 {self.unchanged} 人"
            "（新成员默认角色为销售，已有成员的角色不变）"
        )


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
    unnamed: dict[str, int] = {}  # people with no id, by name: two of them cannot be told apart
    present = frozenset(k for r in raw for k in r if k in HEADERS.values())
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
        if manager and manager.lower() in {i.lower() for i in (wecom, ding) if i}:
            errs.append("上级不能是自己")
        if not wecom and not ding and name:
            if name in unnamed:
                errs.append(f"与第 {unnamed[name]} 行同名且都没有ID，分不清是不是同一个人（请填企业微信ID或钉钉ID）")
            unnamed.setdefault(name, line)
        for ident in (wecom, ding):
            if ident and ident in seen:
                errs.append(f"ID {ident} 与第 {seen[ident]} 行重复")
            elif ident:
                seen[ident] = line
        if errs:
            problems.append(f"第 {line} 行：" + "；".join(errs))
            continue
        assert role is not None
        rows.append(
            RosterRow(line, name, role.value, wecom, ding, manager, r.get("team", "").strip() or None, tz, present)
        )
    if problems:
        raise RosterError(problems)
    return rows


async def import_roster(
    session: AsyncSession, path: Path, *, default_tz: str, now: datetime, message: str | None = None
) -> ImportResult:
    """Create or update people in place (matched by WeCom id, then DingTalk id, then name); all or nothing.

    Columns the file lacks are left as they were; a manager cycle, or a name without ids that fits several
    people, refuses the whole file. Every change is audited as the system user (channel `cli`).
    """
    existing = list((await session.exec(select(User))).all())
    idents = await users.identities(session, [u.id for u in existing if u.id is not None])

    def ids_of(u: User) -> dict[str, str]:
        return idents.get(u.id or 0, {})

    known = {i.lower() for u in existing for i in ids_of(u).values()}
    rows = validate(read_rows(path), default_tz, known)

    problems: list[str] = []

    def find(row: RosterRow) -> User | None:
        for u in existing:
            if (row.wecom_userid and ids_of(u).get("wecom") == row.wecom_userid) or (
                row.dingtalk_userid and ids_of(u).get("dingtalk") == row.dingtalk_userid
            ):
                return u
        same = [u for u in existing if u.name == row.name and u.id is not None]
        if len(same) > 1:
            problems.append(f"第 {row.line} 行：“{row.name}”有 {len(same)} 人同名，请填企业微信ID或钉钉ID区分")
        return same[0] if same else None

    pairs: list[tuple[RosterRow, User, dict[str, object] | None]] = []
    for row in rows:
        user = find(row)
        before = None if user is None else snapshot(user) | {"ids": dict(ids_of(user))}
        if user is None:
            user = User(name=row.name, role=row.role, timezone=row.timezone, created_at=now, updated_at=now)
            existing.append(user)
        pairs.append((row, user, before))

    by_ident = {i.lower(): u for u in existing for i in ids_of(u).values()}
    by_ident.update({i.lower(): u for row, u, _ in pairs for i in (row.wecom_userid, row.dingtalk_userid) if i})
    managers = {
        id(u): by_ident[row.manager.lower()] if row.manager else None for row, u, _ in pairs if "manager" in row.present
    }
    problems += _cycles([(f"第 {row.line} 行", u) for row, u, _ in pairs], managers, existing)
    if problems:
        raise RosterError(problems)

    for _, user, _ in pairs:
        session.add(user)
    await session.flush()  # ids for new people, so managers can point at them
    created = updated = unchanged = 0
    for row, user, before in pairs:
        fields: dict[str, object] = {"name": row.name, "role": row.role}
        fields |= {k: getattr(row, k) for k in ("team", "timezone") if k in row.present or before is None}
        if id(user) in managers:
            fields["manager_id"] = boss.id if (boss := managers[id(user)]) is not None else None
        changed = any(getattr(user, k) != v for k, v in fields.items())
        for k, v in fields.items():
            setattr(user, k, v)
        assert user.id is not None
        identities = {ch: getattr(row, f"{ch}_userid") for ch in ("wecom", "dingtalk") if f"{ch}_userid" in row.present}
        changed = await users.set_identities(session, user.id, identities) or changed
        if before is None:
            created += 1
        elif changed:
            user.updated_at = now
            updated += 1
        else:
            unchanged += 1
            continue
        session.add(user)
        after = snapshot(user) | {"ids": (await users.identities(session, [user.id]))[user.id]}
        await audit.record(
            session,
            at=now,
            actor_id=None,
            channel="cli",
            action="create" if before is None else "update",
            entity="users",
            entity_id=user.id,
            before=before,
            after=after,
            message=message,
        )
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
    yet (someone already known from the other chat app, so a person reachable on both stays one person). The checks
    `kabot users import` makes refuse the whole sync (DirectoryError, nothing written): an id twice, someone their
    own manager, a manager cycle, a name that fits several people without an id there. A member
    whose manager the directory does not show keeps the manager kabot has. `normalise` is the app's rule for ids
    (WeCom's are case-insensitive and lower-cased; DingTalk's are case-sensitive and kept as they are).
    """
    by_userid = {normalise(userid): u for userid, u in (await users.users_on(session, channel)).items()}
    linked = {u.id for u in by_userid.values()}
    everyone = list((await session.exec(select(User))).all())
    unlinked: dict[str, list[User]] = {}
    for u in everyone:
        if u.id not in linked:
            unlinked.setdefault(u.name, []).append(u)
    _check_directory(members, by_userid, unlinked, normalise)
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
    managers = {id(by_userid[normalise(m.userid)]): by_userid.get(normalise(m.leader)) for m in members if m.leader}
    managers = {k: v for k, v in managers.items() if v is not None}  # a manager not shown: the one kabot has
    labelled = [(_member(m), by_userid[normalise(m.userid)]) for m in members]
    if problems := _cycles(labelled, managers, everyone):
        raise DirectoryError(problems)
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


def _member(m: DirectoryEntry) -> str:
    return f"成员 {m.name}（{m.userid}）"


def _check_directory(
    members: Sequence[DirectoryEntry],
    by_userid: dict[str, User],
    unlinked: dict[str, list[User]],
    normalise: Callable[[str], str],
) -> None:
    """The refusals a roster file gets, for a directory: the same id twice, someone their own manager, and a name
    that fits several people kabot cannot tell apart (it would pick one at random or make a third)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for m in members:
        userid, errs = normalise(m.userid), []
        if userid in seen:
            errs.append(f"ID {m.userid} 与 {seen[userid]} 重复")
        seen.setdefault(userid, _member(m))
        if m.leader and normalise(m.leader) == userid:
            errs.append("上级不能是自己")
        if userid not in by_userid and len(same := unlinked.get(m.name, [])) > 1:
            errs.append(f"kabot 里有 {len(same)} 人叫“{m.name}”，分不清是哪一位（请用 kabot users import 填上ID）")
        if errs:
            problems.append(f"{_member(m)}：" + "；".join(errs))
    if problems:
        raise DirectoryError(problems)


def _cycles(
    labelled: Sequence[tuple[str, User]],
    managers: dict[int, User | None],
    everyone: list[User],
) -> list[str]:
    """People whose chain of managers (the file's or directory's, else the database's) comes back to them:
    refused. `labelled` gives each person as the admin finds them (第 N 行, or the member)."""
    by_id = {u.id: u for u in everyone if u.id is not None}

    def boss(u: User) -> User | None:
        if id(u) in managers:
            return managers[id(u)]
        return by_id.get(u.manager_id) if u.manager_id is not None else None

    problems = []
    for label, user in labelled:
        seen: set[int] = set()
        at: User | None = boss(user)
        while at is not None and id(at) not in seen and at is not user:
            seen.add(id(at))
            at = boss(at)
        if at is user:
            problems.append(f"{label}：上级关系绕成了一个圈（{user.name} 最终又是自己的上级），请改正上级")
    return problems
