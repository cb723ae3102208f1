"""What DingTalk pushes to kabot, checked and decoded into kabot's own types.

Robot messages arrive over Stream (topic /v1.0/im/bot/messages/get) or, in HTTP mode, as a signed POST; card taps
arrive over Stream (topic /v1.0/card/instances/callback). Both carry the same JSON, so one decoder serves both.

Facts relied on (each checked in DingTalk's documentation or source; see also ../shared/protocols/dingtalk.md):
- HTTP mode signs with headers `timestamp` (ms) and `sign` = Base64(HMAC-SHA256(key=appSecret,
  msg=timestamp + "\\n" + appSecret)), not URL-encoded; reject a timestamp more than 1 hour from our clock
  (KB:receive-message). The worked example ts=1577262236757, secret "this is a secret" gives
  "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA=" (checked with openssl, and in tests).
- Body fields (KB:receive-message; developerpedia docs/learn/stream/protocol.md; SDK chatbot.py ChatbotMessage):
  `msgId` (the dedup key: a slowly acked message is pushed again ~60 s later with the same msgId),
  `senderStaffId` (the userId; `senderId` is encrypted), `conversationType` "1" = 1:1 / "2" = group,
  `conversationId` (a group's openConversationId), `sessionWebhook` + `sessionWebhookExpiredTime` (ms),
  `text.content` (one doc example puts `content` at the top level, so both are read), `msgtype`, `isInAtList`.
  When the org's Webhook&Stream quota is used up, messages carry `errorCode` 20001 and no text (KB:robot-message-type).
- Card callbacks (KB:event-callback-card; SDK card_callback_message.py): `outTrackId`, `userId`, and the tapped
  button in `content` (a JSON string `{"cardPrivateData": {"actionIds": [...], "params": {...}}}`); the SDK reads
  the same JSON from `value`, so both are read.

    message = read_http_callback(request.headers, await request.read(), secret, now=clock.now())
    # raises BadSignature (answer 403) or MalformedMessage (answer 400), never anything else
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

SIGN_WINDOW = timedelta(hours=1)
QUOTA_EXHAUSTED_CODE = "20001"


class InboundError(Exception):
    """A push kabot refuses; `status` is the HTTP answer for HTTP mode."""

    status = 400


class BadSignature(InboundError):
    """Forged, replayed or unsigned: answer 403 and store nothing."""

    status = 403


class MalformedMessage(InboundError):
    """Signed correctly (or came over Stream) but not a message kabot can read: answer 400, never 500."""

    status = 400


class ConversationType(StrEnum):
    ONE_TO_ONE = "1"
    GROUP = "2"


class MessageKind(StrEnum):
    TEXT = "text"
    UNSUPPORTED = "unsupported"  # pictures, voice, files, rich text: to be answered briefly
    QUOTA_EXHAUSTED = "quota_exhausted"  # errorCode 20001: the text was withheld by DingTalk


def sign(timestamp: str, secret: str) -> str:
    """DingTalk's HTTP-mode signature of `timestamp` (the fake signs with this too)."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def verify_signature(
    timestamp: str | None, signature: str | None, secret: str, *, now: datetime, window: timedelta = SIGN_WINDOW
) -> None:
    """Raise BadSignature unless `signature` is ours for `timestamp` and the timestamp is within the window."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 15:  # 15 digits: year 33658
        raise BadSignature("timestamp or sign missing")
    sent = datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
    if abs(now - sent) > window:
        raise BadSignature("timestamp outside the 1 hour window")
    if not hmac.compare_digest(sign(timestamp, secret).encode(), signature.encode()):
        raise BadSignature("sign does not match")


@dataclass(frozen=True)
class ReplyRoute:
    """Where an answer to a message can go: its sessionWebhook while valid, else the robot send APIs.

    Stored with the inbound message (`to_dict`) so an answer written later, by any replica, finds its way back.
    """

    user: str  # the sender's staff id
    conversation_type: ConversationType
    conversation_id: str
    session_webhook: str | None = None
    webhook_expires_at: datetime | None = None

    def webhook_usable(self, now: datetime, *, margin: timedelta = timedelta(minutes=1)) -> bool:
        """The sessionWebhook has at least `margin` left (a reply sent at the last second may still fail)."""
        return bool(self.session_webhook and self.webhook_expires_at and now + margin < self.webhook_expires_at)

    def to_dict(self) -> dict[str, Any]:
        expires = self.webhook_expires_at
        return {
            "user": self.user,
            "conversation_type": self.conversation_type.value,
            "conversation_id": self.conversation_id,
            "session_webhook": self.session_webhook,
            "webhook_expires_ms": int(expires.timestamp() * 1000) if expires else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReplyRoute:
        ms = d.get("webhook_expires_ms")
        return cls(
            user=str(d["user"]),
            conversation_type=ConversationType(d["conversation_type"]),
            conversation_id=str(d["conversation_id"]),
            session_webhook=d.get("session_webhook"),
            webhook_expires_at=_from_ms(ms) if ms is not None else None,
        )


@dataclass(frozen=True)
class RobotMessage:
    msg_id: str  # unique per message; a redelivery carries the same one
    sender: str  # senderStaffId
    sender_nick: str
    conversation_type: ConversationType
    conversation_id: str
    kind: MessageKind
    msgtype: str
    text: str | None = None
    mentioned: bool = True  # isInAtList; groups only deliver messages that @ the robot
    session_webhook: str | None = None
    session_webhook_expires_at: datetime | None = None
    created_at: datetime | None = None
    conversation_title: str | None = None

    @property
    def is_group(self) -> bool:
        return self.conversation_type is ConversationType.GROUP

    def reply_route(self) -> ReplyRoute:
        return ReplyRoute(
            user=self.sender,
            conversation_type=self.conversation_type,
            conversation_id=self.conversation_id,
            session_webhook=self.session_webhook,
            webhook_expires_at=self.session_webhook_expires_at,
        )


@dataclass(frozen=True)
class CardCallback:
    """A tap on an interactive card button whose action is 回传请求 (request callback)."""

    out_track_id: str  # the card instance, as kabot named it when creating it
    user: str  # who tapped (a staff id: cards are created with userIdType 1)
    action_ids: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)  # the button's callback parameters
    corp_id: str | None = None

    @property
    def action_key(self) -> str | None:
        """The packed bot.cards.actions key kabot puts in each button's `action` parameter."""
        return self.params.get("action")


def _from_ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise MalformedMessage(f"not a millisecond timestamp: {value!r}") from None


def _required(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str | int) or not str(value).strip():
        raise MalformedMessage(f"{name} missing")
    return str(value).strip()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_object(raw: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedMessage("body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedMessage("body is not a JSON object")
    return body


def decode_robot_message(raw: bytes | str | Mapping[str, Any]) -> RobotMessage:
    """Decode a robot message body (the HTTP body, or a Stream frame's `data`)."""
    body = _as_object(raw)
    msg_id = _required(body, "msgId")
    sender = body.get("senderStaffId")
    if not isinstance(sender, str) or not sender.strip():
        # DingTalk leaves it out until the robot is published; senderId is encrypted and useless as an identity.
        raise MalformedMessage("senderStaffId missing (is the robot published?)")
    try:
        conversation_type = ConversationType(str(body.get("conversationType")))
    except ValueError:
        raise MalformedMessage("conversationType is neither 1 nor 2") from None
    msgtype = str(body.get("msgtype") or "")
    text: str | None = None
    if str(body.get("errorCode") or "") == QUOTA_EXHAUSTED_CODE:
        kind = MessageKind.QUOTA_EXHAUSTED
    elif msgtype == "text":
        kind = MessageKind.TEXT
        content = body.get("text")
        raw_text = content.get("content") if isinstance(content, Mapping) else body.get("content")
        if not isinstance(raw_text, str):
            raise MalformedMessage("text message without text.content")
        text = raw_text.strip()
    else:
        kind = MessageKind.UNSUPPORTED
    webhook = body.get("sessionWebhook")
    expires = body.get("sessionWebhookExpiredTime")
    created = body.get("createAt")
    return RobotMessage(
        msg_id=msg_id,
        sender=sender.strip(),
        sender_nick=str(body.get("senderNick") or ""),
        conversation_type=conversation_type,
        conversation_id=_required(body, "conversationId"),
        kind=kind,
        msgtype=msgtype,
        text=text,
        mentioned=bool(body.get("isInAtList", True)),
        session_webhook=webhook if isinstance(webhook, str) and webhook else None,
        session_webhook_expires_at=_from_ms(expires) if expires is not None else None,
        created_at=_from_ms(created) if created is not None else None,
        conversation_title=body.get("conversationTitle") or None,
    )


def decode_card_callback(raw: bytes | str | Mapping[str, Any]) -> CardCallback:
    """Decode a card callback (a Stream frame's `data` on topic /v1.0/card/instances/callback)."""
    body = _as_object(raw)
    content: Any = body.get("content") or body.get("value") or {}
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            raise MalformedMessage("card callback content is not JSON") from None
    private = _mapping(content.get("cardPrivateData") if isinstance(content, Mapping) else None)
    params = _mapping(private.get("params"))
    action_ids = private.get("actionIds")
    action_ids = action_ids if isinstance(action_ids, list) else []
    return CardCallback(
        out_track_id=_required(body, "outTrackId"),
        user=_required(body, "userId"),
        action_ids=tuple(str(a) for a in action_ids),
        params={str(k): str(v) for k, v in params.items()},
        corp_id=body.get("corpId") or None,
    )


def read_http_callback(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> RobotMessage:
    """HTTP mode: check the signature first (a forgery learns nothing from a 400), then decode."""
    verify_signature(headers.get("timestamp"), headers.get("sign"), secret, now=now)
    return decode_robot_message(body)
