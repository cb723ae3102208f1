"""The DingTalk channel itself, against the fake DingTalk: HTTP mode, groups, fallbacks, cards, quotas, directory."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.channels.base import DeliveryError, OutboxItem
from bot.channels.dingtalk.channel import TAP_REDELIVERY_WINDOW, DingTalkChannel, route_context
from bot.channels.dingtalk.inbound import decode_robot_message
from bot.cli_dingtalk import cmd_dingtalk_sync_users, cmd_doctor
from bot.demo import seed_demo
from bot.outbox import SendFile, enqueue
from bot.pipeline import UNSUPPORTED
from bot.replies import Reply, TeamPost, TextReply
from bot.services import Services
from core.clock import FakeClock, SystemClock
from core.quotas import QuotaKind, month_of
from storage.models import InboundMessage, OutboxMessage, User
from storage.repo import quota as quota_repo
from storage.repo import users
from tests.bot.test_approvals import SMALL, approvals_of
from tests.bot.test_quotes_support import quote_and_submit
from tests.conftest import PG_URL
from tests.fakes.ding_harness import DingHarness
from tests.fakes.dingtalk_server import BATCH_SEND, BOT_TOPIC, CARD_TOPIC, MEDIA_UPLOAD, FakeDingTalk


@pytest.fixture
async def seeded(services: Services) -> Services:
    async with services.db.session() as session:
        await seed_demo(session, services.clock.now())
    return services


async def start(services: Services, aiohttp_server: Any, aiohttp_client: Any, **settings: Any) -> DingHarness:
    return await DingHarness.start(services, aiohttp_server, aiohttp_client, **settings)


async def outbox(services: Services) -> list[OutboxMessage]:
    async with services.db.session() as s:
        return list((await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


# ---- inbound -----------------------------------------------------------------------------------------------


async def test_http_mode_answers_signed_callbacks_once_and_refuses_the_rest(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client, mode="http")
    body = bot.fake.robot_message("李娜", "查 艾克美", msg_id="msgHTTP1")
    headers, raw = bot.fake.http_callback(body)
    assert (await bot.client.post("/dingtalk/callback", data=raw, headers=headers)).status == 200
    assert "艾克美工业有限公司" in "\n".join(await bot.flush("李娜"))
    again = await bot.client.post("/dingtalk/callback", data=raw, headers=headers)  # DingTalk's retry
    assert again.status == 200 and await bot.flush("李娜") == []

    forged = {**headers, "sign": "A" * 44}
    assert (await bot.client.post("/dingtalk/callback", data=raw, headers=forged)).status == 403
    old_ts = int((seeded.clock.now() - timedelta(hours=1, minutes=1)).timestamp() * 1000)
    stale_headers, stale = bot.fake.http_callback(bot.fake.robot_message("李娜", "待办"), timestamp_ms=old_ts)
    assert (await bot.client.post("/dingtalk/callback", data=stale, headers=stale_headers)).status == 403
    signed_garbage = bot.fake.http_callback({"msgtype": "text"})
    assert (
        await bot.client.post("/dingtalk/callback", data=signed_garbage[1], headers=signed_garbage[0])
    ).status == 400
    not_json = await bot.client.post("/dingtalk/callback", data=b"{", headers=headers)
    assert not_json.status == 400
    async with seeded.db.session() as s:
        assert len((await s.exec(select(InboundMessage))).all()) == 1
    counts = await quota_repo.counts(seeded.db, channel="dingtalk", month=month_of(seeded.clock.now()))
    assert counts[QuotaKind.WEBHOOK_STREAM] == 3  # every push accepted, the retry included, and one answer


async def test_stream_mode_has_no_http_callback(seeded: Services, aiohttp_server: Any, aiohttp_client: Any) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    headers, raw = bot.fake.http_callback(bot.fake.robot_message("李娜", "待办"))
    assert (await bot.client.post("/dingtalk/callback", data=raw, headers=headers)).status == 404
    assert bot.fake.subscriptions[0][1]["topic"] == "/v1.0/card/instances/callback"  # card taps on the same stream


async def test_group_mentions_are_answered_in_the_group_and_other_kinds_briefly(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    group = bot.fake.robot_message("李娜", "待办", conversation_type="2", conversation_id="cidSalesTeam")
    await bot._push(BOT_TOPIC, group)
    await bot.flush("李娜")
    [answer] = [m for m in bot.fake.sent if m["to"] == "cidSalesTeam"]
    assert answer["via"] == "webhook" and answer["at"] == {"atUserIds": ["李娜"], "isAtAll": False}

    chatter = bot.fake.robot_message("李娜", "大家好", conversation_type="2", conversation_id="cidSalesTeam")
    chatter["isInAtList"] = False
    await bot._push(BOT_TOPIC, chatter)
    await bot.flush("李娜")
    assert len([m for m in bot.fake.sent if m["to"] == "cidSalesTeam"]) == 1

    await bot._push(BOT_TOPIC, bot.fake.robot_message("李娜", None, msgtype="picture"))
    assert await bot.flush("李娜") == [UNSUPPORTED]


# ---- outbound ----------------------------------------------------------------------------------------------


async def test_a_lapsed_webhook_falls_back_to_the_robot_api_and_flow_control_waits(
    seeded: Services, clock: FakeClock, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    await bot._push(BOT_TOPIC, bot.fake.robot_message("李娜", "待办"))
    bot.fake.expire_sessions()  # DingTalk ended the session before kabot answered
    assert await bot.flush("李娜")
    assert [m["via"] for m in bot.fake.sent] == ["oto"]

    bot.fake.flow_control("李娜")
    await bot._push(BOT_TOPIC, bot.fake.robot_message("李娜", "待办"))
    bot.fake.expire_sessions()
    assert await bot.flush("李娜") == []
    [row] = [r for r in await outbox(seeded) if r.status != "sent"]
    assert row.status == "pending" and "flowControlledStaffIdList" in (row.last_error or "")
    bot.fake.release_flow_control("李娜")
    clock.advance(minutes=5)
    assert await bot.flush("李娜")
    assert [m["via"] for m in bot.fake.sent] == ["oto", "oto"]


async def test_cards_are_finalised_and_a_double_tap_decides_once(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    rep_cards = [c for c in bot.fake.cards.values() if c["users"] == ["李娜"]]
    assert [c["params"]["status"] for c in rep_cards] == ["done"]  # 提交审批 greyed out once submitted
    card = "\n".join(await bot.flush("赵敏"))
    assert "[1] 同意  [2] 驳回  [3] 有条件同意  [4] 详情" in card
    await bot.tap("赵敏", 1)
    await bot.tap("赵敏", 1)  # the approver taps again before the card changed
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]  # type: ignore[arg-type]
    [approver_card] = [c for c in bot.fake.cards.values() if c["users"] == ["赵敏"]]
    assert approver_card["params"]["status"] == "done" and approver_card["params"]["result"]
    assert approver_card["body"]["callbackType"] == "STREAM"


async def test_a_tap_pushed_again_after_a_slow_ack_is_not_handled_again(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    await bot.flush("赵敏")
    [approve, *_] = bot.console.buttons["赵敏"]
    [track] = [t for t, c in bot.fake.cards.items() if c["users"] == ["赵敏"]]
    window = TAP_REDELIVERY_WINDOW.total_seconds()
    bot.clock.advance(seconds=window - bot.clock.now().timestamp() % window - 5)  # the push after it: next window
    assert await bot.tap("赵敏", 1)  # 同意: answered, the card finalised
    assert bot.fake.cards[track]["params"]["status"] == "done"
    assert "已同意" in "\n".join(await bot.flush("李娜"))  # the rep is told
    shown, updates = len(bot.fake.timeline), len(bot.fake.calls_to("/v1.0/card/instances"))

    bot.clock.advance(seconds=60)  # the ack was late: DingTalk pushes the same tap again, in a new frame
    tap = bot.fake.card_callback("赵敏", track, {"action": approve.pack()})
    frame = await bot.fake.push(CARD_TOPIC, tap)
    await bot.fake.until(lambda: any(a.get("headers", {}).get("messageId") == frame for a in bot.fake.acks))
    assert await bot.flush("赵敏") == [] and await bot.flush("李娜") == []
    assert len(bot.fake.timeline) == shown  # no second reply, no second card update
    assert len(bot.fake.calls_to("/v1.0/card/instances")) == updates
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]  # type: ignore[arg-type]


async def test_the_same_button_tapped_again_later_is_answered_again(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    await bot.flush("赵敏")
    first = await bot.tap("赵敏", 4)  # 详情
    assert number in "\n".join(first)
    bot.clock.advance(hours=2)  # long past a redelivery: a person asking again
    assert await bot.tap("赵敏", 4) == first


async def test_without_a_template_approvers_get_markdown_with_text_commands(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client, template=None)
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    card = "\n".join(await bot.flush("赵敏"))
    assert f"同意 {number}" in card and f"驳回 {number} 原因" in card
    assert bot.fake.cards == {}
    await bot.say("赵敏", f"同意 {number}")
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]  # type: ignore[arg-type]


async def test_a_file_retried_after_a_failed_or_lost_send_is_uploaded_and_shown_once(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    channel = seeded.channels["dingtalk"]
    assert isinstance(channel, DingTalkChannel)
    route = route_context(decode_robot_message(bot.fake.robot_message("李娜", "报价单")))  # the caption: webhook
    send = SendFile("Q-2026-0007.xlsx", b"PK\x03\x04 quote", "报价单已生成")
    bot.fake.fail_next(BATCH_SEND, http_status=503, body={"code": "ServiceUnavailable"})  # the file send fails
    async with channel.delivering():
        with pytest.raises(DeliveryError):
            await channel.deliver(OutboxItem(7, "李娜", send, reply_context=route))
        await channel.deliver(OutboxItem(7, "李娜", send, attempt=2, reply_context=route))  # the outbox retries
        # The process died before the outbox marked the row sent: the next attempt has nothing left to do.
        await channel.deliver(OutboxItem(7, "李娜", send, attempt=3, reply_context=route))
    assert len(bot.fake.calls_to(MEDIA_UPLOAD)) == 1
    assert await bot.flush("李娜") == ["报价单已生成", "[文件] Q-2026-0007.xlsx"]
    [media_id] = bot.fake.files
    assert bot.fake.files[media_id] == ("Q-2026-0007.xlsx", b"PK\x03\x04 quote")


# ---- quotas ------------------------------------------------------------------------------------------------


async def used(services: Services, kind: QuotaKind, n: int, *, now: datetime | None = None) -> None:
    now = now or services.clock.now()
    await quota_repo.add(services.db, channel="dingtalk", month=month_of(now), kind=kind, n=n, now=now)


async def add_admin(services: Services) -> None:
    now = services.clock.now()
    async with services.db.session() as s:
        admin = User(name="管理员甲", role="admin", created_at=now, updated_at=now)
        s.add(admin)
        await s.flush()
        assert admin.id is not None
        await users.set_identities(s, admin.id, {"dingtalk": "管理员甲"})  # as the harness names everyone


async def test_admins_are_warned_once_at_80_percent(seeded: Services, aiohttp_server: Any, aiohttp_client: Any) -> None:
    await add_admin(seeded)
    await used(seeded, QuotaKind.API, 3_998)
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]  # cards and their updates are API calls
    await bot.flush("赵敏")
    await bot.deliverer.run_once()
    warnings = [m for m in bot.fake.sent if m["to"] == "管理员甲"]
    assert len(warnings) == 1 and "钉钉 API 调用 4,000 / 5,000（80%）" in warnings[0]["params"]["content"]
    await bot.tap("赵敏", 1)
    await bot.deliverer.run_once()
    assert len([m for m in bot.fake.sent if m["to"] == "管理员甲"]) == 1


async def test_near_the_limit_digests_stop_first_and_replies_go_on(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    await used(seeded, QuotaKind.API, 4_600)  # 92%: digests stop at 90%, reminders at 93%
    bot = await start(seeded, aiohttp_server, aiohttp_client, team_groups={"欧美组": "cidTeamEU"})
    async with seeded.db.session() as s:
        lina = await users.by_identity(s, "dingtalk", "李娜")
        assert lina is not None
        replies: list[Reply] = [TeamPost("欧美组", "今日漏斗"), TextReply("提醒：明天拜访艾克美", to_user_id=lina.id)]
        await enqueue(s, seeded, replies, inbound=None, inbound_id=None, now=seeded.clock.now())
    assert await bot.flush("李娜") == ["提醒：明天拜访艾克美"]
    [digest] = [r for r in await outbox(seeded) if r.kind == "team_post"]
    assert digest.status == "failed" and "DIGEST not sent" in (digest.last_error or "")
    assert "艾克美工业有限公司" in await bot.said("李娜", "查 艾克美")

    await used(seeded, QuotaKind.API, 400)  # 100%: pushes wait for next month, answers still go
    async with seeded.db.session() as s:
        later = [TextReply("提醒：报价到期", to_user_id=lina.id)]
        await enqueue(s, seeded, later, inbound=None, inbound_id=None, now=seeded.clock.now())
    assert await bot.flush("李娜") == []
    assert [r.status for r in await outbox(seeded) if r.payload.get("text") == "提醒：报价到期"] == ["pending"]
    resp = await bot.client.get("/healthz")
    quotas = (await resp.json())["quotas"]["dingtalk"]
    [api_line] = [line for line in quotas if line.startswith("钉钉 API 调用")]
    assert "✖ 本月额度已用完" in api_line


async def test_when_dingtalk_withholds_messages_the_sender_is_told_and_the_admins_warned_once(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    await add_admin(seeded)
    await used(seeded, QuotaKind.WEBHOOK_STREAM, 3_000)  # the robot message quota is used up
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    for n in (1, 2):
        body = bot.fake.robot_message("李娜", None, msg_id=f"withheld{n}")  # no text: DingTalk held it back
        body |= {"errorCode": "20001", "errorMessage": "Webhook&Stream 额度已用完"}
        await bot.fake.push(BOT_TOPIC, body)
        await bot.fake.until(lambda: len(bot.fake.acks) == n)  # noqa: B023 — awaited within this iteration
        [notice] = await bot.flush("李娜")
        assert notice.startswith("抱歉，本月机器人消息额度已用完，kabot 收不到您这条消息的内容")
    # The webhook shares the used-up quota: the notices went through the robot API, which has its own.
    assert [m["via"] for m in bot.fake.sent if m["to"] == "李娜"] == ["oto", "oto"]
    [warning] = await bot.flush("管理员甲")  # once, however many messages were withheld
    assert "额度用完后钉钉未转来内容的消息 1" in warning and "钉钉机器人消息额度已用完" in warning
    resp = await bot.client.get("/healthz")
    assert any(
        line.startswith("额度用完后钉钉未转来内容的消息 2") for line in (await resp.json())["quotas"]["dingtalk"]
    )


async def test_in_http_mode_a_withheld_message_is_answered_and_counted_too(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client, mode="http")
    body = bot.fake.robot_message("李娜", None, msg_id="withheldHTTP")
    body |= {"errorCode": "20001", "errorMessage": "Webhook&Stream 额度已用完"}
    headers, raw = bot.fake.http_callback(body)
    assert (await bot.client.post("/dingtalk/callback", data=raw, headers=headers)).status == 200
    [notice] = await bot.flush("李娜")
    assert "额度已用完" in notice
    quotas = (await (await bot.client.get("/healthz")).json())["quotas"]["dingtalk"]
    assert "额度用完后钉钉未转来内容的消息 1" in "\n".join(quotas)


async def test_with_the_robot_message_quota_used_up_answers_go_through_the_api(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client)
    await used(seeded, QuotaKind.WEBHOOK_STREAM, 3_000)
    assert "艾克美工业有限公司" in await bot.said("李娜", "查 艾克美")
    assert {m["via"] for m in bot.fake.sent} == {"oto"}  # not the sessionWebhook, and not left for next month


@pytest.mark.skipif(bool(PG_URL), reason="the command opens the database by URL alone (no per-test schema)")
async def test_doctor_shows_channels_and_this_months_quota(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await used(seeded, QuotaKind.WEBHOOK_STREAM, 2_500, now=SystemClock().now())  # the command's own clock
    await start(seeded, aiohttp_server, aiohttp_client)
    assert await cmd_doctor(argparse.Namespace(), seeded.settings) == 0
    out = capsys.readouterr().out
    assert "channel dingtalk: on (Stream connection" in out
    assert "钉钉机器人消息（Webhook&Stream） 2,50" in out and "⚠ 已超过 80%" in out


# ---- directory ---------------------------------------------------------------------------------------------

DEPARTMENTS = [
    {"dept_id": 1, "name": "示例贸易", "parent_id": None, "dept_manager_userid_list": ["ZhouJG"]},
    {"dept_id": 2, "name": "欧美组", "parent_id": 1, "dept_manager_userid_list": ["ZhaoMin"]},
    {"dept_id": 3, "name": "亚非组", "parent_id": 1, "dept_manager_userid_list": ["LiuYang"]},
]
MEMBERS = [
    {"userid": "ZhouJG", "name": "周建国", "dept_id_list": [1], "leader_in_dept": [{"dept_id": 1, "leader": True}]},
    {"userid": "ZhaoMin", "name": "赵敏", "dept_id_list": [2], "leader_in_dept": [{"dept_id": 2, "leader": True}]},
    {"userid": "LiuYang", "name": "刘洋", "dept_id_list": [3], "manager_userid": "ZhouJG"},
    {"userid": "LiNa", "name": "李娜", "dept_id_list": [2]},
    {"userid": "lina", "name": "林娜", "dept_id_list": [3], "manager_userid": "LiuYang"},
]


@pytest.mark.skipif(bool(PG_URL), reason="the command opens the database by URL alone (no per-test schema)")
async def test_sync_users_reads_managers_from_department_heads_and_keeps_roles(
    seeded: Services, aiohttp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeDingTalk(clock=seeded.clock)
    fake.set_org(DEPARTMENTS, MEMBERS)
    server = await aiohttp_server(fake.make_app())
    from tests.fakes.ding_harness import ding_settings

    settings = seeded.settings.model_copy(update={"dingtalk": ding_settings(fake, fake.base_url(server))})
    assert await cmd_dingtalk_sync_users(argparse.Namespace(), settings) == 0
    assert "新增 1 人，更新 4 人" in capsys.readouterr().out
    async with seeded.db.session() as s:
        on_ding = await users.users_on(s, "dingtalk")
        names = {u.id: u.name for u in (await s.exec(select(User))).all()}
    assert on_ding["LiNa"].name == "李娜" and on_ding["lina"].name == "林娜"  # ids kept as DingTalk spells them
    assert on_ding["LiNa"].role == "rep" and on_ding["ZhaoMin"].role == "manager"  # roles set by hand kept
    assert on_ding["lina"].role == "rep" and names[on_ding["lina"].manager_id] == "刘洋"
    assert names[on_ding["LiNa"].manager_id] == "赵敏"  # no manager_userid: the head of her department
    assert names[on_ding["ZhaoMin"].manager_id] == "周建国"  # she heads it herself: the head of the one above
    assert len([u for u in names.values() if u == "李娜"]) == 1  # known from WeCom: the same person now on both
    assert await cmd_dingtalk_sync_users(argparse.Namespace(), settings) == 0
    assert "新增 0 人，更新 0 人，未变 5 人" in capsys.readouterr().out


@pytest.mark.skipif(bool(PG_URL), reason="the command opens the database by URL alone (no per-test schema)")
async def test_sync_users_refuses_a_directory_whose_managers_go_round_in_a_circle(
    seeded: Services, aiohttp_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeDingTalk(clock=seeded.clock)
    circle = [{**m, "manager_userid": "LiNa"} if m["userid"] == "ZhaoMin" else m for m in MEMBERS]
    fake.set_org(DEPARTMENTS, circle)  # 李娜 reports to 赵敏, the head of her department, who reports to 李娜
    server = await aiohttp_server(fake.make_app())
    from tests.fakes.ding_harness import ding_settings

    settings = seeded.settings.model_copy(update={"dingtalk": ding_settings(fake, fake.base_url(server))})
    assert await cmd_dingtalk_sync_users(argparse.Namespace(), settings) == 2
    err = capsys.readouterr().err
    assert "通讯录有误，未同步任何人" in err and "成员 赵敏（ZhaoMin）：上级关系绕成了一个圈" in err
    async with seeded.db.session() as s:
        assert await users.users_on(s, "dingtalk") == {}  # nothing written


async def test_in_http_mode_card_taps_still_come_over_stream_and_team_posts_reach_the_group(
    seeded: Services, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    bot = await start(seeded, aiohttp_server, aiohttp_client, mode="http", team_groups={"欧美组": "cidTeamEU"})
    await bot.fake.until(lambda: bot.fake.open_connections == 1)

    async def say(who: str, text: str) -> list[str]:
        headers, raw = bot.fake.http_callback(bot.fake.robot_message(who, text))
        assert (await bot.client.post("/dingtalk/callback", data=raw, headers=headers)).status == 200
        return await bot.flush(who)

    bot.say = say  # type: ignore[method-assign]
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    await bot.flush("赵敏")
    await bot.tap("赵敏", 1)  # a card callback over the Stream connection
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]  # type: ignore[arg-type]

    async with seeded.db.session() as s:
        post = [TeamPost("欧美组", "今日漏斗")]
        await enqueue(s, seeded, post, inbound=None, inbound_id=None, now=seeded.clock.now())
    await bot.deliverer.run_once()
    [posted] = [m for m in bot.fake.sent if m["to"] == "cidTeamEU"]
    assert posted["via"] == "group" and "今日漏斗" in posted["params"]["text"]
