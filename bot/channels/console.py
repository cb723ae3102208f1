"""The terminal channel: the same path as WeCom, with cards as text and buttons tapped by number.

Buttons are numbered across every card still open in the conversation, so the buttons of an earlier card keep
working after later answers: a card's numbers continue after the highest one open, and a card closes when it
is finalised (its buttons turn into the final text, as in WeCom). When every card is closed the numbers start
at 1 again. A bare number typed right after a question that asks for one answers the question instead of tapping
(kabot's questions that take a number all say "回复编号", e.g. "您说的是哪个客户？回复编号：").
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from aiohttp import web

from bot.cards.actions import CardAction
from bot.cards.model import Card
from bot.cards.render import CardRenderer
from bot.channels.base import OutboxItem, RawInbound
from bot.inbound import Inbound
from bot.outbox import PostToTeam, SendCard, SendFile, SendText, UpdateCard
from core.text import clean_text

if TYPE_CHECKING:
    from bot.channels.receive import Receiver

USER_HEADER = "user"  # who is typing: the terminal's only "header"
_NUMBERED_QUESTION = re.compile("回复编号")


@dataclass(frozen=True)
class OpenButton:
    number: int
    card: int  # the card it belongs to, in the order cards were shown
    ref: str | None
    text: str
    action: CardAction


class ConsoleChannel:
    name = "console"

    def __init__(self, renderer: CardRenderer, write: Callable[[str], None], files_dir: Path | None = None) -> None:
        self.renderer = renderer
        self.write = write
        self.files_dir = files_dir or Path("kabot_files")
        self._open: dict[str, list[OpenButton]] = {}  # by conversation (the person's name)
        self._question: dict[str, bool] = {}  # the latest numbered thing shown was a question, not a card
        self._cards = itertools.count(1)

    # ---- inbound: a line typed in the terminal --------------------------------------------------

    def routes(self, receiver: Receiver) -> Sequence[web.RouteDef]:
        return []

    def listening(self, receiver: Receiver) -> AbstractAsyncContextManager[None]:
        return nullcontext()

    def decode(self, raw: RawInbound) -> Inbound:
        """`raw.body` is the line, `raw.headers["user"]` who typed it; a bare number taps that open button."""
        who, line = raw.headers[USER_HEADER], raw.body.decode().strip()
        msg_id = uuid.uuid4().hex
        button = self.button(who, line)
        if button is None:
            return Inbound(self.name, who, msg_id, text=line)
        return Inbound(self.name, who, msg_id, action=button.action, card_ref=button.ref)

    def button(self, who: str, line: str) -> OpenButton | None:
        """The open button a bare number taps; None when the line is text (or answers a numbered question)."""
        asked = self._question.pop(who, False)  # whatever is typed next answers the question, or moves on
        if not line.isdigit() or asked:
            return None
        return next((b for b in self._open.get(who, []) if b.number == int(line)), None)

    def open_buttons(self, who: str) -> list[OpenButton]:
        return list(self._open.get(who, []))

    # ---- outbound ------------------------------------------------------------------------------

    def delivering(self) -> AbstractAsyncContextManager[None]:
        return nullcontext()

    def has_team_chat(self, team: str) -> bool:
        return False

    async def deliver(self, item: OutboxItem) -> None:
        self.write(clean_text(self.format(item)))  # stored text from before cleaning never drives the terminal

    def format(self, item: OutboxItem) -> str:
        who = item.target
        match item.payload:
            case SendText(text=text):
                if _NUMBERED_QUESTION.search(text):
                    self._question[who] = True
                return text
            case SendCard(card=card):
                return self._show_card(who, card)
            case UpdateCard(ref=ref, final_text=final_text):
                self._open[who] = [b for b in self._open.get(who, []) if b.ref != ref]
                return f"（卡片已更新：{final_text}）"
            case SendFile(filename=filename, content=content, caption=caption):
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / Path(filename).name
                path.write_bytes(content)
                return f"{caption}\n[文件] {path}"
            case PostToTeam(markdown=markdown):
                return markdown
            case _:
                assert_never(item.payload)

    def _show_card(self, who: str, card: Card) -> str:
        lines = [f"【{card.title}】", self.renderer.text(card)]
        if card.buttons:
            self._question[who] = False
            shown = self._open.setdefault(who, [])
            first = max((b.number for b in shown), default=0) + 1
            number = next(self._cards)
            added = [OpenButton(first + i, number, card.ref, b.text, b.action) for i, b in enumerate(card.buttons)]
            shown.extend(added)
            lines.append("  ".join(f"[{b.number}] {b.text}" for b in added) + "（输入编号点按）")
        return "\n".join(line for line in lines if line)
