"""Users and their chat identities (one per chat app, in `user_identities`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import String, bindparam, case, delete, event, func, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.roles import Role
from storage import state
from storage.models import ConversationState, User, UserIdentity

CONSOLE = "console"
_TEAMS = "kabot.teams"  # session.info: manager id → the ids of their team, for this session


_ACTIVE = col(User.active) == True  # noqa: E712
_SENDER, _CHANNEL = bindparam("sender", type_=String), bindparam("channel", type_=String)
_OPEN_QUESTION = col(ConversationState.user_id) == User.id
_BY_ID = (  # built once: a message's identity lookup pays no statement building
    select(User, ConversationState)
    .join(UserIdentity, col(UserIdentity.user_id) == User.id)
    .outerjoin(ConversationState, _OPEN_QUESTION)
    .where(UserIdentity.channel == _CHANNEL, UserIdentity.external_id == _SENDER, _ACTIVE)
    .limit(1)
)
_BY_NAME_OR_ANY_ID = (  # a name first, then an id of any app (in channel order), in one statement
    select(User, ConversationState)
    .outerjoin(UserIdentity, col(UserIdentity.user_id) == User.id)
    .outerjoin(ConversationState, _OPEN_QUESTION)
    .where(or_(col(User.name) == _SENDER, func.lower(UserIdentity.external_id) == func.lower(_SENDER)), _ACTIVE)
    .order_by(case((col(User.name) == _SENDER, 0), else_=1), col(UserIdentity.channel))
    .limit(1)
)


async def by_identity(session: AsyncSession, channel: str, sender: str) -> User | None:
    """The active user behind a chat app's id. The console (`kabot chat --as`) also accepts a name or any app's
    id, case-insensitively, since a person at a terminal types whatever they know. Their open question, if any,
    comes in the same read (the dispatcher looks at it next: storage.state.take).

    >>> await by_identity(session, "wecom", "lina")
    """
    sender = sender.strip()
    if channel != CONSOLE:
        found = (await session.exec(_BY_ID, params={"channel": channel, "sender": sender})).first()
    else:
        found = (await session.exec(_BY_NAME_OR_ANY_ID, params={"sender": sender})).first()
    if found is None:
        return None
    user, question = found
    state.read_with_user(session, user.id or 0, question)
    return user


async def identities(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Every chat-app id of these people: {user_id: {channel: external_id}}."""
    ids = list(set(user_ids))
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        rows = (await session.exec(select(UserIdentity).where(col(UserIdentity.user_id).in_(ids)))).all()
        for row in rows:
            out[row.user_id][row.channel] = row.external_id
    return out


async def users_on(session: AsyncSession, channel: str) -> dict[str, User]:
    """Everyone with an id on `channel`, by that id (directory sync and roster import match people this way)."""
    q = (
        select(UserIdentity, User)
        .join(User, col(User.id) == UserIdentity.user_id)
        .where(UserIdentity.channel == channel)
    )
    return {ident.external_id: user for ident, user in (await session.exec(q)).all()}


async def set_identities(session: AsyncSession, user_id: int, ids: Mapping[str, str | None]) -> bool:
    """Give `user_id` these ids ({channel: id}; None removes that channel's). True when anything changed.

    An id another person holds on the same channel is refused by the unique key: callers check first.
    """
    current = (await identities(session, [user_id]))[user_id]
    changed = False
    for channel, external_id in ids.items():
        if current.get(channel) == external_id:
            continue
        changed = True
        await session.exec(  # type: ignore[call-overload]
            delete(UserIdentity).where(col(UserIdentity.user_id) == user_id, col(UserIdentity.channel) == channel)
        )
        if external_id is not None:
            session.add(UserIdentity(user_id=user_id, channel=channel, external_id=external_id))
    if changed:
        await session.flush()
    return changed


async def all_users(session: AsyncSession) -> Sequence[User]:
    return (await session.exec(select(User).order_by(col(User.team), col(User.id)))).all()


async def team_member_ids(session: AsyncSession, manager: User) -> list[int]:
    """Everyone below `manager` in the reporting tree, the manager included: their ids alone, in one read."""
    tree = select(col(User.id)).where(User.id == manager.id).cte("team", recursive=True)
    tree = tree.union(select(col(User.id)).join(tree, col(User.manager_id) == tree.c.id))
    return sorted(int(uid) for uid in (await session.exec(select(tree.c.id))).all())


async def visible_owner_ids(session: AsyncSession, user: User) -> list[int] | None:
    """Whose accounts `user` may see: None means everyone's. A manager's team is read once per session (one
    message), until a flush changes someone."""
    role = Role(user.role)
    if role.sees_everyone:
        return None
    if role is Role.MANAGER:
        teams: dict[int, list[int]] = session.info.setdefault(_TEAMS, {})
        uid = user.id or 0
        if uid not in teams:
            teams[uid] = await team_member_ids(session, user)
        return list(teams[uid])
    return [user.id or 0]


@event.listens_for(Session, "after_flush")
def _forget_teams(session: Session, _context: Any) -> None:
    """A user added, moved to another manager or given another role: read the teams again."""
    if any(isinstance(o, User) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_TEAMS, None)


@event.listens_for(Session, "after_rollback")
def _forget_teams_rolled_back(session: Session) -> None:
    session.info.pop(_TEAMS, None)


async def holders_of(session: AsyncSession, role: Role) -> Sequence[User]:
    return (await session.exec(select(User).where(User.role == role.value, User.active == True))).all()  # noqa: E712
