"""Which of a customer's deals the rep's words name: 控制阀的单子 names 控制阀采购项目, 球阀 names DN50球阀采购项目.

Reps name a deal by its product, not by its full title; the title's generic words (采购项目, 年度…) say nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_GENERIC = re.compile(
    r"采购项目|项目|采购|年度|订单|单子|[这那]个?单|框架协议|合同|的|(?<![A-Za-z])(?:project|deal|order)(?![A-Za-z])",
    re.I,
)
MIN_CORE = 2  # a one-character core (阀) would name half the catalogue


def core_of(title: str) -> str:
    """The distinctive part of a deal's title: 控制阀采购项目 → 控制阀."""
    return re.sub(r"\s+", " ", _GENERIC.sub(" ", title)).strip().lower()


def named(titles: Sequence[str], hint: str | None) -> list[int]:
    """Indices of the titles the words name: the words inside a title (or a title inside them), else a title's
    distinctive part inside the words. Empty: the words name none of them."""
    if not hint:
        return []
    words = hint.lower()
    hits = [i for i, t in enumerate(titles) if words in t.lower() or t.lower() in words]
    if hits:
        return hits
    return [i for i, t in enumerate(titles) if len(core := core_of(t)) >= MIN_CORE and core in words]


def said_after(title: str, hint: str | None) -> str | None:
    """The words after those naming the deal (输单 穆勒机械 控制阀 客户选了意大利的供应商 → 客户选了意大利的供应商):
    what a command says beside the deal; None when nothing follows its name."""
    words = (hint or "").split()
    name, core = title.lower(), core_of(title)
    naming = [i for i, w in enumerate(words) if w.lower() in name or (len(core) >= MIN_CORE and core in w.lower())]
    if not naming:
        return None
    return " ".join(words[naming[-1] + 1 :]) or None


def only_names(title: str, words: str) -> bool:
    """The words only name the deal (穆勒机械 签了 控制阀, 丢了 控制阀那单): no note or reason of their own."""
    rest = words.lower()
    for part in (title.lower(), core_of(title)):
        if part:
            rest = rest.replace(part, " ")
    return not core_of(rest)


_EDGES = re.compile(rf"^(?:\s|{_GENERIC.pattern})+|(?:\s|{_GENERIC.pattern})+$", re.I)
_FILLER = re.compile(r"好消息|喜报|终于|总算|刚刚|刚才|已经|今天|太好了|这个|那个|大单|小单")
MIN_NOTE = 4  # Chinese characters that say something of their own (客户确认需求了), not a word of cheer (好消息)


def said_beside(title: str, words: str | None) -> str | None:
    """What the words naming the deal say besides (蝶阀项目客户确认需求了 → 客户确认需求了): news of its own, kept as a
    note; None when they only name the deal or cheer."""
    rest = words or ""
    for part in (title, core_of(title)):
        if len(part) >= MIN_CORE:
            rest = re.sub(re.escape(part), " ", rest, flags=re.I)
    if len(re.findall(r"[\u4e00-\u9fff]", _FILLER.sub("", _GENERIC.sub("", rest)))) < MIN_NOTE:
        return None
    return re.sub(r"\s+", " ", _EDGES.sub("", rest)).strip()
