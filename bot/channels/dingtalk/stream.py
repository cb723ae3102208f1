"""DingTalk Stream mode on aiohttp's websocket client: robot messages and card taps without a public URL.

Why not the `dingtalk-stream` SDK: in 0.24.3 it opens connections with blocking `requests` (no timeout) inside
`async start()`, swallows CancelledError, has no stop(), retries at a fixed 10 s / 3 s and has no liveness check
(dingtalk.md pitfalls 3-6; sdk-python#40, #81). This client never blocks the loop, lets cancellation through, stops
cleanly, backs off exponentially with jitter, and reconnects a connection that has gone silent.

Protocol (developerpedia docs/learn/stream/protocol.md; SDK stream.py, frames.py, handlers.py, all read):
1. POST {api}/v1.0/gateway/connections/open {clientId, clientSecret, subscriptions: [{type: CALLBACK, topic}], ua}
   -> {endpoint, ticket}; a ticket is good for one connection within 90 s.
2. Websocket to `endpoint?ticket=<ticket>`. Frames are JSON {specVersion, type: SYSTEM|EVENT|CALLBACK,
   headers: {topic, messageId, contentType, time}, data: "<JSON string>"}.
3. Every frame is answered {code, headers: {messageId, contentType: application/json}, message, data: "<JSON>"};
   robot messages with data {"response": null}; SYSTEM `ping` by echoing its data ({"opaque": …}); SYSTEM
   `disconnect` is not answered: the server closes about 10 s later, so reconnect at once.
4. With several connections open for one app, each push goes to one of them at random: every replica may hold a
   connection, and the inbound log's unique (channel, msgId) key keeps a message that is pushed again (a slow ack
   is redelivered after ~60 s, pitfall 2) from being handled twice, whichever replica it reaches.

Acking: each frame is handled in its own task, so pings are answered while a handler is busy. The handler (which
should only store the message; processing happens in the background) is awaited for at most `ack_deadline_s`
before the ack is sent regardless; if it fails, the ack says 500 and DingTalk may push the message again, so a
message whose storing failed is not lost.

    client = StreamClient(session, api_base=…, client_id=…, client_secret=…, handler=store, clock=clock)
    await client.start()
    ...
    await client.stop()
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import aiohttp
from yarl import URL

from bot.channels.dingtalk.api import CallMeter
from bot.channels.dingtalk.inbound import (
    CardCallback,
    MalformedMessage,
    RobotMessage,
    decode_card_callback,
    decode_robot_message,
)
from core.clock import Clock
from core.quotas import QuotaKind

log = logging.getLogger("kabot.dingtalk.stream")

BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
SUBSCRIPTIONS = [{"type": "CALLBACK", "topic": BOT_TOPIC}, {"type": "CALLBACK", "topic": CARD_TOPIC}]
OPEN_PATH = "/v1.0/gateway/connections/open"
OPEN_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)


@dataclass(frozen=True)
class StreamDelivery:
    """One push: the decoded event and the frame it came in."""

    frame_id: str  # headers.messageId
    event: RobotMessage | CardCallback

    @property
    def dedup_key(self) -> str:
        """What a redelivery repeats: a robot message's msgId. A card tap carries no id of its own; its key is the
        tap itself (who tapped which button on which card), the same in every frame that pushes it."""
        if isinstance(self.event, RobotMessage):
            return self.event.msg_id
        tap = self.event
        parts = [tap.out_track_id, tap.user, *tap.action_ids, *sorted(f"{k}={v}" for k, v in tap.params.items())]
        return "card:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


Handler = Callable[[StreamDelivery], Awaitable[object]]
Sleep = Callable[[float], Awaitable[object]]


class _Ended(Enum):
    CLOSED = "closed"  # the server or the network closed it
    DISCONNECT = "disconnect"  # the server asked us to move: reconnect without waiting
    SILENT = "silent"  # the watchdog closed it
    STOPPED = "stopped"


class GatewayRefused(Exception):
    """connections/open failed; the text has the status and DingTalk's code, never the secret."""


class StreamClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        client_id: str,
        client_secret: str,
        handler: Handler,
        clock: Clock,
        meter: CallMeter | None = None,
        sleep: Sleep = asyncio.sleep,
        tick: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        silence_s: float = 90.0,
        tick_s: float = 15.0,
        ack_deadline_s: float = 3.0,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        stop_grace_s: float = 5.0,
        ws_close_s: float = 5.0,
    ) -> None:
        """`sleep` waits between reconnects, `tick` paces the watchdog; tests inject both and a FakeClock.

        The watchdog pings every `tick_s` and closes the connection once nothing (frame or pong) has come for
        `silence_s`: websockets can stay half-open for minutes while the bot looks online (pitfall 4).
        """
        self._session = session
        self._api_base = api_base.rstrip("/")
        self._client_id = client_id
        self._secret = client_secret
        self._handler = handler
        self._clock = clock
        self._meter = meter
        self._sleep = sleep
        self._tick = tick
        self._rng = rng
        self._silence = timedelta(seconds=silence_s)
        self._tick_s = tick_s
        self._ack_deadline = ack_deadline_s
        self._backoff_base = backoff_base_s
        self._backoff_cap = backoff_cap_s
        self._stop_grace = stop_grace_s
        self._ws_timeout = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=ws_close_s)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._work: set[asyncio.Task[Any]] = set()  # handler runs; they outlive their connection
        self.connected = False
        self.connections = 0  # opened so far (health output, tests)
        self.last_seen: datetime | None = None

    def __repr__(self) -> str:
        return f"StreamClient(client_id={self._client_id!r}, connected={self.connected})"

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name="dingtalk-stream")

    async def stop(self) -> None:
        """Stop taking pushes (unacked ones go to another connection), let running handlers finish, close."""
        self._stopping = True
        if self._work:
            _, late = await asyncio.wait(set(self._work), timeout=self._stop_grace)
            for task in late:
                task.cancel()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})  # unlike awaiting the task, a cancellation of stop() itself goes through
            self._task = None

    async def run(self) -> None:
        """Connect, serve, reconnect, until stopped or cancelled (CancelledError always propagates)."""
        failures = 0
        while not self._stopping:
            ended = _Ended.CLOSED
            useful = False
            try:
                endpoint, ticket = await self._open()
                ended, useful = await self._serve(endpoint, ticket)
            except (GatewayRefused, aiohttp.ClientError, TimeoutError, ValueError) as err:
                log.warning("dingtalk stream: %s", err if isinstance(err, GatewayRefused) else type(err).__name__)
            except Exception:  # a bug must not end the subscription silently; CancelledError is not an Exception
                log.exception("dingtalk stream: unexpected error, reconnecting")
            if self._stopping or ended is _Ended.STOPPED:
                return
            failures = 0 if useful else failures + 1
            if ended is _Ended.DISCONNECT:
                continue  # the server moves us; a new ticket right away
            if failures:
                delay = self._backoff(failures)
                log.info("dingtalk stream: reconnecting in %.1fs", delay)
                await self._sleep(delay)

    def _backoff(self, failures: int) -> float:
        """Exponential with equal jitter, so replicas that lost the gateway together do not return together."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (failures - 1))
        return ceiling / 2 + ceiling / 2 * self._rng()

    # ---- one connection -----------------------------------------------------------------------

    async def _open(self) -> tuple[str, str]:
        body = {
            "clientId": self._client_id,
            "clientSecret": self._secret,
            "subscriptions": SUBSCRIPTIONS,
            "ua": "kabot-dingtalk/1.0",
        }
        async with self._session.post(self._api_base + OPEN_PATH, json=body, timeout=OPEN_TIMEOUT) as resp:
            data = await resp.json(content_type=None)
        if resp.status != 200 or not isinstance(data, dict) or not data.get("endpoint") or not data.get("ticket"):
            code = data.get("code") if isinstance(data, dict) else None
            raise GatewayRefused(f"connections/open http={resp.status} code={code}")
        return str(data["endpoint"]), str(data["ticket"])

    async def _serve(self, endpoint: str, ticket: str) -> tuple[_Ended, bool]:
        """Read frames until the connection ends; returns how it ended and whether any push arrived."""
        url = URL(endpoint).update_query(ticket=ticket)
        async with asyncio.timeout(OPEN_TIMEOUT.total):
            ws = await self._session.ws_connect(url, autoping=False, timeout=self._ws_timeout)
        acks: set[asyncio.Task[None]] = set()
        state = _Connection(ended=_Ended.CLOSED)
        self.connected, self.last_seen = True, self._clock.now()
        self.connections += 1
        watchdog = asyncio.create_task(self._watch(ws, state))
        useful = False
        try:
            async for msg in ws:
                self.last_seen = self._clock.now()
                if msg.type is aiohttp.WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is aiohttp.WSMsgType.TEXT:
                    useful |= await self._on_frame(ws, msg.data, acks, state)
                    if state.ended is _Ended.DISCONNECT:
                        break
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            self.connected = False
            watchdog.cancel()
            if acks and (state.ended is _Ended.DISCONNECT or self._stopping):
                # The socket still works: let its handlers ack first (each waits at most ack_deadline_s).
                await asyncio.wait(set(acks), timeout=self._ack_deadline + 1)
            await ws.close()
        return (_Ended.STOPPED if self._stopping else state.ended), useful

    async def _watch(self, ws: aiohttp.ClientWebSocketResponse, state: _Connection) -> None:
        while not ws.closed:
            await self._tick(self._tick_s)
            seen = self.last_seen or self._clock.now()
            if self._clock.now() - seen > self._silence:
                log.warning("dingtalk stream: nothing for %s, reconnecting", self._silence)
                state.ended = _Ended.SILENT
                await ws.close()
                return
            try:
                await ws.ping()
            except (ConnectionError, aiohttp.ClientError):
                return

    async def _on_frame(
        self, ws: aiohttp.ClientWebSocketResponse, raw: str, acks: set[asyncio.Task[None]], state: _Connection
    ) -> bool:
        """Route one frame; True when it was a push for kabot."""
        try:
            frame = json.loads(raw)
            headers = frame.get("headers") or {}
            kind, topic, frame_id = frame.get("type"), headers.get("topic"), str(headers.get("messageId") or "")
        except (ValueError, AttributeError):
            log.warning("dingtalk stream: unreadable frame ignored")
            return False
        if kind == "SYSTEM":
            if topic == "ping":
                await self._ack(ws, frame_id, 200, "OK", _data_of(frame))
            elif topic == "disconnect":
                log.info("dingtalk stream: server asked to reconnect (%s)", _data_of(frame).get("reason"))
                state.ended = _Ended.DISCONNECT
            return False
        if kind == "EVENT":
            await self._ack(ws, frame_id, 200, "OK", {"status": "SUCCESS", "message": "ignored"})
            return False
        if kind != "CALLBACK" or self._stopping:
            return False  # while stopping, unacked pushes are retried on another connection
        task = asyncio.create_task(self._handle(ws, frame_id, str(topic), frame.get("data")))
        acks.add(task)
        task.add_done_callback(acks.discard)
        return True

    async def _handle(self, ws: aiohttp.ClientWebSocketResponse, frame_id: str, topic: str, data: Any) -> None:
        try:
            if topic == BOT_TOPIC:
                event: RobotMessage | CardCallback = decode_robot_message(data or "")
            elif topic == CARD_TOPIC:
                event = decode_card_callback(data or "")
            else:
                await self._ack(ws, frame_id, 404, "topic not subscribed", {"response": None})
                return
        except MalformedMessage as err:
            log.warning("dingtalk stream: %s on %s", err, topic)
            await self._ack(ws, frame_id, 400, "bad request", {"response": None})
            return
        if self._meter is not None:  # a push spends the Webhook&Stream quota; counting never delays the ack
            self._spawn(self._meter.record(QuotaKind.WEBHOOK_STREAM))
        work = self._spawn(self._handler(StreamDelivery(frame_id, event)))
        code, message = 200, "OK"
        try:
            await asyncio.wait_for(asyncio.shield(work), self._ack_deadline)
        except TimeoutError:
            log.info("dingtalk stream: handler slower than %ss, acking meanwhile", self._ack_deadline)
        except Exception:
            log.exception("dingtalk stream: handler failed; DingTalk may push the message again")
            code, message = 500, "internal error"
        await self._ack(ws, frame_id, code, message, {"response": None})

    def _spawn(self, work: Awaitable[object]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)
        return task

    async def _ack(
        self, ws: aiohttp.ClientWebSocketResponse, frame_id: str, code: int, message: str, data: dict[str, Any]
    ) -> None:
        ack = {
            "code": code,
            "headers": {"messageId": frame_id, "contentType": "application/json"},
            "message": message,
            "data": json.dumps(data, ensure_ascii=False),
        }
        try:
            await ws.send_str(json.dumps(ack, ensure_ascii=False))
        except (ConnectionError, aiohttp.ClientError):
            log.info("dingtalk stream: connection gone before ack; DingTalk may push %s again", frame_id)


@dataclass
class _Connection:
    ended: _Ended


def _data_of(frame: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(frame.get("data") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
