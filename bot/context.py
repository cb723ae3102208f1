"""The one typed object a handler gets: who asked, through what, and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import asking
from bot.continuation import Continuation
from bot.inbound import Inbound
from bot.settings import Settings
from core.clock import Clock
from core.roles import Role
from storage import audit
from storage.models import User

if TYPE_CHECKING:
    from bot.services import Services


@dataclass
class Context:
    user: User
    inbound: Inbound
    inbound_id: int | None
    session: AsyncSession
    clock: Clock
    settings: Settings
    services: Services
    resume: Continuation | None = None  # set when an answer completes an earlier command

    @property
    def command(self) -> Continuation:
        """The command being carried out: the earlier one an answer completes, else this message."""
        return self.resume or Continuation(text=self.inbound.text or "")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.user.timezone or self.settings.default_timezone)

    @property
    def now(self) -> datetime:
        """Now in the user's own timezone: what 今天 and 明天 mean to them."""
        return self.clock.now().astimezone(self.tz)

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    async def record(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Write the audit row for a change this message made (with the user's own words)."""
        await audit.record(
            self.session,
            at=self.clock.now(),
            actor_id=self.user_id,
            channel=self.inbound.channel,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            message=self.inbound.text,
            inbound_id=self.inbound_id,
        )

    async def ask(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        minutes: int = 30,
        asks: str = "",
        unanswered: str | None = None,
        saved: bool = False,
    ) -> None:
        """Remember that a later message from this user may answer a question of `kind`. `asks`: the question in
        one line (default: taken from the reply); `unanswered`: what stays unsaved if it never is (default, for
        a kept command: that message); `saved`: the message is saved already, only a detail waits."""
        await asking.open_question(
            self.session,
            self.user_id,
            kind,
            data,
            self.clock.now(),
            minutes=minutes,
            asks=asks,
            unanswered=unanswered,
            saved=saved,
        )
