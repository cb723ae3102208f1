"""The handler routers, listed explicitly: no plugin discovery."""

from __future__ import annotations

from bot.handlers import (
    approvals,
    contacts,
    conversation,
    corrections,
    customers,
    fallback,
    followups,
    funnel,
    lookup,
    opportunities,
    questions,
    quotes,
    tasks,
    transfers,
    undo,
)
from bot.handlers import help as help_
from bot.router import Router, merge

# The order is the order of the help text.
ROUTERS = (
    followups.router,
    lookup.router,
    tasks.router,
    customers.router,
    contacts.router,
    opportunities.router,
    quotes.router,
    approvals.router,
    transfers.router,
    funnel.router,
    undo.router,
    questions.router,
    corrections.router,
    conversation.router,
    help_.router,
    fallback.router,
)


def build_router() -> Router:
    return merge(ROUTERS)
