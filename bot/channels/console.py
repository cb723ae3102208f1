"""The terminal channel: the same path as WeCom, with cards as text and buttons tapped by number."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from bot.cards.actions import CardAction
from bot.cards.model import Card
from bot.cards.render import CardRenderer
from bot.channels.base import OutboxItem


class ConsoleChannel:
    name = "console"

    def __init__(self, renderer: CardRenderer, write: Callable[[str], None], files_dir: Path | None = None) -> None:
        self.renderer = renderer
        self.write = write
        self.files_dir = files_dir or Path("kabot_files")
        self._buttons: list[CardAction] = []  # the last card's buttons, so "1" taps the first

    async def deliver(self, item: OutboxItem) -> None:
        self.write(self.format(item))

    def format(self, item: OutboxItem) -> str:
        self._buttons = []
        p = item.payload
        if item.kind == "text":
            return str(p["text"])
        if item.kind == "card":
            card = Card.from_json(p["card"])
            lines = [f"【{card.title}】", self.renderer.text(card)]
            if card.buttons:
                self._buttons = [b.action for b in card.buttons]
                lines.append("  ".join(f"[{i}] {b.text}" for i, b in enumerate(card.buttons, 1)) + "（输入编号点按）")
            return "\n".join(line for line in lines if line)
        if item.kind == "card_update":
            return f"（卡片已更新：{p['final_text']}）"
        if item.kind == "file":
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / Path(p["filename"]).name
            path.write_bytes(base64.b64decode(p["content_b64"]))
            return f"{p['caption']}\n[文件] {path}"
        raise ValueError(f"unknown outbox kind {item.kind}")

    def tap(self, text: str) -> CardAction | None:
        """A bare number right after a card with buttons taps that button."""
        t = text.strip()
        if t.isdigit() and 1 <= int(t) <= len(self._buttons):
            action = self._buttons[int(t) - 1]
            self._buttons = []
            return action
        return None
