"""`kabot users import` with the files people really have: what Chinese Excel saves, and what it should not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main

COMMANDS = [["users", "list"], ["chat", "--as", "李娜"], ["demo"], ["serve", "--port", "0"], ["work"]]
ROSTER = "姓名,角色,企业微信ID,上级\n赵敏,销售经理,zhaomin,\n李娜,销售,lina,zhaomin\n"


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KABOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'u.db'}")


def imported(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["users", "import", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("gbk", b""), ("gb18030", b""), ("utf-16", b""), ("utf-16-le", b""), ("utf-8", b"\xef\xbb\xbf")],
    ids=["gbk", "gb18030", "utf-16-bom", "utf-16-no-bom", "utf-8-bom"],
)
def test_csv_in_the_encodings_excel_saves_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, prefix: bytes
) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(prefix + ROSTER.encode(encoding))
    code, out, err = imported(path, capsys)
    assert code == 0 and err.startswith("新建数据库"), err  # nothing but the notice of a new database
    assert "新增 2 人" in out
    assert main(["users", "list"]) == 0
    assert "赵敏" in capsys.readouterr().out


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roster.txt"
    path.write_bytes(ROSTER.replace(",", "\t").encode("utf-16"))
    code, out, _ = imported(path, capsys)
    assert code == 0 and "新增 2 人" in out


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")


def _truncated_xlsx(path: Path) -> None:
    wb = Workbook()
    wb.active.append(["姓名", "角色"])  # type: ignore[union-attr]
    wb.save(path)
    path.write_bytes(path.read_bytes()[:300])


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("missing.csv", None, "文件不存在"),
        ("folder.csv", lambda p: p.mkdir(), "文件夹"),
        ("roster.xlsx", lambda p: p.write_text("姓名,角色\n", encoding="utf-8"), "不是有效的 Excel"),
        ("roster.xlsx", _zip_without_workbook, "不是有效的 Excel"),
        ("roster.xlsx", _truncated_xlsx, "不是有效的 Excel"),
        ("huge.csv", lambda p: p.write_text("姓名,角色\n" + "x" * 131_073 + ",销售\n", encoding="utf-8"), "第 2 行"),
        ("long.csv", lambda p: p.write_text("姓名,角色\n" + "李" * 5000 + ",销售\n", encoding="utf-8"), "第 2 行"),
        ("binary.csv", lambda p: p.write_bytes(bytes(range(256)) * 4), "roster"),
    ],
    ids=["missing", "directory", "csv-named-xlsx", "zip-not-xlsx", "broken-xlsx", "128k-field", "5000-char", "binary"],
)
def test_a_file_that_cannot_be_read_is_one_line_not_a_traceback(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make,
    says: str,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / name
    if make:
        make(path)
    code, out, err = imported(path, capsys)
    assert code == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert says in err or name in err


def test_control_characters_in_an_imported_name_are_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("姓名,角色,企业微信ID\n赵\x00敏\x1b[31m,销售经理,zhaomin\n", encoding="utf-8")
    assert imported(path, capsys)[0] == 0
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "赵敏" in listing and "\x1b" not in listing


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        ('[requires]\nS3 = ["quote|proposal"]\nS4 = ["handshake"]\n', 3, "handshake"),
        ("[must_be_at]\nwon = 'S9'\n", 2, "S9"),
        ("[requires\nS3 = 1\n", 1, "TOML"),
        ("lost_requires_reason = true\ncolour = 'red'\n", 2, "colour"),
    ],
    ids=["evidence", "stage", "toml", "unknown-key"],
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_bad_stage_rules_file_stops_every_command_naming_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str,
    line: int,
    says: str,
    command: list[str],
) -> None:
    rules = tmp_path / "stages.toml"
    rules.write_text(content, encoding="utf-8")
    monkeypatch.setenv("KABOT_STAGE_RULES_FILE", str(rules))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"{rules} 第{line}行" in err and says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "explained"),
    [
        ('[requires]\nS4 = ["handshake"]\n', "未知的证据 'handshake'"),
        ("[must_be_at]\nwon = 'S9'\n", "未知的阶段 'S9'"),
        ("[requires\nS3 = 1\n", "TOML 格式错误"),
        ("colour = 'red'\n", "不认识的设置 colour"),
        ("[requires]\nS3 = 5\n", "requires.S3 应是列表或文字"),
        ("lost_requires_reason = 'maybe'\n", "应为 true 或 false"),
    ],
)
def test_a_stage_rules_mistake_is_explained_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content: str, explained: str
) -> None:
    """Probe (issue 12): the file and line were named, but what was wrong was said in English only."""
    rules = tmp_path / "stages.toml"
    rules.write_text(content, encoding="utf-8")
    monkeypatch.setenv("KABOT_STAGE_RULES_FILE", str(rules))
    assert main(["users", "list"]) == 2
    err = capsys.readouterr().err
    assert f"{rules} 第" in err and explained in err


def test_a_bad_setting_is_one_chinese_line_naming_the_variable_and_its_line_in_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe: KABOT_VAT_RATE=abc or a short AES key ended every command in a pydantic traceback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KABOT_VAT_RATE", "abc")
    monkeypatch.setenv("KABOT_WECOM_AES_KEY", "tooshort-secret")
    assert main(["users", "list"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in "".join(lines)
    vat, aes = sorted(lines)
    assert "KABOT_VAT_RATE（环境变量） = 'abc'：应为数字" in vat
    assert "KABOT_WECOM_AES_KEY（环境变量）：应为 43 个字符的 EncodingAESKey" in aes and "tooshort" not in aes
    monkeypatch.delenv("KABOT_VAT_RATE")
    monkeypatch.delenv("KABOT_WECOM_AES_KEY")
    (tmp_path / ".env").write_text("# kabot\nKABOT_DINGTALK_MODE=socket\n", encoding="utf-8")
    assert main(["users", "list"]) == 2
    [mode] = capsys.readouterr().err.strip().splitlines()
    assert f"KABOT_DINGTALK_MODE（{tmp_path.resolve() / '.env'} 第2行） = 'socket'：只能是 'stream' 或 'http'" in mode


def test_a_missing_stage_rules_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KABOT_STAGE_RULES_FILE", str(tmp_path / "nope.toml"))
    assert main(["users", "list"]) == 2
    assert "nope.toml" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_bad_policy_file_stops_serve_chat_work_and_demo_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('version = 1\n\n[[steps]]\nname = "经理"\napprover = "boss"\n', encoding="utf-8")
    monkeypatch.setenv("KABOT_POLICY_FILE", str(policy))
    assert main(command) == 2
    assert f"{policy} 第5行" in capsys.readouterr().err


async def _store_raw_name(url: str) -> None:
    from storage.db import Database
    from storage.models import User

    db = Database(url)
    await db.upgrade()
    async with db.session() as s:
        s.add(User(name="老\x1b]0;pwned\x07王\x1b[2J", role="rep"))
    await db.close()


def test_users_list_never_prints_an_escape_sequence_stored_long_ago(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    asyncio.run(_store_raw_name(f"sqlite+aiosqlite:///{tmp_path / 'u.db'}"))
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "老王" in out and "\x1b" not in out
