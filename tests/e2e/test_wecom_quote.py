"""A quote through WeCom: asked for in chat, submitted by tap, approved by tap, cards finalised, the rep told."""

from __future__ import annotations

from typing import Any

from tests.fakes.wecom_rig import Rig

QUOTE = "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海"


def cards_to(rig: Rig, user: str) -> list[dict[str, Any]]:
    return [m["template_card"] for m in rig.fake.sent if m["touser"] == user and m["msgtype"] == "template_card"]


def button(card: dict[str, Any], text: str) -> str:
    return next(b["key"] for b in card["button_list"] if b["text"] == text)


async def test_quote_card_tap_to_manager_tap_card_updated_next_step(rig: Rig) -> None:
    await rig.post(rig.fake.callback_text("LiNa", QUOTE, 5001))
    await rig.settle()
    [draft] = cards_to(rig, "lina")
    assert draft["card_type"] == "button_interaction"
    await rig.post(rig.fake.callback_click("lina", draft["task_id"], button(draft, "提交审批")))
    await rig.settle()
    [submitted] = [u for u in rig.fake.card_updates if u["userids"] == ["lina"]]
    assert submitted["button"]["replace_name"].startswith("已提交")  # the draft's button, found by its ref

    [ask] = cards_to(rig, "zhaomin")
    assert ask["card_type"] == "button_interaction" and "报价审批" in ask["main_title"]["title"]
    click = rig.fake.callback_click("zhaomin", ask["task_id"], button(ask, "同意"), response_code="RC-TAP")
    await rig.post(click)
    await rig.post(click)  # WeCom retries the same callback: decided once
    await rig.settle()

    [update] = [u for u in rig.fake.card_updates if "zhaomin" in u.get("userids", [])]
    assert "已同意 · 赵敏" in str(update)
    assert update["response_code"] == "RC-TAP"  # the tapped card is greyed with the tap's fresh code
    assert any("赵敏 已同意" in t for t in rig.texts("lina"))
    [next_step] = cards_to(rig, "sunli")  # the director decides step 2
    assert "第2/3步" in str(next_step)
