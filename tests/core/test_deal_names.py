"""A deal named by its product (issue 8: 控制阀的单子 asked 1. DN50球阀… 2. 控制阀… although only one matches)."""

from __future__ import annotations

import pytest

from core.deal_names import core_of, named, only_names, said_after

TITLES = ["DN50球阀采购项目", "控制阀采购项目", "法兰采购项目"]


@pytest.mark.parametrize(
    ("hint", "picked"),
    [
        ("好消息 控制阀的单子", [1]),
        ("控制阀", [1]),
        ("球阀", [0]),
        ("法兰项目", [2]),
        ("阀", [0, 1]),  # inside two titles: both offered
        ("客户法务在审合同", []),
        (None, []),
    ],
)
def test_named(hint: str | None, picked: list[int]) -> None:
    assert named(TITLES, hint) == picked


def test_core_of() -> None:
    assert [core_of(t) for t in TITLES] == ["dn50球阀", "控制阀", "法兰"]


@pytest.mark.parametrize(
    ("hint", "after"),
    [
        ("控制阀 客户选了意大利的供应商", "客户选了意大利的供应商"),
        ("好消息 控制阀的单子", None),
        ("控制阀", None),
        ("客户选了意大利的供应商", None),  # the deal is not named: nothing is known to follow it
        (None, None),
    ],
)
def test_said_after(hint: str | None, after: str | None) -> None:
    assert said_after("控制阀采购项目", hint) == after


@pytest.mark.parametrize(
    ("words", "only"),
    [("控制阀", True), ("控制阀那单", True), ("控制阀采购项目", True), ("控制阀 客户很满意", False), ("价格", False)],
)
def test_only_names(words: str, only: bool) -> None:
    assert only_names("控制阀采购项目", words) is only
