"""What DingTalk pushes: signatures checked (403 for forgeries), bodies decoded (400, never 500, for junk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.dingtalk.inbound import (
    BadSignature,
    ConversationType,
    MalformedMessage,
    MessageKind,
    ReplyRoute,
    decode_card_callback,
    decode_robot_message,
    read_http_callback,
    sign,
    verify_signature,
)
from bot.settings import DingTalkSettings
from core.clock import FakeClock
from tests.fakes.dingtalk_server import FakeDingTalk


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalk:
    return FakeDingTalk(clock=clock)


# ---- signature ---------------------------------------------------------------------------------------


def test_sign_matches_the_documented_algorithm() -> None:
    # Inputs of DingTalk's Java sample; the output was computed independently with openssl (dingtalk.md §1).
    assert sign("1577262236757", "this is a secret") == "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="


def test_a_signed_fresh_callback_is_read(fake: FakeDingTalk, clock: FakeClock) -> None:
    headers, body = fake.http_callback(fake.robot_message("manager4220", "待办"))
    message = read_http_callback(headers, body, fake.client_secret, now=clock.now())
    assert (message.sender, message.text, message.kind) == ("manager4220", "待办", MessageKind.TEXT)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "sign": sign(h["timestamp"], "another-apps-secret")},
        lambda h: {**h, "timestamp": str(int(h["timestamp"]) + 1)},
        lambda h: {k: v for k, v in h.items() if k != "sign"},
        lambda h: {k: v for k, v in h.items() if k != "timestamp"},
        lambda h: {**h, "timestamp": "1e12", "sign": sign("1e12", "fake-dingtalk-secret-never-log-me")},
    ],
    ids=["other-secret", "changed-timestamp", "no-sign", "no-timestamp", "not-digits"],
)
def test_forged_callbacks_are_refused_with_403(fake: FakeDingTalk, clock: FakeClock, tamper: object) -> None:
    headers, body = fake.http_callback(fake.robot_message("manager4220", "同意 Q-2026-0001"))
    with pytest.raises(BadSignature) as err:
        read_http_callback(tamper(headers), body, fake.client_secret, now=clock.now())  # type: ignore[operator]
    assert err.value.status == 403


@pytest.mark.parametrize("skew", [timedelta(hours=-1, seconds=-1), timedelta(hours=1, seconds=1)])
def test_a_replay_outside_the_hour_window_is_refused(fake: FakeDingTalk, clock: FakeClock, skew: timedelta) -> None:
    headers, body = fake.http_callback(fake.robot_message("manager4220", "待办"))
    clock.advance(seconds=-skew.total_seconds())
    with pytest.raises(BadSignature):
        read_http_callback(headers, body, fake.client_secret, now=clock.now())


@pytest.mark.parametrize("digits", [16, 400])
def test_a_huge_timestamp_is_refused_not_an_overflow(fake: FakeDingTalk, clock: FakeClock, digits: int) -> None:
    ts = "9" * digits
    with pytest.raises(BadSignature) as err:
        verify_signature(ts, sign(ts, fake.client_secret), fake.client_secret, now=clock.now())
    assert err.value.status == 403


def test_the_window_edge_is_still_accepted(fake: FakeDingTalk, clock: FakeClock) -> None:
    ts = str(int(clock.now().timestamp() * 1000))
    clock.advance(hours=1)
    verify_signature(ts, sign(ts, fake.client_secret), fake.client_secret, now=clock.now())


def test_a_forged_body_is_refused_before_it_is_parsed(fake: FakeDingTalk, clock: FakeClock) -> None:
    headers, _ = fake.http_callback({})
    with pytest.raises(BadSignature):
        read_http_callback({**headers, "sign": "AAAA"}, b"not json at all", fake.client_secret, now=clock.now())


# ---- robot messages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"{}"],
    ids=["not-json", "not-an-object", "empty"],
)
def test_signed_junk_is_a_400(fake: FakeDingTalk, clock: FakeClock, body: bytes) -> None:
    headers, _ = fake.http_callback({})
    with pytest.raises(MalformedMessage) as err:
        read_http_callback(headers, body, fake.client_secret, now=clock.now())
    assert err.value.status == 400


@pytest.mark.parametrize(
    "change",
    [
        {"senderStaffId": None},  # the robot is not published yet
        {"msgId": ""},
        {"conversationType": "3"},
        {"text": {"nothing": "here"}},
        {"sessionWebhookExpiredTime": "soon"},
    ],
    ids=["no-staff-id", "no-msg-id", "bad-conversation-type", "no-text", "bad-expiry"],
)
def test_malformed_messages_raise_the_typed_error(fake: FakeDingTalk, change: dict[str, object]) -> None:
    body = {**fake.robot_message("manager4220", "你好"), **change}
    with pytest.raises(MalformedMessage):
        decode_robot_message(json.dumps(body))


WEIRD: list[object] = [None, "", 0, -1, 10**30, 1.5, [], {}, ["x"], {"a": 1}, True, "\x00", "é" * 10_000]


@pytest.mark.parametrize(
    "name",
    [
        "msgId",
        "senderStaffId",
        "conversationType",
        "conversationId",
        "text",
        "msgtype",
        "sessionWebhook",
        "sessionWebhookExpiredTime",
        "createAt",
        "isInAtList",
        "errorCode",
    ],
)
def test_odd_field_values_never_raise_anything_but_the_typed_error(fake: FakeDingTalk, name: str) -> None:
    for value in WEIRD:
        body = {**fake.robot_message("manager4220", "你好"), name: value}
        try:
            decode_robot_message(json.dumps(body))
        except MalformedMessage:
            pass


def test_a_one_to_one_text_message(fake: FakeDingTalk, clock: FakeClock) -> None:
    body = fake.robot_message("manager4220", "今天拜访了艾克美张总", msg_id="msgABC")
    message = decode_robot_message(body)
    assert message.msg_id == "msgABC"
    assert message.text == "今天拜访了艾克美张总"  # the space DingTalk leaves is gone
    assert message.conversation_type is ConversationType.ONE_TO_ONE and not message.is_group
    assert message.sender != body["senderId"]  # the staff id, never the encrypted senderId
    assert message.session_webhook == body["sessionWebhook"]
    assert message.session_webhook_expires_at == clock.now() + timedelta(minutes=90)
    assert message.created_at == clock.now().replace(microsecond=0)


def test_a_group_mention_carries_its_conversation(fake: FakeDingTalk) -> None:
    body = fake.robot_message("user01", "查 艾克美", conversation_type="2", conversation_id="cidGroup==")
    message = decode_robot_message(body)
    assert message.is_group and message.conversation_id == "cidGroup==" and message.mentioned
    assert message.conversation_title == "销售一组"


def test_other_message_types_are_flagged(fake: FakeDingTalk) -> None:
    body = fake.robot_message("user01", None, msgtype="picture")
    body["content"] = {"downloadCode": "abc", "pictureDownloadCode": "def"}
    message = decode_robot_message(body)
    assert message.kind is MessageKind.UNSUPPORTED and message.text is None


def test_a_message_withheld_by_the_quota_is_flagged(fake: FakeDingTalk) -> None:
    body = fake.robot_message("user01", None, msgtype="text")
    del body["text"]
    body |= {"errorCode": "20001", "errorMessage": "Webhook&Stream 额度已用完"}
    assert decode_robot_message(body).kind is MessageKind.QUOTA_EXHAUSTED


def test_text_at_the_top_level_is_read_too(fake: FakeDingTalk) -> None:
    # One of DingTalk's own HTTP-mode examples puts `content` beside msgtype instead of under `text`.
    body = fake.robot_message("user01", "x")
    del body["text"]
    body["content"] = "帮助"
    assert decode_robot_message(body).text == "帮助"


def test_the_reply_route_survives_storage(fake: FakeDingTalk, clock: FakeClock) -> None:
    route = decode_robot_message(fake.robot_message("user01", "待办", conversation_type="2")).reply_route()
    again = ReplyRoute.from_dict(json.loads(json.dumps(route.to_dict())))
    assert again == route
    assert again.webhook_usable(clock.now())
    assert not again.webhook_usable(clock.now() + timedelta(minutes=89, seconds=30))  # a minute's margin
    assert not ReplyRoute("u", ConversationType.ONE_TO_ONE, "cid").webhook_usable(clock.now())


# ---- card callbacks -------------------------------------------------------------------------------------


def test_a_card_tap_is_decoded() -> None:
    data = {
        "type": "actionCallback",
        "outTrackId": "kabot_abc",
        "corpId": "dingcorp",
        "userId": "manager4220",
        "content": json.dumps({"cardPrivateData": {"actionIds": ["approve"], "params": {"action": "apv:12:1:ok"}}}),
    }
    tap = decode_card_callback(json.dumps(data))
    assert (tap.out_track_id, tap.user, tap.action_key, tap.action_ids) == (
        "kabot_abc",
        "manager4220",
        "apv:12:1:ok",
        ("approve",),
    )


def test_a_card_tap_in_the_sdks_value_field_is_decoded() -> None:
    value = json.dumps({"cardPrivateData": {"actionIds": ["x"], "params": {"action": "task_done:7"}}})
    tap = decode_card_callback({"outTrackId": "t", "userId": "u", "value": value, "extension": "{}"})
    assert tap.action_key == "task_done:7"


@pytest.mark.parametrize(
    "data",
    [
        {"userId": "u", "content": "{}"},
        {"outTrackId": "t", "content": "{}"},
        {"outTrackId": "t", "userId": "u", "content": "{"},
    ],
    ids=["no-track", "no-user", "content-not-json"],
)
def test_malformed_card_taps_raise_the_typed_error(data: dict[str, str]) -> None:
    with pytest.raises(MalformedMessage):
        decode_card_callback(data)


def test_a_tap_without_parameters_has_no_action() -> None:
    assert decode_card_callback({"outTrackId": "t", "userId": "u"}).action_key is None


# ---- settings ---------------------------------------------------------------------------------------------


def test_settings_come_from_kabot_dingtalk_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not DingTalkSettings(_env_file=None).enabled  # type: ignore[call-arg]
    monkeypatch.setenv("KABOT_DINGTALK_CLIENT_ID", "  dingabc123 \n")  # pasted with stray whitespace
    monkeypatch.setenv("KABOT_DINGTALK_CLIENT_SECRET", "s3cret ")
    monkeypatch.setenv("KABOT_DINGTALK_API_BASE", "http://127.0.0.1:9/")
    settings = DingTalkSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.enabled and settings.client_id == "dingabc123" and settings.secret == "s3cret"
    assert settings.robot_code == "dingabc123"  # an internal app's robot code is its AppKey
    assert settings.mode == "stream" and settings.card_template_id is None
    assert settings.api_base == "http://127.0.0.1:9" and settings.oapi_base == "https://oapi.dingtalk.com"
    assert "s3cret" not in repr(settings)
    monkeypatch.setenv("KABOT_DINGTALK_ROBOT_CODE", "dingrobot")
    monkeypatch.setenv("KABOT_DINGTALK_MODE", "http")
    settings = DingTalkSettings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.robot_code, settings.mode) == ("dingrobot", "http")


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KABOT_DINGTALK_MODE", "webhook")
    with pytest.raises(ValueError):
        DingTalkSettings(_env_file=None)  # type: ignore[call-arg]


def test_timestamps_are_aware_utc(fake: FakeDingTalk) -> None:
    message = decode_robot_message(fake.robot_message("u", "x"))
    assert message.created_at is not None and message.created_at.tzinfo is UTC
    assert isinstance(message.session_webhook_expires_at, datetime)
