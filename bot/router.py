"""Handlers register on per-module routers; the dispatcher looks them up by intent, card action or open question.

Each intent, action kind and question kind belongs to exactly one handler: a second registration is an error
at start-up, so there is no ordering rule to remember.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.cards.actions import CardAction
from bot.context import Context
from bot.replies import Reply
from core.nlu.intents import Intent
from core.roles import Role

Handler = Callable[[Context, Any], Awaitable[list[Reply]]]
StateHandler = Callable[[Context, dict[str, Any], Any], Awaitable[list[Reply] | None]]


@dataclass(frozen=True)
class HelpEntry:
    title: str
    example: str
    roles: tuple[Role, ...] | None = None  # who sees it in 帮助; None: everyone

    def shown_to(self, role: Role) -> bool:
        return self.roles is None or role in self.roles


class Router:
    """Usage:

    router = Router("tasks")

    @router.intent("list_tasks", help="我的待办", example="待办")
    async def list_tasks(ctx: Context, parsed: Parsed) -> list[Reply]: ...
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.intents: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.states: dict[str, StateHandler] = {}
        self.help: list[HelpEntry] = []

    def intent(
        self,
        *intents: Intent,
        help: str | None = None,
        example: str | None = None,
        roles: tuple[Role, ...] | None = None,
    ) -> Callable[[Handler], Handler]:
        """`roles`: who sees the help line (None: everyone); the handler still checks who may act."""

        def register(fn: Handler) -> Handler:
            for name in intents:
                _add(self.intents, str(name), fn, self.name)
            if help and example:
                self.help.append(HelpEntry(help, example, roles))
            return fn

        return register

    def action(self, action: type[CardAction]) -> Callable[[Handler], Handler]:
        """A tapped button of this action class; the handler gets the typed, validated instance."""

        def register(fn: Handler) -> Handler:
            _add(self.actions, action.prefix, fn, self.name)
            return fn

        return register

    def state(self, kind: str) -> Callable[[StateHandler], StateHandler]:
        """The answer to an open question set with `ctx.ask(kind, data)`; returning None means 'not an answer'."""

        def register(fn: StateHandler) -> StateHandler:
            _add(self.states, kind, fn, self.name)
            return fn

        return register


def _add(table: dict[str, Any], key: str, fn: Any, router: str) -> None:
    if key in table:
        raise ValueError(f"{key!r} is registered twice (router {router})")
    table[key] = fn


def merge(routers: Iterable[Router]) -> Router:
    """All routers as one lookup table, refusing any key claimed twice."""
    merged = Router("all")
    for r in routers:
        for key, fn in r.intents.items():
            _add(merged.intents, key, fn, r.name)
        for key, fn in r.actions.items():
            _add(merged.actions, key, fn, r.name)
        for key, sfn in r.states.items():
            _add(merged.states, key, sfn, r.name)
        merged.help.extend(r.help)
    return merged
