"""The morning digest reaches each manager in WeCom and the team's group chat through its robot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.services import Services
from core.clock import FakeClock
from scheduler import jobs
from tests.fakes.wecom_rig import make_rig


async def test_digest_goes_to_the_manager_and_the_team_robot(
    services: Services, clock: FakeClock, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    rig = await make_rig(
        services, clock, aiohttp_server, aiohttp_client, wecom_team_webhooks={"欧美组": "robot-key-eu"}
    )
    rig.fake.webhook_keys.add("robot-key-eu")
    clock.set(datetime(2026, 11, 24, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai
    assert await jobs.send_daily_digests(services) == 4
    await rig.deliverer.run_once()
    [digest] = [m for m in rig.fake.sent if m["touser"] == "zhaomin"]  # the whole report, as markdown
    assert digest["msgtype"] == "markdown" and "每日销售日报" in digest["markdown"]["content"]
    assert "本季预测" in digest["markdown"]["content"] and "█" in digest["markdown"]["content"]
    [post] = rig.fake.webhook_messages  # 亚非组 has no robot: nothing is posted for it
    assert post["msgtype"] == "markdown" and "欧美组 每日销售日报" in post["markdown"]["content"]
    assert await jobs.send_daily_digests(services) == 0
