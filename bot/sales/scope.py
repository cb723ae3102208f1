"""What a sales service needs to act: the transaction, the clock, the settings, the policy and who is acting.

A chat message builds it from its Context (`Scope.of(ctx)`), the CLI as the system user (`Scope.system(...)`),
and tests directly, so services are exercised without a chat in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from core.approval_policy import Policy
from core.clock import Clock
from core.roles import Role
from storage import audit
from storage.models import User

if TYPE_CHECKING:
    from bot.context import Context

SYSTEM = "管理员（命令行）"  # how the system user (a CLI command) is named in what people are told


@dataclass
class Scope:
    session: AsyncSession
    clock: Clock
    settings: Settings
    policy: Policy
    actor: User | None  # None: the system (a CLI command), audited with no actor
    channel: str | None = None
    message: str | None = None  # the user's own words, kept in the audit log
    inbound_id: int | None = None

    @classmethod
    def of(cls, ctx: Context) -> Scope:
        return cls(
            session=ctx.session,
            clock=ctx.clock,
            settings=ctx.settings,
            policy=ctx.services.policy,
            actor=ctx.user,
            channel=ctx.inbound.channel,
            message=ctx.inbound.text,
            inbound_id=ctx.inbound_id,
        )

    @classmethod
    def system(
        cls, session: AsyncSession, clock: Clock, settings: Settings, policy: Policy, *, message: str | None = None
    ) -> Scope:
        """The CLI: changes are audited with no actor, on channel `cli`."""
        return cls(session, clock, settings, policy, None, channel="cli", message=message)

    @property
    def user(self) -> User:
        """The acting person; services that only people may use call this."""
        assert self.actor is not None, "this needs a person, not the system"
        return self.actor

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def role(self) -> Role:
        return Role(self.actor.role) if self.actor else Role.ADMIN

    @property
    def name(self) -> str:
        return self.actor.name if self.actor else SYSTEM

    @property
    def tz(self) -> ZoneInfo:
        zone = self.actor.timezone if self.actor and self.actor.timezone else self.settings.default_timezone
        return ZoneInfo(zone)

    @property
    def now(self) -> datetime:
        """Now in the actor's timezone: what 今天 means to them."""
        return self.clock.now().astimezone(self.tz)

    async def record(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """The audit row of a change made in this scope."""
        await audit.record(
            self.session,
            at=self.clock.now(),
            actor_id=self.actor.id if self.actor else None,
            channel=self.channel,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            message=self.message,
            inbound_id=self.inbound_id,
        )
