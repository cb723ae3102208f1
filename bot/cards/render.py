"""Cards become text through jinja2 templates: one environment per app, never a module global.

Each channel has its own folder of templates (`templates/<channel>/<card template>.<kind>.j2`): `.txt.j2` plain
text (the console's are the reference every channel falls back to), `.md.j2` markdown, `.json.j2` a platform's
card JSON. A channel without a template of a kind for a card uses its `_default` of that kind, which sees the
card's plain text as `body`.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from bot.cards.model import Card

_BULLET = re.compile(r"^[\s•·⚠>*#-]+")
_SPACING = re.compile(r"[\s：:]+")


def clip(value: Any, limit: int) -> str:
    """At most `limit` characters, the last one '…' when something was cut (card fields have documented lengths)."""
    text = str(value)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def facts(text: str) -> list[str]:
    """What a rendering says, as the facts a reader would check: its lines, each cut at ' · ' into parts, without
    bullets, indentation or a closing colon. `missing(facts(a), b)` then says what `b` leaves out of `a`."""
    out: list[str] = []
    for line in text.splitlines():
        for part in line.split(" · "):
            fact = _BULLET.sub("", part).strip().rstrip("：:").strip()
            if fact:
                out.append(fact)
    return out


def missing(wanted: list[str], rendering: str) -> list[str]:
    """The facts in `wanted` that `rendering` does not contain (whitespace and colons do not count: a card may
    show "申请人：李娜" as a row named 申请人 with the value 李娜)."""
    flat = _SPACING.sub("", rendering)
    return [f for f in wanted if _SPACING.sub("", f) not in flat]


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.cards", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["clip"] = clip
    return env


class CardRenderer:
    def __init__(self, env: jinja2.Environment | None = None) -> None:
        self.env = env or make_environment()

    def _template(self, card: Card, channel: str, kind: str) -> jinja2.Template:
        try:
            return self.env.get_template(f"{channel}/{card.template}.{kind}.j2")
        except jinja2.TemplateNotFound:
            return self.env.get_template(f"{channel}/_default.{kind}.j2")

    def text(self, card: Card, channel: str = "console") -> str:
        """The card body as plain text (console, and the text part of richer channels)."""
        name = f"{channel}/{card.template}.txt.j2"
        try:
            tpl = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            tpl = self.env.get_template(f"console/{card.template}.txt.j2")
        return tpl.render(title=card.title, **card.data).strip()

    def markdown(self, card: Card, channel: str, **extra: Any) -> str:
        """The whole card as the channel's markdown (title included)."""
        tpl = self._template(card, channel, "md")
        names = {**card.data, **extra, "card": card, "title": card.title, "body": self.text(card, channel)}
        return tpl.render(names).strip()

    def render_json(self, card: Card, channel: str, **extra: Any) -> str:
        """A channel's JSON rendering (e.g. a WeCom template_card); falls back to the channel's _default."""
        return self._template(card, channel, "json").render(card=card, body=self.text(card, channel), **extra)
