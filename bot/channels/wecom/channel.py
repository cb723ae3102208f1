"""The WeCom channel: delivers outbox items through message/send and update_template_card.

Why the outbox drives every retry: the API client is built with a single attempt per call (`build_api`), so
a WeCom outage never stalls a delivery loop in backoff sleeps and every retry is durable and follows the
injected clock; a transient WeCom failure becomes `DeliveryError(permanent=False)` and the outbox tries again.

Interactive cards are remembered in `wecom_cards` (storage.models.WeComCard): the row is written before the
send, so a retried send answered with 42014 (task_id exists) counts as already sent, and the response_code the
send returns lets a CardUpdate finalise every approver's card, not only the clicker's.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.cards.model import Card
from bot.cards.render import CardRenderer
from bot.channels.base import DeliveryError, OutboxItem
from bot.channels.wecom.api import (
    ERR_TASK_ID_EXISTS,
    SendResult,
    WeComAPI,
    WeComPermanentError,
    WeComTransientError,
)
from bot.channels.wecom.inbound import normalise_userid
from bot.channels.wecom.text import split_text
from bot.channels.wecom.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.settings import Settings
from core.clock import Clock
from storage.db import Database
from storage.models import WeComCard

log = logging.getLogger("kabot.wecom.channel")

TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")
# text_notice cards must carry a card_action; kabot has no web page, so tapping the card opens WeCom's home.
CARD_URL = "https://work.weixin.qq.com/"
ROBOT_LIMIT = 20  # messages per minute per group robot (wecom.md §6)
ROBOT_WINDOW = timedelta(minutes=1)


def build_api(settings: Settings, session: aiohttp.ClientSession, clock: Clock, redis: Any = None) -> WeComAPI:
    """The app's API client: the token shared through Redis when configured, one attempt per call."""
    assert settings.wecom_corp_id and settings.wecom_agent_id and settings.wecom_secret
    store: TokenStore = RedisTokenStore(redis) if redis is not None else MemoryTokenStore(clock)
    return WeComAPI(
        session,
        settings.wecom_api_base,
        settings.wecom_corp_id,
        settings.wecom_agent_id,
        settings.wecom_secret.get_secret_value(),
        store,
        max_attempts=1,
    )


class WeComChannel:
    name = "wecom"

    def __init__(
        self,
        api: WeComAPI,
        renderer: CardRenderer,
        db: Database,
        clock: Clock,
        *,
        source: str,
        team_webhooks: dict[str, str] | None = None,
    ) -> None:
        self.api = api
        self.renderer = renderer
        self.db = db
        self.clock = clock
        self.source = source  # shown at the top of every card (the company name)
        self.team_webhooks = team_webhooks or {}
        self._robot_sends: dict[str, deque[datetime]] = {}

    async def deliver(self, item: OutboxItem) -> None:
        with _as_delivery_error():
            await self._deliver(item)

    async def _deliver(self, item: OutboxItem) -> None:
        to = normalise_userid(item.target)
        retry = item.attempt > 1
        p = item.payload
        if item.kind in ("text", "markdown"):
            await self._send_text(to, str(p["text"]), item.kind, retry=retry)
        elif item.kind == "card":
            await self._send_card(to, Card.from_json(p["card"]), retry=retry)
        elif item.kind == "card_update":
            await self._update_card(to, str(p["card_id"]), str(p["final_text"]), p.get("response_code"))
        elif item.kind == "team_post":
            await self.post_to_team(item.target, str(p["markdown"]))
        elif item.kind == "file":
            await self._send_file(
                to, str(p["filename"]), base64.b64decode(p["content_b64"]), p.get("caption"), retry=retry
            )
        else:
            raise DeliveryError(f"unknown outbox kind {item.kind}", permanent=True)

    async def _send_text(self, to: str, text: str, msgtype: str = "text", *, retry: bool) -> None:
        """Long text goes out in pieces at WeCom's byte limit (a retry after a partial send repeats them)."""
        for chunk in split_text(text):
            await self._send(to, {"msgtype": msgtype, msgtype: {"content": chunk}}, retry=retry)

    async def _send(self, to: str, message: dict[str, Any], *, retry: bool) -> SendResult:
        """message/send to one member; WeCom answers 0 even when it drops an unknown member, so check.

        WeCom's duplicate check is on for retries only: a retry after an ambiguous failure (WeCom took the
        message but the answer was lost, or some pieces of a long text went out) is then dropped by WeCom instead
        of shown twice, while a deliberate identical reply (asking "待办" twice) still arrives.
        """
        result = await self.api.send_message({"touser": to, "enable_duplicate_check": int(retry), **message})
        if to in result.invalid_users:
            raise DeliveryError(f"{to} is not a member the app can reach", permanent=True)
        return result

    # ---- cards ---------------------------------------------------------------------------------

    def render(self, card: Card) -> dict[str, Any]:
        """The template_card body: button_interaction when the card has buttons, else text_notice."""
        if card.buttons and not (card.card_id and TASK_ID.match(card.card_id)):
            raise DeliveryError(
                f"a card with buttons needs a card_id of [0-9A-Za-z_-@]{{1,128}}: {card.card_id!r}", permanent=True
            )
        rendered: dict[str, Any] = json.loads(
            self.renderer.render_json(card, "wecom", source=self.source, card_url=CARD_URL)
        )
        return rendered

    async def _send_card(self, to: str, card: Card, *, retry: bool) -> None:
        body = self.render(card)
        message = {"msgtype": "template_card", "template_card": body}
        if not card.buttons:
            await self._send(to, message, retry=retry)
            return
        task_id = str(card.card_id)
        retried = not await self._remember_card(task_id, to)
        try:
            result = await self._send(to, message, retry=retry)
        except WeComPermanentError as err:
            if err.errcode == ERR_TASK_ID_EXISTS and retried:
                log.warning("card %s to %s: 42014 on a retry, an earlier attempt went through", task_id, to)
                return
            raise
        async with self.db.session() as s:
            row = await self._card(s, task_id, to)
            if row is not None:
                row.response_code, row.sent_at = result.response_code, self.clock.now()
                s.add(row)

    async def _remember_card(self, task_id: str, to: str) -> bool:
        """Record the card before sending; False when a row already existed (this send is a retry)."""
        try:
            async with self.db.session() as s:
                s.add(WeComCard(task_id=task_id, userid=to, created_at=self.clock.now()))
            return True
        except IntegrityError:
            return False

    async def _update_card(self, to: str, task_id: str, final_text: str, click_code: str | None) -> None:
        """Grey the card's buttons into `final_text`. The click's own code is preferred (it is fresh); without
        one, the code the send returned. A card is finalised once, so a redelivery spends no second code."""
        async with self.db.session() as s:
            row = await self._card(s, task_id, to)
        if row is not None and row.finalised_at is not None:
            log.info("card %s for %s already finalised", task_id, to)
            return
        code = click_code or (row.response_code if row else None)
        if not code:
            raise DeliveryError(f"no response_code to update card {task_id} for {to}", permanent=True)
        await self.api.update_template_card(
            {"userids": [to], "response_code": code, "button": {"replace_name": final_text}}
        )
        async with self.db.session() as s:
            row = await self._card(s, task_id, to) or WeComCard(task_id=task_id, userid=to, created_at=self.clock.now())
            row.final_text, row.finalised_at = final_text, self.clock.now()
            s.add(row)

    @staticmethod
    async def _card(session: Any, task_id: str, to: str) -> WeComCard | None:
        q = select(WeComCard).where(WeComCard.task_id == task_id, WeComCard.userid == to)
        return (await session.exec(q)).first()  # type: ignore[no-any-return]

    # ---- files and team posts ------------------------------------------------------------------

    async def _send_file(self, to: str, filename: str, content: bytes, caption: str | None, *, retry: bool) -> None:
        if caption:
            await self._send_text(to, caption, retry=retry)
        media_id = await self.api.upload_media(filename, content)
        await self._send(to, {"msgtype": "file", "file": {"media_id": media_id}}, retry=retry)

    async def post_to_team(self, team: str, markdown: str) -> None:
        """Post markdown to the team's group robot (KABOT_WECOM_TEAM_WEBHOOKS).

        A robot takes at most 20 messages a minute and drops the rest, so over the limit this raises a
        retryable DeliveryError instead of posting; the caller (an outbox row or a scheduled job) tries later.
        """
        key = self.team_webhooks.get(team)
        if key is None:
            raise DeliveryError(f"no group robot configured for team {team}", permanent=True)
        chunks = split_text(markdown)
        now = self.clock.now()
        sent = self._robot_sends.setdefault(key, deque())
        while sent and now - sent[0] >= ROBOT_WINDOW:
            sent.popleft()
        if len(sent) + len(chunks) > ROBOT_LIMIT:
            raise DeliveryError(f"group robot of {team} is at {ROBOT_LIMIT} messages a minute", permanent=False)
        with _as_delivery_error():
            for chunk in chunks:
                sent.append(now)
                await self.api.webhook_send(key, {"msgtype": "markdown", "markdown": {"content": chunk}})


@contextmanager
def _as_delivery_error() -> Iterator[None]:
    """The outbox's vocabulary: permanent failures are recorded on the row, transient ones retried."""
    try:
        yield
    except WeComPermanentError as err:
        raise DeliveryError(str(err), permanent=True) from None
    except WeComTransientError as err:
        raise DeliveryError(str(err), permanent=False) from None
