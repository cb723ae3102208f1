"""DingTalk's monthly quotas, counted in the database by every replica (rules in core.quotas).

Every call the API client makes and every message DingTalk pushes is recorded here; the outbound side asks
`admit` before spending quota, so replies keep going after digests have stopped. The first count that crosses
80% of a limit calls `on_warning` once per month and kind (the atomic increment makes exactly one caller see it),
and so does the first message of a month that DingTalk pushed without its text (its quota used up).

    meter = QuotaMeter(db, clock, on_warning=tell_admin)
    await meter.record(QuotaKind.API)
    if await meter.admit(QuotaKind.API, Priority.DIGEST) is Verdict.SEND: ...
    lines = [u.describe() for u in await meter.usage()]     # for `kabot doctor` and /healthz
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from core.clock import Clock
from core.quotas import (
    STANDARD_LIMITS,
    Priority,
    QuotaKind,
    Usage,
    Verdict,
    admit,
    first_withheld,
    month_of,
    warn_now,
)
from storage.db import Database
from storage.repo import quota as quota_repo

log = logging.getLogger("kabot.dingtalk.quota")

OnWarning = Callable[[Usage], Awaitable[object]]


class QuotaMeter:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        channel: str = "dingtalk",
        limits: Mapping[QuotaKind, int] = STANDARD_LIMITS,
        on_warning: OnWarning | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.channel = channel
        self.limits = dict(limits)
        self.on_warning = on_warning

    async def record(self, kind: QuotaKind, n: int = 1) -> Usage | None:
        """Count `n` calls of `kind` this month. Counting is best effort: a database hiccup is logged, and the
        message it counted still goes out (losing a count is better than losing a message)."""
        now = self.clock.now()
        try:
            after = await quota_repo.add(self.db, channel=self.channel, month=month_of(now), kind=kind, n=n, now=now)
        except SQLAlchemyError as err:
            log.warning("could not count a %s call: %s", kind, type(err).__name__)
            return None
        usage = Usage(kind, after, self.limits.get(kind))
        if warn_now(before=after - n, after=after, limit=usage.limit) or first_withheld(kind, before=after - n):
            log.warning("dingtalk quota: %s", usage.describe())
            if self.on_warning is not None:
                try:
                    await self.on_warning(usage)
                except Exception:  # telling the admin must never fail the call being counted
                    log.exception("dingtalk quota: the 80%% warning could not be passed on")
        return usage

    async def usage(self) -> list[Usage]:
        """This month's use of every kind, limited kinds first (withheld messages only when there were some)."""
        counts = await quota_repo.counts(self.db, channel=self.channel, month=month_of(self.clock.now()))
        kinds = [k for k in QuotaKind if k is not QuotaKind.WITHHELD or counts.get(k)]
        return [Usage(kind, counts.get(kind, 0), self.limits.get(kind)) for kind in kinds]

    async def admit(self, kind: QuotaKind, priority: Priority) -> Verdict:
        """Whether a message of `priority` that spends `kind` may go out now."""
        counts = await quota_repo.counts(self.db, channel=self.channel, month=month_of(self.clock.now()))
        return admit(priority, Usage(kind, counts.get(kind, 0), self.limits.get(kind)))
