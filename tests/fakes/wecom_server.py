"""An in-process fake of the WeCom server API, plus signed/encrypted callback builders.

Why: tests must exercise the real HTTP client (tokens, retries, timeouts, dedupe) without the network,
and inbound tests must sign and encrypt with our real crypto code (STYLE.md §12).

    fake = FakeWeCom(clock=clock)
    server = await aiohttp_server(fake.make_app())
    api = WeComAPI(session, fake.base_url(server), fake.corp_id, fake.agent_id, fake.secret, store)
    fake.fail_next("/cgi-bin/message/send", errcode=45009)
    await api.send_message({...})
    assert len(fake.sent) == 1

Behaviour that mirrors WeCom (wecom.md): tokens expire (42001) or are unknown (40014); every gettoken
issues a new token; interactive cards need a fresh task_id (42014) and get a one-shot response_code;
`enable_duplicate_check` suppresses identical content to the same user within the interval (accepted
with errcode 0, not delivered); unknown users come back lower-cased in `invaliduser`.
Assumptions, not from the docs: a reused/unknown response_code answers errcode 40058; the duplicate check
compares the message content with everything delivered to that user, flagged or not (the docs say "同样内容
(请求json)" and do not say whether the earlier message must have carried the flag too).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.wecom.crypto import WeComCrypto
from core.clock import Clock, SystemClock

GETTOKEN = "/cgi-bin/gettoken"
SEND = "/cgi-bin/message/send"
UPDATE_CARD = "/cgi-bin/message/update_template_card"
WEBHOOK = "/cgi-bin/webhook/send"
DEPARTMENTS = "/cgi-bin/department/list"
USERS = "/cgi-bin/user/list"
MEDIA_UPLOAD = "/cgi-bin/media/upload"

ERR_INVALID_RESPONSE_CODE = 40058  # fake's choice; see module docstring
INTERACTIVE_CARDS = {"button_interaction", "vote_interaction", "multiple_interaction"}
_SECRET_PARAMS = {"corpsecret"}


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it; `query` has the corp secret redacted."""

    method: str
    path: str
    query: dict[str, str]
    json: dict[str, Any] | None


@dataclass
class Fault:
    errcode: int | None = None
    http_status: int | None = None
    reset: bool = False
    after_processing: bool = False  # do the real work first, then fail: an "ambiguous" failure
    hold: asyncio.Event | None = None  # answer only once the test sets it (a client timeout without a race)
    processed: asyncio.Event | None = None  # set once the held call has done its work


@dataclass
class FakeWeCom:
    corp_id: str = "wwkabotfake0001"
    agent_id: int = 1000002
    secret: str = "fake-corp-secret-never-log-me"
    callback_token: str = "kabotCallbackToken"
    encoding_aes_key: str = base64.b64encode(bytes(range(32))).decode()[:43]
    token_ttl_s: int = 7200
    clock: Clock = field(default_factory=SystemClock)
    webhook_keys: set[str] = field(default_factory=lambda: {"fake-webhook-key"})

    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # message/send bodies actually delivered
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    webhook_messages: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id -> (filename, content)

    _tokens: dict[str, datetime] = field(default_factory=dict)
    _task_ids: set[str] = field(default_factory=set)
    _response_codes: dict[str, bool] = field(default_factory=dict)  # code -> used
    _recent: dict[tuple[str, str], datetime] = field(default_factory=dict)  # dedupe window
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _held_calls: set[asyncio.Future[dict[str, Any]]] = field(default_factory=set)

    # ---- wiring ---------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(GETTOKEN, self._gettoken)
        app.router.add_post(SEND, self._send)
        app.router.add_post(UPDATE_CARD, self._update_card)
        app.router.add_post(WEBHOOK, self._webhook)
        app.router.add_get(DEPARTMENTS, self._departments)
        app.router.add_get(USERS, self._users)
        app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        return app

    @staticmethod
    def base_url(server: TestServer) -> str:
        return str(server.make_url("")).rstrip("/")

    @property
    def crypto(self) -> WeComCrypto:
        """The same crypto the app under test should be configured with."""
        return WeComCrypto(self.callback_token, self.encoding_aes_key, self.corp_id, self.clock)

    # ---- test controls ------------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        *,
        errcode: int | None = None,
        http_status: int | None = None,
        reset: bool = False,
        after_processing: bool = False,
        times: int = 1,
    ) -> None:
        """Queue a fault for the next `times` calls to `path` (consumed in order)."""
        for _ in range(times):
            self._faults.setdefault(path, deque()).append(Fault(errcode, http_status, reset, after_processing))

    def hold_next(self, path: str) -> tuple[asyncio.Event, asyncio.Event]:
        """The next call to `path` waits until the first event is set, then does its work and sets the second."""
        release, processed = asyncio.Event(), asyncio.Event()
        self._faults.setdefault(path, deque()).append(Fault(hold=release, processed=processed))
        return release, processed

    def expire_tokens(self) -> None:
        """Every issued token is now past its expiry: calls answer 42001."""
        past = self.clock.now() - timedelta(seconds=1)
        self._tokens = {t: past for t in self._tokens}

    def revoke_tokens(self) -> None:
        """WeCom invalidated tokens early: calls answer 40014."""
        self._tokens.clear()

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def set_org(self, departments: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
        """departments: {id, name, parentid}; users: {userid, name, department: [ids], direct_leader}."""
        self.departments = [dict(d) for d in departments]
        self.users = [dict(u) for u in users]

    def issue_response_code(self) -> str:
        code = f"RC{next(self._seq):06d}"
        self._response_codes[code] = False
        return code

    # ---- callbacks, built the way WeCom builds them ---------------------------------------------

    def callback_verify(self, echo: str) -> dict[str, str]:
        """Query params of the GET URL-verification request (values already URL-decoded)."""
        ts, nonce = self._ts_nonce()
        echostr = self.crypto.encrypt_b64(echo.encode())
        return {
            "msg_signature": self.crypto.sign(ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }

    def callback_text(
        self, from_user: str, content: str, msg_id: int | str, *, create_time: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        inner = self._inner(from_user, "text", create_time) + (
            f"<Content>{_cdata(content)}</Content><MsgId>{msg_id}</MsgId><AgentID>{self.agent_id}</AgentID></xml>"
        )
        return self.encrypt_callback(inner)

    def callback_click(
        self,
        from_user: str,
        task_id: str,
        event_key: str,
        response_code: str | None = None,
        *,
        card_type: str = "button_interaction",
        create_time: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A template_card_event click; a new one-shot response_code is issued unless given."""
        code = response_code or self.issue_response_code()
        self._response_codes.setdefault(code, False)
        inner = self._inner(from_user, "event", create_time) + (
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey>{_cdata(event_key)}</EventKey><TaskId>{_cdata(task_id)}</TaskId>"
            f"<CardType><![CDATA[{card_type}]]></CardType>"
            f"<ResponseCode><![CDATA[{code}]]></ResponseCode><AgentID>{self.agent_id}</AgentID></xml>"
        )
        return self.encrypt_callback(inner)

    def callback_text_json(self, from_user: str, content: str, msg_id: int) -> tuple[dict[str, str], bytes]:
        """The same text message in WeCom's JSON callback format (numbers as JSON numbers)."""
        inner = {
            "ToUserName": self.corp_id,
            "FromUserName": from_user,
            "CreateTime": int(self.clock.now().timestamp()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
            "AgentID": self.agent_id,
        }
        ts, nonce = self._ts_nonce()
        encrypt = self.crypto.encrypt_b64(json.dumps(inner, ensure_ascii=False).encode())
        body = json.dumps({"tousername": self.corp_id, "encrypt": encrypt, "agentid": self.agent_id})
        params = {"msg_signature": self.crypto.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
        return params, body.encode()

    def encrypt_callback(self, inner_xml: str) -> tuple[dict[str, str], bytes]:
        """Encrypt and sign any inner XML into (query params, POST body)."""
        ts, nonce = self._ts_nonce()
        encrypt = self.crypto.encrypt_b64(inner_xml.encode())
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>\n"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>\n</xml>"
        )
        params = {"msg_signature": self.crypto.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
        return params, body.encode()

    def _inner(self, from_user: str, msg_type: str, create_time: int | None) -> str:
        created = create_time if create_time is not None else int(self.clock.now().timestamp())
        return (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName>{_cdata(from_user)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        )

    def _ts_nonce(self) -> tuple[str, str]:
        return str(int(self.clock.now().timestamp())), str(100000 + next(self._seq))

    # ---- handlers -------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Call:
        body = await request.read()
        query = {k: ("***" if k in _SECRET_PARAMS else v) for k, v in request.query.items()}
        call = Call(request.method, request.path, query, json.loads(body) if body else None)
        self.calls.append(call)
        return call

    async def _run(self, request: web.Request, work: Any) -> web.StreamResponse:
        """Apply the queued fault (if any) around the real handler `work(call) -> dict`."""
        call = await self._record(request)
        queue = self._faults.get(request.path)
        fault = queue.popleft() if queue else None
        if fault and fault.hold:
            # The client's disconnect cancels this handler: the held work runs on regardless, as a slow server's would.
            held = asyncio.ensure_future(self._held(fault, call, work))
            self._held_calls.add(held)
            held.add_done_callback(self._held_calls.discard)
            return web.json_response(await asyncio.shield(held))
        fails = fault is not None and (fault.reset or fault.http_status or fault.errcode is not None)
        result = work(call) if not fails or (fault and fault.after_processing) else {}
        if fault is not None:
            if fault.reset:
                assert request.transport is not None
                request.transport.abort()  # the client sees a connection reset
                raise web.HTTPInternalServerError()
            if fault.http_status:
                return web.Response(status=fault.http_status, text="bad gateway")
            if fault.errcode is not None:
                return web.json_response({"errcode": fault.errcode, "errmsg": "injected"})
        return web.json_response(result)

    @staticmethod
    async def _held(fault: Fault, call: Call, work: Any) -> dict[str, Any]:
        assert fault.hold is not None and fault.processed is not None
        await fault.hold.wait()
        result: dict[str, Any] = work(call)
        fault.processed.set()
        return result

    def _check_token(self, call: Call) -> dict[str, Any] | None:
        token = call.query.get("access_token")
        if token is None:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        expires = self._tokens.get(token)
        if expires is None:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.clock.now() >= expires:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    async def _gettoken(self, request: web.Request) -> web.StreamResponse:
        def work(call: Call) -> dict[str, Any]:
            if request.query.get("corpid") != self.corp_id:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            if request.query.get("corpsecret") != self.secret:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"FAKETOKEN{next(self._seq):06d}"
            self._tokens[token] = self.clock.now() + timedelta(seconds=self.token_ttl_s)
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl_s}

        return await self._run(request, work)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        return await self._run(request, self._do_send)

    def _do_send(self, call: Call) -> dict[str, Any]:
        if error := self._check_token(call):
            return error
        body = call.json or {}
        if body.get("agentid") != self.agent_id:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        targets = [u for u in str(body.get("touser", "")).split("|") if u]
        known = {str(u["userid"]).lower() for u in self.users}
        invalid = [u.lower() for u in targets if self.users and u != "@all" and u.lower() not in known]
        if targets and len(invalid) == len(targets) and not body.get("toparty") and not body.get("totag"):
            return {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
        result: dict[str, Any] = {
            "errcode": 0,
            "errmsg": "ok",
            "invaliduser": "|".join(invalid),
            "msgid": f"MSG{next(self._seq):06d}",
        }
        msgtype = str(body.get("msgtype"))
        card = body.get("template_card") or {}
        if msgtype == "template_card" and (card.get("card_type") in INTERACTIVE_CARDS or "task_id" in card):
            task_id = card.get("task_id")
            if not task_id or task_id in self._task_ids or len(str(task_id)) > 128:
                return {"errcode": 42014, "errmsg": "taskid has existed or empty or exceed max len"}
            self._task_ids.add(task_id)
            if card.get("card_type") in INTERACTIVE_CARDS:
                result["response_code"] = self.issue_response_code()
        if msgtype == "file" and (body.get("file") or {}).get("media_id") not in self.uploads:
            return {"errcode": 40007, "errmsg": "invalid media_id"}
        now = self.clock.now()
        key = self._content_key(body, targets, msgtype)
        last = self._recent.get(key)
        window = timedelta(seconds=int(body.get("duplicate_check_interval", 1800)))
        if body.get("enable_duplicate_check") == 1 and last is not None and now - last < window:
            return result  # WeCom accepts and silently does not deliver
        self._recent[key] = now
        self.sent.append(body)
        return result

    @staticmethod
    def _content_key(body: dict[str, Any], targets: list[str], msgtype: str) -> tuple[str, str]:
        content = json.dumps(body.get(msgtype), sort_keys=True, ensure_ascii=False)
        return "|".join(sorted(t.lower() for t in targets)), msgtype + content

    async def _update_card(self, request: web.Request) -> web.StreamResponse:
        def work(call: Call) -> dict[str, Any]:
            if error := self._check_token(call):
                return error
            body = call.json or {}
            code = body.get("response_code")
            if code not in self._response_codes or self._response_codes[code]:
                return {"errcode": ERR_INVALID_RESPONSE_CODE, "errmsg": "invalid response_code"}
            self._response_codes[code] = True
            self.card_updates.append(body)
            return {"errcode": 0, "errmsg": "ok", "invaliduser": []}

        return await self._run(request, work)

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        def work(call: Call) -> dict[str, Any]:
            if call.query.get("key") not in self.webhook_keys:
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            self.webhook_messages.append(call.json or {})
            return {"errcode": 0, "errmsg": "ok"}

        return await self._run(request, work)

    async def _media_upload(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()  # read before _run, which then records an empty body
        media = form.get("media")

        def work(call: Call) -> dict[str, Any]:
            if error := self._check_token(call):
                return error
            if not isinstance(media, web.FileField):
                return {"errcode": 44001, "errmsg": "empty media data"}
            media_id = f"MEDIA{next(self._seq):06d}"
            self.uploads[media_id] = (media.filename, media.file.read())
            return {"errcode": 0, "errmsg": "ok", "type": call.query.get("type"), "media_id": media_id}

        return await self._run(request, work)

    async def _departments(self, request: web.Request) -> web.StreamResponse:
        def work(call: Call) -> dict[str, Any]:
            if error := self._check_token(call):
                return error
            root = call.query.get("id")
            if root is None:
                return {"errcode": 0, "errmsg": "ok", "department": self.departments}
            wanted, changed = {int(root)}, True
            while changed:  # the subtree under `root`, as WeCom returns it
                more = {d["id"] for d in self.departments if d.get("parentid") in wanted}
                changed = not more <= wanted
                wanted |= more
            return {"errcode": 0, "errmsg": "ok", "department": [d for d in self.departments if d["id"] in wanted]}

        return await self._run(request, work)

    async def _users(self, request: web.Request) -> web.StreamResponse:
        def work(call: Call) -> dict[str, Any]:
            if error := self._check_token(call):
                return error
            try:
                dept = int(call.query["department_id"])
            except (KeyError, ValueError):
                return {"errcode": 60003, "errmsg": "department not found"}
            users = [u for u in self.users if dept in u.get("department", [])]
            return {"errcode": 0, "errmsg": "ok", "userlist": users}

        return await self._run(request, work)
