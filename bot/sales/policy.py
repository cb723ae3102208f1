"""The company's approval policy: read once when the app is built, so a mistake stops the start, not a rep.

policy = company_policy(settings)  # raises PolicyError naming the file and line
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.settings import Settings
from core.approval_policy import DEFAULT_POLICY_FILE, DEFAULT_POLICY_PACKAGE, Policy, PolicyError, load_policy


def default_policy() -> Policy:
    text = resources.files(DEFAULT_POLICY_PACKAGE).joinpath(DEFAULT_POLICY_FILE).read_text("utf-8")
    return load_policy(text, file=DEFAULT_POLICY_FILE)


def read_policy(path: str) -> Policy:
    """A policy file; a missing or unreadable file is a PolicyError too, so one message reaches the admin."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError("(file)", f"读不到文件：{err.strerror}", f"cannot read: {err.strerror}", file=path) from None
    except UnicodeDecodeError:
        raise PolicyError("(file)", "不是 UTF-8 文本", "not UTF-8 text", file=path) from None
    return load_policy(text, file=path)


def company_policy(settings: Settings) -> Policy:
    """KABOT_POLICY_FILE, or the shipped default."""
    return read_policy(settings.policy_file) if settings.policy_file else default_policy()
