"""How fast does kabot acknowledge DingTalk Stream pushes, and answer them, in one `kabot serve --workers 0` process?

    .venv/bin/python bench/bench_dingtalk_stream.py [--messages 400] [--burst 40]

In this process: the fake DingTalk (tests/fakes/dingtalk_server.py: Stream gateway, sessionWebhooks, robot APIs)
and kabot's app as `kabot serve --workers 0` builds it (SQLite in a temporary directory, the demo company), with
its real Stream client. `--messages` robot messages (`待办`, from the 8 demo people in turn) are pushed in bursts
of `--burst`, the next burst when the last one was acknowledged. Reported: the time from a push to its ack (p50,
p99, max; DingTalk redelivers after about 60 s and wants card callbacks answered within 2 s) and how long until
every message was answered; every message must be answered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_services, create_app  # noqa: E402
from bot.demo import seed_demo  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.models import User  # noqa: E402
from storage.repo import users  # noqa: E402
from tests.fakes.ding_harness import ding_settings  # noqa: E402
from tests.fakes.dingtalk_server import BOT_TOPIC, FakeDingTalk  # noqa: E402


class TimedAcks(list[dict[str, Any]]):
    """The fake's ack list, with the moment each ack arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, float] = {}

    def append(self, ack: dict[str, Any]) -> None:
        self.at[str(ack.get("headers", {}).get("messageId"))] = time.perf_counter()
        super().append(ack)


async def main(messages: int, burst: int) -> None:
    from sqlmodel import select

    fake = FakeDingTalk()
    acks = TimedAcks()
    fake.acks = acks
    fake_server = TestServer(fake.make_app())
    await fake_server.start_server()
    base = fake.base_url(fake_server)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp}/kabot.db", dingtalk=ding_settings(fake, base), _env_file=None
        )
        services = build_services(settings)
        await services.db.upgrade()
        async with services.db.session() as s:
            await seed_demo(s, services.clock.now())
            names = []
            for user in (await s.exec(select(User))).all():
                assert user.id is not None
                await users.set_identities(s, user.id, {"dingtalk": user.name})
                names.append(user.name)
        runner = web.AppRunner(create_app(services), access_log=None)
        await runner.setup()
        await fake.until(lambda: fake.open_connections == 1, timeout=30)
        pushed: dict[str, float] = {}
        start = time.perf_counter()
        for first in range(0, messages, burst):
            frames = []
            for i in range(first, min(messages, first + burst)):
                body = fake.robot_message(names[i % len(names)], "待办", msg_id=f"bench{i:06d}")
                pushed_at = time.perf_counter()
                frame = await fake.push(BOT_TOPIC, body)
                pushed[frame] = pushed_at
                frames.append(frame)
            await fake.until(lambda batch=frames: all(f in acks.at for f in batch), timeout=60)  # type: ignore[misc]
        await fake.until(lambda: len(fake.sent) >= messages, timeout=300)
        answered = time.perf_counter() - start
        await asyncio.sleep(1)  # anything answered twice would show up now
        await runner.cleanup()
    await fake_server.close()
    latencies = sorted((acks.at[f] - t) * 1000 for f, t in pushed.items())
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    print(f"{messages} pushes in bursts of {burst}")
    print(f"ack ms: p50 {statistics.median(latencies):.1f}  p99 {p99:.1f}  max {latencies[-1]:.1f}")
    print(f"all answered after {answered:.2f} s ({messages / answered:.0f} messages/s); answers: {len(fake.sent)}")
    assert len(fake.sent) == messages, "every message answered exactly once"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--burst", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.burst))
