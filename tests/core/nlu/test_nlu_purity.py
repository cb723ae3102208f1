"""core.nlu stays pure: no I/O frameworks, and pypinyin is only imported lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NLU = Path(__file__).resolve().parents[3] / "core" / "nlu"
FORBIDDEN = {"aiohttp", "sqlmodel", "sqlalchemy", "jinja2", "requests", "jionlp", "dateparser", "recognizers_text"}


@pytest.mark.parametrize("path", sorted(NLU.glob("*.py")), ids=lambda p: p.name)
def test_no_forbidden_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
    top_level |= {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert not top_level & (FORBIDDEN | {"pypinyin"})
    everywhere = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not everywhere & FORBIDDEN
