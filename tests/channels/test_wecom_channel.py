"""WeComChannel against the fake server: card shapes, long text, files, retried cards, team robots."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from bot.cards.actions import ApprovalTap, Tap
from bot.cards.model import Button, Card
from bot.channels.base import DeliveryError, OutboxItem
from bot.channels.wecom import MemoryTokenStore, WeComAPI
from bot.channels.wecom.channel import CARD_URL, WeComChannel
from bot.services import Services
from core.clock import FakeClock
from tests.fakes.wecom_server import MEDIA_UPLOAD, SEND, FakeWeCom


@pytest.fixture
async def fake(clock: FakeClock) -> FakeWeCom:
    return FakeWeCom(clock=clock)


@pytest.fixture
async def channel(services: Services, fake: FakeWeCom, clock: FakeClock, aiohttp_server: Any) -> Any:
    server = await aiohttp_server(fake.make_app())
    async with aiohttp.ClientSession() as http:
        api = WeComAPI(
            http,
            FakeWeCom.base_url(server),
            fake.corp_id,
            fake.agent_id,
            fake.secret,
            MemoryTokenStore(clock),
            max_attempts=1,
        )
        yield WeComChannel(
            api, services.renderer, services.db, clock, source="示例贸易", team_webhooks={"欧美组": "fake-webhook-key"}
        )


def item(kind: str, target: str = "lina", n: int = 1, **payload: Any) -> OutboxItem:
    return OutboxItem(n, target, kind, payload)


def card(card_id: str | None = "appr-1-zhaomin", buttons: bool = True) -> Card:
    bs = (
        Button("同意", ApprovalTap(1, Tap.APPROVE), "primary"),
        Button("驳回", ApprovalTap(1, Tap.REJECT), "danger"),
    )
    return Card("notice", "折扣审批", {"body": "李娜申请 15% 折扣"}, bs if buttons else (), card_id)


def test_cards_without_buttons_are_text_notices_with_buttons_button_interactions(channel: WeComChannel) -> None:
    notice = channel.render(card(None, buttons=False))
    assert notice == {
        "card_type": "text_notice",
        "source": {"desc": "示例贸易"},
        "main_title": {"title": "折扣审批"},
        "sub_title_text": "李娜申请 15% 折扣",
        "card_action": {"type": 1, "url": CARD_URL},
    }
    interactive = channel.render(card())
    assert interactive["card_type"] == "button_interaction" and interactive["task_id"] == "appr-1-zhaomin"
    assert interactive["button_list"] == [
        {"text": "同意", "style": 1, "key": "apv:1:ok"},
        {"text": "驳回", "style": 3, "key": "apv:1:no"},
    ]
    for bad in (None, "has space", "x" * 129):
        with pytest.raises(DeliveryError) as err:
            channel.render(card(bad))
        assert err.value.permanent


async def test_long_text_is_split_at_the_byte_limit(channel: WeComChannel, fake: FakeWeCom) -> None:
    text = "\n".join(f"第{i}行：" + "跟进内容" * 20 for i in range(40))
    await channel.deliver(item("text", text=text))
    parts = [m["text"]["content"] for m in fake.sent]
    assert len(parts) > 1 and all(len(p.encode()) <= 2048 for p in parts)
    assert "\n".join(parts) == text


async def test_markdown_goes_out_as_markdown(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item("markdown", text="**本周** 新增 3 个商机"))
    assert fake.sent[0]["msgtype"] == "markdown"


async def test_file_is_uploaded_then_sent_after_its_caption(channel: WeComChannel, fake: FakeWeCom) -> None:
    content = b"PK\x03\x04 quote"
    await channel.deliver(
        item(
            "file", filename="Q-2026-0007.xlsx", caption="报价单已生成", content_b64=base64.b64encode(content).decode()
        )
    )
    assert [m["msgtype"] for m in fake.sent] == ["text", "file"]
    media_id = fake.sent[1]["file"]["media_id"]
    assert fake.uploads[media_id] == ("Q-2026-0007.xlsx", content)
    assert fake.calls_to(MEDIA_UPLOAD)[0].query["type"] == "file"


async def test_card_retried_after_an_ambiguous_failure_is_sent_once(channel: WeComChannel, fake: FakeWeCom) -> None:
    fake.fail_next(SEND, reset=True, after_processing=True)  # WeCom took it, the answer was lost
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(item("card", target="zhaomin", card=card().to_json()))
    assert not err.value.permanent
    await channel.deliver(item("card", target="zhaomin", card=card().to_json()))  # 42014: already there
    assert len(fake.sent) == 1


async def test_reused_card_id_is_a_permanent_failure(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item("card", target="zhaomin", card=card().to_json()))
    with pytest.raises(DeliveryError) as err:  # same task_id to someone else: WeCom refuses it forever
        await channel.deliver(item("card", target="sunli", n=2, card=card().to_json()))
    assert err.value.permanent and "42014" in str(err.value)


async def test_update_without_any_response_code_is_permanent(channel: WeComChannel) -> None:
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(item("card_update", card_id="never-sent", final_text="已同意", response_code=None))
    assert err.value.permanent


async def test_card_update_uses_the_send_code_once(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item("card", target="zhaomin", card=card().to_json()))
    update = item(
        "card_update", target="zhaomin", n=2, card_id="appr-1-zhaomin", final_text="已撤回", response_code=None
    )
    await channel.deliver(update)
    await channel.deliver(update)  # redelivered by the outbox: already final, no second code spent
    assert len(fake.card_updates) == 1
    assert fake.card_updates[0]["userids"] == ["zhaomin"] and fake.card_updates[0]["button"]["replace_name"] == "已撤回"


async def test_member_outside_the_visible_range_is_permanent(channel: WeComChannel, fake: FakeWeCom) -> None:
    fake.set_org([{"id": 1, "name": "公司", "parentid": 0}], [{"userid": "lina", "name": "李娜", "department": [1]}])
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(item("text", target="ghost", text="你好"))
    assert err.value.permanent


async def test_team_robot_keeps_to_twenty_a_minute(channel: WeComChannel, fake: FakeWeCom, clock: FakeClock) -> None:
    for i in range(20):
        await channel.post_to_team("欧美组", f"**周报** {i}")
    with pytest.raises(DeliveryError) as err:
        await channel.post_to_team("欧美组", "one too many")
    assert not err.value.permanent
    clock.advance(seconds=61)
    await channel.post_to_team("欧美组", "next minute")
    assert len(fake.webhook_messages) == 21 and fake.webhook_messages[0]["msgtype"] == "markdown"
    with pytest.raises(DeliveryError) as err:
        await channel.post_to_team("无此团队", "x")
    assert err.value.permanent
