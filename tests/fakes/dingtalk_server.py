"""An in-process fake of DingTalk: server APIs, sessionWebhooks, cards, directory, and a Stream gateway.

Why: the real HTTP client, Stream client and signature code must be exercised without the network (STYLE.md §12),
with DingTalk's failure modes injectable: token expiry, flow control, a lapsed sessionWebhook, a dropped or silent
websocket, and a slow ack that makes DingTalk push a message again.

    fake = FakeDingTalk(clock=clock)
    server = await aiohttp_server(fake.make_app())
    base = fake.base_url(server)            # use as both api_base and oapi_base
    msg = await fake.push_robot_message("manager4220", "待办")   # over the Stream connection
    await fake.until(lambda: len(fake.acks) == 1)

Behaviour that mirrors DingTalk (see bot/channels/dingtalk/*.py for the sources): a token fetched while valid is
the same token; new APIs refuse a bad token with 400 InvalidAuthentication, oapi ones with errcode 40014/42001;
batchSend takes ≤ 20 userIds and answers 200 with invalid / flow-controlled lists; an expired sessionWebhook
answers errcode 300001; createAndDeliver refuses a used outTrackId and reports delivery per space; a card update
with updateCardDataByKey merges; a Stream ticket is good once within 90 s; ping frames must be echoed.
Assumptions, not from the docs: a push made while no connection is open waits for the next connection; a
redelivered push has a new frame messageId and the same data (so the same msgId).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from bot.channels.dingtalk.inbound import sign
from core.clock import Clock, SystemClock

TOKEN = "/v1.0/oauth2/accessToken"
OPEN = "/v1.0/gateway/connections/open"
CONNECT = "/connect"
BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND = "/v1.0/robot/groupMessages/send"
WEBHOOK = "/robot/sendBySession"
CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE = "/v1.0/card/instances"
DEPT_LISTSUB = "/topapi/v2/department/listsub"
DEPT_GET = "/topapi/v2/department/get"
USER_LIST = "/topapi/v2/user/list"
USER_GET = "/topapi/v2/user/get"
MEDIA_UPLOAD = "/media/upload"
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
_SECRETS = {"appSecret", "clientSecret"}


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it; secrets in the body are redacted."""

    method: str
    path: str
    json: dict[str, Any] | None
    token: str | None  # the access token it carried (header or query)


@dataclass
class Fault:
    http_status: int = 200
    body: dict[str, Any] | None = None
    reset: bool = False


@dataclass
class _Conn:
    ws: web.WebSocketResponse
    request: web.Request
    silent: bool = False


@dataclass
class FakeDingTalk:
    client_id: str = "dingkabotfake0001"
    client_secret: str = "fake-dingtalk-secret-never-log-me"
    corp_id: str = "dingcorpfake"
    clock: Clock = field(default_factory=SystemClock)
    token_ttl_s: int = 7200
    session_ttl: timedelta = timedelta(minutes=90)

    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # {"via", "to", "msgKey", "params"}
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # outTrackId -> {template, params, users}
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)  # what reached chats, in order (see `_show`)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id -> (filename, content)
    acks: list[dict[str, Any]] = field(default_factory=list)
    frames_sent: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[list[dict[str, str]]] = field(default_factory=list)
    pongs_sent: int = 0  # answers to the client's websocket pings
    pongs_received: int = 0  # the client's answers to ours
    departments: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    _tokens: dict[str, datetime] = field(default_factory=dict)
    _tickets: dict[str, datetime] = field(default_factory=dict)
    _sessions: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # session -> (conversation, expiry)
    _flow_controlled: set[str] = field(default_factory=set)
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _conns: list[_Conn] = field(default_factory=list)
    _unacked: dict[str, tuple[str, str]] = field(default_factory=dict)  # frame id -> (topic, data)
    _waiting: list[tuple[str, str]] = field(default_factory=list)  # pushes made while no connection was open
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _base: str = ""

    # ---- wiring ---------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(TOKEN, self._token)
        app.router.add_post(OPEN, self._open)
        app.router.add_get(CONNECT, self._connect)
        app.router.add_post(BATCH_SEND, self._batch_send)
        app.router.add_post(GROUP_SEND, self._group_send)
        app.router.add_post(WEBHOOK, self._webhook)
        app.router.add_post(CARD_CREATE, self._card_create)
        app.router.add_put(CARD_UPDATE, self._card_update)
        app.router.add_post(MEDIA_UPLOAD, self._media_upload)
        for path, work in (
            (DEPT_LISTSUB, self._dept_listsub),
            (DEPT_GET, self._dept_get),
            (USER_LIST, self._user_list),
            (USER_GET, self._user_get),
        ):
            app.router.add_post(path, self._oapi(work))
        return app

    def base_url(self, server: TestServer) -> str:
        self._base = str(server.make_url("")).rstrip("/")
        return self._base

    # ---- test controls --------------------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        *,
        http_status: int = 200,
        body: dict[str, Any] | None = None,
        reset: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `path` with this status and JSON body (or reset the connection)."""
        for _ in range(times):
            self._faults.setdefault(path, deque()).append(Fault(http_status, body, reset))

    def expire_tokens(self) -> None:
        past = self.clock.now() - timedelta(seconds=1)
        self._tokens = {t: past for t in self._tokens}

    def flow_control(self, userid: str) -> None:
        """DingTalk holds back messages to this person until `release_flow_control`."""
        self._flow_controlled.add(userid)

    def release_flow_control(self, userid: str) -> None:
        self._flow_controlled.discard(userid)

    def expire_sessions(self) -> None:
        past = self.clock.now() - timedelta(seconds=1)
        self._sessions = {s: (conv, past) for s, (conv, _) in self._sessions.items()}

    def set_org(self, departments: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
        """departments: {dept_id, name, parent_id, dept_manager_userid_list}; users: {userid, name,
        dept_id_list, manager_userid?, leader_in_dept?}."""
        self.departments = {int(d["dept_id"]): dict(d) for d in departments}
        self.users = {str(u["userid"]): dict(u) for u in users}

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def texts_to(self, to: str) -> list[str]:
        """What `to` (a person or a conversation) received, in order, whichever way it was sent."""
        return [m["params"].get("content") or m["params"].get("text", "") for m in self.sent if m["to"] == to]

    async def until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Wait until `condition()` holds; woken by every change the fake sees (never polls the clock)."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def _touch(self) -> None:
        self._changed.set()

    # ---- Stream controls -----------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        return sum(1 for c in self._conns if not c.ws.closed)

    @property
    def connections_made(self) -> int:
        """Websockets the gateway accepted so far."""
        return len(self._conns)

    def robot_message(
        self,
        sender: str,
        text: str | None,
        *,
        msg_id: str | None = None,
        conversation_type: str = "1",
        conversation_id: str | None = None,
        msgtype: str = "text",
        nick: str = "",
    ) -> dict[str, Any]:
        """A robot message body as DingTalk sends it (HTTP body or Stream data), with a fresh sessionWebhook."""
        n = next(self._seq)
        now_ms = int(self.clock.now().timestamp() * 1000)
        conversation = conversation_id or f"cid{sender}"
        session = f"SESSION{n:06d}"
        self._sessions[session] = (conversation, self.clock.now() + self.session_ttl)
        body: dict[str, Any] = {
            "msgtype": msgtype,
            "msgId": msg_id or f"msg{n:06d}",
            "createAt": now_ms,
            "conversationType": conversation_type,
            "conversationId": conversation,
            "senderId": f"$:LWCP_v1:${sender}",
            "senderNick": nick or sender,
            "senderStaffId": sender,
            "senderCorpId": self.corp_id,
            "chatbotCorpId": self.corp_id,
            "robotCode": self.client_id,
            "isInAtList": True,
            "sessionWebhook": f"{self._base}{WEBHOOK}?session={session}",
            "sessionWebhookExpiredTime": now_ms + int(self.session_ttl.total_seconds() * 1000),
        }
        if msgtype == "text":
            body["text"] = {"content": f" {text}"}  # DingTalk keeps the space left by the removed @mention
        if conversation_type == "2":
            body["conversationTitle"] = "销售一组"
        return body

    def http_callback(self, body: dict[str, Any], *, timestamp_ms: int | None = None) -> tuple[dict[str, str], bytes]:
        """HTTP mode: the headers and bytes DingTalk would POST, signed with the app secret."""
        ts = str(timestamp_ms if timestamp_ms is not None else int(self.clock.now().timestamp() * 1000))
        headers = {"timestamp": ts, "sign": sign(ts, self.client_secret), "Content-Type": "application/json"}
        return headers, json.dumps(body, ensure_ascii=False).encode()

    async def push_robot_message(self, sender: str, text: str | None, **kwargs: Any) -> dict[str, Any]:
        body = self.robot_message(sender, text, **kwargs)
        await self.push(BOT_TOPIC, body)
        return body

    def card_callback(self, user: str, out_track_id: str, params: dict[str, str]) -> dict[str, Any]:
        """The data of a tap on a 回传请求 button (it carries no id of its own)."""
        content = {"cardPrivateData": {"actionIds": ["btn"], "params": params}}
        return {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "corpId": self.corp_id,
            "userId": user,
            "content": json.dumps(content, ensure_ascii=False),
        }

    async def push_card_callback(self, user: str, out_track_id: str, params: dict[str, str]) -> str:
        """A tap on a 回传请求 button; returns the frame messageId."""
        return await self.push(CARD_TOPIC, self.card_callback(user, out_track_id, params))

    async def push(self, topic: str, body: dict[str, Any]) -> str:
        """A CALLBACK frame to the newest open connection (or to the next one to open)."""
        frame_id = f"frame{next(self._seq):06d}"
        data = json.dumps(body, ensure_ascii=False)
        live = [c for c in self._conns if not c.ws.closed]
        if not live:
            self._waiting.append((topic, data))
            return frame_id
        await self._send_callback(live[-1], frame_id, topic, data)
        return frame_id

    async def redeliver_unacked(self) -> int:
        """What DingTalk does about 60 s after a push nobody acked: push it again (new frame, same data)."""
        pending = list(self._unacked.items())
        for old_id, (topic, data) in pending:
            del self._unacked[old_id]
            live = [c for c in self._conns if not c.ws.closed]
            if live:
                await self._send_callback(live[-1], f"frame{next(self._seq):06d}", topic, data)
        return len(pending)

    async def ping(self, opaque: str) -> None:
        for conn in [c for c in self._conns if not c.ws.closed]:
            await self._send_frame(conn, "SYSTEM", f"ping{next(self._seq)}", "ping", json.dumps({"opaque": opaque}))

    async def ws_ping(self) -> None:
        """A websocket-level ping (not a SYSTEM frame): a client must answer it or be considered dead."""
        for conn in [c for c in self._conns if not c.ws.closed]:
            await conn.ws.ping(b"fake")

    async def ask_to_disconnect(self) -> None:
        """The server's SYSTEM disconnect: it would close the socket 10 s later; the client should move first."""
        for conn in [c for c in self._conns if not c.ws.closed]:
            reason = json.dumps({"reason": "connection is expired"})
            await self._send_frame(conn, "SYSTEM", f"disc{next(self._seq)}", "disconnect", reason)

    def drop_connections(self) -> None:
        """The network fails: every websocket is cut without a close frame."""
        for conn in self._conns:
            if conn.request.transport is not None:
                conn.request.transport.abort()
        self._touch()

    def silence_connections(self) -> None:
        """Connections stay open but go quiet: no frames, no pongs, acks ignored (a half-dead gateway)."""
        for conn in self._conns:
            conn.silent = True

    async def _send_callback(self, conn: _Conn, frame_id: str, topic: str, data: str) -> None:
        self._unacked[frame_id] = (topic, data)
        await self._send_frame(conn, "CALLBACK", frame_id, topic, data)

    async def _send_frame(self, conn: _Conn, kind: str, frame_id: str, topic: str, data: str) -> None:
        frame = {
            "specVersion": "1.0",
            "type": kind,
            "headers": {
                "appId": "fake-app",
                "contentType": "application/json",
                "messageId": frame_id,
                "time": str(int(self.clock.now().timestamp() * 1000)),
                "topic": topic,
            },
            "data": data,
        }
        self.frames_sent.append(frame)
        await conn.ws.send_str(json.dumps(frame, ensure_ascii=False))

    # ---- handlers: gateway -----------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Call:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        if isinstance(body, dict):
            body = {k: ("***" if k in _SECRETS else v) for k, v in body.items()}
        token = request.headers.get("x-acs-dingtalk-access-token") or request.query.get("access_token")
        call = Call(request.method, request.path, body, token)
        self.calls.append(call)
        self._touch()
        return call

    async def _fault(self, request: web.Request) -> web.StreamResponse | None:
        queue = self._faults.get(request.path)
        fault = queue.popleft() if queue else None
        if fault is None:
            return None
        if fault.reset:
            assert request.transport is not None
            request.transport.abort()
            raise web.HTTPInternalServerError()
        return web.json_response(fault.body or {}, status=fault.http_status)

    async def _open(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request)
        if failed := await self._fault(request):
            return failed
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            return web.json_response({"code": "authFailed", "message": "鉴权失败"}, status=401)
        self.subscriptions.append(list(body.get("subscriptions") or []))
        ticket = f"TICKET{next(self._seq):06d}"
        self._tickets[ticket] = self.clock.now() + timedelta(seconds=90)
        endpoint = str(request.url.with_scheme("ws").with_path(CONNECT).with_query(None))
        return web.json_response({"endpoint": endpoint, "ticket": ticket})

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        expires = self._tickets.pop(ticket, None)  # one connection per ticket
        if expires is None or self.clock.now() >= expires:
            return web.json_response({"code": "invalidTicket"}, status=401)
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        conn = _Conn(ws, request)
        self._conns.append(conn)
        self._touch()
        waiting, self._waiting = self._waiting, []
        for topic, data in waiting:
            await self._send_callback(conn, f"frame{next(self._seq):06d}", topic, data)
        async for msg in ws:
            if conn.silent:
                continue
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
                self.pongs_sent += 1
            elif msg.type is WSMsgType.PONG:
                self.pongs_received += 1
            elif msg.type is WSMsgType.TEXT:
                ack = json.loads(msg.data)
                self.acks.append(ack)
                self._unacked.pop(str(ack.get("headers", {}).get("messageId")), None)
            self._touch()
        self._touch()
        return ws

    # ---- handlers: robot messages ----------------------------------------------------------------

    def _token_error(self, call: Call) -> dict[str, Any] | None:
        expires = self._tokens.get(call.token or "")
        if expires is None or self.clock.now() >= expires:
            return {"code": "InvalidAuthentication", "message": "不合法的access_token", "requestid": "fake"}
        return None

    async def _token(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await self._record(request)
        if failed := await self._fault(request):
            return failed
        if body.get("appKey") != self.client_id or body.get("appSecret") != self.client_secret:
            return web.json_response(
                {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"}, status=400
            )
        now = self.clock.now()
        valid = [t for t, exp in self._tokens.items() if exp > now]
        token = valid[0] if valid else f"FAKEDT{next(self._seq):06d}"  # a valid token is returned again, extended
        self._tokens[token] = now + timedelta(seconds=self.token_ttl_s)
        return web.json_response({"accessToken": token, "expireIn": self.token_ttl_s})

    async def _api(self, request: web.Request) -> tuple[Call, web.StreamResponse | None]:
        call = await self._record(request)
        if failed := await self._fault(request):
            return call, failed
        if error := self._token_error(call):
            return call, web.json_response(error, status=400)
        return call, None

    def _message(self, via: str, to: str, body: dict[str, Any]) -> None:
        sent = {"via": via, "to": to, "msgKey": body["msgKey"], "params": json.loads(body["msgParam"])}
        self.sent.append(sent)
        self.timeline.append({"kind": "message", **sent})
        self._touch()

    async def _batch_send(self, request: web.Request) -> web.StreamResponse:
        call, failed = await self._api(request)
        if failed:
            return failed
        body = call.json or {}
        if body.get("robotCode") != self.client_id:
            return web.json_response({"code": "invalidParameter.robotCode.notExsit", "message": "robot"}, status=400)
        user_ids = [str(u) for u in body.get("userIds") or []]
        if len(user_ids) > 20:
            return web.json_response({"code": "invalidParameter.userIds.overMax", "message": "max 20"}, status=400)
        invalid = [u for u in user_ids if self.users and u not in self.users]
        limited = [u for u in user_ids if u in self._flow_controlled]
        for user in user_ids:
            if user not in invalid and user not in limited:
                self._message("oto", user, body)
        return web.json_response(
            {
                "processQueryKey": f"PQK{next(self._seq):06d}",
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": limited,
            }
        )

    async def _group_send(self, request: web.Request) -> web.StreamResponse:
        call, failed = await self._api(request)
        if failed:
            return failed
        body = call.json or {}
        if len(str(body.get("msgParam", "")).encode()) > 15_000:
            return web.json_response({"code": "invalidParameter.msgParam.tooLong", "message": "long"}, status=400)
        self._message("group", str(body.get("openConversationId")), body)
        return web.json_response({"processQueryKey": f"PQK{next(self._seq):06d}"})

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request)
        if failed := await self._fault(request):
            return failed
        session = self._sessions.get(request.query.get("session", ""))
        if session is None or self.clock.now() >= session[1]:
            return web.json_response({"errcode": 300001, "errmsg": "session 不存在"})
        payload = call.json or {}
        msgtype = payload.get("msgtype")
        params = payload.get(msgtype) if isinstance(msgtype, str) else None
        key = {"text": "sampleText", "markdown": "sampleMarkdown"}.get(str(msgtype))
        if key is None or not isinstance(params, dict):
            return web.json_response({"errcode": 400105, "errmsg": "不支持的消息类型"})
        sent = {"via": "webhook", "to": session[0], "msgKey": key, "params": params, "at": payload.get("at")}
        self.sent.append(sent)
        self.timeline.append({"kind": "message", **sent})
        self._touch()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # ---- handlers: cards ------------------------------------------------------------------------

    async def _card_create(self, request: web.Request) -> web.StreamResponse:
        call, failed = await self._api(request)
        if failed:
            return failed
        body = call.json or {}
        track = str(body.get("outTrackId") or "")
        params = (body.get("cardData") or {}).get("cardParamMap") or {}
        if not track or not body.get("cardTemplateId"):
            return web.json_response({"code": "param.invalid", "message": "outTrackId/template"}, status=400)
        if any(not isinstance(v, str) for v in params.values()):
            return web.json_response({"code": "param.invalid", "message": "cardParamMap values"}, status=400)
        if track in self.cards:
            return web.json_response({"code": "param.cardAlreadyExist", "message": "card exists"}, status=400)
        spaces = str(body.get("openSpaceId", "")).removeprefix("dtv1.card//").split(";")
        users = [s.removeprefix("IM_ROBOT.") for s in spaces if s.startswith("IM_ROBOT.")]
        results = [
            {
                "spaceType": "IM_ROBOT",
                "spaceId": u,
                "success": not self.users or u in self.users,
                "errorMsg": None if not self.users or u in self.users else "user not found",
            }
            for u in users
        ]
        self.cards[track] = {"template": body["cardTemplateId"], "params": dict(params), "users": users, "body": body}
        for user in users:
            self.timeline.append({"kind": "card", "to": user, "track": track, "params": dict(params)})
        self._touch()
        return web.json_response({"success": True, "result": {"outTrackId": track, "deliverResults": results}})

    async def _card_update(self, request: web.Request) -> web.StreamResponse:
        call, failed = await self._api(request)
        if failed:
            return failed
        body = call.json or {}
        card = self.cards.get(str(body.get("outTrackId")))
        if card is None:
            return web.json_response({"code": "param.cardNotExist", "message": "no card"}, status=400)
        params = (body.get("cardData") or {}).get("cardParamMap") or {}
        by_key = (body.get("cardUpdateOptions") or {}).get("updateCardDataByKey")
        card["params"] = {**card["params"], **params} if by_key else dict(params)
        self.card_updates.append(body)
        for user in card["users"]:
            self.timeline.append({"kind": "update", "to": user, "track": body["outTrackId"], "params": card["params"]})
        self._touch()
        return web.json_response({"success": True, "result": True})

    async def _media_upload(self, request: web.Request) -> web.StreamResponse:
        """oapi media/upload?type=file: multipart `media` -> media_id."""
        token = request.query.get("access_token")
        self.calls.append(Call(request.method, request.path, None, token))
        if failed := await self._fault(request):
            return failed
        expires = self._tokens.get(token or "")
        if expires is None or self.clock.now() >= expires:
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 40004, "errmsg": "不合法的媒体文件类型"})
        media_id = f"@lAfake{next(self._seq):06d}"
        self.files[media_id] = (media.filename, media.file.read())
        self._touch()
        return web.json_response({"errcode": 0, "errmsg": "ok", "media_id": media_id, "type": "file"})

    # ---- handlers: directory (oapi) --------------------------------------------------------------

    def _oapi(self, work: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            call = await self._record(request)
            if failed := await self._fault(request):
                return failed
            expires = self._tokens.get(call.token or "")
            if expires is None:
                return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
            if self.clock.now() >= expires:
                return web.json_response({"errcode": 42001, "errmsg": "access_token超时"})
            return web.json_response({"errcode": 0, "errmsg": "ok", **work(call.json or {})})

        return handler

    def _dept_listsub(self, body: dict[str, Any]) -> dict[str, Any]:
        parent = int(body.get("dept_id") or 1)
        subs = [d for d in self.departments.values() if d.get("parent_id") == parent and d["dept_id"] != parent]
        return {"result": [{"dept_id": d["dept_id"], "name": d["name"], "parent_id": parent} for d in subs]}

    def _dept_get(self, body: dict[str, Any]) -> dict[str, Any]:
        dept = self.departments.get(int(body.get("dept_id") or 0))
        if dept is None:
            return {"errcode": 60003, "errmsg": "部门不存在"}
        return {"result": dict(dept)}

    def _user_list(self, body: dict[str, Any]) -> dict[str, Any]:
        dept = int(body.get("dept_id") or 0)
        cursor, size = int(body.get("cursor") or 0), min(int(body.get("size") or 100), 100)
        members = [u for u in self.users.values() if dept in u.get("dept_id_list", [])]
        page = members[cursor : cursor + size]
        listed = [{k: v for k, v in u.items() if k not in ("manager_userid", "leader_in_dept")} for u in page]
        more = cursor + size < len(members)
        return {"result": {"has_more": more, "next_cursor": cursor + size if more else None, "list": listed}}

    def _user_get(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(body.get("userid")))
        if user is None:
            return {"errcode": 33012, "errmsg": "无效的USERID"}
        return {"result": dict(user)}
