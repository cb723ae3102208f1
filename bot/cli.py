"""The `kabot` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import cli_dingtalk, cli_quotes
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.services import Services

LOW_PRIORITY_NICENESS = 10
Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_url)
    await db.upgrade()
    cur, _ = await db.revisions()
    await db.close()
    print(f"数据库已升级到 {cur}")
    return 0


class NoDatabase(Exception):
    """`kabot chat` where there is no database: a new one would have nobody to chat as."""


async def _services(settings: Settings, *, name_database: bool = False, existing: bool = False) -> Services:
    """Services with the schema checked; says when the database is new (or, `name_database`, which it is).
    `existing`: refuse to create a SQLite file (NoDatabase) instead."""
    from bot.app import build_services

    services = build_services(settings)  # a bad policy or stage rules file stops here, before any database
    path = sqlite_path(settings.database_url)
    if existing and path is not None and not path.exists():
        await services.db.close()
        raise NoDatabase(
            f"数据库 {path} 不存在，没有新建。先运行 kabot demo 试用，或 kabot users import 名单.csv 导入名单；"
            "要用已有的数据库，请到它所在的文件夹运行或设置 KABOT_DATABASE_URL"
            f" / no database at {path}; nothing was created"
        )
    _say_which_database(settings, always=name_database)
    await services.db.ensure_schema()
    return services


async def cmd_users_import(args: argparse.Namespace, settings: Settings) -> int:
    from storage.roster import RosterError, import_roster
    from storage.table_file import TableFileError, read_table

    try:
        read_table(Path(args.file))  # before any database is opened (or created): an unreadable file is one line
    except TableFileError as err:
        print(err, file=sys.stderr)
        return 2
    services = await _services(settings)
    try:
        async with services.db.session() as session:
            result = await import_roster(
                session,
                Path(args.file),
                default_tz=settings.default_timezone,
                now=services.clock.now(),
                message=f"kabot users import {args.file}",
            )
    except RosterError as err:
        print(err, file=sys.stderr)
        return 2
    finally:
        await services.db.close()
    print(f"导入完成：新增 {result.created} 人，更新 {result.updated} 人，未变 {result.unchanged} 人")
    return 0


async def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from core.roles import Role
    from core.text import clean_text
    from storage.repo.users import all_users, identities

    services = await _services(settings)
    async with services.db.session() as session:
        people = list(await all_users(session))
        ids = await identities(session, [u.id for u in people if u.id is not None])
    await services.db.close()
    names = {u.id: u.name for u in people}
    rows: list[tuple[str, ...]] = [("姓名", "角色", "上级", "团队", "企业微信ID", "钉钉ID", "时区")]
    rows += [
        (
            u.name,
            Role(u.role).label,
            names.get(u.manager_id, "") if u.manager_id else "",
            u.team or "",
            ids.get(u.id or 0, {}).get("wecom", ""),
            ids.get(u.id or 0, {}).get("dingtalk", ""),
            u.timezone,
        )
        for u in people
    ]
    print(clean_text(_table(rows)))  # names stored before input was cleaned never drive the terminal
    return 0


async def cmd_wecom_sync_users(args: argparse.Namespace, settings: Settings) -> int:
    import aiohttp

    from bot.channels.wecom import WeComError
    from bot.channels.wecom.channel import build_api
    from bot.channels.wecom.sync import apply_members, fetch_members
    from storage.roster import RosterError

    if not settings.wecom_enabled:
        print(f"企业微信未配置：请设置 {'、'.join(settings.wecom_missing())}", file=sys.stderr)
        return 2
    services = await _services(settings)
    try:
        async with aiohttp.ClientSession() as http:
            members = await fetch_members(build_api(settings, http, services.clock, services.redis))
        async with services.db.session() as session:
            result = await apply_members(
                session, members, now=services.clock.now(), default_tz=settings.default_timezone
            )
    except WeComError as err:
        print(f"读取企业微信通讯录失败：{err}", file=sys.stderr)
        return 1
    except RosterError as err:
        print(err, file=sys.stderr)
        return 2
    finally:
        await services.db.close()
    print(result.synced())
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cols = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c + " " * (w - width(c)) for c, w in zip(r, cols, strict=True)).rstrip() for r in rows)


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.repl import chat

    services = await _services(settings, name_database=True, existing=True)
    try:
        return await chat(services, args.as_user)
    finally:
        await services.db.close()


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import DEMO_USER, EXAMPLES, seed_demo
    from bot.repl import chat
    from storage.repo.users import all_users

    if args.reset and (refused := await _remove_demo_database(settings)):
        print(refused, file=sys.stderr)
        return 2
    services = await _services(settings, name_database=True)
    try:
        async with services.db.session() as session:
            people = await all_users(session)
            if people and not any(u.name == DEMO_USER for u in people):  # a real roster: never mixed with the demo
                print(
                    f"这个数据库已有 {len(people)} 人的名单，不是演示数据库，没有写入演示数据。"
                    "演示请换一个数据库（例如删掉 KABOT_DATABASE_URL 用默认的 ./kabot.db）。\n"
                    "This database holds a real roster; the demo was not added to it.",
                    file=sys.stderr,
                )
                return 2
            created = await seed_demo(session, services.clock.now())
        print("已创建演示公司（8 人，40 个客户）。" if created else "演示数据已存在，直接进入对话。")
        return await chat(services, DEMO_USER, examples=EXAMPLES)
    finally:
        await services.db.close()


async def _remove_demo_database(settings: Settings) -> str | None:
    """Delete the demo's SQLite file (so `kabot demo` starts afresh); a reason instead when it is not the demo's."""
    from sqlalchemy import text

    from bot.demo import DEMO_USER
    from storage.db import Database

    path = sqlite_path(settings.database_url)
    if path is None:
        return "--reset 只用于演示的 SQLite 数据库 / --reset only works on the demo's SQLite database"
    if not path.exists():
        return None
    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as conn:
            people = [r[0] for r in await conn.execute(text("SELECT name FROM users"))]
    except Exception:  # noqa: BLE001 — no users table: an empty or foreign file, not the demo's
        people = ["?"]
    finally:
        await db.close()
    if people and DEMO_USER not in people:
        return f"{path} 不是演示数据库，没有删除 / {path} is not the demo database; nothing was deleted"
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    print(f"已删除演示数据库 {path}，重新创建。")
    return None


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from bot.app import build_services, create_app

    services = build_services(settings)
    _say_which_database(settings, always=True)
    await services.db.ensure_schema()  # refuse a stale PostgreSQL before binding the port
    # No access log: every callback is the same POST, and a line per request costs the acknowledging loop time.
    runner = web.AppRunner(create_app(services, inline=args.workers == 0), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, args.host, args.port).start()
    except OSError as err:  # busy port, a host that is not this machine's
        await runner.cleanup()
        print(
            f"无法在 {args.host}:{args.port} 上监听：{err.strerror or err}。端口被占用时请换一个，例如 --port 8081"
            f" / cannot listen on {args.host}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 1
    port = runner.addresses[0][1]  # --port 0 asks the system for a free port: say which one it gave
    print(
        f"kabot 正在 http://{args.host}:{port} 上运行（/healthz）"
        + (f"，{args.workers} 个工作进程处理消息" if args.workers else ""),
        flush=True,
    )
    stop = _stop_on_signals()
    workers = asyncio.create_task(_supervise_workers(args.workers)) if args.workers else None
    try:
        await stop.wait()
    finally:
        if workers:
            workers.cancel()  # its cleanup stops the workers before the server goes
            await asyncio.gather(workers, return_exceptions=True)
        await runner.cleanup()
    return 0


def _stop_on_signals() -> asyncio.Event:
    """SIGTERM and Ctrl-C end the process through its cleanup (workers, connections), not mid-air."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _supervise_workers(count: int) -> None:
    """Run `kabot work` children so acknowledging never waits for processing; restart any that dies."""
    procs: list[asyncio.subprocess.Process] = []
    try:
        while True:
            procs = [p for p in procs if p.returncode is None]
            while len(procs) < count:
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot.cli", "work", "--parent", str(os.getpid())
                    )
                )
            await asyncio.wait([asyncio.create_task(p.wait()) for p in procs], return_when=asyncio.FIRST_COMPLETED)
            logging.getLogger(__name__).warning("a worker exited; starting another")
    finally:
        for p in procs:
            if p.returncode is None:
                p.terminate()
                await p.wait()


async def cmd_work(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_services, run_worker

    stop = _stop_on_signals()
    watch = None
    if args.parent:
        lower_priority(settings.worker_priority)
        watch = asyncio.create_task(_stop_when_orphaned(args.parent, stop))
    await run_worker(build_services(settings), stop)
    if watch:
        watch.cancel()
    return 0


def lower_priority(priority: str) -> None:
    """A worker started by `serve` yields the CPU to it: acknowledging is latency-critical (WeCom retries after
    5 s), answering is background work that catches up when the load eases. "idle" (SCHED_IDLE, Linux) runs
    this process only on CPU time nothing else wants, and any other process that wakes up preempts it at once;
    nice 10 ("low") still took ~0.8 of the machine's two cores from the acknowledging side under load."""
    if priority == "idle" and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    elif priority != "normal":
        os.nice(LOW_PRIORITY_NICENESS if priority == "low" else 19)


async def _stop_when_orphaned(parent: int, stop: asyncio.Event) -> None:
    """A worker started by `serve` ends with it, even if `serve` was killed without a chance to say so."""
    while os.getppid() == parent:
        await asyncio.sleep(1)
    stop.set()


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0–65535 之间的数字，例如 8080（收到 {text[:20]!r}）")
    return int(text)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL, made absolute; None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def _say_which_database(settings: Settings, *, always: bool) -> None:
    """A command run in another folder would silently start an empty kabot.db there: say so, on stderr."""
    path = sqlite_path(settings.database_url)
    if path is None:
        return
    if not path.exists():
        print(
            f"新建数据库 {path}（这里还没有；要用已有的数据库，请到它所在的文件夹运行或设置 KABOT_DATABASE_URL）"
            f" / new database {path}",
            file=sys.stderr,
        )
    elif always:
        print(f"数据库 / database: {path}", file=sys.stderr)


def _configure_logging(settings: Settings, command: str) -> None:
    """Logs go to stderr, or for the terminal conversations (chat, demo) to ./kabot.log, never into the chat;
    alembic's INFO lines on every command's schema check and apscheduler's on every start are not news."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler: logging.Handler = (
        logging.FileHandler("kabot.log", encoding="utf-8") if command in ("chat", "demo") else logging.StreamHandler()
    )
    logging.basicConfig(level=settings.log_level, format=fmt, handlers=[handler])
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kabot", description="kabot — 大客户 CRM 助手")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="数据库").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="把数据库结构升级到最新").set_defaults(run=cmd_db_upgrade)

    users = sub.add_parser("users", help="用户名单").add_subparsers(dest="users_command", required=True)
    imp = users.add_parser("import", help="从 CSV 或 XLSX 导入名单")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_users_import)
    users.add_parser("list", help="列出组织架构").set_defaults(run=cmd_users_list)
    cli_quotes.register_users(users)

    wecom = sub.add_parser("wecom", help="企业微信").add_subparsers(dest="wecom_command", required=True)
    wecom.add_parser("sync-users", help="从企业微信通讯录同步成员、团队和上级").set_defaults(run=cmd_wecom_sync_users)
    cli_dingtalk.register(sub)

    chat = sub.add_parser("chat", help="在终端里与 kabot 对话")
    chat.add_argument("--as", dest="as_user", required=True, help="姓名、企业微信ID或钉钉ID")
    chat.set_defaults(run=cmd_chat)

    cli_quotes.register(sub)

    demo = sub.add_parser("demo", help="创建演示数据并以演示销售身份对话")
    demo.add_argument("--reset", action="store_true", help="删除演示数据库，从头再来")
    demo.set_defaults(run=cmd_demo)

    serve = sub.add_parser("serve", help="运行 HTTP 服务（企业微信/钉钉回调）")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="处理消息的工作进程数（默认 1）：本进程只负责确认收到，回复不会拖慢确认；0 表示在本进程内处理",
    )
    serve.set_defaults(run=cmd_serve)
    work = sub.add_parser("work", help="工作进程：处理已收到的消息、投递回复、定时提醒（serve --workers 会自动启动）")
    work.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    work.set_defaults(run=cmd_work)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    _configure_logging(settings, args.command)
    from core.approval_policy import PolicyError
    from core.stage_rules import StageRulesError
    from storage.db import SchemaBehind

    try:
        return asyncio.run(args.run(args, settings))
    except SchemaBehind as err:
        print(err, file=sys.stderr)
        return 3
    except NoDatabase as err:
        print(err, file=sys.stderr)
        return 1
    except (PolicyError, StageRulesError) as err:  # a bad KABOT_POLICY_FILE / KABOT_STAGE_RULES_FILE stops
        print(err, file=sys.stderr)  # every command at start, naming file and line
        return 2


if __name__ == "__main__":
    sys.exit(main())
