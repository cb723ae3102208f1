"""`kabot fx set`, `kabot policy check`, `kabot quote export`."""

from __future__ import annotations

import argparse
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot import cli_quotes
from bot.services import Services
from storage.models import AuditLog, FxRate
from tests.bot.test_quotes_support import quote_and_submit
from tests.fakes.harness import ChatHarness


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kabot")
    cli_quotes.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def use_services(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    async def same(_settings: object) -> Services:
        return services

    monkeypatch.setattr(cli_quotes, "_services", same)
    return services


async def test_fx_set(use_services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("fx", "set", "usd", "7.1")
    assert await args.run(args, use_services.settings) == 0
    assert "1 USD = 7.1 CNY" in capsys.readouterr().out
    async with use_services.db.session() as s:
        row = await s.get(FxRate, "USD")
    assert row is not None and str(row.rate_to_base.normalize()) == "7.1" and row.set_by_id is None
    bad = parse("fx", "set", "USD", "abc")
    assert await bad.run(bad, use_services.settings) == 2


async def test_policy_check_prints_routes_or_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.settings import Settings

    good = Path(__file__).parents[2] / "core" / "policies" / "default.toml"
    args = parse("policy", "check", str(good))
    assert await args.run(args, Settings(_env_file=None)) == 0  # type: ignore[call-arg]
    out = capsys.readouterr().out
    assert "默认审批流程" in out and "1. 直属上级：销售经理" in out and "总经理" in out and "策略有效" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[steps]]\nname = "x"\napprover = "boss"\n', encoding="utf-8")
    args = parse("policy", "check", str(bad))
    assert await args.run(args, Settings(_env_file=None)) == 2  # type: ignore[call-arg]
    assert "steps[0].approver" in capsys.readouterr().err


async def test_quote_export_writes_the_sheet(
    bot: ChatHarness,
    monkeypatch: pytest.MonkeyPatch,
    use_services: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    number = await quote_and_submit(bot, "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    await bot.say("赵敏", f"同意 {number}")
    target = tmp_path / "q.xlsx"
    args = parse("quote", "export", number.lower(), str(target))
    assert await args.run(args, use_services.settings) == 0
    assert "已导出" in capsys.readouterr().out
    ws = load_workbook(BytesIO(target.read_bytes())).active
    assert ws is not None
    values = {c.value for row in ws.iter_rows() for c in row if c.value is not None}
    assert {number, "DN50球阀", 5000, "kabot 示例贸易有限公司"} <= values
    missing = parse("quote", "export", "Q-2026-0999", str(target))
    assert await missing.run(missing, use_services.settings) == 2


async def test_fx_set_is_checked_like_in_chat_and_audited_as_the_system(
    use_services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    first = parse("fx", "set", "USD", "7.12")
    assert await first.run(first, use_services.settings) == 0
    typo = parse("fx", "set", "USD", "71.8")
    assert await typo.run(typo, use_services.settings) == 2
    said = capsys.readouterr().out
    assert "变动了 908.4%" in said and "确认无误请加 --yes 再运行一次" in said
    sure = parse("fx", "set", "USD", "71.8", "--yes")
    assert await sure.run(sure, use_services.settings) == 0
    for bad in (("RMB", "1"), ("USD", "0.00001"), ("US", "7")):
        args = parse("fx", "set", *bad)
        assert await args.run(args, use_services.settings) == 2
    async with use_services.db.session() as s:
        changes = (await s.exec(select(AuditLog).where(AuditLog.entity == "fx_rates"))).all()
    assert [(a.action, a.actor_id, a.channel) for a in changes] == [("create", None, "cli"), ("update", None, "cli")]
    assert changes[1].message == "kabot fx set USD 71.8 --yes"


async def test_policy_check_routes_real_customers_and_survives_deep_nesting(
    bot: ChatHarness, use_services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("policy", "check")
    assert await args.run(args, use_services.settings) == 0
    out = capsys.readouterr().out
    assert "【艾克美工业有限公司（德国，A级）· 一张 5 万美元、毛利 20% 的报价】" in out
    assert "申请人：李娜（销售）" in out and "1. 直属上级：赵敏" in out and "策略有效" in out
    deep = tmp_path / "deep.toml"
    when = "{ any_of = [" * 2000 + "{ min_amount_usd = 1 }" + "] }" * 2000
    deep.write_text(f'[[steps]]\nname = "x"\nrole = "finance"\nwhen = {when}\n', encoding="utf-8")
    args = parse("policy", "check", str(deep))
    assert await args.run(args, use_services.settings) == 2
    assert "嵌套太深" in capsys.readouterr().err
    missing = parse("policy", "check", str(tmp_path / "none.toml"))
    assert await missing.run(missing, use_services.settings) == 2
    assert "读不到文件" in capsys.readouterr().err


def test_a_bad_policy_file_stops_every_command_at_start_naming_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    bad = tmp_path / "policy.toml"
    bad.write_text('version = 1\n\n[[steps]]\nname = "经理"\napprover = "boss"\n', encoding="utf-8")
    monkeypatch.setenv("KABOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KABOT_POLICY_FILE", str(bad))
    assert main(["users", "list"]) == 2
    err = capsys.readouterr().err
    assert f"审批策略错误 {bad} 第5行 steps[0].approver" in err and "boss" in err


async def test_an_unapproved_export_says_draft_and_a_chinese_customer_gets_a_chinese_sheet(
    bot: ChatHarness, use_services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot.say("李娜", "报价 滨海国贸 DN50球阀 100件 单价 ¥1200 含税 付款方式 30%预付 70%发货前付清")
    target = tmp_path / "q.xlsx"
    args = parse("quote", "export", "Q-2026-0001", str(target))
    assert await args.run(args, use_services.settings) == 0
    assert "草稿 / DRAFT" in capsys.readouterr().out
    values = {c.value for row in load_workbook(BytesIO(target.read_bytes())).active.iter_rows() for c in row}
    assert "报价单" in values and "草稿 – 尚未批准，不作为正式报价" in values
    assert "付款方式： 30%预付 70%发货前付清" in values and "税： 以上价格含 13% 增值税" in values
    assert "DN50球阀" in values and "件" in values
    number = await quote_and_submit(bot, "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    args = parse("quote", "export", number, str(target))
    assert await args.run(args, use_services.settings) == 0
    values = {c.value for row in load_workbook(BytesIO(target.read_bytes())).active.iter_rows() for c in row}
    assert "QUOTATION" in values and "DRAFT – not approved, not a valid offer" in values
    assert "ACME Industrial GmbH" in values and "Germany" in values
