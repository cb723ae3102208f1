"""Corrections of the kind of what was just logged (trial 7): never read as a follow-up of their own."""

from __future__ import annotations

import pytest

from core.nlu.corrections import KindCorrection, parse_kind_correction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("刚才北欧暖通那条不是视频会议 是电话", KindCorrection("电话", customer="北欧暖通", said_old="视频会议")),
        ("上一条跟进改成电话", KindCorrection("电话")),
        ("不对 刚才那条应该是拜访", KindCorrection("拜访")),
        ("刚才那条是微信", KindCorrection("微信")),
    ],
)
def test_a_kind_correction_names_the_new_kind_and_the_customer(text: str, expected: KindCorrection) -> None:
    assert parse_kind_correction(text) == expected


@pytest.mark.parametrize(
    "text",
    ["刚才电话里客户说交货是周四", "刚才那个日期错了，是周四", "今天给北欧暖通打电话", "刚才那条下次跟进应该是周四"],
)
def test_reports_and_date_corrections_are_no_kind_correction(text: str) -> None:
    assert parse_kind_correction(text) is None
