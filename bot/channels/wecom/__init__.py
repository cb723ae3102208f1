"""WeCom (企业微信) self-built app protocol layer: callback crypto, inbound parsing, async API client.

The Channel adapter composes these (put it inside this package, e.g. `channel.py`: a sibling module
`bot/channels/wecom.py` would clash with this package). Nothing here knows about handlers.
"""

from __future__ import annotations

from bot.channels.wecom.api import (
    SendResult,
    WeComAPI,
    WeComError,
    WeComPermanentError,
    WeComTransientError,
)
from bot.channels.wecom.crypto import CallbackRejected, WeComCrypto
from bot.channels.wecom.inbound import SelectedItem, WeComInbound, normalise_userid, parse_event
from bot.channels.wecom.text import split_text
from bot.channels.wecom.tokens import MemoryTokenStore, RedisTokenStore, TokenStore

__all__ = [
    "CallbackRejected",
    "MemoryTokenStore",
    "RedisTokenStore",
    "SelectedItem",
    "SendResult",
    "TokenStore",
    "WeComAPI",
    "WeComCrypto",
    "WeComError",
    "WeComInbound",
    "WeComPermanentError",
    "WeComTransientError",
    "normalise_userid",
    "parse_event",
    "split_text",
]
