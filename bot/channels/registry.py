"""Which chat apps kabot can talk to, and whether each is switched on by the settings.

A channel is on when its settings are complete; `kabot serve` and `kabot work` say at start which channels are on
and, for the others, which settings are missing (a callback to a channel that is off gets 404, and this line is
where an administrator finds out why). A new chat app adds one `ChannelSpec` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.channels.base import Channel
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.services import Services
    from core.quotas import Usage

log = logging.getLogger("kabot.channels")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    missing: Callable[[Settings], list[str]]  # the settings still needed; none: the channel is on
    build: Callable[[Services], Channel]
    inbound: Callable[[Settings], str]  # how messages reach kabot, for the start-up line


def _wecom(services: Services) -> Channel:
    from bot.channels.wecom.channel import WeComChannel

    return WeComChannel(services.settings, services.renderer, services.db, services.clock, services.redis)


def _dingtalk(services: Services) -> Channel:
    from bot.channels.dingtalk.channel import DingTalkChannel
    from bot.channels.dingtalk.warnings import warn_admins

    async def on_warning(usage: Usage) -> None:
        await warn_admins(services, usage)

    ding = services.settings.dingtalk
    return DingTalkChannel(
        ding, services.renderer, services.db, services.clock, services.redis, on_quota_warning=on_warning
    )


def _dingtalk_inbound(settings: Settings) -> str:
    if settings.dingtalk.mode == "http":
        return "signed callbacks at /dingtalk/callback"
    return "Stream connection to DingTalk, no public URL needed"


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("wecom", Settings.wecom_missing, _wecom, lambda _s: "callbacks at /wecom/callback"),
    ChannelSpec("dingtalk", Settings.dingtalk_missing, _dingtalk, _dingtalk_inbound),
)


def configure(services: Services) -> None:
    """Build every channel the settings switch on into `services.channels` (in this order of preference)."""
    for spec in CHANNELS:
        if not spec.missing(services.settings):
            services.channels[spec.name] = spec.build(services)
        else:
            services.channels.pop(spec.name, None)


def report(settings: Settings) -> list[str]:
    """One line per chat app: on, and how messages arrive; or off, and what is missing."""
    lines = []
    for spec in CHANNELS:
        missing = spec.missing(settings)
        if missing:
            lines.append(f"channel {spec.name}: off (not set: {', '.join(missing)})")
        else:
            lines.append(f"channel {spec.name}: on ({spec.inbound(settings)})")
    return lines


def log_report(settings: Settings) -> None:
    for line in report(settings):
        log.info("%s", line)
