"""Hostile callbacks that pass the signature check: a malformed button key, control characters, a huge text."""

from __future__ import annotations

import pytest

from storage.models import Customer, InboundMessage
from tests.fakes.wecom_rig import Rig


@pytest.mark.parametrize(
    "key", ["apv", "apv:1", "apv:x:ok", "apv:1:ok:extra", "task_done:", ":::", "nope:1", "a" * 300]
)
async def test_a_signed_click_with_a_malformed_key_is_refused_quietly(rig: Rig, key: str) -> None:
    status, _ = await rig.post(rig.fake.callback_click("lina", "task-1", key, "RC-1", create_time=1_700_000_001))
    assert status == 200  # acknowledged (WeCom would only retry), never a 500
    await rig.settle()
    assert rig.fake.sent == []  # no IndexError, no 抱歉: nothing at all
    assert await rig.rows(InboundMessage) == []


async def test_a_ten_thousand_character_message_is_not_echoed_back(rig: Rig) -> None:
    assert (await rig.post(rig.fake.callback_text("lina", "艾克美" * 3400, 3001)))[0] == 200
    await rig.settle()
    [reply] = rig.texts("lina")  # one short message, not fifteen sends of the text back
    assert "太长" in reply and "艾克美艾克美" not in reply


async def test_nul_and_escapes_from_wecom_are_cleaned_before_storing(rig: Rig) -> None:
    await rig.post(rig.fake.callback_text_json("lina", "新客户 诺华\x00泵\x1b[2J业 德国", 3101))  # JSON carries NUL
    await rig.settle()
    assert "已新建客户：诺华泵业" in rig.texts("lina")[0]
    assert "诺华泵业" in [c.name for c in await rig.rows(Customer)]
