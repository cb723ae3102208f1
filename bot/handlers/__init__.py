"""The handler routers, listed explicitly: no plugin discovery."""
from __future__ import annotations

from bot.handlers import fallback
from bot.handlers import help as help_
from bot.router import Router, merge

ROUTERS = (help_.router, fallback.router)


def build_router() -> Router:
    return merge(ROUTERS)
