"""The company a task names (让王强给汉堡阀门打个电话): when no customer matched it, the reply says so."""

from __future__ import annotations

import re

from core.nlu.names import trade_name

# Who the task is done with or for: 给X打电话, 和X开会, 联系X, 拜访X, 去X, 找X — up to the action's verb.
_OBJECT = re.compile(
    r"(?:给|和|跟|与|联系|拜访|去|找|问)\s?(?P<name>[\u4e00-\u9fff]{3,12}?)\s?"
    r"(?=打|回|发|寄|报|那边|的|问|沟通|确认|开|谈|约|催|跟进|拜访|见|[\s,，。;；]|$)"
)


def company_named(text: str) -> str | None:
    """The first company-like name the task is done with (汉堡阀门: a 字号 and an industry word), else None; a
    person (张总) or a thing (样品) is no company."""
    for m in _OBJECT.finditer(text):
        if trade_name(m["name"]) != m["name"]:
            return m["name"]
    return None
