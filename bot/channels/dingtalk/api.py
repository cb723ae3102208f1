"""Small async DingTalk server-API client on aiohttp: token, robot sends, cards, directory; every call counted.

Why not the official SDKs: `dingtalk-stream`'s helpers are blocking `requests` calls (sdk-python#81), and
`alibabacloud_dingtalk` opens a new aiohttp session per request and has no `topapi` endpoints (dingtalk.md §6).

One attempt per call, like the WeCom client as the channel builds it: the outbox owns retries, so a DingTalk outage
never stalls a delivery loop in sleeps. The only in-call retry is one token refresh when DingTalk says the token is
invalid. Failures are `DingTalkPermanentError` (retrying will not help) or `DingTalkTransientError` (try later;
`maybe_sent` when the request may have reached DingTalk). Secrets, tokens and sessionWebhook URLs never appear in
logs or exception text: only the path and DingTalk's error code.

Facts relied on, and where they were checked:
- Token: POST {api}/v1.0/oauth2/accessToken {appKey, appSecret} -> {accessToken, expireIn: 7200}; bad credentials
  -> 400 `invalidClientIdOrSecret` (KB:obtain-the-access-token-of-an-internal-app; aliyun/dingtalk-sdk oauth2_1_0
  GetAccessToken). Fetching again while valid returns the same token, so replicas share one through the store
  (bot.channels.wecom.tokens, Redis when configured) and renew 5 minutes early.
- New APIs take header `x-acs-dingtalk-access-token`; a bad token answers 400/401 `{"code": "InvalidAuthentication",
  "message": "不合法的access_token", "requestid": …}` (a real response recorded in a public log). Old `oapi` APIs take
  `?access_token=` and answer `{errcode, errmsg}`: 40014 invalid, 42001 expired (KB:server-api-error-codes-1). The
  v1.0 token is used on `oapi` too, as the stream SDK does for media/upload (observed, not documented).
- Robot 1:1: POST /v1.0/robot/oToMessages/batchSend {robotCode, userIds (≤ 20), msgKey, msgParam} ->
  {processQueryKey, invalidStaffIdList, flowControlledStaffIdList}; HTTP 200 is not success for everyone
  (KB:chatbots-send-one-on-one-chat-messages-in-batches; robot_1_0 BatchSendOTOResponseBody).
- Robot group: POST /v1.0/robot/groupMessages/send {robotCode, openConversationId, msgKey, msgParam}
  -> {processQueryKey} (KB:the-robot-sends-a-group-message; robot_1_0 OrgGroupSend).
- sessionWebhook: POST the URL itself, no token; an expired one answers errcode 300001 "session 不存在".
- Cards: POST /v1.0/card/instances/createAndDeliver {cardTemplateId, outTrackId, callbackType, cardData.cardParamMap,
  openSpaceId "dtv1.card//IM_ROBOT.<userId>", imRobotOpenDeliverModel {spaceType, robotCode}, userIdType}
  -> {result: {deliverResults: [{spaceId, success, errorMsg}]}}, to be checked one by one; PUT /v1.0/card/instances
  {outTrackId, cardData, cardUpdateOptions} (KB:create-and-deliver-cards, KB:interactive-card-update-interface;
  card_1_0 CreateAndDeliver / UpdateCard). cardParamMap values must be strings.
- Directory (`oapi`, exempt from the monthly quota): POST /topapi/v2/department/listsub {dept_id} -> result [..];
  /topapi/v2/department/get {dept_id} -> result.dept_manager_userid_list; /topapi/v2/user/list {dept_id, cursor,
  size ≤ 100} -> result {list, has_more, next_cursor} (no manager there); /topapi/v2/user/get {userid} ->
  result.manager_userid (only when set), leader_in_dept (KB:query-user-details, KB:query-department-details0-v2).
- Limits: 20 QPS per API (90018 / Forbidden.AccessDenied.QpsLimitForAppkeyAndApi), monthly API count
  (90020 / …ApiCountLimitForOrg), per-IP ban answered with `{"status": 1111, "wait": 5}` (KB:call-frequency-limit).

    api = DingTalkAPI(session, api_base=…, oapi_base=…, client_id=…, client_secret=…, robot_code=…,
                      token_store=MemoryTokenStore(clock), meter=meter)
    result = await api.batch_send(["manager4220"], text_messages("你好")[0])
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from json import loads as json_loads
from typing import Any, Protocol

import aiohttp

from bot.channels.dingtalk.messages import MessageBody
from bot.channels.wecom.tokens import TokenStore
from core.quotas import QuotaKind

log = logging.getLogger("kabot.dingtalk.api")

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)
BATCH_LIMIT = 20  # userIds per batchSend call
PAGE_SIZE = 100  # topapi/v2/user/list
SESSION_EXPIRED = 300001
TOKEN_CODES = frozenset({"InvalidAuthentication"})
OAPI_TOKEN_ERRCODES = frozenset({40014, 42001})
# Worth trying later: throttling, busy, and the monthly count (it comes back next month).
TRANSIENT_CODES: dict[str, float | None] = {
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": 1.0,
    "Forbidden.AccessDenied.QpsLimitForApi": 1.0,
    "Forbidden.AccessDenied.ApiCountLimitForOrg": 3600.0,
    "system.busy": None,
    "ServiceUnavailable": None,
    "send.too.fast": 60.0,
    "send.byToken.tooFast": 60.0,
}
OAPI_TRANSIENT: dict[int, float | None] = {-1: None, 90002: 1.0, 90018: 1.0, 90020: 3600.0}
WEBHOOK_TRANSIENT = frozenset({-1, 130101, 410100})  # busy, sending too fast


class DingTalkError(Exception):
    """Base for API failures; the text holds only the path and DingTalk's code, never credentials."""


class DingTalkPermanentError(DingTalkError):
    def __init__(self, path: str, code: str | int | None, message: str = "", *, http_status: int | None = None):
        super().__init__(f"{path} code={code} http={http_status} {message}".strip())
        self.path, self.code, self.http_status = path, code, http_status


class SessionExpired(DingTalkPermanentError):
    """The sessionWebhook is no longer valid (300001): answer through the robot send APIs instead."""


class CardAlreadyExists(DingTalkPermanentError):
    """createAndDeliver with an outTrackId already used: an earlier attempt created the card."""


class DingTalkTransientError(DingTalkError):
    def __init__(
        self,
        path: str,
        reason: str,
        *,
        code: str | int | None = None,
        maybe_sent: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{path} {reason} code={code}")
        self.path, self.reason, self.code = path, reason, code
        self.maybe_sent, self.retry_after_s = maybe_sent, retry_after_s


class CallMeter(Protocol):
    async def record(self, kind: QuotaKind) -> object:
        """Count one call against this month's quota of `kind`."""
        ...


@dataclass(frozen=True)
class BatchSendResult:
    """Who DingTalk accepted. `invalid` will never get it; `flow_controlled` may, later."""

    process_query_keys: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    flow_controlled: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliverResult:
    space_id: str
    success: bool
    error: str | None = None


@dataclass(frozen=True)
class CardDelivery:
    out_track_id: str
    results: tuple[DeliverResult, ...]

    @property
    def failed(self) -> tuple[DeliverResult, ...]:
        return tuple(r for r in self.results if not r.success)


@dataclass(eq=False)
class _Answer:
    status: int
    body: Any


class DingTalkAPI:
    """Client for one internal app (client id + secret + robot code)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        oapi_base: str,
        client_id: str,
        client_secret: str,
        robot_code: str,
        token_store: TokenStore,
        meter: CallMeter | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self.api_base = api_base.rstrip("/")
        self.oapi_base = oapi_base.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.robot_code = robot_code
        self._store = token_store
        self._meter = meter
        self._timeout = timeout

    def __repr__(self) -> str:  # keep the secret out of tracebacks and debuggers
        return f"DingTalkAPI(client_id={self.client_id!r})"

    # ---- robot messages -------------------------------------------------------------------------

    async def send_by_webhook(self, webhook_url: str, payload: Mapping[str, Any]) -> None:
        """POST to a message's sessionWebhook. Raises SessionExpired once it has lapsed."""
        path = "/robot/sendBySession"
        answer = await self._exchange("POST", webhook_url, path, json=dict(payload), kind=QuotaKind.WEBHOOK_STREAM)
        body = _object(answer, path)
        errcode = _int(body.get("errcode"))
        if answer.status == 200 and errcode == 0:
            return
        if errcode == SESSION_EXPIRED:
            raise SessionExpired(path, errcode, "sessionWebhook expired", http_status=answer.status)
        if answer.status >= 500 or errcode in WEBHOOK_TRANSIENT:
            raise DingTalkTransientError(path, "webhook", code=errcode, maybe_sent=answer.status >= 500)
        raise DingTalkPermanentError(path, errcode, str(body.get("errmsg", "")), http_status=answer.status)

    async def batch_send(self, user_ids: Sequence[str], body: MessageBody) -> BatchSendResult:
        """Send to people 1:1, at most 20 a call; read who was refused (HTTP 200 is not success)."""
        keys: list[str] = []
        invalid: list[str] = []
        limited: list[str] = []
        for start in range(0, len(user_ids), BATCH_LIMIT):
            chunk = list(user_ids[start : start + BATCH_LIMIT])
            data = await self._api(
                "POST",
                "/v1.0/robot/oToMessages/batchSend",
                {"robotCode": self.robot_code, "userIds": chunk, "msgKey": body.msg_key, "msgParam": body.msg_param()},
            )
            if data.get("processQueryKey"):
                keys.append(str(data["processQueryKey"]))
            invalid += [str(u) for u in data.get("invalidStaffIdList") or []]
            limited += [str(u) for u in data.get("flowControlledStaffIdList") or []]
        return BatchSendResult(tuple(keys), tuple(invalid), tuple(limited))

    async def group_send(self, open_conversation_id: str, body: MessageBody) -> str:
        """Post to a group the robot is in; returns the processQueryKey."""
        data = await self._api(
            "POST",
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.robot_code,
                "openConversationId": open_conversation_id,
                "msgKey": body.msg_key,
                "msgParam": body.msg_param(),
            },
        )
        return str(data.get("processQueryKey") or "")

    # ---- interactive cards ----------------------------------------------------------------------

    async def create_and_deliver_card(
        self,
        *,
        out_track_id: str,
        template_id: str,
        params: Mapping[str, str],
        user_ids: Sequence[str],
        callback_type: str = "STREAM",
    ) -> CardDelivery:
        """Create a card from a published template and put it in each person's chat with the robot."""
        path = "/v1.0/card/instances/createAndDeliver"
        body = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "callbackType": callback_type,
            "cardData": {"cardParamMap": _strings(params)},
            "openSpaceId": "dtv1.card//" + ";".join(f"IM_ROBOT.{u}" for u in user_ids),
            "imRobotOpenSpaceModel": {"supportForward": False},
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": self.robot_code},
            "userIdType": 1,  # userId (staff id), not unionId
        }
        try:
            data = await self._api("POST", path, body)
        except DingTalkPermanentError as err:
            if "cardAlreadyExist" in str(err.code):
                raise CardAlreadyExists(path, err.code, "outTrackId used", http_status=err.http_status) from None
            raise
        result = data.get("result")
        result = result if isinstance(result, Mapping) else {}
        results = tuple(
            DeliverResult(str(r.get("spaceId", "")), bool(r.get("success")), r.get("errorMsg") or None)
            for r in result.get("deliverResults") or []
            if isinstance(r, Mapping)
        )
        return CardDelivery(out_track_id, results)

    async def update_card(self, out_track_id: str, params: Mapping[str, str]) -> None:
        """Change the named card variables only (without the options DingTalk overwrites the whole card data)."""
        await self._api(
            "PUT",
            "/v1.0/card/instances",
            {
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": _strings(params)},
                "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
                "userIdType": 1,
            },
        )

    async def upload_file(self, filename: str, content: bytes) -> str:
        """POST oapi media/upload?type=file (multipart `media`) -> the media_id a `sampleFile` message sends
        (KB:upload-media-files; the v1.0 token works there, as the stream SDK uses it)."""
        path = "/media/upload"
        for refreshed in (False, True):
            token = await self._token()
            form = aiohttp.FormData()  # consumed by sending: a fresh one per attempt
            form.add_field("media", content, filename=filename, content_type="application/octet-stream")
            answer = await self._exchange(
                "POST",
                self.oapi_base + path,
                path,
                json=None,
                params={"access_token": token, "type": "file"},
                form=form,
                kind=QuotaKind.API,
            )
            data = _object(answer, path)
            errcode = _int(data.get("errcode"))
            if answer.status == 200 and errcode == 0 and data.get("media_id"):
                return str(data["media_id"])
            if errcode in OAPI_TOKEN_ERRCODES and not refreshed:
                await self._store.delete(self.client_id, only_if=token)
                continue
            if answer.status >= 500 or errcode in OAPI_TRANSIENT:
                raise DingTalkTransientError(path, "oapi", code=errcode, maybe_sent=answer.status >= 500)
            raise DingTalkPermanentError(path, errcode, str(data.get("errmsg", "")), http_status=answer.status)
        raise AssertionError("unreachable")

    # ---- directory (old `oapi` endpoints, exempt from the monthly quota) ---------------------------

    async def list_sub_departments(self, dept_id: int) -> list[dict[str, Any]]:
        data = await self._oapi("/topapi/v2/department/listsub", {"dept_id": dept_id})
        return [d for d in data.get("result") or [] if isinstance(d, dict)]

    async def get_department(self, dept_id: int) -> dict[str, Any]:
        data = await self._oapi("/topapi/v2/department/get", {"dept_id": dept_id, "language": "zh_CN"})
        return dict(data.get("result") or {})

    async def list_department_users(self, dept_id: int) -> list[dict[str, Any]]:
        """Every member of one department (not of its children), following the cursor."""
        users: list[dict[str, Any]] = []
        cursor = 0
        while True:
            data = await self._oapi(
                "/topapi/v2/user/list", {"dept_id": dept_id, "cursor": cursor, "size": PAGE_SIZE, "language": "zh_CN"}
            )
            page = data.get("result") or {}
            users += [u for u in page.get("list") or [] if isinstance(u, dict)]
            if not page.get("has_more"):
                return users
            cursor = int(page.get("next_cursor") or 0)

    async def get_user(self, userid: str) -> dict[str, Any]:
        data = await self._oapi("/topapi/v2/user/get", {"userid": userid, "language": "zh_CN"})
        return dict(data.get("result") or {})

    # ---- request machinery ----------------------------------------------------------------------

    async def _api(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new-style API call: token in the header, errors as {code, message} with a 4xx/5xx status."""
        refreshed = False
        while True:
            token = await self._token()
            answer = await self._exchange(
                method,
                self.api_base + path,
                path,
                json=body,
                headers={"x-acs-dingtalk-access-token": token},
                kind=QuotaKind.API,
            )
            data = _object(answer, path)
            if 200 <= answer.status < 300:
                return data
            code = str(data.get("code") or "")
            if (answer.status == 401 or code in TOKEN_CODES) and not refreshed:
                log.info("dingtalk %s: token refused (%s), refreshing", path, code or answer.status)
                await self._store.delete(self.client_id, only_if=token)
                refreshed = True
                continue
            if code in TRANSIENT_CODES or answer.status == 429 or answer.status >= 500:
                raise DingTalkTransientError(
                    path,
                    f"http_{answer.status}",
                    code=code or None,
                    maybe_sent=answer.status >= 500,
                    retry_after_s=TRANSIENT_CODES.get(code),
                )
            raise DingTalkPermanentError(path, code or None, str(data.get("message", "")), http_status=answer.status)

    async def _oapi(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """An old-style `oapi` call: token in the query, errors as {errcode, errmsg} with status 200."""
        refreshed = False
        while True:
            token = await self._token()
            answer = await self._exchange(
                "POST",
                self.oapi_base + path,
                path,
                json=body,
                params={"access_token": token},
                kind=QuotaKind.EXEMPT,
            )
            data = _object(answer, path)
            errcode = _int(data.get("errcode"))
            if answer.status == 200 and errcode == 0:
                return data
            if errcode in OAPI_TOKEN_ERRCODES and not refreshed:
                await self._store.delete(self.client_id, only_if=token)
                refreshed = True
                continue
            if answer.status >= 500 or errcode in OAPI_TRANSIENT:
                retry_after = OAPI_TRANSIENT.get(errcode)
                raise DingTalkTransientError(
                    path, "oapi", code=errcode, maybe_sent=answer.status >= 500, retry_after_s=retry_after
                )
            raise DingTalkPermanentError(path, errcode, str(data.get("errmsg", "")), http_status=answer.status)

    async def _token(self) -> str:
        """Cached token, else single-flight refresh: one fetch however many callers (and replicas) wait."""
        token = await self._store.get(self.client_id)
        if token:
            return token
        async with self._store.refresh_lock(self.client_id):
            token = await self._store.get(self.client_id)
            if token:
                return token
            path = "/v1.0/oauth2/accessToken"
            answer = await self._exchange(
                "POST",
                self.api_base + path,
                path,
                json={"appKey": self.client_id, "appSecret": self._secret},
                kind=QuotaKind.EXEMPT,
            )
            data = _object(answer, path)
            if answer.status >= 500 or answer.status == 429:
                raise DingTalkTransientError(path, f"http_{answer.status}", code=data.get("code"))
            if answer.status != 200 or not data.get("accessToken"):
                message = str(data.get("message", ""))
                raise DingTalkPermanentError(path, data.get("code"), message, http_status=answer.status)
            token = str(data["accessToken"])
            expires_in = _int(data.get("expireIn")) or 7200
            # Renew 5 minutes early so a token never expires mid-flight.
            ttl = expires_in - 300 if expires_in > 600 else max(1, expires_in // 2)
            await self._store.set(self.client_id, token, ttl)
            log.info("dingtalk token refreshed, expires in %ss", expires_in)
            return token

    async def _exchange(
        self,
        method: str,
        url: str,
        path: str,
        *,
        json: dict[str, Any] | None,
        kind: QuotaKind,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> _Answer:
        """One HTTP exchange, counted once DingTalk may have seen it. The URL (token, session) never escapes."""
        try:
            async with self._session.request(
                method, url, json=json, data=form, headers=headers, params=params, timeout=self._timeout
            ) as resp:
                text = await resp.text()
        except aiohttp.ClientConnectorError:
            raise DingTalkTransientError(path, "connect_failed", maybe_sent=False) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            await self._count(kind)
            raise DingTalkTransientError(path, type(exc).__name__, maybe_sent=True) from None
        await self._count(kind)
        try:
            body: Any = json_loads(text) if text else {}
        except ValueError:
            body = None
        if isinstance(body, dict) and _int(body.get("status")) == 1111:
            # The per-IP ban (10,000 calls in 20 s): `wait` minutes.
            raise DingTalkTransientError(path, "ip_banned", retry_after_s=60.0 * (_int(body.get("wait")) or 5))
        return _Answer(resp.status, body)

    async def _count(self, kind: QuotaKind) -> None:
        if self._meter is not None:
            await self._meter.record(kind)


def _object(answer: _Answer, path: str) -> dict[str, Any]:
    if isinstance(answer.body, dict):
        return answer.body
    if answer.status >= 500 or answer.body is None:
        raise DingTalkTransientError(path, f"bad_body_http_{answer.status}", maybe_sent=True)
    raise DingTalkPermanentError(path, None, "answer is not a JSON object", http_status=answer.status)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


def _strings(params: Mapping[str, Any]) -> dict[str, str]:
    """cardParamMap is Map<String, String>: anything else does not render (dingtalk.md pitfall 9)."""
    return {str(k): v if isinstance(v, str) else str(v) for k, v in params.items()}
