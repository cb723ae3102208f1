"""What a rep sees in WeCom for each kind of answer (wecom.md §4; limits from path/90236 发送应用消息).

Reading goes out as app markdown: a text of several lines (待办, 帮助, lists) and every card without buttons (the
360° view, the funnel, a quote, a digest). Deciding goes out as a button_interaction card holding the facts that
decide within WeCom's documented field lengths; when a card cannot hold every fact of the answer, the whole
answer goes out first as markdown and the card says so ("完整内容见上方消息", one message or several). Markdown
and text are split at WeCom's 2048-byte limit between lines, never inside one, and a continued markdown message
repeats the title.
No card links anywhere: WeCom's text_notice card must link to a page, and kabot has none yet, so cards without
buttons are markdown.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.cards.model import Card
from bot.cards.render import CardRenderer, facts, missing
from bot.channels.wecom.text import TEXT_LIMIT_BYTES, split_text

MARKDOWN_LIMIT_BYTES = 2048  # markdown.content, UTF-8, like text.content
_MARKUP = re.compile(r"</?font[^>]*>|\*\*|^#+\s*|^>\s?", re.MULTILINE)
_WARNING = "⚠"

Message = dict[str, Any]  # a message/send body without touser/agentid


def plain(markdown: str) -> str:
    """The text a reader sees in WeCom's markdown (tags, bold marks, heading and quote marks gone)."""
    return _MARKUP.sub("", markdown)


def text_messages(text: str) -> list[Message]:
    """One line: a text message. Several: markdown, with a first line that introduces a list ("您有 20 条待办：")
    in bold, warnings in WeCom's warning colour; split between lines."""
    lines = text.splitlines()
    if len(lines) <= 1:
        return [{"msgtype": "text", "text": {"content": chunk}} for chunk in split_text(text, TEXT_LIMIT_BYTES)]
    head, *rest = lines
    heading = head.endswith(("：", ":"))
    body = "\n".join([f"**{head}**" if heading else _styled(head), *(_styled(line) for line in rest)])
    return markdown_messages(body, continued=f"**{head.rstrip('：:')[:40]}（续）**")


def _styled(line: str) -> str:
    return f'<font color="warning">{line}</font>' if _WARNING in line else line


def markdown_messages(markdown: str, *, continued: str) -> list[Message]:
    """Markdown split into messages of at most 2048 bytes between lines; every message after the first starts
    with `continued` so it says what it continues."""
    if len(markdown.encode()) <= MARKDOWN_LIMIT_BYTES:
        return [_md(markdown)]
    room = MARKDOWN_LIMIT_BYTES - len(continued.encode()) - 1
    first, *more = split_text(markdown, room)
    return [_md(first), *(_md(f"{continued}\n{chunk}") for chunk in more)]


def _md(content: str) -> Message:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def card_messages(card: Card, renderer: CardRenderer, *, source: str, task_id: str | None) -> list[Message]:
    """A card as the rep receives it: markdown alone without buttons; with buttons, the template card, after the
    whole answer in markdown when the card cannot hold every fact of it."""
    markdown = renderer.markdown(card, "wecom")
    as_markdown = markdown_messages(markdown, continued=f"**{card.title[:40]}（续）**")
    if not card.buttons:
        return as_markdown
    wanted = [card.title, *facts(renderer.text(card, "wecom"))]
    template_card = _template_card(card, renderer, source=source, task_id=task_id, overflow=False)
    if not missing(wanted, card_text(template_card)):
        return [_card(template_card)]
    return [*as_markdown, _card(_template_card(card, renderer, source=source, task_id=task_id, overflow=True))]


def _template_card(
    card: Card, renderer: CardRenderer, *, source: str, task_id: str | None, overflow: bool
) -> dict[str, Any]:
    rendered: dict[str, Any] = json.loads(
        renderer.render_json(card, "wecom", source=source, task_id=task_id, overflow=overflow)
    )
    return rendered


def _card(template_card: dict[str, Any]) -> Message:
    return {"msgtype": "template_card", "template_card": template_card}


def card_text(template_card: dict[str, Any]) -> str:
    """Everything a template card shows, as text: its strings, and its rows as `key value`."""
    parts: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if "keyname" in node:
                parts.append(f"{node['keyname']} {node.get('value', '')}")
            for k, v in node.items():
                if k not in ("key", "task_id", "card_type", "keyname"):
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str):
            parts.append(node)

    walk(template_card)
    return "\n".join(parts)
