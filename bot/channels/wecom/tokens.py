"""Where the WeCom access_token lives between calls, and the single-flight refresh lock.

Why a store at all: gettoken is rate-limited ("不能频繁调用gettoken接口") and every replica must share one
token (wecom.md §5), so production uses Redis; tests and single-process runs use memory.
Why compare-and-delete: when a call fails with 40014/42001, another worker may already have stored a
fresh token; deleting unconditionally would throw that good token away and cause a refresh storm.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis

from core.clock import Clock


class TokenStore(Protocol):
    async def get(self, key: str) -> str | None:
        """The cached token, or None if absent or expired."""
        ...

    async def set(self, key: str, token: str, ttl_s: int) -> None: ...

    async def delete(self, key: str, *, only_if: str | None = None) -> None:
        """Forget the token; with `only_if`, only when the stored value is still that (stale) token."""
        ...

    def refresh_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held while one caller fetches a new token, so N callers cause one gettoken."""
        ...


class MemoryTokenStore:
    """Process-local store; expiry follows the injected clock so tests can age tokens."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str) -> str | None:
        entry = self._tokens.get(key)
        if entry is None or self._clock.now() >= entry[1]:
            return None
        return entry[0]

    async def set(self, key: str, token: str, ttl_s: int) -> None:
        self._tokens[key] = (token, self._clock.now() + timedelta(seconds=ttl_s))

    async def delete(self, key: str, *, only_if: str | None = None) -> None:
        entry = self._tokens.get(key)
        if entry is not None and (only_if is None or entry[0] == only_if):
            del self._tokens[key]

    def refresh_lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._locks.setdefault(key, asyncio.Lock())  # type: ignore[return-value]


_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class RedisTokenStore:
    """Shared store: token under `<prefix><key>` with a TTL, refresh lock via `SET NX PX`.

    Waiters poll until the lock is released (or expires, if its holder died) instead of failing,
    then re-read the token the holder stored.
    """

    def __init__(
        self,
        redis: Redis,
        key_prefix: str = "kabot:wecom:token:",
        *,
        lock_ttl_ms: int = 15_000,
        poll_interval_s: float = 0.05,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._lock_ttl_ms = lock_ttl_ms
        self._poll = poll_interval_s

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def set(self, key: str, token: str, ttl_s: int) -> None:
        await self._redis.set(self._prefix + key, token, ex=max(1, ttl_s))

    async def delete(self, key: str, *, only_if: str | None = None) -> None:
        if only_if is None:
            await self._redis.delete(self._prefix + key)
        else:
            await self._redis.eval(_COMPARE_AND_DELETE, 1, self._prefix + key, only_if)  # type: ignore[misc]

    @asynccontextmanager
    async def refresh_lock(self, key: str) -> AsyncIterator[None]:
        lock_key = f"{self._prefix}{key}:lock"
        owner = secrets.token_hex(8)
        while not await self._redis.set(lock_key, owner, nx=True, px=self._lock_ttl_ms):
            await asyncio.sleep(self._poll)
        try:
            yield
        finally:
            await self._redis.eval(_COMPARE_AND_DELETE, 1, lock_key, owner)  # type: ignore[misc]
