"""Users and their chat identities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.roles import Role
from storage.models import User


async def by_identity(session: AsyncSession, channel: str, sender: str) -> User | None:
    """The active user behind a platform id. The console accepts a name or either platform id."""
    sender = sender.strip()
    if channel == "wecom":
        cond = func.lower(User.wecom_userid) == sender.lower()
    elif channel == "dingtalk":
        cond = User.dingtalk_userid == sender
    else:
        cond = or_(User.name == sender, func.lower(User.wecom_userid) == sender.lower(), User.dingtalk_userid == sender)
    row = (await session.exec(select(User).where(cond, User.active == True).limit(1))).first()  # noqa: E712
    return row


async def all_users(session: AsyncSession) -> Sequence[User]:
    return (await session.exec(select(User).order_by(User.team, User.id))).all()


async def team_member_ids(session: AsyncSession, manager: User) -> list[int]:
    """Everyone below `manager` in the reporting tree, the manager included."""
    users = await all_users(session)
    children: dict[int | None, list[int]] = {}
    for u in users:
        children.setdefault(u.manager_id, []).append(u.id or 0)
    out, todo = [], [manager.id]
    while todo:
        uid = todo.pop()
        if uid is None or uid in out:
            continue
        out.append(uid)
        todo.extend(children.get(uid, []))
    return out


async def visible_owner_ids(session: AsyncSession, user: User) -> list[int] | None:
    """Whose accounts `user` may see: None means everyone's."""
    role = Role(user.role)
    if role.sees_everyone:
        return None
    if role is Role.MANAGER:
        return await team_member_ids(session, user)
    return [user.id or 0]


async def holders_of(session: AsyncSession, role: Role) -> Sequence[User]:
    return (await session.exec(select(User).where(User.role == role.value, User.active == True))).all()  # noqa: E712
