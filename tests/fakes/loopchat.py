"""Loopchat: a made-up chat app, and kabot's channel for it, written from the Channel protocol alone.

It exists to prove the seam (issue 10): nothing in bot/ knows it, yet the rep-loop and approval suites run through
it unchanged (tests/e2e/seam/). Its protocol is deliberately unlike WeCom's:

- Events come in as JSON POSTs to `/loopchat/events`, signed with HMAC-SHA256 over the body in `X-Loop-Signature`:
  `{"event_id", "user", "text"}` or `{"event_id", "user", "tap": {"message", "tag", "value"}}`.
- Messages go out through a REST API with a bearer token: `POST /v1/messages` with `{"to", "text"}` or
  `{"to", "card": {"title", "body", "tag", "buttons": [{"label", "value"}]}}`; `POST /v1/messages/close` with
  `{"to", "tag", "note"}` closes that person's open cards carrying the tag; `POST /v1/files` sends a file.
- A card's `tag` is the sender's to choose and comes back in every tap on it, so the channel maps kabot's card
  reference to the app's own ids with no table at all. There are no group chats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never

import aiohttp
from aiohttp import web

from bot.cards.actions import BadAction, CardAction
from bot.cards.render import CardRenderer
from bot.channels.base import DeliveryError, OutboxItem, RawInbound, Rejected
from bot.inbound import Inbound
from bot.outbox import PostToTeam, SendCard, SendFile, SendText, UpdateCard

if TYPE_CHECKING:
    from bot.channels.receive import Receiver

EVENTS_PATH = "/loopchat/events"
SIGNATURE = "X-Loop-Signature"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class LoopchatChannel:
    name = "loopchat"

    def __init__(self, renderer: CardRenderer, *, api_base: str, api_token: str, signing_secret: str) -> None:
        self.renderer = renderer
        self.api_base = api_base.rstrip("/")
        self.api_token = api_token
        self.signing_secret = signing_secret
        self._http: aiohttp.ClientSession | None = None

    # ---- inbound -------------------------------------------------------------------------------

    def routes(self, receiver: Receiver) -> Sequence[web.RouteDef]:
        async def events(request: web.Request) -> web.Response:
            raw = RawInbound(await request.read(), request.query, request.headers)
            return web.Response(status=await receiver.accept(self, raw, remote=request.remote))

        return [web.post(EVENTS_PATH, events)]

    def listening(self, receiver: Receiver) -> AbstractAsyncContextManager[None]:
        return nullcontext()

    def decode(self, raw: RawInbound) -> Inbound | None:
        given = raw.headers.get(SIGNATURE, "")
        if not hmac.compare_digest(given, sign(self.signing_secret, raw.body)):
            raise Rejected("bad_signature", 403)
        try:
            event = json.loads(raw.body)
            event_id, user = str(event["event_id"]), str(event["user"])
        except (ValueError, KeyError, TypeError):
            raise Rejected("malformed", 400) from None
        tap = event.get("tap")
        if tap is None:
            return Inbound(self.name, user, event_id, text=str(event.get("text") or ""))
        try:
            action = CardAction.unpack(str(tap["value"]))
        except (BadAction, KeyError, TypeError):
            return None  # not a button of ours: nothing to answer
        return Inbound(self.name, user, event_id, action=action, card_ref=tap.get("tag") or None)

    # ---- outbound ------------------------------------------------------------------------------

    @asynccontextmanager
    async def delivering(self) -> AsyncIterator[None]:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            self._http = http
            try:
                yield
            finally:
                self._http = None

    def has_team_chat(self, team: str) -> bool:
        return False

    async def deliver(self, item: OutboxItem) -> None:
        match item.payload:
            case SendText(text=text):
                await self._post("/v1/messages", {"to": item.target, "text": text})
            case SendCard(card=card):
                buttons = [{"label": b.text, "value": b.action.pack()} for b in card.buttons]
                body = self.renderer.text(card, self.name)
                card_json = {"title": card.title, "body": body, "tag": card.ref, "buttons": buttons}
                await self._post("/v1/messages", {"to": item.target, "card": card_json})
            case UpdateCard(ref=ref, final_text=final_text):
                await self._post("/v1/messages/close", {"to": item.target, "tag": ref, "note": final_text})
            case SendFile(filename=filename, content=content, caption=caption):
                data = base64.b64encode(content).decode()
                await self._post(
                    "/v1/files", {"to": item.target, "name": filename, "data_b64": data, "caption": caption}
                )
            case PostToTeam():
                raise DeliveryError("loopchat has no group chats", permanent=True)
            case _:
                assert_never(item.payload)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._http is None:
            raise DeliveryError("loopchat is not open for delivering")
        try:
            async with self._http.post(self.api_base + path, json=body) as resp:
                if resp.status >= 500:
                    raise DeliveryError(f"loopchat {path}: {resp.status}")
                if resp.status >= 400:
                    raise DeliveryError(f"loopchat {path}: {resp.status}", permanent=True)
                answer: dict[str, Any] = await resp.json()
                return answer
        except aiohttp.ClientError as err:
            raise DeliveryError(f"loopchat {path}: {err}") from None


# ---- the app itself, faked -------------------------------------------------------------------------


@dataclass
class Shown:
    """One thing in a person's Loopchat conversation."""

    id: int
    kind: str  # text / card / closed / file
    text: str = ""
    title: str = ""
    tag: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    open: bool = True


@dataclass
class FakeLoopchat:
    """The Loopchat server: what each person's app shows, in order."""

    api_token: str = "loop-token"
    signing_secret: str = "loop-signing-secret"
    feeds: dict[str, list[Shown]] = field(default_factory=dict)
    files: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self._message)
        app.router.add_post("/v1/messages/close", self._close)
        app.router.add_post("/v1/files", self._file)
        return app

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.api_token}"

    async def _message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        feed = self.feeds.setdefault(body["to"], [])
        shown = Shown(next(self._ids), "text", text=body.get("text", ""))
        if card := body.get("card"):
            shown = Shown(shown.id, "card", card["body"], card["title"], card.get("tag"), list(card["buttons"]))
        feed.append(shown)
        return web.json_response({"id": shown.id})

    async def _close(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        feed = self.feeds.setdefault(body["to"], [])
        closed = [s for s in feed if s.kind == "card" and s.open and s.tag == body["tag"]]
        for card in closed:
            card.open = False
        if closed:
            feed.append(Shown(next(self._ids), "closed", text=body["note"], tag=body["tag"]))
        return web.json_response({"closed": len(closed)})

    async def _file(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        shown = Shown(next(self._ids), "file", text=body.get("caption", ""), title=body["name"])
        self.files[shown.id] = (body["name"], base64.b64decode(body["data_b64"]))
        self.feeds.setdefault(body["to"], []).append(shown)
        return web.json_response({"id": shown.id})

    def event(
        self, user: str, event_id: str, *, text: str | None = None, tap: dict[str, Any] | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed event as Loopchat sends it: (body, headers)."""
        event: dict[str, Any] = {"event_id": event_id, "user": user}
        if tap is not None:
            event["tap"] = tap
        else:
            event["text"] = text or ""
        body = json.dumps(event, ensure_ascii=False).encode()
        return body, {SIGNATURE: sign(self.signing_secret, body), "Content-Type": "application/json"}
