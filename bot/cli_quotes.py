"""`kabot fx set`, `kabot policy check`, `kabot quote export`: the quote commands of the `kabot` CLI.

Usage (bot/cli.py): `from bot import cli_quotes` then `cli_quotes.register(sub)` next to the other subcommands.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services import Services
from bot.settings import Settings
from core.approval_policy import (
    OrgChart,
    OrgPerson,
    PolicyError,
    QuoteFacts,
    describe_policy,
    describe_route,
    load_policy,
)
from core.pricing import FxRates, format_rate
from core.roles import Role

# A small org and a few quotes, so a policy check shows how real quotes would be routed.
SAMPLE_ORG = OrgChart.of(
    (
        OrgPerson("gm", "总经理", Role.GM),
        OrgPerson("director", "销售总监", Role.DIRECTOR, "gm"),
        OrgPerson("finance", "财务", Role.FINANCE, "gm"),
        OrgPerson("manager", "销售经理", Role.MANAGER, "director"),
        OrgPerson("rep", "销售", Role.REP, "manager"),
    )
)
SAMPLE_QUOTES = (  # (USD amount, margin %, tier, country)
    (Decimal(5_000), Decimal(30), "B", "德国"),
    (Decimal(50_000), Decimal(20), "A", "美国"),
    (Decimal(150_000), Decimal(12), "A", "德国"),
    (Decimal(600_000), None, "A", "沙特"),
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `fx set`, `policy check` and `quote export` to the `kabot` subcommands."""
    fx = sub.add_parser("fx", help="汇率").add_subparsers(dest="fx_command", required=True)
    fx_set = fx.add_parser("set", help="设置汇率：kabot fx set USD 7.12（1 单位外币折合多少本位币）")
    fx_set.add_argument("currency")
    fx_set.add_argument("rate")
    fx_set.set_defaults(run=cmd_fx_set)

    policy = sub.add_parser("policy", help="审批策略").add_subparsers(dest="policy_command", required=True)
    check = policy.add_parser("check", help="检查审批策略文件，并显示几张示例报价的审批路线")
    check.add_argument("file")
    check.set_defaults(run=cmd_policy_check)

    quote = sub.add_parser("quote", help="报价").add_subparsers(dest="quote_command", required=True)
    export = quote.add_parser("export", help="导出报价单 XLSX：kabot quote export Q-2026-0007 报价单.xlsx")
    export.add_argument("number")
    export.add_argument("file")
    export.set_defaults(run=cmd_quote_export)


async def _services(settings: Settings) -> Services:
    from bot.app import build_services

    services = build_services(settings)
    await services.db.ensure_schema()
    return services


async def cmd_fx_set(args: argparse.Namespace, settings: Settings) -> int:
    from storage.repo.quotes import set_rate

    currency = args.currency.strip().upper()
    try:
        rate = Decimal(args.rate)
    except InvalidOperation:
        rate = Decimal(0)
    if len(currency) != 3 or not currency.isalpha() or rate <= 0 or currency == settings.base_currency:
        print(
            f"用法：kabot fx set USD 7.12（币种三个字母，不是本位币 {settings.base_currency}；汇率大于 0）",
            file=sys.stderr,
        )
        return 2
    services = await _services(settings)
    try:
        async with services.db.session() as session:
            _, previous = await set_rate(
                session, currency=currency, rate=rate, source="kabot fx set", set_by_id=None, now=services.clock.now()
            )
    finally:
        await services.db.close()
    was = f"（原为 {previous.normalize():f}）" if previous is not None else ""
    print(f"已设置汇率 {format_rate(currency, rate, settings.base_currency)}{was}")
    return 0


async def cmd_policy_check(args: argparse.Namespace, settings: Settings) -> int:
    try:
        policy = load_policy(Path(args.file).read_text(encoding="utf-8"))
    except OSError as err:
        print(f"读不到策略文件 {args.file}：{err.strerror}", file=sys.stderr)
        return 2
    except PolicyError as err:
        print(err, file=sys.stderr)
        return 2
    print("\n".join(describe_policy(policy)))
    rates = FxRates("CNY", {"USD": Decimal("7.12")})
    requester = SAMPLE_ORG.people["rep"]
    for usd, margin, tier, country in SAMPLE_QUOTES:
        facts = QuoteFacts.build(usd * rates.rate("USD"), rates, margin, tier, country)
        print("\n" + "\n".join(describe_route(facts, requester, SAMPLE_ORG, policy)))
    print("\n策略有效。")
    return 0


async def cmd_quote_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.handlers.quotes import load, quotation_file
    from core.nlu.quote_commands import find_number
    from storage.repo.quotes import latest

    number = find_number(args.number)
    if number is None:
        print("报价编号形如 Q-2026-0007", file=sys.stderr)
        return 2
    services = await _services(settings)
    try:
        async with services.db.session() as session:
            quote = await latest(session, number)
            if quote is None:
                print(f"没有找到报价 {number}", file=sys.stderr)
                return 2
            bundle = await load(session, quote)
    finally:
        await services.db.close()
    file = quotation_file(bundle, seller=settings.company_name, tz=ZoneInfo(settings.default_timezone))
    Path(args.file).write_bytes(file.content)
    status = "" if quote.status == "approved" else f"（注意：第{quote.revision}版尚未批准）"
    print(f"已导出 {number} 第{quote.revision}版 到 {args.file}{status}")
    return 0
