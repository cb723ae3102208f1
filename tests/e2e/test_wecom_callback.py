"""WeCom end to end through the real aiohttp app: callbacks in, message/send and update_template_card out.

Background work is driven by hand (`pipeline.drain()`, `Deliverer.run_once()`) and time by the FakeClock, so
nothing here waits on the wall clock.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.app import create_app
from bot.cards.actions import CardAction
from bot.cards.model import Button, Card
from bot.channels import registry
from bot.context import Context
from bot.handlers import ROUTERS
from bot.replies import CardReply, CardUpdate, Reply, TextReply
from bot.router import Router, merge
from bot.services import Services
from bot.settings import Settings
from core.clock import FakeClock
from core.nlu.intents import Intent
from storage.models import InboundMessage, OutboxMessage, User
from storage.repo import users
from tests.fakes.wecom_rig import Rig, make_rig
from tests.fakes.wecom_server import GETTOKEN, SEND, UPDATE_CARD, FakeWeCom

REDIS_URL = os.environ.get("KABOT_TEST_REDIS_URL")


# ---- messages in, replies out -----------------------------------------------------------------------


async def test_rep_message_is_acked_empty_then_answered_by_message_send(rig: Rig) -> None:
    status, body = await rig.post(rig.fake.callback_text("LiNa", "帮助", 1001))
    assert (status, body) == (200, b"")  # empty 200, never "success"
    assert rig.fake.sent == []  # the answer did not wait for the handler
    assert await rig.settle() == 1
    [reply] = rig.texts("lina")  # UserIDs are normalised to lower case
    assert "李娜您好" in reply
    status, _ = await rig.post(rig.fake.callback_text("lina", "今天天气不错", 1002))
    assert status == 200 and await rig.settle() == 1
    assert "没太明白" in rig.texts("lina")[1]


async def test_the_json_callback_format_is_answered_like_xml(rig: Rig) -> None:
    callback = rig.fake.callback_text_json("LiNa", "帮助", 1101)
    assert await rig.post(callback) == (200, b"")
    assert await rig.post(callback) == (200, b"")  # redelivered: the same dedup key as in XML
    await rig.settle()
    [reply] = rig.texts("lina")
    assert "李娜您好" in reply
    params, body = callback
    assert (await rig.post(({**params, "msg_signature": "0" * 40}, body)))[0] == 403


async def test_redelivered_message_is_processed_once(rig: Rig) -> None:
    callback = rig.fake.callback_text("lina", "帮助", 2001)
    for _ in range(3):  # WeCom retries when it thinks it got no answer
        assert (await rig.post(callback))[0] == 200
    await rig.settle()
    assert len(rig.texts("lina")) == 1
    assert len(await rig.rows(InboundMessage)) == 1


async def test_unknown_member_is_told_politely(rig: Rig) -> None:
    await rig.post(rig.fake.callback_text("stranger", "帮助", 2101))
    await rig.settle()
    assert "不在 kabot 的用户名单" in rig.texts("stranger")[0]


async def test_media_gets_a_text_only_notice_and_enter_agent_is_ignored(rig: Rig) -> None:
    fake = rig.fake
    image = fake._inner("lina", "image", None) + (
        "<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        f"<MsgId>3001</MsgId><AgentID>{fake.agent_id}</AgentID></xml>"
    )
    enter = fake._inner("lina", "event", None) + (
        f"<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>{fake.agent_id}</AgentID></xml>"
    )
    for inner in (image, image, enter):
        assert (await rig.post(fake.encrypt_callback(inner)))[0] == 200
    await rig.settle()
    assert rig.texts("lina") == [rig_notice()]
    assert len(await rig.rows(InboundMessage)) == 1


def rig_notice() -> str:
    from bot.pipeline import UNSUPPORTED

    return UNSUPPORTED


# ---- cards -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decide(CardAction, prefix="test_decide"):
    item: int
    verdict: str


def approval_cards() -> Router:
    """Stands in for the approval handlers: a card to both approvers; a tap finalises both cards."""
    r = Router("approval-test")

    def card(who: str) -> Card:
        buttons = (
            Button("同意", Decide(7, "approve"), "primary"),
            Button("驳回", Decide(7, "reject"), "danger"),
        )
        return Card("notice", "折扣审批 · 艾克美", {"body": "李娜申请 15% 折扣"}, buttons, ref=f"appr-7-{who}")

    async def user(ctx: Context, wecom_userid: str) -> User:
        found = await users.by_identity(ctx.session, "wecom", wecom_userid)
        assert found is not None
        return found

    @r.intent(Intent.HELP)
    async def submit(ctx: Context, _parsed: Any) -> list[Reply]:
        return [
            TextReply("已提交审批"),
            CardReply(card("zhaomin"), to_user_id=(await user(ctx, "zhaomin")).id),
            CardReply(card("sunli"), to_user_id=(await user(ctx, "sunli")).id),
        ]

    @r.action(Decide)
    async def approve(ctx: Context, _action: Decide) -> list[Reply]:
        final = f"已同意 · {ctx.user.name} · {ctx.now:%m-%d %H:%M}"
        assert ctx.inbound.card_ref is not None  # the tapped card, by the ref this handler gave it
        other = "sunli" if ctx.inbound.card_ref == "appr-7-zhaomin" else "zhaomin"
        return [
            CardUpdate(ctx.inbound.card_ref, final),
            CardUpdate(f"appr-7-{other}", final, to_user_id=(await user(ctx, other)).id),
        ]

    return merge([r, *(x for x in ROUTERS if x.name != "help")])


async def test_tapped_card_is_finalised_for_every_approver(rig: Rig) -> None:
    rig.services.router = approval_cards()
    await rig.post(rig.fake.callback_text("lina", "帮助", 4001))
    await rig.settle()
    cards = {m["touser"]: m["template_card"] for m in rig.fake.sent if m["msgtype"] == "template_card"}
    assert set(cards) == {"zhaomin", "sunli"}
    assert cards["zhaomin"]["card_type"] == "button_interaction"
    assert cards["zhaomin"]["task_id"].startswith("appr-7-zhaomin@")
    assert [b["key"] for b in cards["zhaomin"]["button_list"]] == ["test_decide:7:approve", "test_decide:7:reject"]

    tap = rig.fake.callback_click("ZhaoMin", cards["zhaomin"]["task_id"], "test_decide:7:approve")
    assert await rig.post(tap) == (200, b"")
    assert await rig.post(tap) == (200, b"")  # redelivered tap: same user, time, task and key
    await rig.settle()
    updates = {u["userids"][0]: u for u in rig.fake.card_updates}
    assert set(updates) == {"zhaomin", "sunli"}
    assert all(u["button"] == {"replace_name": "已同意 · 赵敏 · 11-23 10:00"} for u in updates.values())
    assert len(rig.fake.calls_to(UPDATE_CARD)) == 2  # each one-shot code spent once

    # A late second tap (sunli's card was already greyed, so WeCom would not send one; a replay then):
    await rig.post(rig.fake.callback_click("sunli", cards["sunli"]["task_id"], "test_decide:7:approve"))
    await rig.settle()
    assert len(rig.fake.calls_to(UPDATE_CARD)) == 2


# ---- refusals ----------------------------------------------------------------------------------------


async def test_forged_or_stale_callbacks_get_403_and_nothing_is_sent(rig: Rig, clock: FakeClock) -> None:
    params, body = rig.fake.callback_text("lina", "帮助", 5001)
    assert (await rig.post(({**params, "msg_signature": "0" * 40}, body)))[0] == 403
    other = FakeWeCom(clock=clock, callback_token="not-our-token")
    assert (await rig.post(other.callback_text("lina", "帮助", 5002)))[0] == 403
    stale = rig.fake.callback_text("lina", "帮助", 5003)
    clock.advance(minutes=6)
    assert (await rig.post(stale))[0] == 403
    huge = rig.fake.callback_text("lina", "帮助", 5005)
    assert (await rig.post(({**huge[0], "timestamp": "9" * 400}, huge[1])))[0] == 403  # not a 500 (OverflowError)
    another_app = (
        rig.fake._inner("lina", "text", None) + "<Content>帮助</Content><MsgId>5004</MsgId><AgentID>42</AgentID></xml>"
    )
    assert (await rig.post(rig.fake.encrypt_callback(another_app)))[0] == 403
    await rig.settle()
    assert rig.fake.sent == [] and await rig.rows(InboundMessage) == []


def signed(fake: FakeWeCom, encrypt: str) -> tuple[dict[str, str], bytes]:
    ts, nonce = str(int(fake.clock.now().timestamp())), "777"
    body = f"<xml><ToUserName><![CDATA[{fake.corp_id}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return {"msg_signature": fake.crypto.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}, body.encode()


def bad_padding(fake: FakeWeCom) -> str:
    key = base64.b64decode(fake.encoding_aes_key + "=")
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(b"\x00" * 63 + b"\x00") + enc.finalize()).decode()  # pad byte 0


@pytest.mark.parametrize(
    "case, status",
    [
        ("oversized", 413),
        ("dtd", 400),
        ("malformed", 400),
        ("bad_padding", 400),
        ("not_base64", 400),
    ],
)
async def test_malformed_callbacks_are_4xx_never_500(rig: Rig, case: str, status: int) -> None:
    params, body = rig.fake.callback_text("lina", "帮助", 6001)
    if case == "oversized":
        body = body.replace(b"</xml>", b"<Pad>" + b"x" * 70_000 + b"</Pad></xml>")
    elif case == "dtd":
        body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body
    elif case == "malformed":
        body = body[:-10]
    elif case == "bad_padding":
        params, body = signed(rig.fake, bad_padding(rig.fake))
    else:
        params, body = signed(rig.fake, "%%%not-base64%%%")
    assert (await rig.post((params, body)))[0] == status
    await rig.settle()
    assert rig.fake.sent == [] and await rig.rows(InboundMessage) == []


async def test_get_url_verification_answers_the_bare_echo(rig: Rig) -> None:
    params = rig.fake.callback_verify("1288432023552776189")
    resp = await rig.client.get("/wecom/callback", params=params)
    assert resp.status == 200 and await resp.read() == b"1288432023552776189"
    resp = await rig.client.get("/wecom/callback", params={**params, "msg_signature": "f" * 40})
    assert resp.status == 403


# ---- the API side: tokens and outages ----------------------------------------------------------------


async def test_expired_token_is_renewed(rig: Rig) -> None:
    await rig.post(rig.fake.callback_text("lina", "帮助", 7001))
    await rig.settle()
    rig.fake.expire_tokens()
    await rig.post(rig.fake.callback_text("lina", "你好", 7002))
    assert await rig.settle() == 1
    assert len(rig.texts("lina")) == 2
    assert len(rig.fake.calls_to(GETTOKEN)) == 2


@pytest.mark.parametrize("fault", [{"http_status": 502}, {"errcode": -1}])
async def test_wecom_outage_delays_but_every_message_arrives_once(
    rig: Rig, clock: FakeClock, fault: dict[str, Any]
) -> None:
    rig.fake.fail_next(SEND, times=6, **fault)
    who = ["lina", "wangqiang", "chenjing", "lina"]
    for n, user in enumerate(who):
        assert (await rig.post(rig.fake.callback_text(user, "帮助", 8000 + n)))[0] == 200
    delivered = await rig.settle()
    for _ in range(12):  # the outbox retries with backoff as time passes
        clock.advance(minutes=2)
        delivered += await rig.deliverer.run_once()
    assert delivered == 4
    assert sorted(m["touser"] for m in rig.fake.sent) == sorted(who)
    assert len(rig.fake.calls_to(SEND)) == 4 + 6
    assert {r.status for r in await rig.rows(OutboxMessage)} == {"sent"}


async def test_a_send_whose_answer_was_lost_is_not_shown_twice(rig: Rig, clock: FakeClock) -> None:
    """WeCom took the message but the connection dropped: the retry carries the duplicate check and is dropped."""
    rig.fake.fail_next(SEND, reset=True, after_processing=True)
    await rig.post(rig.fake.callback_text("lina", "撤销", 8100))
    assert await rig.settle() == 0  # looked like a failure
    clock.advance(minutes=2)
    assert await rig.deliverer.run_once() == 1
    assert len(rig.texts("lina")) == 1 and len(rig.fake.calls_to(SEND)) == 2
    await rig.post(rig.fake.callback_text("lina", "撤销", 8101))  # asking again on purpose is answered again
    await rig.settle()
    assert len(rig.texts("lina")) == 2


@pytest.mark.skipif(not REDIS_URL, reason="KABOT_TEST_REDIS_URL not set")
async def test_redis_fast_path_drops_redeliveries_before_the_database(
    services: Services, clock: FakeClock, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    rig = await make_rig(services, clock, aiohttp_server, aiohttp_client, redis_url=REDIS_URL)
    msg_id = uuid.uuid4().int >> 64  # the Redis may be shared: a key no earlier run left behind
    callback = rig.fake.callback_text("lina", "帮助", msg_id)
    for _ in range(3):
        assert (await rig.post(callback))[0] == 200
    await rig.settle()
    assert len(rig.texts("lina")) == 1
    assert len(await rig.rows(InboundMessage)) == 1
    key = f"kabot:wecom:seen:msgid:{msg_id}"
    assert await services.redis.get(key) == b"stored"
    await services.redis.delete(key)
    await services.redis.aclose()


# ---- channels on and off -----------------------------------------------------------------------------


async def test_start_says_which_channels_are_on_and_why_not(
    services: Services, aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Without WeCom settings /wecom/callback is a 404: the start-up log says so and names what is missing."""
    caplog.set_level(logging.INFO, logger="kabot.channels")
    services.settings = Settings(database_url=services.settings.database_url, wecom_corp_id="ww1", _env_file=None)  # type: ignore[call-arg]
    registry.configure(services)
    client = await aiohttp_client(create_app(services, background=False))
    assert (await client.post("/wecom/callback", data=b"<xml/>")).status == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "kabot.channels"]
    [line] = [x for x in lines if x.startswith("channel wecom")]
    assert "channel dingtalk: off (not set: KABOT_DINGTALK_CLIENT_ID, KABOT_DINGTALK_CLIENT_SECRET)" in lines
    assert line.startswith("channel wecom: off") and "KABOT_WECOM_SECRET" in line and "CORP_ID" not in line


async def test_start_logs_an_enabled_channel(rig: Rig) -> None:
    assert "wecom" in rig.services.channels
    assert registry.report(rig.services.settings)[0] == "channel wecom: on (callbacks at /wecom/callback)"
