"""Replies to "下一步…是哪天？" that say no task is needed (issue 8, trial: 不用 这是客户的要求)."""

from __future__ import annotations

import pytest

from core.nlu.no_task import no_task_needed


@pytest.mark.parametrize(
    "text", ["不用 这是客户的要求", "不需要待办", "这是客户的要求", "没有下一步", "不用加待办", "客户的需求", "no task"]
)
def test_no_task_answers(text: str) -> None:
    assert no_task_needed(text)


@pytest.mark.parametrize(
    "text", ["周五", "下周三上午", "查 艾克美", "客户说下周来验货 我要安排接机和样品间 周五前准备好"]
)
def test_other_replies(text: str) -> None:
    assert not no_task_needed(text)
