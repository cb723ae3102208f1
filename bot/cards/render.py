"""Cards become text through jinja2 templates: one environment per app, never a module global."""

from __future__ import annotations

from typing import Any

import jinja2

from bot.cards.model import Card


def make_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.cards", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


class CardRenderer:
    def __init__(self, env: jinja2.Environment | None = None) -> None:
        self.env = env or make_environment()

    def text(self, card: Card, channel: str = "console") -> str:
        """The card body as plain text (console, and the text part of richer channels)."""
        name = f"{channel}/{card.template}.txt.j2"
        try:
            tpl = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            tpl = self.env.get_template(f"console/{card.template}.txt.j2")
        return tpl.render(title=card.title, **card.data).strip()

    def render_json(self, card: Card, channel: str, **extra: Any) -> str:
        """A channel's JSON rendering (e.g. a WeCom template_card); falls back to the channel's _default."""
        try:
            tpl = self.env.get_template(f"{channel}/{card.template}.json.j2")
        except jinja2.TemplateNotFound:
            tpl = self.env.get_template(f"{channel}/_default.json.j2")
        return tpl.render(card=card, body=self.text(card, channel), **extra)
