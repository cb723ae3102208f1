"""`kabot fx set`, `kabot policy check`, `kabot quote export`, `kabot users offboard`: the sales commands of the CLI.

They call the same services as the chat (bot.sales), as the system user: every change is audited with no actor
on channel `cli`, and the people concerned are told through the outbox.

Usage (bot/cli.py): `cli_quotes.register(sub)` next to the other subcommands, and
`cli_quotes.register_users(users)` on the `users` subcommands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.errors import NeedsAnswer, Refusal
from bot.services import Services
from bot.settings import Settings
from core.approval_policy import (
    OrgChart,
    OrgPerson,
    Policy,
    PolicyError,
    QuoteFacts,
    describe_policy,
    describe_route,
)
from core.pricing import FxRates
from core.roles import Role
from storage.models import Customer

# A small org and a few quotes, for a policy check without a database to take real ones from.
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
    (Decimal(5_000), Decimal(30), "B", "DE"),
    (Decimal(50_000), Decimal(20), "A", "US"),
    (Decimal(150_000), Decimal(12), "A", "DE"),
    (Decimal(600_000), None, "A", "SA"),
)
SAMPLE_CUSTOMERS = 6  # real customers shown by `policy check`
TYPICAL_USD, TYPICAL_MARGIN = Decimal(50_000), Decimal(20)  # for a real customer without a quote yet


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `fx set`, `policy check` and `quote export` to the `kabot` subcommands."""
    fx = sub.add_parser("fx", help="汇率").add_subparsers(dest="fx_command", required=True)
    fx_set = fx.add_parser("set", help="设置汇率：kabot fx set USD 7.12（1 单位外币折合多少本位币）")
    fx_set.add_argument("currency")
    fx_set.add_argument("rate")
    fx_set.add_argument("--yes", action="store_true", help="汇率变动超过设定比例时也直接设置")
    fx_set.set_defaults(run=cmd_fx_set)

    policy = sub.add_parser("policy", help="审批策略").add_subparsers(dest="policy_command", required=True)
    check = policy.add_parser("check", help="检查审批策略文件，并用数据库里的真实客户演示审批路线")
    check.add_argument("file", nargs="?", help="策略文件；不写则检查 KABOT_POLICY_FILE（或默认策略）")
    check.set_defaults(run=cmd_policy_check)

    quote = sub.add_parser("quote", help="报价").add_subparsers(dest="quote_command", required=True)
    export = quote.add_parser("export", help="导出报价单 XLSX：kabot quote export Q-2026-0007 报价单.xlsx")
    export.add_argument("number")
    export.add_argument("file")
    export.set_defaults(run=cmd_quote_export)


def register_users(users: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `users offboard NAME --to NAME`."""
    off = users.add_parser(
        "offboard", help="离职交接：kabot users offboard 王强 --to 李娜（客户、待办、商机、报价整体转交）"
    )
    off.add_argument("name")
    off.add_argument("--to", required=True, dest="to")
    off.set_defaults(run=cmd_users_offboard)


async def _services(settings: Settings) -> Services:
    from bot.app import build_services

    services = build_services(settings)
    await services.db.ensure_schema()
    return services


async def cmd_fx_set(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sales import fx, views
    from bot.sales.scope import Scope

    try:
        rate = Decimal(args.rate)
    except InvalidOperation:
        print(
            f"汇率要写数字。用法：kabot fx set USD 7.12（1 单位外币折合多少 {settings.base_currency}）", file=sys.stderr
        )
        return 2
    services = await _services(settings)
    try:
        async with services.db.session() as session:
            scope = Scope.system(
                session,
                services.clock,
                settings,
                services.policy,
                message=f"kabot fx set {args.currency} {args.rate}{' --yes' if args.yes else ''}",
            )
            done = await fx.set_rate(scope, args.currency, rate, confirmed=args.yes)
    except NeedsAnswer as question:
        print(question.message.replace("回复“是”确认设置，回复“否”取消。", "确认无误请加 --yes 再运行一次。"))
        return 2
    except Refusal as refusal:
        print(refusal.message, file=sys.stderr)  # the chat example would not fit a command line
        return 2
    finally:
        await services.db.close()
    print(views.rate_set(done).split("设错了")[0])
    return 0


async def cmd_policy_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the file (naming file and line), then show how real customers' quotes would be routed."""
    from bot.sales.policy import company_policy, read_policy

    try:
        policy = read_policy(args.file) if args.file else company_policy(settings)
    except PolicyError as err:
        print(err, file=sys.stderr)
        return 2
    print("\n".join(describe_policy(policy)))
    examples = await _real_examples(settings, policy)
    if examples is None:
        print("\n（数据库里还没有客户，下面用示例组织和示例报价演示）")
        examples = _sample_examples(policy)
    for lines in examples:
        print("\n" + "\n".join(lines))
    print("\n策略有效。")
    return 0


def _sample_examples(policy: Policy) -> list[list[str]]:
    rates = FxRates("CNY", {"USD": Decimal("7.12")})
    requester = SAMPLE_ORG.people["rep"]
    return [
        describe_route(
            QuoteFacts.build(usd * rates.rate("USD"), rates, margin, tier, country), requester, SAMPLE_ORG, policy
        )
        for usd, margin, tier, country in SAMPLE_QUOTES
    ]


async def _real_examples(settings: Settings, policy: Policy) -> list[list[str]] | None:
    """Routes for a few real customers (different countries and tiers), requested by their real owners."""
    from sqlmodel import col, select

    from bot.sales.approvals import org_of
    from bot.sales.quotes import load
    from core.countries import country_name
    from storage.models import Quote
    from storage.repo import quotes, users

    if not _database_exists(settings.database_url):
        return None  # a policy check never creates a database
    services = await _services(settings)
    try:
        async with services.db.session() as session:
            people = list(await users.all_users(session))
            org = org_of(people)
            rates, _ = await quotes.fx_table(session, settings.base_currency)
            owned = (await session.exec(select(Customer).where(col(Customer.owner_id).is_not(None)))).all()
            picked = _varied(owned)
            if not picked or not rates.has("USD"):
                return None
            out = []
            for c in picked:
                requester = org.get(str(c.owner_id))
                if requester is None:
                    continue
                latest = (
                    await session.exec(
                        select(Quote).where(Quote.customer_id == c.id).order_by(col(Quote.id).desc()).limit(1)
                    )
                ).first()
                if latest is not None:
                    b = await load(session, latest)
                    facts = QuoteFacts.from_pricing(b.pricing, rates, c.tier, c.country)
                    what = f"{latest.number} 第{latest.revision}版"
                else:
                    usd = TYPICAL_USD
                    facts = QuoteFacts.build(usd * rates.rate("USD"), rates, TYPICAL_MARGIN, c.tier, c.country)
                    what = "一张 5 万美元、毛利 20% 的报价"
                where = country_name(c.country) or "国家未填"
                out.append(
                    [f"【{c.name}（{where}，{c.tier}级）· {what}】", *describe_route(facts, requester, org, policy)[1:]]
                )
            return out or None
    finally:
        await services.db.close()


def _database_exists(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return True
    path = parsed.database
    return path is not None and path not in ("", ":memory:") and Path(path).exists()


def _varied(customers: Sequence[Customer]) -> list[Customer]:
    """Up to SAMPLE_CUSTOMERS customers, one per (country, tier), so the examples differ."""
    seen: set[tuple[str | None, str]] = set()
    out = []
    for c in customers:
        key = (c.country, c.tier)
        if key not in seen:
            seen.add(key)
            out.append(c)
        if len(out) == SAMPLE_CUSTOMERS:
            break
    return out


async def cmd_quote_export(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from bot.sales.quotes import load
    from bot.sales.views import quotation_file
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
    file = quotation_file(bundle, settings=settings, tz=ZoneInfo(settings.default_timezone))
    Path(args.file).write_bytes(file.content)
    status = (
        "" if quote.status == "approved" else f"（注意：第{quote.revision}版尚未批准，报价单上已标明“草稿 / DRAFT”）"
    )
    print(f"已导出 {number} 第{quote.revision}版 到 {args.file}{status}")
    return 0


async def cmd_users_offboard(args: argparse.Namespace, settings: Settings) -> int:
    """The leaver's accounts, tasks, opportunities and quotes to a colleague; those concerned are told."""
    from bot.outbox import enqueue
    from bot.sales import transfer_views, transfers
    from bot.sales.cards import card_updates
    from bot.sales.scope import Scope

    services = await _services(settings)
    try:
        async with services.db.session() as session:
            scope = Scope.system(
                session,
                services.clock,
                settings,
                services.policy,
                message=f"kabot users offboard {args.name} --to {args.to}",
            )
            done = await transfers.offboard(scope, person=args.name, to=args.to)
            summary, *pushes = transfer_views.offboarded(done, scope)
            replies = [*pushes, *card_updates(done.finals)]
            await enqueue(session, services, replies, inbound=None, inbound_id=None, now=services.clock.now())
    except Refusal as refusal:
        print(refusal.message, file=sys.stderr)  # the chat example would not fit a command line
        return 2
    finally:
        await services.db.close()
    print(getattr(summary, "text", summary))
    return 0
