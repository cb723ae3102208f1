"""The DingTalk API client and outbound side against the fake: tokens, replies, refusals, cards, no leaked secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.channels.base import DeliveryError
from bot.channels.dingtalk.api import DingTalkAPI, DingTalkPermanentError, DingTalkTransientError
from bot.channels.dingtalk.channel import TOKEN_PREFIX, build_api
from bot.channels.dingtalk.inbound import ReplyRoute, decode_robot_message
from bot.channels.dingtalk.messages import markdown_messages, text_messages
from bot.channels.dingtalk.outbound import MAX_BUTTONS, CardContent, DingTalkOutbound, out_track_id
from bot.channels.dingtalk.quota import QuotaMeter
from bot.channels.wecom.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from bot.services import Services
from core.clock import FakeClock
from core.quotas import QuotaKind
from tests.fakes.ding_harness import ding_settings
from tests.fakes.dingtalk_server import (
    BATCH_SEND,
    CARD_CREATE,
    CARD_UPDATE,
    GROUP_SEND,
    TOKEN,
    USER_GET,
    WEBHOOK,
    FakeDingTalk,
)

TEMPLATE = "tpl-approval-0001.schema"


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalk:
    return FakeDingTalk(clock=clock)


@pytest.fixture
async def base_url(fake: FakeDingTalk, aiohttp_server: Any) -> str:
    return fake.base_url(await aiohttp_server(fake.make_app()))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


MakeApi = Callable[..., DingTalkAPI]


@pytest.fixture
def make_api(session: aiohttp.ClientSession, base_url: str, fake: FakeDingTalk, clock: FakeClock) -> MakeApi:
    def make(store: TokenStore | None = None, **kwargs: Any) -> DingTalkAPI:
        return DingTalkAPI(
            session,
            api_base=base_url,
            oapi_base=base_url,
            client_id=fake.client_id,
            client_secret=kwargs.pop("secret", fake.client_secret),
            robot_code=fake.client_id,
            token_store=store or MemoryTokenStore(clock),
            **kwargs,
        )

    return make


@pytest.fixture
def api(make_api: MakeApi) -> DingTalkAPI:
    return make_api()


@pytest.fixture
def meter(services: Services) -> QuotaMeter:
    return QuotaMeter(services.db, services.clock)


@pytest.fixture
def outbound(make_api: MakeApi, meter: QuotaMeter, clock: FakeClock) -> DingTalkOutbound:
    return DingTalkOutbound(make_api(meter=meter), clock, meter=meter, card_template_id=TEMPLATE)


def route_of(fake: FakeDingTalk, sender: str = "manager4220", **kwargs: Any) -> ReplyRoute:
    return decode_robot_message(fake.robot_message(sender, "待办", **kwargs)).reply_route()


# ---- token ------------------------------------------------------------------------------------------


async def test_one_token_serves_many_calls(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    body = text_messages("hello")[0]
    await api.batch_send(["u1"], body)
    await asyncio.gather(*(api.batch_send([f"u{i}"], body) for i in range(8)))
    assert len(fake.calls_to(TOKEN)) == 1  # cached, and one fetch however many wait for it
    assert fake.calls_to(TOKEN)[0].json == {"appKey": fake.client_id, "appSecret": "***"}
    assert all(c.token == fake.calls_to(BATCH_SEND)[0].token for c in fake.calls_to(BATCH_SEND))


async def test_the_token_is_renewed_five_minutes_early(api: DingTalkAPI, fake: FakeDingTalk, clock: FakeClock) -> None:
    body = text_messages("hi")[0]
    await api.batch_send(["u1"], body)
    clock.advance(seconds=7200 - 301)
    await api.batch_send(["u1"], body)
    assert len(fake.calls_to(TOKEN)) == 1
    clock.advance(seconds=2)
    await api.batch_send(["u1"], body)
    assert len(fake.calls_to(TOKEN)) == 2


async def test_an_expired_token_is_refreshed_and_the_call_repeated_once(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    await api.batch_send(["u1"], text_messages("first")[0])
    fake.expire_tokens()
    await api.batch_send(["u1"], text_messages("second")[0])
    assert len(fake.calls_to(TOKEN)) == 2
    assert [c.json["msgParam"] for c in fake.calls_to(BATCH_SEND)] == [  # type: ignore[index]
        '{"content": "first"}',
        '{"content": "second"}',
        '{"content": "second"}',
    ]
    assert fake.texts_to("u1") == ["first", "second"]


async def test_an_expired_token_on_the_old_api_is_refreshed_too(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    fake.set_org([{"dept_id": 1, "name": "总公司"}], [{"userid": "u1", "name": "李娜", "dept_id_list": [1]}])
    await api.get_user("u1")
    fake.expire_tokens()  # oapi answers errcode 42001
    assert (await api.get_user("u1"))["name"] == "李娜"
    assert len(fake.calls_to(TOKEN)) == 2 and len(fake.calls_to(USER_GET)) == 3


async def test_wrong_credentials_are_permanent(make_api: MakeApi) -> None:
    with pytest.raises(DingTalkPermanentError) as err:
        await make_api(secret="wrong-secret").batch_send(["u1"], text_messages("x")[0])
    assert err.value.code == "invalidClientIdOrSecret"
    assert "wrong-secret" not in str(err.value)


@pytest.mark.skipif(not os.environ.get("KABOT_TEST_REDIS_URL"), reason="KABOT_TEST_REDIS_URL not set")
async def test_replicas_share_one_token_through_redis(make_api: MakeApi, fake: FakeDingTalk) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(os.environ["KABOT_TEST_REDIS_URL"])
    prefix = f"kabot:test:{uuid.uuid4().hex}:"
    try:
        replicas = [make_api(RedisTokenStore(redis, prefix, poll_interval_s=0.01)) for _ in range(3)]
        await asyncio.gather(*(r.batch_send(["u1"], text_messages(f"r{i}")[0]) for i, r in enumerate(replicas)))
        assert len(fake.calls_to(TOKEN)) == 1
    finally:
        keys = [k async for k in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@pytest.mark.skipif(not os.environ.get("KABOT_TEST_REDIS_URL"), reason="KABOT_TEST_REDIS_URL not set")
async def test_two_processes_share_the_token_and_see_each_others_refresh(aiohttp_server: Any, clock: FakeClock) -> None:
    """Two kabot processes wired as `kabot serve` wires them (KABOT_REDIS_URL set): each its own HTTP session and
    Redis connection, one token between them, and a token one of them refreshed is the one the other uses next."""
    from redis.asyncio import Redis

    fake = FakeDingTalk(clock=clock, client_id=f"dingtest{uuid.uuid4().hex[:12]}")  # its own key in Redis
    ding = ding_settings(fake, fake.base_url(await aiohttp_server(fake.make_app())))
    url = os.environ["KABOT_TEST_REDIS_URL"]
    async with aiohttp.ClientSession() as http_a, aiohttp.ClientSession() as http_b:
        redis_a, redis_b = Redis.from_url(url), Redis.from_url(url)
        try:
            a = build_api(ding, http_a, clock, redis_a)
            b = build_api(ding, http_b, clock, redis_b)
            await a.batch_send(["u1"], text_messages("a1")[0])
            await b.batch_send(["u1"], text_messages("b1")[0])
            assert len(fake.calls_to(TOKEN)) == 1  # b used the token a fetched

            fake.expire_tokens()  # DingTalk now refuses it
            await b.batch_send(["u1"], text_messages("b2")[0])  # b is refused, refreshes, repeats
            assert len(fake.calls_to(TOKEN)) == 2
            await a.batch_send(["u1"], text_messages("a2")[0])  # a finds b's fresh token: no refusal, no fetch
            assert len(fake.calls_to(TOKEN)) == 2
            sends = fake.calls_to(BATCH_SEND)
            assert [c.json["msgParam"] for c in sends] == [  # type: ignore[index]
                '{"content": "a1"}',
                '{"content": "b1"}',
                '{"content": "b2"}',
                '{"content": "b2"}',
                '{"content": "a2"}',
            ]
            assert sends[-1].token == sends[-2].token != sends[0].token
            assert fake.texts_to("u1") == ["a1", "b1", "b2", "a2"]
        finally:
            await redis_a.delete(TOKEN_PREFIX + (ding.client_id or ""))
            await redis_a.aclose()
            await redis_b.aclose()


# ---- failures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "maybe_sent", "retry_after"),
    [
        ({"http_status": 503, "body": {"code": "ServiceUnavailable"}}, True, None),
        ({"http_status": 429, "body": {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}}, False, 1.0),
        ({"http_status": 403, "body": {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"}}, False, 3600.0),
        ({"http_status": 200, "body": {"status": 1111, "wait": 5}}, False, 300.0),
        ({"reset": True}, True, None),
    ],
    ids=["5xx", "qps", "monthly-limit", "ip-banned", "reset"],
)
async def test_transient_failures_say_whether_the_message_may_have_gone(
    api: DingTalkAPI, fake: FakeDingTalk, fault: dict[str, Any], maybe_sent: bool, retry_after: float | None
) -> None:
    await api.batch_send(["u1"], text_messages("warm up")[0])
    fake.fail_next(BATCH_SEND, **fault)
    with pytest.raises(DingTalkTransientError) as err:
        await api.batch_send(["u1"], text_messages("x")[0])
    assert (err.value.maybe_sent, err.value.retry_after_s) == (maybe_sent, retry_after)


async def test_nothing_secret_reaches_logs_or_errors(
    outbound: DingTalkOutbound, fake: FakeDingTalk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    route = route_of(fake)
    await outbound.send_text("manager4220", "hi", route=route)
    fake.expire_tokens()
    fake.fail_next(BATCH_SEND, http_status=500, body={"code": "system.busy"})
    with pytest.raises(DeliveryError) as err:
        await outbound.send_text("manager4220", "again")
    token = fake.calls_to(BATCH_SEND)[-1].token or "no-token-seen"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("kabot"))  # not the fake's log
    assert "token refreshed" in ours
    for text in (ours, str(err.value)):
        assert fake.client_secret not in text and token not in text
        assert (route.session_webhook or "?") not in text and "SESSION" not in text


# ---- replies ---------------------------------------------------------------------------------------------


async def test_a_reply_goes_through_the_session_webhook_while_it_is_valid(
    outbound: DingTalkOutbound, fake: FakeDingTalk, meter: QuotaMeter
) -> None:
    route = route_of(fake)
    await outbound.send_text("manager4220", "已记录拜访：艾克美", route=route)
    assert fake.sent == [
        {
            "via": "webhook",
            "to": "cidmanager4220",
            "msgKey": "sampleText",
            "params": {"content": "已记录拜访：艾克美"},
            "at": None,
        }
    ]
    assert fake.calls_to(TOKEN) == []  # no token, no API call spent
    usage = {u.kind: u.used for u in await meter.usage()}
    assert usage[QuotaKind.WEBHOOK_STREAM] == 1 and usage[QuotaKind.API] == 0


async def test_once_the_webhook_has_expired_the_robot_api_answers(
    outbound: DingTalkOutbound, fake: FakeDingTalk, clock: FakeClock
) -> None:
    route = route_of(fake)
    clock.advance(minutes=90)
    await outbound.send_text("manager4220", "提醒：明天拜访", route=route)
    assert [(m["via"], m["to"]) for m in fake.sent] == [("oto", "manager4220")]
    assert fake.calls_to(WEBHOOK) == []


async def test_a_webhook_that_lapsed_early_falls_back_to_the_robot_api(
    outbound: DingTalkOutbound, fake: FakeDingTalk
) -> None:
    route = route_of(fake)
    fake.expire_sessions()  # DingTalk answers 300001 "session 不存在"
    await outbound.send_text("manager4220", "报价已生成", route=route)
    assert [(m["via"], m["to"]) for m in fake.sent] == [("oto", "manager4220")]
    assert fake.texts_to("manager4220") == ["报价已生成"]


async def test_a_webhook_on_another_host_is_never_used(outbound: DingTalkOutbound, fake: FakeDingTalk) -> None:
    route = route_of(fake)
    forged = ReplyRoute(
        route.user,
        route.conversation_type,
        route.conversation_id,
        "http://evil.example/robot/sendBySession?session=x",
        route.webhook_expires_at,
    )
    await outbound.send_text("manager4220", "hi", route=forged)
    assert [m["via"] for m in fake.sent] == ["oto"]


async def test_a_group_reply_mentions_the_sender_then_uses_the_group_api(
    outbound: DingTalkOutbound, fake: FakeDingTalk, clock: FakeClock
) -> None:
    route = route_of(fake, "user01", conversation_type="2", conversation_id="cidGroup==")
    await outbound.send_text("user01", "艾克美：A 类客户", route=route)
    assert fake.sent[0]["to"] == "cidGroup==" and fake.sent[0]["at"] == {"atUserIds": ["user01"], "isAtAll": False}
    assert fake.sent[0]["params"]["content"] == "@user01 艾克美：A 类客户"
    clock.advance(hours=2)
    await outbound.send_text("user01", "稍后补充", route=route)
    assert (fake.sent[1]["via"], fake.sent[1]["to"]) == ("group", "cidGroup==")


async def test_someone_the_robot_cannot_reach_is_a_permanent_failure(
    outbound: DingTalkOutbound, fake: FakeDingTalk
) -> None:
    fake.set_org([{"dept_id": 1, "name": "总公司"}], [{"userid": "manager4220", "name": "王强", "dept_id_list": [1]}])
    with pytest.raises(DeliveryError) as err:
        await outbound.send_text("left-the-company", "提醒")  # HTTP 200, but in invalidStaffIdList
    assert err.value.permanent


async def test_flow_control_is_retried_later_not_dropped(outbound: DingTalkOutbound, fake: FakeDingTalk) -> None:
    fake.flow_control("manager4220")
    with pytest.raises(DeliveryError) as err:
        await outbound.send_text("manager4220", "日报")
    assert not err.value.permanent and fake.sent == []
    fake.release_flow_control("manager4220")
    await outbound.send_text("manager4220", "日报")
    assert fake.texts_to("manager4220") == ["日报"]


async def test_a_batch_is_split_into_calls_of_twenty(api: DingTalkAPI, fake: FakeDingTalk) -> None:
    people = [f"u{i:02d}" for i in range(45)]
    fake.flow_control("u44")
    result = await api.batch_send(people, text_messages("周会改到周五")[0])
    assert [len(c.json["userIds"]) for c in fake.calls_to(BATCH_SEND)] == [20, 20, 5]  # type: ignore[index]
    assert result.flow_controlled == ("u44",) and len(result.process_query_keys) == 3
    assert len(fake.sent) == 44


async def test_a_long_markdown_answer_is_split_on_lines_within_the_limits(
    outbound: DingTalkOutbound, fake: FakeDingTalk, clock: FakeClock
) -> None:
    lines = [
        f"{i:03d}. 艾克美国际贸易有限公司 — S3 方案报价 — ¥128,000 — 下次跟进 12月{i % 28 + 1}日" for i in range(400)
    ]
    route = route_of(fake, "user01", conversation_type="2", conversation_id="cidGroup==")
    clock.advance(hours=3)  # the webhook lapsed: the group API and its 15,000-byte msgParam limit apply
    await outbound.send_text("user01", "## 销售漏斗\n" + "\n".join(lines), markdown=True, route=route)
    sent = [m["params"] for m in fake.sent]
    assert len(sent) > 1
    assert [p["title"] for p in sent] == ["销售漏斗"] + ["销售漏斗（续）"] * (len(sent) - 1)
    assert all(len(c.json["msgParam"].encode()) <= 15_000 for c in fake.calls_to(GROUP_SEND))  # type: ignore[index]
    text = "".join(p["text"] + "  \n" for p in sent)
    assert [line.rstrip() for line in text.split("  \n") if line.strip()] == ["## 销售漏斗", *lines]


def test_markdown_lines_break_where_the_handler_broke_them() -> None:
    body = markdown_messages("**待办**\n1. 回访艾克美\n2. 报价 Q-2026-0012")[0]
    assert body.params == {"title": "待办", "text": "**待办**  \n1. 回访艾克美  \n2. 报价 Q-2026-0012"}
    assert json.loads(body.msg_param()) == body.params


# ---- cards ----------------------------------------------------------------------------------------------


def approval_card(result: str = "") -> CardContent:
    return CardContent(
        title="折扣审批 Q-2026-0012",
        markdown="**艾克美** 报价 ¥128,000，折扣 12%（超出 10% 权限）",
        buttons=(("同意", "apv:12:1:ok"), ("驳回", "apv:12:1:no")),
        text_commands=("同意 Q-2026-0012", "驳回 Q-2026-0012 原因"),
    )


async def test_an_approval_card_is_created_from_the_template_with_stream_callbacks(
    outbound: DingTalkOutbound, fake: FakeDingTalk
) -> None:
    await outbound.send_card("apv-12-1", "manager4220", approval_card())
    track = out_track_id("apv-12-1", "manager4220")
    card = fake.cards[track]
    assert card["template"] == TEMPLATE and card["users"] == ["manager4220"]
    assert card["body"]["callbackType"] == "STREAM"  # taps come back on the Stream connection
    assert card["body"]["imRobotOpenDeliverModel"] == {"spaceType": "IM_ROBOT", "robotCode": fake.client_id}
    assert card["params"]["btn1_action"] == "apv:12:1:ok" and card["params"]["btn3_text"] == ""
    assert card["params"]["status"] == "pending"
    assert all(isinstance(v, str) for v in card["params"].values())


async def test_a_retried_card_counts_as_sent_but_a_reused_reference_does_not(
    outbound: DingTalkOutbound, fake: FakeDingTalk
) -> None:
    await outbound.send_card("apv-12-1", "manager4220", approval_card())
    await outbound.send_card("apv-12-1", "manager4220", approval_card(), retry=True)
    with pytest.raises(DeliveryError) as err:
        await outbound.send_card("apv-12-1", "manager4220", approval_card())
    assert err.value.permanent and len(fake.calls_to(CARD_CREATE)) == 3 and len(fake.cards) == 1


async def test_a_card_nobody_received_is_a_permanent_failure(outbound: DingTalkOutbound, fake: FakeDingTalk) -> None:
    fake.set_org([{"dept_id": 1, "name": "总公司"}], [{"userid": "manager4220", "name": "王强", "dept_id_list": [1]}])
    with pytest.raises(DeliveryError) as err:
        await outbound.send_card("apv-12-1", "ghost", approval_card())  # HTTP 200, deliverResults success false
    assert err.value.permanent and "user not found" in str(err.value)


async def test_every_approvers_card_is_finalised_and_keeps_its_other_fields(
    outbound: DingTalkOutbound, fake: FakeDingTalk
) -> None:
    for approver in ("manager4220", "director01"):
        await outbound.send_card("apv-12-1", approver, approval_card())
    await outbound.finish_card("apv-12-1", ["manager4220", "director01"], "已同意（王强）")
    await outbound.finish_card("apv-12-1", ["manager4220", "director01"], "已同意（王强）")  # redelivered: harmless
    for approver in ("manager4220", "director01"):
        params = fake.cards[out_track_id("apv-12-1", approver)]["params"]
        assert (params["status"], params["result"], params["title"]) == (
            "done",
            "已同意（王强）",
            "折扣审批 Q-2026-0012",
        )
    assert fake.card_updates[0]["cardUpdateOptions"]["updateCardDataByKey"] is True
    assert len(fake.calls_to(CARD_UPDATE)) == 4


async def test_without_a_template_the_card_is_markdown_with_text_commands(
    make_api: MakeApi, clock: FakeClock, fake: FakeDingTalk
) -> None:
    plain = DingTalkOutbound(make_api(), clock, card_template_id=None)
    await plain.send_card("apv-12-1", "manager4220", approval_card())
    await plain.finish_card("apv-12-1", ["manager4220"], "已同意")
    assert fake.cards == {} and fake.calls_to(CARD_UPDATE) == []
    [message] = fake.sent
    assert message["msgKey"] == "sampleMarkdown" and message["params"]["title"] == "折扣审批 Q-2026-0012"
    assert "- 同意 Q-2026-0012" in message["params"]["text"] and "- 驳回 Q-2026-0012 原因" in message["params"]["text"]


async def test_a_card_with_too_many_buttons_is_refused(outbound: DingTalkOutbound) -> None:
    card = CardContent("t", "m", buttons=tuple((f"b{i}", f"k:{i}") for i in range(MAX_BUTTONS + 1)))
    with pytest.raises(DeliveryError) as err:
        await outbound.send_card("c", "manager4220", card)
    assert err.value.permanent


# ---- quota -------------------------------------------------------------------------------------------------


async def test_every_call_is_counted_by_kind(outbound: DingTalkOutbound, fake: FakeDingTalk, meter: QuotaMeter) -> None:
    fake.set_org([{"dept_id": 1, "name": "总公司"}], [{"userid": "manager4220", "name": "王强", "dept_id_list": [1]}])
    await outbound.send_text("manager4220", "hi", route=route_of(fake))  # webhook
    await outbound.send_text("manager4220", "push")  # token + batchSend
    await outbound.send_card("apv-1", "manager4220", approval_card())  # createAndDeliver
    await outbound.api.get_user("manager4220")  # contacts: exempt
    usage = {u.kind: u.used for u in await meter.usage()}
    assert usage == {QuotaKind.WEBHOOK_STREAM: 1, QuotaKind.API: 2, QuotaKind.EXEMPT: 2}
    assert len(fake.calls) == 5


async def test_near_the_limit_digests_stop_before_replies(
    outbound: DingTalkOutbound, fake: FakeDingTalk, meter: QuotaMeter
) -> None:
    await meter.record(QuotaKind.API, 4_550)  # 91% of 5,000
    with pytest.raises(DeliveryError) as err:
        await outbound.post_to_group("cidGroup==", "## 本周漏斗")  # a digest: skipped for good
    assert err.value.permanent
    await outbound.send_text("manager4220", "已记录")  # an answer still goes out
    await outbound.send_card("apv-1", "manager4220", approval_card())
    assert [m["to"] for m in fake.sent] == ["manager4220"] and len(fake.cards) == 1
    await meter.record(QuotaKind.API, 5_000 - 4_552)
    with pytest.raises(DeliveryError) as err:
        await outbound.send_text("manager4220", "已记录")  # at 100% even an answer waits for next month
    assert not err.value.permanent
