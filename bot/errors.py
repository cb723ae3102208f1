"""Refusals: raised wherever kabot cannot or will not go on, turned into the reply in one place (the pipeline).

A handler or service never returns "either a result or some replies": it returns its result or raises one of
these. The pipeline rolls back everything the message had changed so far, then, in a fresh transaction, writes
the reply, the audit row of a refused permission, and the open question of a `NeedsAnswer`. So a refusal can
never leave half a change behind, and no caller has to check what it got back.

    if quote.owner_id != ctx.user_id:
        raise NotAllowed(f"{quote.number} 不是您的报价。", entity="quotes", entity_id=quote.id)
    if not parsed.customer:
        raise UserInputError("请告诉我是哪个客户。", example="查 艾克美")
"""

from __future__ import annotations

from typing import Any, ClassVar


class Refusal(Exception):
    """Base: `message` is the Chinese reply; `example` shows a command that would have worked."""

    audited: ClassVar[bool] = False

    def __init__(
        self, message: str, *, example: str | None = None, entity: str | None = None, entity_id: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        self.entity = entity
        self.entity_id = entity_id
        self.aside = ""  # a line about the question still open (or now dropped), set by the dispatcher

    def reply_text(self) -> str:
        text = f"{self.message}\n例如：{self.example}" if self.example else self.message
        return f"{text}\n{self.aside}" if self.aside else text


class UserInputError(Refusal):
    """The message could not be read as the command it looks like; say what is missing, with an example."""


class NotFound(Refusal):
    """What the message names does not exist (or no longer does)."""


class NotAllowed(Refusal):
    """The person may not do this (someone else's account or quote, not their turn, not their role). Audited."""

    audited = True


class Conflict(Refusal):
    """Someone else changed the thing since it was shown; nothing was overwritten. Audited."""

    audited = True


class NeedsAnswer(Refusal):
    """kabot must ask before it can go on: the question is the reply, and `kind`/`data` are kept (as with
    `ctx.ask`) so the answer completes the original command. Nothing the message changed so far is kept.
    `asks` / `unanswered`: the question in one line, and what stays unsaved without an answer (bot/asking.py)."""

    def __init__(
        self,
        question: str,
        *,
        kind: str,
        data: dict[str, Any],
        minutes: int = 30,
        asks: str = "",
        unanswered: str | None = None,
    ) -> None:
        super().__init__(question)
        self.kind = kind
        self.data = data
        self.minutes = minutes
        self.asks = asks
        self.unanswered = unanswered
