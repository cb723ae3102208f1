"""Small async WeCom server-API client on aiohttp (wecom.md §4-§6).

Why not wechatpy's WeChatClient: blocking, no default timeout, unbounded retry recursion and a
multi-process token bug. This client has: a shared cached token with single-flight refresh, one
refresh-and-retry on token invalidation, bounded exponential backoff with jitter for transient
failures, and no duplicate messages when a retry follows an ambiguous failure (the first request may
have been delivered): plain messages carry `enable_duplicate_check`, interactive cards are protected by
their unique `task_id` (a 42014 after an ambiguous failure means "already sent").

Secrets, tokens and webhook keys never reach log output or exception text: only path and errcode.

>>> api = WeComAPI(session, "https://qyapi.weixin.qq.com", corp_id, agent_id, secret, MemoryTokenStore(clock))
>>> result = await api.send_message({"touser": "zhangsan", "msgtype": "text", "text": {"content": "hi"}})
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.channels.wecom.text import split_text
from bot.channels.wecom.tokens import TokenStore

__all__ = [
    "SendResult",
    "WeComAPI",
    "WeComError",
    "WeComPermanentError",
    "WeComTransientError",
    "split_text",
]

log = logging.getLogger("kabot.wecom.api")

TOKEN_INVALID = frozenset({40014, 42001, 42009})
# -1 系统繁忙, 45009 frequency limit, 45033 concurrency limit: worth retrying later.
TRANSIENT = frozenset({-1, 45009, 45033})
ERR_TASK_ID_EXISTS = 42014
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


class WeComError(Exception):
    """Base for API failures; the message holds only path and errcode, never credentials."""


class WeComPermanentError(WeComError):
    """Retrying will not help (bad secret, no permission, outside visible range, ...).

    `after_ambiguous` is True when an earlier attempt of the same call may have been applied.
    """

    def __init__(
        self,
        errcode: int | None,
        errmsg: str,
        *,
        path: str = "",
        http_status: int | None = None,
        after_ambiguous: bool = False,
    ) -> None:
        super().__init__(f"{path} errcode={errcode} http={http_status} {errmsg}".strip())
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path
        self.http_status = http_status
        self.after_ambiguous = after_ambiguous


class WeComTransientError(WeComError):
    """Retries exhausted. `maybe_sent` says whether some attempt may have reached WeCom.

    `retry_after_s` is a hint for an outbox (45009 asks for >= 60 s).
    """

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        errcode: int | None,
        attempts: int,
        maybe_sent: bool,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{path} {reason} errcode={errcode} after {attempts} attempt(s)")
        self.path = path
        self.reason = reason
        self.errcode = errcode
        self.attempts = attempts
        self.maybe_sent = maybe_sent
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SendResult:
    """Outcome of message/send. Partial failures still succeed: check `invalid_users`."""

    msgid: str | None = None
    response_code: str | None = None
    invalid_users: tuple[str, ...] = ()
    invalid_parties: tuple[str, ...] = ()
    invalid_tags: tuple[str, ...] = ()
    unlicensed_users: tuple[str, ...] = ()
    maybe_duplicate_suppressed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> SendResult:
        def ids(name: str) -> tuple[str, ...]:
            value = data.get(name) or ""
            return tuple(v.lower() for v in str(value).split("|") if v)

        return cls(
            msgid=data.get("msgid") or None,
            response_code=data.get("response_code") or None,
            invalid_users=ids("invaliduser"),
            invalid_parties=ids("invalidparty"),
            invalid_tags=ids("invalidtag"),
            unlicensed_users=ids("unlicenseduser"),
            raw=data,
        )


@dataclass(eq=False)
class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    reason: str
    ambiguous: bool  # the request may have been processed by WeCom
    errcode: int | None = None
    retry_after_s: float | None = None


class WeComAPI:
    """Client for one self-built app (corp_id + agent_id + secret)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        corp_id: str,
        agent_id: int,
        secret: str,
        token_store: TokenStore,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 8.0,
        duplicate_check_interval_s: int = 300,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self._store = token_store
        self._sleep = sleep
        self._rng = rng
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_s
        self._backoff_cap = backoff_cap_s
        self._dup_interval = duplicate_check_interval_s
        self._token_key = f"{corp_id}:{agent_id}"

    def __repr__(self) -> str:  # keep the secret out of reprs in tracebacks and debuggers
        return f"WeComAPI(corp_id={self._corp_id!r}, agent_id={self.agent_id})"

    # ---- public calls ---------------------------------------------------------------------------

    async def send_message(self, payload: dict[str, Any]) -> SendResult:
        """POST message/send. `agentid` defaults to this app's.

        Plain messages get `enable_duplicate_check=1` (unless the caller set it), so a retry after a
        timeout/reset cannot deliver twice within the interval. Caveat: WeCom then also drops a
        *deliberate* identical message to the same user within the interval, so make replies distinct.
        """
        body = {"agentid": self.agent_id, **payload}
        card = body.get("template_card")
        task_id = card.get("task_id") if body.get("msgtype") == "template_card" and card else None
        if not task_id:
            body.setdefault("enable_duplicate_check", 1)
            body.setdefault("duplicate_check_interval", self._dup_interval)
        try:
            data = await self._call("POST", "/cgi-bin/message/send", json=body)
        except WeComPermanentError as exc:
            if task_id and exc.errcode == ERR_TASK_ID_EXISTS and exc.after_ambiguous:
                # The ambiguous attempt most likely went through; the task_id now exists.
                log.warning("wecom send: 42014 after ambiguous failure, treating as sent")
                return SendResult(maybe_duplicate_suppressed=True, raw={"errcode": exc.errcode})
            raise
        return SendResult.from_response(data)

    async def update_template_card(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST message/update_template_card (consumes a one-shot response_code).

        Retries after an ambiguous failure are harmless (the update is idempotent), but the code may
        then already be consumed: such a failure carries `after_ambiguous=True` for the caller.
        """
        body = {"agentid": self.agent_id, **payload}
        return await self._call("POST", "/cgi-bin/message/update_template_card", json=body)

    async def webhook_send(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a group-robot message. Robots have no duplicate check, so an ambiguous failure is not
        retried (raises WeComTransientError with maybe_sent=True) rather than risk a double post."""
        return await self._call(
            "POST",
            "/cgi-bin/webhook/send",
            params={"key": key},
            json=payload,
            auth=False,
            retry_ambiguous=False,
        )

    async def upload_media(self, filename: str, content: bytes, media_type: str = "file") -> str:
        """POST media/upload (multipart) and return the media_id (valid 3 days) for a file message.

        Why a form factory: a multipart body is consumed by sending, so each retry builds a fresh one.
        """

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("media", content, filename=filename, content_type="application/octet-stream")
            return data

        path = "/cgi-bin/media/upload"
        data = await self._call("POST", path, params={"type": media_type}, form=form)
        media_id = data.get("media_id")
        if not media_id:
            raise WeComPermanentError(None, "no media_id in answer", path=path)
        return str(media_id)

    async def list_departments(self, department_id: int | None = None) -> list[dict[str, Any]]:
        """GET department/list (the app's visible range; a subtree when `department_id` is given)."""
        params = {} if department_id is None else {"id": str(department_id)}
        data = await self._call("GET", "/cgi-bin/department/list", params=params)
        return list(data.get("department") or [])

    async def list_users(self, department_id: int) -> list[dict[str, Any]]:
        """GET user/list for one department (includes `direct_leader` where visible)."""
        data = await self._call("GET", "/cgi-bin/user/list", params={"department_id": str(department_id)})
        return list(data.get("userlist") or [])

    # ---- request machinery --------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        auth: bool = True,
        retry_ambiguous: bool = True,
    ) -> dict[str, Any]:
        refreshed = False
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            token: str | None = None
            try:
                query = dict(params or {})
                if auth:
                    token = await self._token()
                    query["access_token"] = token
                data = await self._once(method, path, query, json, form() if form else None)
                errcode = _errcode(data)
                if errcode == 0:
                    return data
                if auth and errcode in TOKEN_INVALID and not refreshed:
                    # Invalidated early by WeCom or expired: refresh once, retry without backoff.
                    log.info("wecom %s errcode=%s: refreshing token", path, errcode)
                    refreshed = True
                    attempt -= 1
                    await self._store.delete(self._token_key, only_if=token)
                    continue
                if errcode not in TRANSIENT:
                    raise WeComPermanentError(
                        errcode, str(data.get("errmsg", "")), path=path, after_ambiguous=ambiguous
                    )
                raise _Retry(
                    "errcode",
                    ambiguous=errcode == -1,
                    errcode=errcode,
                    retry_after_s=60.0 if errcode == 45009 else None,
                )
            except _Retry as failure:
                ambiguous = ambiguous or failure.ambiguous
                if attempt >= self._max_attempts or (failure.ambiguous and not retry_ambiguous):
                    log.warning("wecom %s gave up: %s errcode=%s", path, failure.reason, failure.errcode)
                    raise WeComTransientError(
                        path,
                        failure.reason,
                        errcode=failure.errcode,
                        attempts=attempt,
                        maybe_sent=ambiguous,
                        retry_after_s=failure.retry_after_s,
                    ) from None
                delay = self._backoff(attempt)
                log.info(
                    "wecom %s retry %d in %.2fs: %s errcode=%s",
                    path,
                    attempt,
                    delay,
                    failure.reason,
                    failure.errcode,
                )
                await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential with "equal jitter": half fixed, half random, so replicas spread out."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * self._rng()

    async def _once(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json: dict[str, Any] | None,
        form: aiohttp.FormData | None = None,
    ) -> dict[str, Any]:
        """One HTTP exchange. Transport failures become `_Retry`; never lets the URL (which holds
        the token or key) escape into an exception message."""
        try:
            async with self._session.request(
                method, self._base + path, params=query, json=json, data=form, timeout=self._timeout
            ) as resp:
                if resp.status >= 500:
                    raise _Retry(f"http_{resp.status}", ambiguous=True)
                if resp.status != 200:
                    raise WeComPermanentError(None, "unexpected http status", path=path, http_status=resp.status)
                data = await resp.json(content_type=None)
        except aiohttp.ClientConnectorError:
            raise _Retry("connect_failed", ambiguous=False) from None  # never left this host
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _Retry(type(exc).__name__, ambiguous=True) from None
        except ValueError:  # body was not JSON
            raise _Retry("bad_json", ambiguous=True) from None
        if not isinstance(data, dict):
            raise _Retry("bad_json", ambiguous=True)
        log.debug("wecom %s %s errcode=%s", method, path, data.get("errcode"))
        return data

    async def _token(self) -> str:
        """Cached token, else single-flight refresh: one gettoken however many callers wait."""
        token = await self._store.get(self._token_key)
        if token:
            return token
        async with self._store.refresh_lock(self._token_key):
            token = await self._store.get(self._token_key)
            if token:
                return token
            query = {"corpid": self._corp_id, "corpsecret": self._secret}
            try:
                data = await self._once("GET", "/cgi-bin/gettoken", query, None)
            except _Retry as failure:  # the real call was never sent, so nothing is ambiguous
                raise _Retry(f"gettoken_{failure.reason}", ambiguous=False) from None
            errcode = _errcode(data)
            if errcode in TRANSIENT:
                raise _Retry("gettoken", ambiguous=False, errcode=errcode)
            if errcode != 0 or not data.get("access_token"):
                raise WeComPermanentError(errcode, str(data.get("errmsg", "")), path="/cgi-bin/gettoken")
            token = str(data["access_token"])
            expires_in = int(data.get("expires_in") or 7200)
            # Renew 5 min early so a token never expires mid-flight (wecom.md §5).
            ttl = expires_in - 300 if expires_in > 600 else max(1, expires_in // 2)
            await self._store.set(self._token_key, token, ttl)
            log.info("wecom token refreshed, expires_in=%s", expires_in)
            return token


def _errcode(data: dict[str, Any]) -> int:
    try:
        return int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1
