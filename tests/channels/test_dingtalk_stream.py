"""The Stream client against the fake gateway: subscribe, ack, ping, reconnect, watchdog, redelivery, clean stop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlmodel import func, select

from bot.channels.dingtalk.inbound import CardCallback, RobotMessage
from bot.channels.dingtalk.stream import BOT_TOPIC, CARD_TOPIC, StreamClient, StreamDelivery
from bot.services import Services
from core.clock import FakeClock
from storage.models import InboundMessage
from storage.repo import inbound as inbound_log
from tests.fakes.dingtalk_rig import Sleeps, Ticker
from tests.fakes.dingtalk_server import FakeDingTalk


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


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


MakeClient = Callable[..., StreamClient]


@pytest.fixture
async def make_client(
    session: aiohttp.ClientSession, base_url: str, fake: FakeDingTalk, clock: FakeClock, sleeps: Sleeps, ticker: Ticker
) -> AsyncIterator[MakeClient]:
    made: list[StreamClient] = []

    def make(handler: Callable[[StreamDelivery], Any], **kwargs: Any) -> StreamClient:
        client = StreamClient(
            session,
            api_base=base_url,
            client_id=fake.client_id,
            client_secret=kwargs.pop("secret", fake.client_secret),
            handler=handler,
            clock=clock,
            sleep=sleeps,
            tick=ticker,
            rng=lambda: 0.5,
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.stop()


class Inbox:
    """A handler that keeps what it is given, and lets a test wait for it."""

    def __init__(self) -> None:
        self.items: list[StreamDelivery] = []
        self.queue: asyncio.Queue[StreamDelivery] = asyncio.Queue()

    async def __call__(self, delivery: StreamDelivery) -> None:
        self.items.append(delivery)
        await self.queue.put(delivery)

    async def next(self) -> StreamDelivery:
        return await asyncio.wait_for(self.queue.get(), timeout=5)


async def started(make_client: MakeClient, fake: FakeDingTalk, handler: Any, **kwargs: Any) -> StreamClient:
    client = make_client(handler, **kwargs)
    await client.start()
    await fake.until(lambda: fake.open_connections == 1)
    await eventually(lambda: client.connected)  # the handshake's answer has reached the client too
    return client


def ack_for(fake: FakeDingTalk, frame_id: str) -> dict[str, Any]:
    return next(a for a in fake.acks if a["headers"]["messageId"] == frame_id)


def last_frame_id(fake: FakeDingTalk) -> str:
    return str(fake.frames_sent[-1]["headers"]["messageId"])


async def eventually(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (network round trips on localhost); bounded, never sleeps."""
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0)


# ---- subscribing and acking -----------------------------------------------------------------------------


async def test_it_subscribes_to_robot_messages_and_card_taps(make_client: MakeClient, fake: FakeDingTalk) -> None:
    await started(make_client, fake, Inbox())
    assert fake.subscriptions == [[{"type": "CALLBACK", "topic": BOT_TOPIC}, {"type": "CALLBACK", "topic": CARD_TOPIC}]]
    assert fake.calls[0].json is not None and fake.calls[0].json["clientSecret"] == "***"


async def test_a_robot_message_is_handed_over_and_acked(make_client: MakeClient, fake: FakeDingTalk) -> None:
    inbox = Inbox()
    await started(make_client, fake, inbox)
    body = await fake.push_robot_message("manager4220", "待办")
    frame_id = last_frame_id(fake)
    delivery = await inbox.next()
    assert isinstance(delivery.event, RobotMessage) and delivery.event.text == "待办"
    assert delivery.dedup_key == body["msgId"] and delivery.frame_id == frame_id
    await fake.until(lambda: len(fake.acks) == 1)
    assert fake.acks[0] == {
        "code": 200,
        "headers": {"messageId": frame_id, "contentType": "application/json"},
        "message": "OK",
        "data": json.dumps({"response": None}),
    }


async def test_a_card_tap_is_handed_over_and_acked(make_client: MakeClient, fake: FakeDingTalk) -> None:
    inbox = Inbox()
    await started(make_client, fake, inbox)
    frame_id = await fake.push_card_callback("manager4220", "kabot_abc", {"action": "apv:12:1:ok"})
    delivery = await inbox.next()
    assert isinstance(delivery.event, CardCallback)
    assert (delivery.event.action_key, delivery.event.user) == ("apv:12:1:ok", "manager4220")
    assert delivery.dedup_key.startswith("card:")
    await fake.push_card_callback("manager4220", "kabot_abc", {"action": "apv:12:1:ok"})
    redelivered = await inbox.next()  # a new frame, the same tap: the same key, so the channel can tell
    assert redelivered.frame_id != frame_id and redelivered.dedup_key == delivery.dedup_key
    await fake.push_card_callback("manager4220", "kabot_abc", {"action": "apv:12:1:no"})
    assert (await inbox.next()).dedup_key != delivery.dedup_key  # another button is another tap
    await fake.until(lambda: len(fake.acks) == 3)
    assert ack_for(fake, frame_id)["code"] == 200


async def test_pings_are_answered_with_their_opaque(make_client: MakeClient, fake: FakeDingTalk) -> None:
    await started(make_client, fake, Inbox())
    await fake.ping("opaque-42")
    await fake.until(lambda: len(fake.acks) == 1)
    assert fake.acks[0]["code"] == 200 and json.loads(fake.acks[0]["data"]) == {"opaque": "opaque-42"}


async def test_websocket_pings_are_answered(make_client: MakeClient, fake: FakeDingTalk) -> None:
    await started(make_client, fake, Inbox())
    await fake.ws_ping()
    await fake.until(lambda: fake.pongs_received == 1)


async def test_a_malformed_push_is_refused_and_not_handed_over(make_client: MakeClient, fake: FakeDingTalk) -> None:
    inbox = Inbox()
    await started(make_client, fake, inbox)
    await fake.push(BOT_TOPIC, {"msgId": "m1", "text": {"content": "no sender"}})
    await fake.until(lambda: len(fake.acks) == 1)
    assert fake.acks[0]["code"] == 400 and inbox.items == []


async def test_a_failed_handler_is_acked_as_failed(make_client: MakeClient, fake: FakeDingTalk) -> None:
    async def broken(delivery: StreamDelivery) -> None:
        raise RuntimeError("database down")

    await started(make_client, fake, broken)
    await fake.push_robot_message("manager4220", "待办")
    await fake.until(lambda: len(fake.acks) == 1)
    assert fake.acks[0]["code"] == 500  # DingTalk may push it again: nothing is lost


async def test_a_slow_handler_does_not_hold_up_the_ack(make_client: MakeClient, fake: FakeDingTalk) -> None:
    gate = asyncio.Event()
    done: list[str] = []

    async def slow(delivery: StreamDelivery) -> None:
        await gate.wait()
        done.append(delivery.dedup_key)

    await started(make_client, fake, slow, ack_deadline_s=0)
    await fake.push_robot_message("manager4220", "待办", msg_id="m1")
    await fake.until(lambda: len(fake.acks) == 1)
    assert fake.acks[0]["code"] == 200 and done == []  # acked while the handler still works
    await fake.ping("still-reading")  # and the connection keeps being served meanwhile
    await fake.until(lambda: len(fake.acks) == 2)
    gate.set()
    await eventually(lambda: done == ["m1"])


# ---- redelivery and dropped connections: answered once ------------------------------------------------------


class Storing:
    """The handler kabot will use: store the message in the inbound log, keyed by its dedup key.
    The first attempt is slow (the database is busy) until the test opens `gate`."""

    def __init__(self, services: Services, clock: FakeClock) -> None:
        self.services, self.clock = services, clock
        self.gate = asyncio.Event()
        self.begun = 0
        self.stored: list[bool] = []  # True: new, False: already there

    async def __call__(self, delivery: StreamDelivery) -> None:
        self.begun += 1
        if self.begun == 1:
            await self.gate.wait()
        assert isinstance(delivery.event, RobotMessage)
        row = {
            "channel": "dingtalk",
            "platform_msg_id": delivery.dedup_key,
            "sender": delivery.event.sender,
            "conversation": delivery.event.conversation_id,
            "payload": {"text": delivery.event.text},
            "status": "new",
            "received_at": self.clock.now(),
        }
        self.stored.append(bool(await inbound_log.store_new(self.services.db, [row])))


async def stored_rows(services: Services) -> int:
    async with services.db.session() as s:
        return int((await s.exec(select(func.count()).select_from(InboundMessage))).one())


async def test_a_redelivered_slow_message_is_stored_once(
    make_client: MakeClient, fake: FakeDingTalk, services: Services, clock: FakeClock
) -> None:
    store = Storing(services, clock)
    await started(make_client, fake, store, ack_deadline_s=30)
    await fake.push_robot_message("manager4220", "今天拜访了艾克美张总", msg_id="msgSLOW")
    await eventually(lambda: store.begun == 1)
    assert await fake.redeliver_unacked() == 1  # about 60 s later DingTalk pushes it again
    await eventually(lambda: store.stored == [True])  # the redelivery is stored (and acked) at once
    await fake.until(lambda: len(fake.acks) == 1)
    store.gate.set()
    await eventually(lambda: store.stored == [True, False])  # the slow first attempt finds it stored
    await fake.until(lambda: len(fake.acks) == 2)
    assert await stored_rows(services) == 1


async def test_a_dropped_connection_reconnects_and_loses_nothing(
    make_client: MakeClient, fake: FakeDingTalk, services: Services, clock: FakeClock, sleeps: Sleeps
) -> None:
    store = Storing(services, clock)
    client = await started(make_client, fake, store, ack_deadline_s=30)
    await fake.push_robot_message("manager4220", "报价 艾克美 1000 件", msg_id="msgDROP")
    await eventually(lambda: store.begun == 1)
    fake.drop_connections()  # the network fails before the ack
    await fake.until(lambda: fake.connections_made == 2)
    await eventually(lambda: client.connections == 2 and client.connected)
    assert sleeps.delays == []  # the connection had been useful: straight back
    assert await fake.redeliver_unacked() == 1
    await eventually(lambda: store.stored == [True])
    store.gate.set()
    await eventually(lambda: store.stored == [True, False])
    assert await stored_rows(services) == 1
    await fake.push_robot_message("manager4220", "待办", msg_id="msgAFTER")
    await eventually(lambda: store.stored == [True, False, True])


async def test_a_connection_that_never_worked_is_retried_with_growing_pauses(
    make_client: MakeClient, fake: FakeDingTalk, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kabot")
    client = make_client(Inbox(), secret="wrong-secret")
    await client.start()
    await eventually(lambda: len(sleeps.delays) >= 4)
    await client.stop()
    assert sleeps.delays[:4] == [0.75, 1.5, 3.0, 6.0]  # 1 s doubling, half of it jitter
    assert fake.open_connections == 0 and "code=authFailed" in caplog.text
    assert "wrong-secret" not in caplog.text


async def test_the_backoff_is_capped(make_client: MakeClient, sleeps: Sleeps) -> None:
    client = make_client(Inbox(), secret="wrong-secret", backoff_cap_s=8)
    await client.start()
    await eventually(lambda: len(sleeps.delays) >= 6)
    await client.stop()
    assert sleeps.delays[3:6] == [6.0, 6.0, 6.0]  # at most 8 s, of which half is jitter


async def test_a_disconnect_notice_moves_to_a_new_connection_at_once(
    make_client: MakeClient, fake: FakeDingTalk, sleeps: Sleeps
) -> None:
    inbox = Inbox()
    client = await started(make_client, fake, inbox)
    await fake.ask_to_disconnect()
    await fake.until(lambda: fake.connections_made == 2)
    await eventually(lambda: client.connections == 2 and client.connected)
    assert sleeps.delays == []
    await fake.push_robot_message("manager4220", "待办")
    assert (await inbox.next()).event.text == "待办"  # type: ignore[union-attr]


# ---- the watchdog ---------------------------------------------------------------------------------------------


async def test_a_silent_connection_is_replaced(
    make_client: MakeClient, fake: FakeDingTalk, clock: FakeClock, ticker: Ticker
) -> None:
    inbox = Inbox()
    client = await started(make_client, fake, inbox, silence_s=90, tick_s=15)
    fake.silence_connections()  # open, but no frames and no pongs: the bot would look online and hear nothing
    clock.advance(seconds=91)
    await ticker.fire()
    await fake.until(lambda: fake.connections_made == 2)
    await eventually(lambda: client.connections == 2 and client.connected)
    await fake.push_robot_message("manager4220", "待办")
    assert (await inbox.next()).event.text == "待办"  # type: ignore[union-attr]


async def test_a_quiet_live_connection_is_kept(
    make_client: MakeClient, fake: FakeDingTalk, clock: FakeClock, ticker: Ticker
) -> None:
    client = await started(make_client, fake, Inbox(), silence_s=90, tick_s=15)
    for _ in range(4):  # four minutes with no pushes at all
        clock.advance(seconds=60)
        pongs = fake.pongs_sent
        await ticker.fire()  # the watchdog pings; the gateway answers
        await fake.until(lambda p=pongs: fake.pongs_sent == p + 1)  # type: ignore[misc]
        await eventually(lambda: client.last_seen == clock.now())
    assert client.connections == 1 and len(fake.subscriptions) == 1


# ---- lifecycle ------------------------------------------------------------------------------------------------


async def test_stop_lets_running_handlers_finish_and_closes(make_client: MakeClient, fake: FakeDingTalk) -> None:
    gate = asyncio.Event()
    begun: list[str] = []
    finished: list[str] = []

    async def handler(delivery: StreamDelivery) -> None:
        begun.append(delivery.dedup_key)
        await gate.wait()
        finished.append(delivery.dedup_key)

    client = await started(make_client, fake, handler, ack_deadline_s=30)
    await fake.push_robot_message("manager4220", "待办", msg_id="m1")
    await eventually(lambda: begun == ["m1"])
    stopping = asyncio.create_task(client.stop())
    await asyncio.sleep(0)
    await fake.push_robot_message("manager4220", "晚到的", msg_id="m2")  # arrives while stopping: not taken
    gate.set()
    await stopping
    await fake.until(lambda: fake.open_connections == 0)
    assert finished == ["m1"] and not client.connected
    assert [a["headers"]["messageId"] for a in fake.acks] == [fake.frames_sent[0]["headers"]["messageId"]]


async def test_cancellation_goes_through(make_client: MakeClient, fake: FakeDingTalk) -> None:
    client = make_client(Inbox())
    task = asyncio.create_task(client.run())
    await eventually(lambda: client.connected)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await fake.until(lambda: fake.open_connections == 0)


async def test_a_stopped_client_does_not_come_back(make_client: MakeClient, fake: FakeDingTalk) -> None:
    client = await started(make_client, fake, Inbox())
    await client.stop()
    fake.drop_connections()
    await fake.until(lambda: fake.open_connections == 0)
    assert len(fake.subscriptions) == 1 and not client.connected
