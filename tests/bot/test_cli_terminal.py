"""The `kabot` command as a new user meets it: what it says about the database, ports and logs, and demo --reset."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def kabot(cwd: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run `kabot` in `cwd` with no KABOT_DATABASE_URL: the default ./kabot.db of that folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KABOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_a_command_in_another_folder_says_its_database_is_new_and_alembic_stays_quiet(tmp_path: Path) -> None:
    first = kabot(tmp_path, "users", "list")
    assert first.returncode == 0
    [line] = first.stderr.splitlines()  # one line, naming the file
    assert line.startswith(f"新建数据库 {tmp_path.resolve() / 'kabot.db'}")
    assert "alembic" not in first.stderr and "Running upgrade" not in first.stderr
    again = kabot(tmp_path, "users", "list")
    assert again.stderr == ""  # an existing database, nothing else to say


def test_a_bad_port_and_a_busy_port_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = kabot(tmp_path, "serve", "--port", "99999")
    assert bad.returncode == 2 and "端口应为 0–65535" in bad.stderr and "Traceback" not in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = kabot(tmp_path, "serve", "--port", str(port), "--workers", "0")
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    [line] = [ln for ln in busy.stderr.splitlines() if "无法在" in ln]
    assert f"127.0.0.1:{port}" in line and "--port 8081" in line


def test_demo_logs_go_to_a_file_not_into_the_conversation(tmp_path: Path) -> None:
    run = kabot(tmp_path, "demo", stdin="帮助\n", KABOT_LOG_LEVEL="DEBUG")
    assert run.returncode == 0
    for stream in (run.stdout, run.stderr):
        assert " DEBUG " not in stream and " INFO " not in stream and " WARNING " not in stream
    assert " DEBUG " in (tmp_path / "kabot.log").read_text(encoding="utf-8")


def test_demo_reset_starts_the_demo_afresh_and_never_deletes_a_real_database(tmp_path: Path) -> None:
    kabot(tmp_path, "demo", stdin="新客户 重置测试公司 德国\n")
    kept = kabot(tmp_path, "demo", stdin="查 重置测试公司\n").stdout
    assert "演示数据已存在" in kept and "没有找到客户“重置测试公司”" not in kept
    reset = kabot(tmp_path, "demo", "--reset", stdin="查 重置测试公司\n")
    assert reset.returncode == 0 and "已删除演示数据库" in reset.stdout and "已创建演示公司" in reset.stdout
    assert "没有找到客户“重置测试公司”" in reset.stdout

    real = tmp_path / "real"
    real.mkdir()
    (real / "roster.csv").write_text("姓名,角色,企业微信ID\n赵敏,销售经理,zhaomin\n", encoding="utf-8")
    assert kabot(real, "users", "import", "roster.csv").returncode == 0
    refused = kabot(real, "demo", "--reset")
    assert refused.returncode == 2 and "不是演示数据库" in refused.stderr
    assert "赵敏" in kabot(real, "users", "list").stdout


def test_demo_is_never_mixed_into_a_real_roster(tmp_path: Path) -> None:
    """Probe trial: `kabot demo` seeded the demo into a real roster, and `--reset` then deleted both."""
    (tmp_path / "roster.csv").write_text("姓名,角色,企业微信ID\n测试甲,销售,ceshijia\n", encoding="utf-8")
    assert kabot(tmp_path, "users", "import", "roster.csv").returncode == 0
    refused = kabot(tmp_path, "demo")
    assert refused.returncode == 2 and "不是演示数据库" in refused.stderr
    assert kabot(tmp_path, "demo", "--reset").returncode == 2
    listed = kabot(tmp_path, "users", "list").stdout
    assert "测试甲" in listed and "李娜" not in listed


def test_chat_in_an_empty_folder_says_there_is_no_database_and_leaves_no_file(tmp_path: Path) -> None:
    """Probe (issue 12): `kabot chat` in an empty folder created an empty kabot.db nobody could chat in."""
    run = kabot(tmp_path, "chat", "--as", "李娜", stdin="退出\n")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"数据库 {tmp_path.resolve() / 'kabot.db'} 不存在，没有新建" in run.stderr and "kabot demo" in run.stderr
    assert list(tmp_path.iterdir()) == [] or [p.name for p in tmp_path.iterdir()] == ["kabot.log"]
    assert not (tmp_path / "kabot.db").exists()


def test_serve_on_port_0_prints_the_port_it_really_listens_on(tmp_path: Path) -> None:
    """Probe (issue 12): `serve --port 0` printed "http://127.0.0.1:0", a port nobody can reach."""
    import re
    import signal
    import urllib.request

    clean = {k: v for k, v in os.environ.items() if not k.startswith("KABOT_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0", "--workers", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found and found[1] != "0", line
        with urllib.request.urlopen(f"http://127.0.0.1:{found[1]}/healthz", timeout=30) as answer:
            assert answer.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
