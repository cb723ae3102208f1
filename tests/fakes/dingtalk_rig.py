"""Test doubles for time in the DingTalk component tests: waits that never wait on the wall clock."""

from __future__ import annotations

import asyncio


class Sleeps:
    """An injected sleep that records each delay and returns at once (after letting other tasks run)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class Ticker:
    """An injected sleep for the Stream watchdog: each call waits until the test calls `fire()`."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []
        self.calls = 0
        self._arrived = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.calls += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._arrived.set()
        await future

    async def fire(self) -> None:
        """Wake the watchdogs waiting now (waiting, first, for at least one to be waiting)."""
        while not self._waiters:
            self._arrived.clear()
            await self._arrived.wait()
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)
        await asyncio.sleep(0)
