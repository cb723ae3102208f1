"""APScheduler runs the sweeps on a timer; the database is the only state, so any replica may run them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services import Services
from scheduler import jobs

log = logging.getLogger(__name__)

SWEEPS: tuple[tuple[Callable[[Services], Awaitable[int]], int], ...] = (
    (jobs.remind_due_tasks, 60),
    (jobs.escalate_ignored_tasks, 600),
    (jobs.send_daily_digests, 300),
    (jobs.remind_waiting_approvals, 300),
    (jobs.escalate_waiting_approvals, 600),
)


class SweepScheduler:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        for job, seconds in SWEEPS:
            self.scheduler.add_job(
                self._run,
                "interval",
                seconds=seconds,
                args=[job],
                id=f"sweep:{job.__name__}",
                max_instances=1,
                coalesce=True,
            )

    async def _run(self, job: Callable[[Services], Awaitable[int]]) -> None:
        try:
            count = await job(self.services)
            if count:
                log.info("%s: %s", job.__name__, count)
        except Exception:  # noqa: BLE001 — one failed sweep must not stop the next
            log.exception("sweep %s failed", job.__name__)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
