"""`kabot dingtalk sync-users` and `kabot doctor`: the DingTalk directory into the roster, and a health check that
shows which chat apps are on and how much of this month's DingTalk quota is used."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


async def cmd_dingtalk_sync_users(args: argparse.Namespace, settings: Settings) -> int:
    import aiohttp

    from bot.app import build_services
    from bot.channels.dingtalk.api import DingTalkError
    from bot.channels.dingtalk.channel import build_api
    from bot.channels.dingtalk.directory import fetch_members
    from bot.channels.dingtalk.quota import QuotaMeter
    from storage.roster import RosterError, sync_directory

    if missing := settings.dingtalk_missing():
        print(f"钉钉未配置：请设置 {'、'.join(missing)}", file=sys.stderr)
        return 2
    services = build_services(settings)
    await services.db.ensure_schema()
    try:
        meter = QuotaMeter(services.db, services.clock)
        async with aiohttp.ClientSession() as http:
            members = await fetch_members(build_api(settings.dingtalk, http, services.clock, services.redis, meter))
        async with services.db.session() as session:
            result = await sync_directory(
                session, "dingtalk", members, now=services.clock.now(), default_tz=settings.default_timezone
            )
    except DingTalkError as err:
        print(f"读取钉钉通讯录失败：{err}", file=sys.stderr)
        return 1
    except RosterError as err:
        print(err, file=sys.stderr)
        return 2
    finally:
        await services.db.close()
    print(result.synced())
    return 0


async def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """1 when the database cannot be reached; quota lines are information, never a failure."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot import __version__
    from bot.app import build_services, quota_lines
    from bot.channels import registry

    services = build_services(settings)
    print(f"kabot {__version__}")
    ok = await services.db.ping()
    print(f"数据库：{'正常' if ok else '无法连接'}")
    for line in registry.report(settings):
        print(line)
    if ok:
        try:
            quotas = await quota_lines(services)
        except SQLAlchemyError:
            print("本月额度：无法读取（数据库结构未升级？请运行 kabot db upgrade）")
            quotas = {}
        for channel, lines in quotas.items():
            print(f"{channel} 本月额度：")
            for line in lines:
                print(f"  {line}")
    await services.db.close()
    return 0 if ok else 1


def register(sub: Any) -> None:
    ding = sub.add_parser("dingtalk", help="钉钉").add_subparsers(dest="dingtalk_command", required=True)
    ding.add_parser("sync-users", help="从钉钉通讯录同步成员、部门和主管").set_defaults(run=cmd_dingtalk_sync_users)
    sub.add_parser("doctor", help="检查数据库、已开启的聊天应用和钉钉本月额度").set_defaults(run=cmd_doctor)
