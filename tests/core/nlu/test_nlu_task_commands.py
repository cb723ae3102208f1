"""core.nlu.task_commands: the task forms the general parser leaves alone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.nlu.task_commands import TaskCommand, parse_task_command

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, tzinfo=TZ)


def _p(text: str) -> TaskCommand | None:
    return parse_task_command(text, now=NOW, tz=TZ)


def test_forms() -> None:
    assert _p("完成 寄样品") == TaskCommand("done", subject="寄样品")
    assert _p("完成 3 5") == TaskCommand("done", numbers=(3, 5))
    assert _p("推迟 8 3天") == TaskCommand("postpone", numbers=(8,), shift_days=3)
    assert _p("寄样品那个推迟到下周三") == TaskCommand(
        "postpone", subject="寄样品", due=datetime(2026, 12, 2, 9, tzinfo=TZ)
    )


def test_left_to_the_general_parser() -> None:
    assert _p("完成 2") is None and _p("推迟 2 明天") is None
    assert _p("跟进 艾克美 今天拜访，完成了报价") is None
