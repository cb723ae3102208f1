"""WeComAPI against the in-process fake: tokens, retries, no double sends, no leaked secrets."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.channels.wecom import (
    MemoryTokenStore,
    RedisTokenStore,
    TokenStore,
    WeComAPI,
    WeComPermanentError,
    WeComTransientError,
    split_text,
)
from core.clock import FakeClock
from tests.fakes.wecom_server import GETTOKEN, SEND, UPDATE_CARD, WEBHOOK, FakeWeCom


class Sleeps:
    """Injected sleep: records delays, never waits on the wall clock."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeCom:
    return FakeWeCom(clock=clock)


@pytest.fixture
async def base_url(fake: FakeWeCom, aiohttp_server: Any) -> str:
    server = await aiohttp_server(fake.make_app())
    return FakeWeCom.base_url(server)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


MakeApi = Callable[..., WeComAPI]


@pytest.fixture
def make_api(
    session: aiohttp.ClientSession, base_url: str, fake: FakeWeCom, clock: FakeClock, sleeps: Sleeps
) -> MakeApi:
    def make(store: TokenStore | None = None, **kwargs: Any) -> WeComAPI:
        return WeComAPI(
            session,
            kwargs.pop("base_url", base_url),
            fake.corp_id,
            fake.agent_id,
            kwargs.pop("secret", fake.secret),
            store or MemoryTokenStore(clock),
            sleep=sleeps,
            rng=lambda: 0.5,
            **kwargs,
        )

    return make


def text(to: str, content: str) -> dict[str, Any]:
    return {"touser": to, "msgtype": "text", "text": {"content": content}}


def button_card(to: str, task_id: str) -> dict[str, Any]:
    return {
        "touser": to,
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": "折扣审批"},
            "task_id": task_id,
            "button_list": [{"text": "同意", "style": 1, "key": "approve:1"}],
        },
    }


# ---- token handling --------------------------------------------------------------------------------


async def test_token_fetched_once_for_many_sends(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    for i in range(5):
        await api.send_message(text("zhangsan", f"hello {i}"))
    await asyncio.gather(*(api.send_message(text("lisi", f"concurrent {i}")) for i in range(10)))
    assert len(fake.calls_to(GETTOKEN)) == 1  # cached, and single-flight under concurrency
    assert len(fake.sent) == 15
    assert fake.calls_to(GETTOKEN)[0].query["corpsecret"] == "***"


async def test_token_renewed_five_minutes_before_expiry(make_api: MakeApi, fake: FakeWeCom, clock: FakeClock) -> None:
    api = make_api()
    await api.send_message(text("zhangsan", "a"))
    clock.advance(seconds=7200 - 301)
    await api.send_message(text("zhangsan", "b"))
    assert len(fake.calls_to(GETTOKEN)) == 1
    clock.advance(seconds=2)  # now inside the 5-minute safety margin
    await api.send_message(text("zhangsan", "c"))
    assert len(fake.calls_to(GETTOKEN)) == 2


@pytest.mark.parametrize("how", ["expire", "revoke"])
async def test_invalid_token_refreshes_once_and_retries(
    make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps, how: str
) -> None:
    api = make_api()
    await api.send_message(text("zhangsan", "first"))
    fake.expire_tokens() if how == "expire" else fake.revoke_tokens()  # 42001 / 40014
    result = await api.send_message(text("zhangsan", "second"))
    assert result.msgid
    assert len(fake.calls_to(GETTOKEN)) == 2
    assert [(c.json or {})["text"]["content"] for c in fake.calls_to(SEND)] == ["first", "second", "second"]
    assert sleeps.delays == []  # a token refresh is not a backoff


async def test_token_invalid_twice_is_permanent(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    fake.fail_next(SEND, errcode=42001, times=2)
    with pytest.raises(WeComPermanentError) as info:
        await api.send_message(text("zhangsan", "x"))
    assert info.value.errcode == 42001
    assert len(fake.calls_to(GETTOKEN)) == 2  # refreshed exactly once


async def test_bad_secret_is_permanent(make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps) -> None:
    api = make_api(secret="wrong-secret")
    with pytest.raises(WeComPermanentError) as info:
        await api.send_message(text("zhangsan", "x"))
    assert info.value.errcode == 40001
    assert fake.calls_to(SEND) == [] and sleeps.delays == []


# ---- transient failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"errcode": 45009}, {"errcode": -1}, {"http_status": 502}, {"reset": True}],
    ids=["45009", "busy", "502", "reset"],
)
async def test_transient_failures_are_retried_with_backoff(
    make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps, fault: dict[str, Any]
) -> None:
    api = make_api()
    fake.fail_next(SEND, times=3, **fault)
    result = await api.send_message(text("zhangsan", "hi"))
    assert result.msgid
    # base 0.5 s doubling, equal jitter with rng=0.5 -> 75% of the ceiling
    assert sleeps.delays == [0.375, 0.75, 1.5]
    assert len(fake.sent) == 1


async def test_backoff_is_capped_and_attempts_bounded(make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps) -> None:
    api = make_api(max_attempts=6, backoff_cap_s=2.0)
    fake.fail_next(SEND, errcode=45009, times=6)
    with pytest.raises(WeComTransientError) as info:
        await api.send_message(text("zhangsan", "hi"))
    err = info.value
    assert (err.attempts, err.errcode, err.retry_after_s, err.maybe_sent) == (6, 45009, 60.0, False)
    assert sleeps.delays == [0.375, 0.75, 1.5, 1.5, 1.5]
    assert len(fake.calls_to(SEND)) == 6 and fake.sent == []


async def test_gettoken_transient_failure_is_retried(make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps) -> None:
    api = make_api()
    fake.fail_next(GETTOKEN, http_status=503)
    assert (await api.send_message(text("zhangsan", "hi"))).msgid
    assert len(sleeps.delays) == 1


async def test_connection_refused_is_retried_and_not_ambiguous(make_api: MakeApi, sleeps: Sleeps) -> None:
    api = make_api(base_url="http://127.0.0.1:1", max_attempts=3)
    with pytest.raises(WeComTransientError) as info:
        await api.webhook_send("fake-webhook-key", text("", "x"))
    assert info.value.maybe_sent is False
    assert len(sleeps.delays) == 2


async def test_permanent_error_is_not_retried(make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps) -> None:
    api = make_api()
    for code in (60011, 48002):
        fake.fail_next(SEND, errcode=code)
        with pytest.raises(WeComPermanentError) as info:
            await api.send_message(text("zhangsan", "hi"))
        assert info.value.errcode == code
    assert sleeps.delays == []
    fake.set_org([{"id": 1, "name": "总部", "parentid": 0}], [{"userid": "ZhangSan", "department": [1]}])
    with pytest.raises(WeComPermanentError) as info:
        await api.send_message(text("ghost", "hi"))
    assert info.value.errcode == 81013


# ---- not sending twice ----------------------------------------------------------------------------


async def test_reset_after_delivery_does_not_duplicate_text(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    fake.fail_next(SEND, reset=True, after_processing=True)  # delivered, then the connection drops
    await api.send_message(text("zhangsan", "您的提醒：明天拜访 ACME"))
    bodies = [c.json or {} for c in fake.calls_to(SEND)]
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert bodies[0]["enable_duplicate_check"] == 1 and bodies[0]["duplicate_check_interval"] == 300
    assert len(fake.sent) == 1


async def test_timeout_after_delivery_does_not_duplicate(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api(timeout=aiohttp.ClientTimeout(total=0.1))
    release, processed = fake.hold_next(SEND)  # the server answers the first send only after the client gave up
    await api.send_message(text("zhangsan", "slow"))
    release.set()
    await processed.wait()  # the first request is now processed on the server, after the retry
    assert len(fake.calls_to(SEND)) == 2
    assert len(fake.sent) == 1


async def test_card_retry_hitting_42014_is_reported_as_sent(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    fake.fail_next(SEND, reset=True, after_processing=True)
    result = await api.send_message(button_card("zhangsan", "appr-0001"))
    assert result.maybe_duplicate_suppressed
    assert len(fake.sent) == 1
    assert "enable_duplicate_check" not in (fake.calls_to(SEND)[0].json or {})  # task_id protects cards


async def test_reused_task_id_without_ambiguity_raises(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    first = await api.send_message(button_card("zhangsan", "appr-0002"))
    assert first.response_code and not first.maybe_duplicate_suppressed
    with pytest.raises(WeComPermanentError) as info:
        await api.send_message(button_card("zhangsan", "appr-0002"))
    assert info.value.errcode == 42014


async def test_update_card_with_one_shot_response_code(make_api: MakeApi, fake: FakeWeCom) -> None:
    api = make_api()
    sent = await api.send_message(button_card("zhangsan", "appr-0003"))
    update = {"userids": ["zhangsan"], "response_code": sent.response_code, "button": {"replace_name": "已同意"}}
    assert (await api.update_template_card(update))["errcode"] == 0
    assert fake.card_updates[0]["agentid"] == fake.agent_id
    with pytest.raises(WeComPermanentError):
        await api.update_template_card(update)  # response_code is single-use
    assert len(fake.calls_to(UPDATE_CARD)) == 2 and len(fake.card_updates) == 1


async def test_invalid_users_come_back_lower_cased(make_api: MakeApi, fake: FakeWeCom) -> None:
    fake.set_org([{"id": 1, "name": "总部", "parentid": 0}], [{"userid": "ZhangSan", "department": [1]}])
    result = await make_api().send_message(text("zhangsan|Ghost", "hi"))
    assert result.invalid_users == ("ghost",)


# ---- webhook and directory --------------------------------------------------------------------------


async def test_webhook_send_and_no_retry_after_ambiguous_failure(
    make_api: MakeApi, fake: FakeWeCom, sleeps: Sleeps
) -> None:
    api = make_api()
    await api.webhook_send("fake-webhook-key", {"msgtype": "text", "text": {"content": "日报"}})
    assert fake.webhook_messages == [{"msgtype": "text", "text": {"content": "日报"}}]
    assert fake.calls_to(GETTOKEN) == []  # robots need no access token
    fake.fail_next(WEBHOOK, reset=True, after_processing=True)
    with pytest.raises(WeComTransientError) as info:
        await api.webhook_send("fake-webhook-key", {"msgtype": "text", "text": {"content": "周报"}})
    assert info.value.maybe_sent is True and sleeps.delays == []
    assert len(fake.webhook_messages) == 2
    fake.fail_next(WEBHOOK, errcode=45009)  # definitely not sent: retried
    await api.webhook_send("fake-webhook-key", {"msgtype": "text", "text": {"content": "月报"}})
    assert len(fake.webhook_messages) == 3


async def test_list_departments_and_users(make_api: MakeApi, fake: FakeWeCom) -> None:
    fake.set_org(
        [
            {"id": 1, "name": "总部", "parentid": 0},
            {"id": 2, "name": "销售部", "parentid": 1},
            {"id": 3, "name": "华东组", "parentid": 2},
        ],
        [
            {"userid": "boss", "name": "王总", "department": [1], "direct_leader": []},
            {"userid": "zhangsan", "name": "张三", "department": [3], "direct_leader": ["boss"]},
        ],
    )
    api = make_api()
    assert [d["id"] for d in await api.list_departments()] == [1, 2, 3]
    assert [d["id"] for d in await api.list_departments(2)] == [2, 3]
    users = await api.list_users(3)
    assert users == [{"userid": "zhangsan", "name": "张三", "department": [3], "direct_leader": ["boss"]}]


# ---- secrets stay out of logs -------------------------------------------------------------------------


async def test_no_secret_or_token_in_logs_or_errors(
    make_api: MakeApi, fake: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api(max_attempts=2)
    fake.fail_next(SEND, reset=True)
    await api.send_message(text("zhangsan", "a"))
    fake.revoke_tokens()
    await api.send_message(text("zhangsan", "b"))
    fake.fail_next(WEBHOOK, http_status=502, times=2)
    errors: list[str] = [repr(api)]
    try:
        fake.fail_next(SEND, errcode=-1, times=2)
        await api.send_message(text("zhangsan", "d"))
    except WeComTransientError as exc:
        errors.append(str(exc))
    api2 = make_api(max_attempts=2)
    try:
        await api2.webhook_send("fake-webhook-key", {"msgtype": "text", "text": {"content": "x"}})
    except WeComTransientError as exc:
        errors.append(str(exc))
    tokens = {c.query["access_token"] for c in fake.calls if "access_token" in c.query}
    assert len(errors) == 3 and tokens
    # aiohttp.access is the *fake server's* access log (it prints full URLs); everything else is ours.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    haystack = ours + "\n".join(errors)
    assert "/cgi-bin/message/send" in ours
    for secret in [fake.secret, "fake-webhook-key", *tokens]:
        assert secret not in haystack


# ---- shared token via Redis -------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("KABOT_TEST_REDIS_URL"), reason="KABOT_TEST_REDIS_URL not set")
async def test_token_shared_between_clients_via_redis(
    session: aiohttp.ClientSession, base_url: str, fake: FakeWeCom, sleeps: Sleeps
) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(os.environ["KABOT_TEST_REDIS_URL"])
    prefix = f"kabot-test:{uuid.uuid4().hex}:"
    try:
        apis = [
            WeComAPI(
                session,
                base_url,
                fake.corp_id,
                fake.agent_id,
                fake.secret,
                RedisTokenStore(redis, prefix, poll_interval_s=0.01),
                sleep=sleeps,
            )
            for _ in range(2)
        ]
        await asyncio.gather(*(api.send_message(text("zhangsan", f"m{i}")) for i, api in enumerate(apis * 5)))
        assert len(fake.calls_to(GETTOKEN)) == 1  # one refresh across both "processes"
        assert len({c.query["access_token"] for c in fake.calls_to(SEND)}) == 1

        fake.revoke_tokens()  # both see 40014; compare-and-delete keeps it to one more refresh
        await asyncio.gather(*(api.send_message(text("zhangsan", f"n{i}")) for i, api in enumerate(apis)))
        assert len(fake.calls_to(GETTOKEN)) == 2
        assert len(fake.sent) == 12
    finally:
        keys = [k async for k in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


# ---- split_text ----------------------------------------------------------------------------------------


def test_split_text_long_chinese_line_never_cuts_a_character() -> None:
    line = "客户ACME本季度回款进度良好，下周二需跟进合同续签事宜。" * 200  # one line, ~16 KB
    chunks = split_text(line)
    assert len(chunks) > 1
    assert all(0 < len(c.encode("utf-8")) <= 2048 for c in chunks)
    assert "".join(chunks) == line  # nothing lost, nothing split mid-character


def test_split_text_prefers_line_boundaries() -> None:
    lines = [f"{i:03d}. 拜访客户 华东区域 重点跟进" for i in range(300)]
    body = "\n".join(lines)
    chunks = split_text(body, 2048)
    assert all(len(c.encode()) <= 2048 for c in chunks)
    assert "\n".join(chunks) == body
    for chunk in chunks:  # every chunk starts at the start of a line
        assert chunk.split("\n")[0] in lines


def test_split_text_short_and_empty() -> None:
    assert split_text("你好") == ["你好"]
    assert split_text("") == []
    assert split_text("é" * 3, limit_bytes=4) == ["éé", "é"]
