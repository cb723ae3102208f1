"""`kabot fx set`, `kabot policy check`, `kabot quote export`."""

from __future__ import annotations

import argparse
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import cli_quotes
from bot.services import Services
from storage.models import FxRate
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
