"""What a WeCom member reads on the phone for each message kabot sent (written independently of kabot's renderer,
so tests compare the two): markdown without its marks, a template card's visible fields, a file by its name."""

from __future__ import annotations

import re
from typing import Any

_TAGS = re.compile(r"</?font[^>]*>")


def shown(message: dict[str, Any], uploads: dict[str, tuple[str, bytes]] | None = None) -> str:
    kind = message["msgtype"]
    if kind == "text":
        return str(message["text"]["content"])
    if kind == "markdown":
        lines = []
        for line in _TAGS.sub("", message["markdown"]["content"]).splitlines():
            line = re.sub(r"^#{1,6}\s+", "", line)
            line = re.sub(r"^>\s?", "", line)
            lines.append(line.replace("**", ""))
        return "\n".join(lines)
    if kind == "template_card":
        return card_face(message["template_card"])
    if kind == "file":
        media_id = message["file"]["media_id"]
        name = (uploads or {}).get(media_id, (media_id, b""))[0]
        return f"[文件] {name}"
    return f"[{kind}]"


def card_face(card: dict[str, Any]) -> str:
    """A button_interaction card top to bottom: source, title and its note, rows, quote, text, buttons."""
    lines = [
        card.get("source", {}).get("desc", ""),
        card.get("main_title", {}).get("title", ""),
        card.get("main_title", {}).get("desc", ""),
    ]
    lines += [f"{row['keyname']}：{row.get('value', '')}" for row in card.get("horizontal_content_list", [])]
    quote = card.get("quote_area") or {}
    lines += [quote.get("title", ""), quote.get("quote_text", ""), card.get("sub_title_text", "")]
    lines.append("  ".join(f"[{b['text']}]" for b in card.get("button_list", [])))
    return "\n".join(line for line in lines if line)
