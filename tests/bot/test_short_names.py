"""Short names (issue 8): what reps call a company — its distinctive part, its pinyin, the one they picked."""

from __future__ import annotations

import pytest

from tests.fakes.harness import ChatHarness


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("宁波海天塑机集团股份有限公司", "海天"),
        ("苏州恒力精密机械有限公司", "恒力"),
        ("Kirloskar Industrial Pvt. Ltd.", "Kirloskar"),
        ("Wombat Pumps Pty Ltd", "Wombat"),
        ("Aqua Pumpen GmbH", "Aqua"),
        ("Polmet Sp. z o.o.", "Polmet"),
        ("Vetreria Conti S.p.A.", "Vetreria Conti"),
    ],
)
async def test_the_distinctive_part_finds_the_company(bot: ChatHarness, full: str, short: str) -> None:
    assert "已新建客户" in await bot.said("李娜", f"新客户 {full} B级")
    shown = await bot.said("李娜", f"查 {short}")
    assert full.rstrip(".") in shown and "没有找到" not in shown  # the parser drops a final full stop


async def test_an_existing_alias_by_its_distinctive_part(bot: ChatHarness) -> None:
    assert "罗西管业" in await bot.said("王强", "查 Rossi")  # Rossi Tubi S.p.A.


async def test_a_chinese_name_typed_in_pinyin(bot: ChatHarness) -> None:
    shown = await bot.said("李娜", "查 aikemei")
    assert "艾克美工业有限公司" in shown and "没有找到" not in shown


async def test_a_customer_picked_from_a_list_is_known_by_that_name_next_time(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "查 北")
    assert "回复编号" in asked and "北风泵业" in asked and "北欧暖通" in asked
    first = asked.split("\n")[1]
    picked = "北风泵业" if "北风泵业" in first else "北欧暖通"
    assert picked in await bot.said("李娜", "1")
    again = await bot.said("李娜", "查 北")
    assert "回复编号" not in again and picked in again
    other = await bot.said("王强", "查 北")  # what 李娜 meant is hers alone
    assert picked not in other or "回复编号" in other or "不是您的客户" in other
