"""Everything the app shares, built once by the app factory and handed down: no module globals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.cards.render import CardRenderer
from bot.channels.base import Channel
from bot.router import Router
from bot.sales.policy import default_policy
from bot.settings import Settings
from core.approval_policy import Policy
from core.clock import Clock
from core.stage_rules import DEFAULT_RULES, StageRules
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    router: Router
    renderer: CardRenderer
    channels: dict[str, Channel] = field(default_factory=dict)  # in order of preference for pushes
    stage_rules: StageRules = DEFAULT_RULES
    policy: Policy = field(default_factory=default_policy)  # the quote approval policy (KABOT_POLICY_FILE)
    redis: Any = None  # redis.asyncio.Redis when KABOT_REDIS_URL is set
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
