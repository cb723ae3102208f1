"""Near names in Latin script (issue 8): `Hamburg Valves` where `Hamburg Valve GmbH` exists asks, as 宏达电子 does."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.nlu.near_names import latin_near_name
from storage.models import Customer, FollowUp
from tests.fakes.harness import ChatHarness

NAME = "Hamburg Valve GmbH"


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("跟进 Hamburg Valves 今天电话沟通了报价", "Hamburg Valves"),
        ("跟进 hamburg valve ltd 今天", "hamburg valve ltd"),
        ("跟进 Hamburg-Valve Co. 今天", "Hamburg-Valve Co."),
        ("跟进 HAMBURG VALVE INC 今天", "HAMBURG VALVE INC"),
        ("跟进 Hamburg Valve GmbH 今天", None),  # the name itself
        ("跟进 HAMBURG-VALVE gmbh today", None),  # case and punctuation alone
        ("跟进 Hamburg Valve 今天", None),  # the legal form left out
        ("Hamburg Valve called today about the price", None),
    ],
)
def test_what_is_a_latin_near_name(text: str, near: str | None) -> None:
    assert latin_near_name(text, NAME, []) == near


def test_a_near_name_the_rep_confirmed_is_not_asked_again() -> None:
    assert latin_near_name("跟进 Hamburg Valves 今天", NAME, ["Hamburg Valves"]) is None


async def test_a_latin_near_name_asks_before_filing(bot: ChatHarness) -> None:
    """Probe (issue 8): `跟进 Hamburg Valves …` was filed under Hamburg Valve GmbH without a word."""
    assert "已新建客户" in await bot.said("李娜", f"新客户 {NAME} 德国 B级")
    asked = await bot.said("李娜", "跟进 Hamburg Valves 今天电话沟通了报价")
    assert "“Hamburg Valves”和您的客户“Hamburg Valve GmbH”名字相近" in asked
    async with bot.services.db.session() as s:
        assert all("电话沟通了报价" not in f.content for f in (await s.exec(select(FollowUp))).all())
    saved = await bot.said("李娜", "1")
    assert "已记录 Hamburg Valve GmbH" in saved
    async with bot.services.db.session() as s:
        [c] = (await s.exec(select(Customer).where(Customer.name == NAME))).all()
    assert "Hamburg Valves" in c.aliases
    assert "名字相近" not in await bot.said("李娜", "跟进 Hamburg Valves 明天寄样品")
