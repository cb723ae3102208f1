"""Typed card actions: a key packs and unpacks to the same typed action; anything else is refused whole."""

from __future__ import annotations

import pytest

from bot.cards.actions import ApprovalTap, BadAction, CardAction, SubmitQuote, Tap, TaskDone


def test_actions_round_trip_through_their_keys() -> None:
    for action in (TaskDone(17), ApprovalTap(3, Tap.CONDITIONAL), SubmitQuote(9)):
        assert CardAction.unpack(action.pack()) == action
    assert ApprovalTap(3, Tap.REJECT).pack() == "apv:3:no"


@pytest.mark.parametrize(
    "key",
    [
        "apv",
        "apv:1",
        "apv:x:ok",
        "apv:1:maybe",
        "apv:1:ok:extra",
        "nope:1",
        "",
        "task_done:-1",
        "task_done:" + "9" * 40,
    ],
)
def test_a_malformed_key_is_refused_not_half_read(key: str) -> None:
    with pytest.raises(BadAction):
        CardAction.unpack(key)


def test_unpacking_as_a_subclass_refuses_other_actions() -> None:
    with pytest.raises(BadAction):
        TaskDone.unpack("qsubmit:1")
