"""Try kabot as a WeCom member would, without a phone: each line you type goes to `kabot`'s real
`/wecom/callback` as an encrypted message from the demo company's member, and what that member's phone
would show comes back (markdown without its marks, cards with their buttons). For user trials.

    .venv/bin/python -m tests.fakes.wecom_phone [--db FILE]

Lines: `<text>` sends as the current member; `@lina <text>` sends as lina (a WeCom UserID of the demo
company: lina, wangqiang, chenjing, zhaomin, liuyang, sunli, wufang, zhoujianguo); `as zhaomin` switches;
`tap N` taps the Nth button of the member's newest card; `quit` ends. Messages to other members are shown too.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import PIPELINE, build_services, create_app
from bot.channels import registry
from bot.delivery import Deliverer
from bot.demo import seed_demo
from bot.settings import Settings
from core.clock import SystemClock
from tests.fakes.wecom_rig import wecom_settings
from tests.fakes.wecom_screen import shown
from tests.fakes.wecom_server import FakeWeCom


async def main(db: Path) -> None:
    clock = SystemClock()
    fake = FakeWeCom(clock=clock)
    wecom = TestServer(fake.make_app())
    await wecom.start_server()
    url = f"sqlite+aiosqlite:///{db}"
    services = build_services(Settings(database_url=url, _env_file=None), clock=clock)  # type: ignore[call-arg]
    await services.db.upgrade()
    services.settings = wecom_settings(services, fake, FakeWeCom.base_url(wecom))
    registry.configure(services)
    async with services.db.session() as s:
        await seed_demo(s, clock.now())
    app = create_app(services, background=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    pipeline, deliverer = app[PIPELINE], Deliverer(services)
    me, seen, msg_ids = "lina", 0, itertools.count(int(clock.now().timestamp()) * 1000)
    print(f"kabot on a fake WeCom; database {db}. You are {me}. `@userid text`, `as userid`, `tap N`, `quit`.")
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, input, f"{me}> ")).strip()
        if line in ("quit", "exit"):
            break
        if not line:
            continue
        sender, text = me, line
        if line.startswith("as "):
            me = line[3:].strip()
            continue
        if line.startswith("@"):
            sender, _, text = line[1:].partition(" ")
        if text.startswith("tap "):
            card = _newest_card(fake.sent, sender)
            buttons = card["button_list"] if card else []
            n = int(text[4:].strip() or 0)
            if not card or not 1 <= n <= len(buttons):
                print("  (no such button)")
                continue
            callback = fake.callback_click(sender, card["task_id"], buttons[n - 1]["key"])
        else:
            callback = fake.callback_text(sender, text, next(msg_ids))
        params, body = callback
        resp = await client.post("/wecom/callback", params=params, data=body)
        if resp.status != 200:
            print(f"  HTTP {resp.status}")
        await pipeline.drain()
        await deliverer.run_once()
        for message in fake.sent[seen:]:
            who = "" if message["touser"] == sender else f"[→ {message['touser']}] "
            print("  " + who + shown(message, fake.uploads).replace("\n", "\n  "))
            print("  ─────")
        seen = len(fake.sent)
    await client.close()
    await wecom.close()
    await services.db.close()


def _newest_card(sent: list[dict[str, Any]], user: str) -> dict[str, Any] | None:
    cards = [m["template_card"] for m in sent if m["touser"] == user and m["msgtype"] == "template_card"]
    return cards[-1] if cards else None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("wecom_phone.db"))
    asyncio.run(main(parser.parse_args().db.resolve()))
