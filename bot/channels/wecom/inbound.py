"""Decrypted WeCom callback dict -> a typed, normalised `WeComInbound`.

Why a separate step from decryption: the route verifies and decrypts synchronously, stores the inbound
under its `dedup_key` (WeCom redelivers up to 3-4 times when the 5 s ack is missed), and only then acks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.channels.wecom.crypto import CallbackRejected


def normalise_userid(userid: str) -> str:
    """WeCom UserIDs are case-insensitive (it lower-cases `invaliduser`), so we always store lower."""
    return userid.strip().lower()


def _str(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):  # a nested element where text was expected
        raise CallbackRejected(f"bad_field_{key}", 400)
    return value


def _int(d: dict[str, Any], key: str) -> int | None:
    value = _str(d, key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise CallbackRejected(f"bad_field_{key}", 400) from None


@dataclass(frozen=True)
class SelectedItem:
    """One answered question of a vote/multiple card (or a button_selection)."""

    question_key: str
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class WeComInbound:
    """One callback from WeCom, text or event, with fields named as kabot uses them."""

    msg_type: str
    from_user: str
    create_time: int
    to_user: str | None = None
    agent_id: int | None = None
    content: str | None = None
    msg_id: str | None = None
    event: str | None = None
    event_key: str | None = None
    task_id: str | None = None
    card_type: str | None = None
    response_code: str | None = None
    selected_items: tuple[SelectedItem, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedup_key(self) -> str:
        """msgid when present (messages); events have no MsgId, so from+time+task+key (wecom.md §2)."""
        if self.msg_id:
            return f"msgid:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.task_id or ''}:{self.event_key or ''}"

    @property
    def is_card_click(self) -> bool:
        return self.msg_type == "event" and self.event == "template_card_event"


def _listed(container: Any, key: str) -> list[Any]:
    """`{key: [..]}` or `{key: {..}}` (XML, and JSON written like it) or a bare list (JSON): always a list."""
    inner = container.get(key) if isinstance(container, dict) else container
    if isinstance(inner, list):
        return inner
    return [] if inner is None else [inner]


def _selected_items(d: dict[str, Any]) -> tuple[SelectedItem, ...]:
    items = []
    for item in _listed(d.get("SelectedItems"), "SelectedItem"):
        if not isinstance(item, dict):
            continue
        ids = _listed(item.get("OptionIds"), "OptionId")
        items.append(
            SelectedItem(
                question_key=str(item.get("QuestionKey") or ""),
                option_ids=tuple(str(o) for o in ids if isinstance(o, str)),
            )
        )
    return tuple(items)


def parse_event(d: dict[str, Any]) -> WeComInbound:
    """Map the dict from `WeComCrypto.decrypt` to `WeComInbound`; missing core fields are a 400."""
    msg_type = _str(d, "MsgType")
    from_user = _str(d, "FromUserName")
    create_time = _int(d, "CreateTime")
    if not msg_type or not from_user or create_time is None:
        raise CallbackRejected("missing_core_fields", 400)
    return WeComInbound(
        msg_type=msg_type,
        from_user=normalise_userid(from_user),
        create_time=create_time,
        to_user=_str(d, "ToUserName"),
        agent_id=_int(d, "AgentID"),
        content=_str(d, "Content"),
        msg_id=_str(d, "MsgId") or None,
        event=_str(d, "Event"),
        event_key=_str(d, "EventKey"),
        task_id=_str(d, "TaskId"),
        card_type=_str(d, "CardType"),
        response_code=_str(d, "ResponseCode"),
        selected_items=_selected_items(d),
        raw=d,
    )
