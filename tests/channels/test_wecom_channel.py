"""WeComChannel against the fake server: what each kind of answer becomes, long text, files, retried cards,
card updates by reference, team robots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.cards.actions import ApprovalTap, Tap
from bot.cards.model import Button, Card
from bot.channels.base import DeliveryError, OutboxItem
from bot.channels.wecom.channel import WeComChannel
from bot.outbox import Payload, SendCard, SendFile, SendText, UpdateCard
from bot.services import Services
from core.clock import FakeClock
from storage.models import WeComCard
from tests.fakes.wecom_rig import wecom_settings
from tests.fakes.wecom_server import MEDIA_UPLOAD, SEND, FakeWeCom


@pytest.fixture
async def fake(clock: FakeClock) -> FakeWeCom:
    return FakeWeCom(clock=clock)


@pytest.fixture
async def channel(services: Services, fake: FakeWeCom, clock: FakeClock, aiohttp_server: Any) -> AsyncIterator[Any]:
    server = await aiohttp_server(fake.make_app())
    settings = wecom_settings(
        services,
        fake,
        FakeWeCom.base_url(server),
        company_name="示例贸易",
        wecom_team_webhooks={"欧美组": "fake-webhook-key"},
    )
    channel = WeComChannel(settings, services.renderer, services.db, clock)
    async with channel.delivering():
        yield channel


def item(payload: Payload, target: str = "lina", n: int = 1, *, attempt: int = 1, **context: str) -> OutboxItem:
    return OutboxItem(n, target, payload, attempt, context)


def card(ref: str | None = "apv1-7", buttons: bool = True) -> Card:
    bs = (
        Button("同意", ApprovalTap(1, Tap.APPROVE), "primary"),
        Button("驳回", ApprovalTap(1, Tap.REJECT), "danger"),
    )
    return Card("notice", "折扣审批", {"body": "李娜申请 15% 折扣"}, bs if buttons else (), ref)


async def rows(services: Services) -> list[WeComCard]:
    async with services.db.session() as s:
        return list((await s.exec(select(WeComCard))).all())


async def test_a_card_without_buttons_is_markdown_and_links_nowhere(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item(SendCard(card(None, buttons=False))))
    [sent] = fake.sent
    assert sent["msgtype"] == "markdown"
    assert "折扣审批" in sent["markdown"]["content"] and "李娜申请 15% 折扣" in sent["markdown"]["content"]
    assert "http" not in str(sent)  # no text_notice pointing at a page that has nothing to do with the card


async def test_a_card_with_buttons_gets_a_task_id_of_its_own_per_send(
    channel: WeComChannel, fake: FakeWeCom, services: Services
) -> None:
    await channel.deliver(item(SendCard(card()), "zhaomin"))
    await channel.deliver(item(SendCard(card()), "sunli", n=2))  # the same ref to someone else
    first, second = (m["template_card"] for m in fake.sent)
    assert first["card_type"] == second["card_type"] == "button_interaction"
    assert first["task_id"].startswith("apv1-7@") and second["task_id"].startswith("apv1-7@")
    assert first["task_id"] != second["task_id"] and len(first["task_id"]) <= 128
    assert first["button_list"] == [
        {"text": "同意", "style": 1, "key": "apv:1:ok"},
        {"text": "驳回", "style": 3, "key": "apv:1:no"},
    ]
    assert {(r.card_ref, r.userid) for r in await rows(services)} == {("apv1-7", "zhaomin"), ("apv1-7", "sunli")}


async def test_one_line_is_text_a_long_answer_is_markdown_split_between_lines(
    channel: WeComChannel, fake: FakeWeCom
) -> None:
    await channel.deliver(item(SendText("已记录")))
    assert fake.sent[0] == {**fake.sent[0], "msgtype": "text", "text": {"content": "已记录"}}
    lines = [f"{i}. ⚠逾期 11-2{i % 10} 跟进 客户{i}：" + "跟进内容" * 12 for i in range(1, 41)]
    await channel.deliver(item(SendText("\n".join(["您有 40 条待办，其中 40 条已逾期：", *lines]))))
    parts = [m["markdown"]["content"] for m in fake.sent[1:]]
    assert len(parts) > 1 and all(m["msgtype"] == "markdown" for m in fake.sent[1:])
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert parts[0].startswith("**您有 40 条待办") and all(p.startswith("**您有 40 条待办") for p in parts[1:])
    shown = "\n".join(parts)
    for line in lines:  # every item whole, in WeCom's warning colour
        assert f'<font color="warning">{line}</font>' in shown


async def test_file_is_uploaded_then_sent_after_its_caption(channel: WeComChannel, fake: FakeWeCom) -> None:
    content = b"PK\x03\x04 quote"
    await channel.deliver(item(SendFile("Q-2026-0007.xlsx", content, "报价单已生成")))
    assert [m["msgtype"] for m in fake.sent] == ["text", "file"]
    media_id = fake.sent[1]["file"]["media_id"]
    assert fake.uploads[media_id] == ("Q-2026-0007.xlsx", content)
    assert fake.calls_to(MEDIA_UPLOAD)[0].query["type"] == "file"


async def test_a_file_sent_again_after_a_crash_is_shown_once(channel: WeComChannel, fake: FakeWeCom) -> None:
    """The process died after WeCom took the file but before the outbox row was marked sent: the retry sends
    the same media_id, which WeCom's duplicate check recognises (a new upload would show the file twice)."""
    content = b"PK\x03\x04 quote"
    await channel.deliver(item(SendFile("Q-2026-0007.xlsx", content, "报价单已生成"), n=5))
    await channel.deliver(item(SendFile("Q-2026-0007.xlsx", content, "报价单已生成"), n=5, attempt=2))
    assert [m["msgtype"] for m in fake.sent] == ["text", "file"]
    assert len(fake.calls_to(MEDIA_UPLOAD)) == 1


async def test_card_retried_after_an_ambiguous_failure_is_sent_once(channel: WeComChannel, fake: FakeWeCom) -> None:
    fake.fail_next(SEND, reset=True, after_processing=True)  # WeCom took it, the answer was lost
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(item(SendCard(card()), "zhaomin"))
    assert not err.value.permanent
    await channel.deliver(item(SendCard(card()), "zhaomin", attempt=2))  # same task_id: 42014, already there
    assert len(fake.sent) == 1


async def test_updating_a_card_never_sent_here_does_nothing(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item(UpdateCard("never-sent", "已同意")))
    assert fake.card_updates == [] and fake.calls_to("/cgi-bin/message/update_template_card") == []


async def test_card_update_uses_the_send_code_once(channel: WeComChannel, fake: FakeWeCom) -> None:
    await channel.deliver(item(SendCard(card()), "zhaomin"))
    update = item(UpdateCard("apv1-7", "已撤回"), "zhaomin", n=2)
    await channel.deliver(update)
    await channel.deliver(update)  # redelivered by the outbox: already final, no second code spent
    assert len(fake.card_updates) == 1
    assert fake.card_updates[0]["userids"] == ["zhaomin"] and fake.card_updates[0]["button"]["replace_name"] == "已撤回"


async def test_the_tapped_card_is_updated_with_the_taps_own_code(
    channel: WeComChannel, fake: FakeWeCom, services: Services
) -> None:
    """A send's code may be days old (72 h at most); the tap's is fresh, so the tapped card uses it."""
    await channel.deliver(item(SendCard(card()), "zhaomin"))
    [row] = await rows(services)
    tap_code = fake.issue_response_code()
    await channel.deliver(
        item(UpdateCard("apv1-7", "已同意"), "zhaomin", n=2, task_id=row.task_id, response_code=tap_code)
    )
    assert [u["response_code"] for u in fake.card_updates] == [tap_code]


async def test_member_outside_the_visible_range_is_permanent(channel: WeComChannel, fake: FakeWeCom) -> None:
    fake.set_org([{"id": 1, "name": "公司", "parentid": 0}], [{"userid": "lina", "name": "李娜", "department": [1]}])
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(item(SendText("你好"), "ghost"))
    assert err.value.permanent


async def test_team_robot_keeps_to_twenty_a_minute(channel: WeComChannel, fake: FakeWeCom, clock: FakeClock) -> None:
    assert channel.has_team_chat("欧美组") and not channel.has_team_chat("亚非组")
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
