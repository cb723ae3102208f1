"""`kabot chat`: the console channel in a terminal, through exactly the same pipeline as WeCom."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.channels.base import RawInbound
from bot.channels.console import USER_HEADER, ConsoleChannel
from bot.delivery import Deliverer
from bot.pipeline import Pipeline
from bot.services import Services
from storage.repo import users

QUIT = {"exit", "quit", "q", "退出"}


async def chat(services: Services, who: str, *, examples: Sequence[str] = ()) -> int:
    async with services.db.session() as session:
        user = await users.by_identity(session, "console", who)
    if user is None:
        print(f"找不到用户“{who}”。先用 kabot users import 导入名单，或运行 kabot demo。")
        return 1
    console = ConsoleChannel(services.renderer, write=lambda text: print(_indent(text), flush=True))
    services.channels["console"] = console
    pipeline, deliverer = Pipeline(services), Deliverer(services)
    await pipeline.recover()
    print(f"以 {user.name}（{user.role}）身份与 kabot 对话。输入“帮助”查看用法，“退出”结束。")
    if examples:
        print("可以试试：\n" + "\n".join(f"  {e}" for e in examples))
    await deliverer.run_once(channel="console", target=user.name)
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = (await loop.run_in_executor(None, input, f"{user.name}> ")).strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.lower() in QUIT:
            return 0
        if not line:
            continue
        await pipeline.handle(console.decode(RawInbound(line.encode(), headers={USER_HEADER: user.name})))
        await deliverer.run_once(channel="console", target=user.name)


def _indent(text: str) -> str:
    return "kabot> " + text.replace("\n", "\n       ")
