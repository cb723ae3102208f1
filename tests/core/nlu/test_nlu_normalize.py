from __future__ import annotations

import pytest

from core.nlu.normalize import normalize, split_command, whole_command


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＵＳＤ　１２０ｋ，１２月３日", "USD 120k,12月3日"),
        ("下週5前給報價", "下周五前给报价"),
        ("礼拜3", "周三"),
        ("下星期天", "下周日"),
        ("明早9點半", "明天早上9点半"),
        ("今晚  再说", "今天晚上 再说"),
        ("  多余   空格  ", "多余 空格"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize(expected) == expected  # idempotent: spans stay valid when normalised twice


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("好的!", "确认"),
        ("OK", "确认"),
        ("?", "帮助"),
        ("不用了", "取消"),
        ("我的待办", "待办"),
        ("undo", "撤销"),
        ("日报", "漏斗"),
        ("今天天气不错", None),
        ("不错", None),
    ],
)
def test_whole_command(text: str, canonical: str | None) -> None:
    assert whole_command(normalize(text)) == canonical


@pytest.mark.parametrize(
    ("text", "command", "rest"),
    [
        ("新客戶 艾克美", "新客户", "艾克美"),
        ("新建客户艾克美工业", "新客户", "艾克美工业"),
        ("跟近 艾克美 昨天打了电话", "跟进", "艾克美 昨天打了电话"),
        ("查艾克美", "查", "艾克美"),
        ("查看 艾克美", "查", "艾克美"),
        ("follow up ACME: called", "跟进", "ACME: called"),
        ("logistics is slow", None, "logistics is slow"),
        ("future plans", None, "future plans"),
        ("今天拜访了艾克美", None, "今天拜访了艾克美"),
    ],
)
def test_split_command(text: str, command: str | None, rest: str) -> None:
    assert split_command(normalize(text)) == (command, rest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script> 查 艾克美", "查 艾克美"),
        ("<b>跟进</b> 艾克美 今天电话", "跟进 艾克美 今天电话"),
        ("价格<5万 数量>300", "价格<5万 数量>300"),
    ],
)
def test_pasted_markup_is_no_part_of_the_message(text: str, expected: str) -> None:
    assert normalize(text) == expected
