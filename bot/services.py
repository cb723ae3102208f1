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
    name_indexes: dict[Any, Any] = field(default_factory=dict)  # a cache of core.nlu NameIndex per audience

    def forget_names(self, owner_ids: set[int | None]) -> None:
        """Drop the cached name indexes that can show customers of these owners (None: a pool customer)."""
        for audience in list(self.name_indexes):
            if audience is None or None in owner_ids or any(o in audience for o in owner_ids):
                del self.name_indexes[audience]
