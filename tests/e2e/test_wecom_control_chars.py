"""A WeCom text with a control character (a bell pasted from a terminal, a vertical tab from an Excel cell) makes
the decrypted XML invalid XML 1.0; it is cleaned before parsing, so the message is read, saved and answered."""

from __future__ import annotations

import pytest

from storage.models import Customer, FollowUp, InboundMessage
from tests.fakes.wecom_rig import Rig


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("今天电话\x07北风泵业 客户确认收到样品", "客户确认收到样品"),
        ("跟进 北风泵业 客户\x0b说样品收到了", "说样品收到了"),
        ("今天电话\x07北风泵业\x1b[31m 客户确认收到样品\x1b[0m 😀👍", "客户确认收到样品 😀👍"),  # the trial's words
    ],
)
async def test_a_message_with_a_control_character_is_saved_and_answered(rig: Rig, text: str, said: str) -> None:
    status, _ = await rig.post(rig.fake.callback_text("lina", text, 4101))
    assert status == 200
    await rig.settle()
    screen = "\n".join(rig.screen("lina"))  # a card when the note closes a task (样品收到 → 寄样品)
    assert "已记录 北风泵业" in screen
    [north] = [c for c in await rig.rows(Customer) if c.name == "北风泵业"]
    notes = [f.content for f in await rig.rows(FollowUp) if f.customer_id == north.id]
    assert any(said in n and not {"\x07", "\x0b", "\x1b", "["} & set(n) for n in notes)
    assert len(await rig.rows(InboundMessage)) == 1
