"""Every card button's action, as a typed class: packed into the button's key, unpacked with validation.

Modelled on aiogram's CallbackData. A subclass names its prefix and its fields; the router registers a handler
per class, and the handler receives the typed instance, never positional strings:

    @dataclass(frozen=True)
    class TaskDone(CardAction, prefix="task_done"):
        task_id: int

    TaskDone(17).pack() == "task_done:17"
    CardAction.unpack("task_done:17") == TaskDone(17)
    CardAction.unpack("task_done:x")  # raises BadAction: a forged or stale key is refused, never half-read

All actions live in this one module so that a channel can unpack any key it receives (the registry is complete
as soon as this module is imported) and so that the list of buttons kabot can show is in one place.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

MAX_KEY = 256  # WeCom allows 1024 bytes per button key; ours stay far below, and anything longer is forged


class BadAction(ValueError):
    """A button key that is not one of ours (unknown prefix, wrong field count or type)."""


@dataclass(frozen=True)
class CardAction:
    prefix: ClassVar[str]
    _registry: ClassVar[dict[str, type[CardAction]]] = {}

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or ":" in prefix:
            raise ValueError(f"bad action prefix {prefix!r}")
        if prefix in CardAction._registry:
            raise ValueError(f"action prefix {prefix!r} is used twice")
        cls.prefix = prefix
        CardAction._registry[prefix] = cls

    def pack(self) -> str:
        parts = [self.prefix]
        for f in fields(self):
            value = getattr(self, f.name)
            text = value.value if isinstance(value, StrEnum) else str(value)
            if ":" in text:
                raise ValueError(f"':' is not allowed in a card action field: {text!r}")
            parts.append(text)
        return ":".join(parts)

    @classmethod
    def unpack(cls, key: str) -> CardAction:
        if len(key) > MAX_KEY:
            raise BadAction("key too long")
        prefix, *values = key.split(":")
        target = CardAction._registry.get(prefix)
        if target is None or not issubclass(target, cls):
            raise BadAction(f"unknown action {prefix[:40]!r}")
        own = fields(target)
        if len(values) != len(own):
            raise BadAction(f"{prefix}: expected {len(own)} fields, got {len(values)}")
        hints = typing.get_type_hints(target)
        try:
            return target(*(_convert(hints[f.name], v) for f, v in zip(own, values, strict=True)))
        except (TypeError, ValueError) as exc:
            raise BadAction(f"{prefix}: {exc}") from None


def _convert(kind: Any, value: str) -> Any:
    if kind is int:
        if not value.isdigit() or len(value) > 18:
            raise ValueError(f"not an id: {value[:20]!r}")
        return int(value)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind(value)
    if kind is str:
        return value
    raise TypeError(f"unsupported field type {kind!r}")


# --- the buttons ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmDraft(CardAction, prefix="confirm"):
    """日期没问题 on a saved follow-up whose next-step date was guessed."""


@dataclass(frozen=True)
class EditDraft(CardAction, prefix="edit"):
    """改日期 on a saved follow-up whose next-step date was guessed: ask for the right one."""


@dataclass(frozen=True)
class TaskDone(CardAction, prefix="task_done"):
    task_id: int


@dataclass(frozen=True)
class TasksDone(CardAction, prefix="tasks_done"):
    """全部完成 on a reminder: every task it lists (ids joined by '-', checked again when tapped)."""

    ids: str

    @property
    def task_ids(self) -> tuple[int, ...]:
        return tuple(int(i) for i in self.ids.split("-") if i.isdigit() and len(i) <= 18)


@dataclass(frozen=True)
class TasksSnooze(CardAction, prefix="tasks_snooze"):
    """全部推迟到明天 on a reminder: every task it lists, to 09:00 tomorrow in the owner's timezone."""

    ids: str

    @property
    def task_ids(self) -> tuple[int, ...]:
        return tuple(int(i) for i in self.ids.split("-") if i.isdigit() and len(i) <= 18)


@dataclass(frozen=True)
class TaskSnooze(CardAction, prefix="task_snooze"):
    """Postpone to tomorrow 09:00 in the owner's timezone."""

    task_id: int


@dataclass(frozen=True)
class SubmitQuote(CardAction, prefix="qsubmit"):
    quote_id: int


class Tap(StrEnum):
    APPROVE = "ok"
    REJECT = "no"
    CONDITIONAL = "cond"
    DETAILS = "info"


@dataclass(frozen=True)
class ApprovalTap(CardAction, prefix="apv"):
    approval_id: int
    tap: Tap


@dataclass(frozen=True)
class AcceptConditions(CardAction, prefix="qaccept"):
    quote_id: int


class Answer(StrEnum):
    YES = "ok"
    NO = "no"


@dataclass(frozen=True)
class TransferDecision(CardAction, prefix="xfer"):
    """同意 / 拒绝 on a manager's card for a rep's 申请转移."""

    request_id: int
    answer: Answer
