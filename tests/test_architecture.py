"""The shape of the code, as tests: core/ is pure, and the layers import only downwards.

Imports are read from the source (every import, also inside functions; not those under `if TYPE_CHECKING:`,
which never run), and followed transitively through the project's own modules: a rule broken two modules away
is still broken.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "core", "storage", "scheduler")
# Libraries that reach outside the process (network, database, files, templates, clocks of a scheduler).
IO = {
    "aiohttp", "aiosqlite", "alembic", "apscheduler", "asyncio", "asyncpg", "http", "httpx", "io", "jinja2",
    "logging", "openpyxl", "os", "pathlib", "redis", "requests", "shutil", "socket", "sqlalchemy", "sqlite3",
    "sqlmodel", "ssl", "subprocess", "tempfile", "urllib", "wechatpy",
}  # fmt: skip
# What the scheduler shares with the app: the services container, and the reply / card / outbox types it
# enqueues (issue 10: "the scheduler does not import the app's pipeline: a small outbox module both use").
SCHEDULER_MAY_USE = {"bot", "bot.services", "bot.outbox", "bot.replies", "bot.cards", "bot.cards.actions",
                     "bot.cards.model"}  # fmt: skip
# The chat apps themselves; `bot.channels.base` (the Channel protocol the services container holds) is not one.
CHAT_APPS = ("bot.channels.wecom", "bot.channels.dingtalk", "bot.channels.console", "bot.channels.receive",
             "bot.channels.registry")  # fmt: skip
# bot.router is only the Router table the services container holds; the handlers that fill it are app-only.
APP_ONLY = ("bot.pipeline", "bot.handlers", "bot.dispatcher", "bot.app", "bot.cli", *CHAT_APPS)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


@cache
def imports(module: str) -> frozenset[str]:
    """Every module `module` imports directly (project modules resolved to the module file, with their parents)."""
    path = _file(module)
    if path is None:
        return frozenset()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names if _file(f"{base}.{alias.name}")}
    with_parents = set()
    for name in found:
        parts = name.split(".")
        with_parents |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return frozenset(m for m in with_parents if m.split(".")[0] not in PACKAGES or _file(m))


@cache
def reach(module: str) -> frozenset[str]:
    """Everything importing `module` loads (the module itself included)."""
    seen, todo = {module}, [module]
    while todo:
        for name in imports(todo.pop()):
            if name.split(".")[0] in PACKAGES and name not in seen:
                seen.add(name)
                todo.append(name)
    return frozenset(seen)


def _under(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", _sources("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_is_pure(path: Path) -> None:
    """core/ computes; it never touches a network, a database, a file or the app around it."""
    loaded = reach(_module(path))
    libraries = {m.split(".")[0] for name in loaded for m in imports(name)}
    assert not libraries & IO
    assert all(name.startswith("core") for name in loaded)


def test_nlu_loads_pypinyin_only_when_needed() -> None:
    """pypinyin costs ~0.3 s to load: core.nlu imports it inside the function that needs it."""
    for path in _sources("core/nlu"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
        top |= {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in top if m.split(".")[0] == "pypinyin"}, path


@pytest.mark.parametrize("path", _sources("bot/handlers"), ids=lambda p: p.name)
def test_handlers_do_not_know_the_chat_apps(path: Path) -> None:
    """A handler answers with replies and cards; how WeCom or DingTalk shows them is the channels' business."""
    assert not [m for m in imports(_module(path)) if _under(m, ("bot.channels",))]
    assert not [m for m in reach(_module(path)) if _under(m, CHAT_APPS)]


@pytest.mark.parametrize("path", _sources("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_does_not_import_the_bot(path: Path) -> None:
    assert not [m for m in reach(_module(path)) if _under(m, ("bot", "scheduler"))]


@pytest.mark.parametrize("path", _sources("scheduler"), ids=lambda p: p.name)
def test_scheduler_uses_only_the_shared_seam(path: Path) -> None:
    """The scheduler enqueues replies through the outbox; it never imports the pipeline, handlers or channels."""
    direct = {m for m in imports(_module(path)) if _under(m, ("bot",))}
    assert direct <= SCHEDULER_MAY_USE, direct - SCHEDULER_MAY_USE
    assert not [m for m in reach(_module(path)) if _under(m, APP_ONLY)]


def test_the_rules_see_imports() -> None:
    """The walker finds what it must, or every rule above would pass on nothing."""
    assert "bot.outbox" in imports("scheduler.jobs")
    assert "storage.models" in reach("bot.handlers.lookup")
    assert "core.nlu.names" in reach("core.nlu")
