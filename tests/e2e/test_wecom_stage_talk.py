"""The trial's opportunity talk as李娜 read it on the WeCom phone view (issue 8): a win names the booked contract
amount, and an amount change shows old → new instead of being filed as a note."""

from __future__ import annotations

from tests.fakes.wecom_rig import Rig


async def _said(rig: Rig, text: str, msg_id: list[int] = [7700]) -> str:  # noqa: B006 — a counter
    msg_id[0] += 1
    seen = len(rig.screen("lina"))
    assert (await rig.post(rig.fake.callback_text("lina", text, msg_id[0])))[0] == 200
    await rig.settle()
    return "\n".join(rig.screen("lina")[seen:])


async def test_the_phone_shows_the_booked_amount_and_the_amount_change(rig: Rig) -> None:
    asked = await _said(rig, "好消息 穆勒机械控制阀的单子签了 合同金额12.6万欧")
    assert "DN50球阀" not in asked and "仍然推进" in asked
    won = await _said(rig, "是")
    assert "恭喜赢单" in won and "控制阀采购项目" in won and "合同金额 €12.6万" in won
    changed = await _said(rig, "艾克美法兰项目金额调整为32万欧")
    assert "€30.5万 → €32万" in changed and "其他跟进" not in changed
