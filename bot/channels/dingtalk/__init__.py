"""DingTalk (钉钉) internal-app robot: settings, inbound checks, Stream client, API client, quotas, directory.

Self-contained parts; the Channel adapter that composes them for the pipeline and the outbox lives beside them
once the channel seam is in place (see the README, "Connecting DingTalk"). Nothing here knows about handlers.
"""

from __future__ import annotations

from bot.channels.dingtalk.api import (
    BatchSendResult,
    CardAlreadyExists,
    CardDelivery,
    DingTalkAPI,
    DingTalkError,
    DingTalkPermanentError,
    DingTalkTransientError,
    SessionExpired,
)
from bot.channels.dingtalk.directory import DirectoryMember, fetch_members, resolve_manager
from bot.channels.dingtalk.inbound import (
    BadSignature,
    CardCallback,
    ConversationType,
    InboundError,
    MalformedMessage,
    MessageKind,
    ReplyRoute,
    RobotMessage,
    decode_card_callback,
    decode_robot_message,
    read_http_callback,
    verify_signature,
)
from bot.channels.dingtalk.messages import MessageBody, markdown_messages, text_messages
from bot.channels.dingtalk.outbound import CardContent, DingTalkOutbound, out_track_id
from bot.channels.dingtalk.quota import QuotaMeter
from bot.channels.dingtalk.settings import DingTalkSettings
from bot.channels.dingtalk.stream import StreamClient, StreamDelivery

__all__ = [
    "BadSignature",
    "BatchSendResult",
    "CardAlreadyExists",
    "CardCallback",
    "CardContent",
    "CardDelivery",
    "ConversationType",
    "DingTalkAPI",
    "DingTalkError",
    "DingTalkOutbound",
    "DingTalkPermanentError",
    "DingTalkSettings",
    "DingTalkTransientError",
    "DirectoryMember",
    "InboundError",
    "MalformedMessage",
    "MessageBody",
    "MessageKind",
    "QuotaMeter",
    "ReplyRoute",
    "RobotMessage",
    "SessionExpired",
    "StreamClient",
    "StreamDelivery",
    "decode_card_callback",
    "decode_robot_message",
    "fetch_members",
    "markdown_messages",
    "out_track_id",
    "read_http_callback",
    "resolve_manager",
    "text_messages",
    "verify_signature",
]
