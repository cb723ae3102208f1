"""A CSV or XLSX file as a table of cleaned strings, or one line saying why it cannot be read.

Chinese Excel saves "CSV" as GBK/GB18030, or UTF-16 for "Unicode text"; both are read like UTF-8. What cannot be
read (a missing file, an XLSX that is not one, an absurdly long field) is a `TableFileError`, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from core.text import clean_text

MAX_FIELD_CHARS = 1000  # a roster cell holds a name, an id or a team: longer is a mistake in the file
MAX_FILE_BYTES = 20 * 1024 * 1024


class TableFileError(Exception):
    """One line, Chinese then English, naming the file."""

    def __init__(self, path: Path, zh: str, en: str) -> None:
        super().__init__(f"无法读取 {path}：{zh} / cannot read {path}: {en}")


def read_table(path: Path) -> list[list[str]]:
    """Rows of stripped, control-character-free cells; `.xlsx`/`.xlsm` as Excel, anything else as CSV."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TableFileError(path, "文件超过 20 MB", "larger than 20 MB")
        data = path.read_bytes()
    except FileNotFoundError:
        raise TableFileError(path, "文件不存在", "no such file") from None
    except IsADirectoryError:
        raise TableFileError(path, "这是一个文件夹", "is a directory") from None
    except OSError as err:
        raise TableFileError(path, f"读取失败（{err.strerror}）", str(err.strerror)) from None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, data)
    else:
        rows = _csv_rows(path, _decode(path, data))
    table = [[clean_text(c).strip() for c in r] for r in rows]
    for line, row in enumerate(table, start=1):
        if any(len(c) > MAX_FIELD_CHARS for c in row):
            raise TableFileError(
                path,
                f"第 {line} 行有超过 {MAX_FIELD_CHARS} 字的单元格",
                f"row {line} has a cell over {MAX_FIELD_CHARS} chars",
            )
    return table


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by its BOM or its zero bytes), else GB18030 (covers GBK, GB2312)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif len(data) > 1 and data[1::2].count(0) > len(data) // 4:  # UTF-16 without its BOM: every other byte 0
        encodings = ["utf-16-le"]
    elif len(data) > 1 and data[0::2].count(0) > len(data) // 4:
        encodings = ["utf-16-be"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableFileError(
        path, "无法识别文字编码（请另存为 UTF-8 CSV 或 XLSX）", "unknown text encoding (save as UTF-8 CSV or XLSX)"
    )


def _csv_rows(path: Path, text: str) -> list[list[str]]:
    if sum(1 for ch in text if ch < " " and ch not in "\t\r\n") > len(text) // 10:  # a stray NUL is cleaned
        raise TableFileError(path, "不是文本文件（请另存为 CSV 或 XLSX）", "not a text file (save as CSV or XLSX)")
    first = text.split("\n", 1)[0]
    tabs = "\t" in first and "," not in first  # Excel's "Unicode text" is tab-separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tabs else ",")
    try:
        return list(reader)
    except csv.Error as err:  # a field over csv's own 128 KiB limit, an unterminated quote
        raise TableFileError(
            path, f"第 {reader.line_num} 行格式错误（{err}）", f"bad CSV at line {reader.line_num}: {err}"
        ) from None


def _xlsx_rows(path: Path, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        if ws is None:
            return []
        return [["" if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
    except Exception:  # noqa: BLE001 — zipfile, XML and openpyxl errors alike mean "not a readable workbook"
        raise TableFileError(path, "不是有效的 Excel（.xlsx）文件", "not a valid Excel (.xlsx) workbook") from None
