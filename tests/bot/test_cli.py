"""The `kabot` command as a new user runs it: demo in a terminal, roster import, serve's health check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.cli import main
from bot.services import Services


def run_cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KABOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_demo_answers_help_in_the_terminal(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "demo", stdin="帮助\n查 艾克美\n")
    assert first.returncode == 0, first.stderr
    assert "已创建演示公司" in first.stdout and "可以直接用中文或英文发消息给我" in first.stdout
    assert "【艾克美工业有限公司】" in first.stdout
    again = run_cli(tmp_path, "demo", stdin="")
    assert "演示数据已存在" in again.stdout  # created once


def test_users_import_and_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KABOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'u.db'}")
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,角色,企业微信ID,上级\n赵敏,销售经理,zhaomin,\n李娜,厨师,lina,zhaomin\n", encoding="utf-8")
    assert main(["users", "import", str(bad)]) == 2
    assert "第 3 行" in capsys.readouterr().err
    good = Path(__file__).resolve().parents[2] / "examples" / "roster.csv"
    assert main(["users", "import", str(good)]) == 0
    assert "新增 6 人" in capsys.readouterr().out
    assert main(["users", "import", str(good)]) == 0
    assert "新增 0 人，更新 0 人，未变 6 人" in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "李娜" in listing and "赵敏" in listing and "销售经理" in listing


async def test_healthz_reports_version_and_database(services: Services, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = await aiohttp_client(create_app(services, background=False))
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["database"] == "ok" and body["version"]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
@pytest.mark.parametrize(("priority", "policy", "niceness"), [("idle", "SCHED_IDLE", 0), ("low", "SCHED_OTHER", 10)])
def test_serves_workers_yield_the_cpu_to_acknowledging(priority: str, policy: str, niceness: int) -> None:
    """Issue 10: `serve`'s worker only takes CPU the acknowledging process leaves (KABOT_WORKER_PRIORITY)."""
    probe = (
        "import os; from bot.cli import lower_priority; before = os.nice(0); "
        f"lower_priority({priority!r}); print(os.sched_getscheduler(0), os.nice(0) - before)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == [str(getattr(os, policy)), str(niceness)]
