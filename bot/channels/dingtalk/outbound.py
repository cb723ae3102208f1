"""DingTalk's outbound side: answers, group posts and approval cards, each failure a DeliveryError.

Why each choice:
- An answer goes through the message's sessionWebhook while it is valid (no token, no API quota); DingTalk never
  states its lifetime (≈ 90 minutes in every example), so `ReplyRoute` keeps the expiry the message carried, a
  lapsed webhook (300001) falls back to the robot send APIs, and scheduled pushes never use one (pitfall 7).
  Only webhooks on DingTalk's own host are used, so a stored URL can never make kabot post somewhere else.
- batchSend answers HTTP 200 even for people it refused: a person in `invalidStaffIdList` is a permanent failure
  (not in the app's visible range, or unknown), one in `flowControlledStaffIdList` is retried later.
- Cards use a template published in the card platform (KABOT_DINGTALK_CARD_TEMPLATE_ID) with callbackType STREAM,
  so taps arrive on the same Stream connection (pitfall 1). Each approver gets a card whose outTrackId is derived
  from the card's reference and the person, so the update finds it again without a lookup table and a retried
  create answered `cardAlreadyExist` counts as sent. Without a template the card is sent as markdown listing the
  text commands that do the same as its buttons (the StandardCard APIs are closed to new apps, pitfall 8).
- Before spending quota the meter is asked: near the monthly limit digests stop first and answers last
  (core.quotas); a deferred message is retried by the outbox, a skipped digest is recorded as not sent. The two
  quotas are separate, so an answer whose Webhook&Stream quota is used up goes out through the robot API instead.

    out = DingTalkOutbound(api, clock, meter=meter, card_template_id=settings.card_template_id)
    await out.send_text("manager4220", "已记录拜访", route=ReplyRoute.from_dict(meta["route"]))
    await out.send_card("apv-12-1", "manager4220", CardContent("折扣审批", "…", buttons=(("同意", key),)))
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from bot.channels.base import DeliveryError
from bot.channels.dingtalk.api import (
    CardAlreadyExists,
    DingTalkAPI,
    DingTalkPermanentError,
    DingTalkTransientError,
    SessionExpired,
)
from bot.channels.dingtalk.inbound import ConversationType, ReplyRoute
from bot.channels.dingtalk.messages import FILE, MessageBody, markdown_messages, text_messages
from bot.channels.dingtalk.quota import QuotaMeter
from core.clock import Clock
from core.quotas import Priority, QuotaKind, Verdict

log = logging.getLogger("kabot.dingtalk.outbound")

MAX_BUTTONS = 4
WEBHOOK_PATH = "/robot/sendBySession"


@dataclass(frozen=True)
class CardContent:
    """An approval card as the template shows it. Template variables (all strings, see the README):
    `title`, `content` (markdown), `status` (pending / done), `result`, and per button N = 1..4
    `btnN_text` and `btnN_action`, the latter bound to the 回传请求 button's `action` parameter."""

    title: str
    markdown: str
    buttons: tuple[tuple[str, str], ...] = ()  # (label, packed bot.cards.actions key)
    text_commands: tuple[str, ...] = ()  # what to type instead of tapping, for the card without a template
    status: str = "pending"
    result: str = ""

    def params(self) -> dict[str, str]:
        if len(self.buttons) > MAX_BUTTONS:
            raise DeliveryError(f"a DingTalk card shows at most {MAX_BUTTONS} buttons", permanent=True)
        params = {"title": self.title, "content": self.markdown, "status": self.status, "result": self.result}
        for n in range(1, MAX_BUTTONS + 1):
            label, action = self.buttons[n - 1] if n <= len(self.buttons) else ("", "")
            params[f"btn{n}_text"], params[f"btn{n}_action"] = label, action
        return params

    def as_markdown(self) -> str:
        lines = [f"### {self.title}", "", self.markdown]
        if self.text_commands:
            lines += ["", "回复以下任一文字即可处理：", *(f"- {c}" for c in self.text_commands)]
        return "\n".join(lines)


def out_track_id(card_ref: str, user: str) -> str:
    """The outTrackId of `user`'s copy of card `card_ref`: stable, so updates and retries find the same card."""
    digest = hashlib.sha256(f"{card_ref}\x1f{user}".encode()).hexdigest()[:40]
    return f"kabot_{digest}"


class DingTalkOutbound:
    def __init__(
        self,
        api: DingTalkAPI,
        clock: Clock,
        *,
        meter: QuotaMeter | None = None,
        card_template_id: str | None = None,
    ) -> None:
        self.api = api
        self.clock = clock
        self.meter = meter
        self.card_template_id = card_template_id

    # ---- text ---------------------------------------------------------------------------------

    async def send_text(
        self,
        to: str,
        text: str,
        *,
        markdown: bool = False,
        title: str | None = None,
        route: ReplyRoute | None = None,
        priority: Priority = Priority.REPLY,
    ) -> None:
        """Send `text` to person `to`, or into the conversation of `route` when the message came from a group."""
        bodies = markdown_messages(text, title) if markdown else text_messages(text)
        with as_delivery_error():
            if (
                route is not None
                and self._webhook_ok(route)
                and await self._may_spend(QuotaKind.WEBHOOK_STREAM, priority)
            ):
                bodies = await self._via_webhook(route, bodies, priority)
            if not bodies:
                return
            if route is not None and route.conversation_type is ConversationType.GROUP:
                await self._admit(QuotaKind.API, priority)
                for body in bodies:
                    await self.api.group_send(route.conversation_id, body)
            else:
                await self._admit(QuotaKind.API, priority)
                for body in bodies:
                    await self._batch_send_one(to, body)

    async def post_to_group(
        self, open_conversation_id: str, text: str, *, title: str | None = None, priority: Priority = Priority.DIGEST
    ) -> None:
        """Markdown into a group the robot was added to (team summaries, funnel posts)."""
        with as_delivery_error():
            await self._admit(QuotaKind.API, priority)
            for body in markdown_messages(text, title):
                await self.api.group_send(open_conversation_id, body)

    def _webhook_ok(self, route: ReplyRoute) -> bool:
        own = (route.session_webhook or "").startswith(self.api.oapi_base + WEBHOOK_PATH)
        return own and route.webhook_usable(self.clock.now())

    async def _via_webhook(self, route: ReplyRoute, bodies: list[MessageBody], priority: Priority) -> list[MessageBody]:
        """Send through the sessionWebhook; returns what is left to send another way if it lapsed midway."""
        assert route.session_webhook is not None
        at_user = route.user if route.conversation_type is ConversationType.GROUP else None
        for i, body in enumerate(bodies):
            try:
                await self.api.send_by_webhook(route.session_webhook, body.webhook_payload(at_user=at_user))
            except SessionExpired:
                log.info("sessionWebhook lapsed; sending the rest through the robot API")
                return bodies[i:]
        return []

    async def _batch_send_one(self, to: str, body: MessageBody) -> None:
        result = await self.api.batch_send([to], body)
        if to in result.invalid:
            raise DeliveryError(f"{to} is not someone the robot can reach (invalidStaffIdList)", permanent=True)
        if to in result.flow_controlled:
            raise DeliveryError(f"DingTalk is holding back messages to {to} (flowControlledStaffIdList)")

    # ---- cards --------------------------------------------------------------------------------

    async def send_card(self, card_ref: str, to: str, content: CardContent, *, retry: bool = False) -> None:
        """Put approval card `card_ref` in `to`'s chat with the robot. `retry`: an earlier attempt may have
        created it already (the outbox's attempt > 1)."""
        if not self.card_template_id:
            await self.send_text(to, content.as_markdown(), markdown=True, title=content.title, priority=Priority.CARD)
            return
        track = out_track_id(card_ref, to)
        with as_delivery_error():
            await self._admit(QuotaKind.API, Priority.CARD)
            try:
                delivery = await self.api.create_and_deliver_card(
                    out_track_id=track, template_id=self.card_template_id, params=content.params(), user_ids=[to]
                )
            except CardAlreadyExists:
                if retry:
                    log.info("card %s for %s exists: an earlier attempt created it", card_ref, to)
                    return
                raise
        if delivery.failed:
            errors = "; ".join(f"{r.space_id}: {r.error}" for r in delivery.failed)
            raise DeliveryError(f"card {card_ref} not delivered: {errors}", permanent=True)

    async def finish_card(self, card_ref: str, users: Sequence[str], result: str) -> None:
        """Turn every copy of the card into its outcome (buttons hidden by the template once status is done).
        The update is idempotent, so a redelivered decision changes nothing. Without a template there is no
        card to change: the decision's own replies tell people."""
        if not self.card_template_id:
            return
        with as_delivery_error():
            await self._admit(QuotaKind.API, Priority.CARD)
            for user in users:
                try:
                    await self.api.update_card(out_track_id(card_ref, user), {"status": "done", "result": result})
                except DingTalkPermanentError as err:
                    if "cardNotExist" not in str(err.code):
                        raise
                    log.info("card %s was never sent to %s: nothing to finalise", card_ref, user)

    # ---- files --------------------------------------------------------------------------------

    async def upload_file(self, filename: str, content: bytes, *, priority: Priority = Priority.REPLY) -> str:
        """Upload a file for a `sampleFile` message; the media id stays valid (the channel keeps it per send, so a
        retry does not upload again: bot/channels/uploads.py)."""
        with as_delivery_error():
            await self._admit(QuotaKind.API, priority)
            return await self.api.upload_file(filename, content)

    async def send_file(self, to: str, filename: str, media_id: str, *, priority: Priority = Priority.REPLY) -> None:
        """Send an uploaded file 1:1 (`sampleFile`; a sessionWebhook cannot carry files)."""
        with as_delivery_error():
            await self._admit(QuotaKind.API, priority)
            kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else "file"
            body = MessageBody(FILE, {"mediaId": media_id, "fileName": filename, "fileType": kind})
            await self._batch_send_one(to, body)

    # ---- quota --------------------------------------------------------------------------------

    async def _may_spend(self, kind: QuotaKind, priority: Priority) -> bool:
        """Whether `kind` may carry a message of `priority`; when it may not, the caller tries the other way out
        (an answer whose webhook quota is used up goes through the robot API, which has a quota of its own)."""
        return self.meter is None or await self.meter.admit(kind, priority) is Verdict.SEND

    async def _admit(self, kind: QuotaKind, priority: Priority) -> None:
        if self.meter is None:
            return
        verdict = await self.meter.admit(kind, priority)
        if verdict is not Verdict.SEND:
            what = "waits" if verdict is Verdict.DEFER else "not sent"
            raise DeliveryError(
                f"monthly DingTalk {kind} quota nearly used up: {priority.name} {what}",
                permanent=verdict is Verdict.SKIP,
            )


@contextmanager
def as_delivery_error() -> Iterator[None]:
    """The outbox's vocabulary: permanent failures are recorded on the row, transient ones retried."""
    try:
        yield
    except DingTalkPermanentError as err:
        raise DeliveryError(str(err), permanent=True) from None
    except DingTalkTransientError as err:
        raise DeliveryError(str(err), permanent=False) from None
