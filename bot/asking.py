"""How kabot speaks of a question it asked back while other messages come first.

A question stays open until it is answered or withdrawn (撤销 / 取消 / 算了…): a message that is no answer is
handled as usual and its reply ends with one line reminding of the question; a message that asks a question of its
own replaces it, and its reply says plainly what the old one leaves unsaved; so does the first message after it
expired. No path ends with what the rep said silently dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.continuation import Continuation
from bot.replies import Reply, TextReply
from storage import state
from storage.state import OpenQuestion

PREVIEW_CHARS = 16
SHORT_QUESTION = 10  # a question this short (仍然推进？) is reminded of with the message it is about
_QUESTION = re.compile(r"[^。！\n？?]*[？?]")


def preview(text: str) -> str:
    """The start of a message, enough to recognise it on a phone."""
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


def _command_text(data: dict[str, Any]) -> str:
    return Continuation.from_data(data["command"]).text if isinstance(data.get("command"), dict) else ""


async def open_question(
    session: AsyncSession,
    user_id: int,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    *,
    minutes: int = 30,
    asks: str = "",
    unanswered: str | None = None,
    saved: bool = False,
) -> None:
    """Open a question. One about a kept command (`data["command"]`) leaves that message unsaved unless said
    otherwise (`unanswered=""`: nothing is lost without an answer); `asks` left empty is taken from the reply that
    asks it (`describe`)."""
    if unanswered is None:
        command = _command_text(data)
        unanswered = f"刚才那条（{preview(command)}）没有保存" if command else ""
    await state.put(
        session, user_id, kind, data, now=now, minutes=minutes, asks=asks, unanswered=unanswered, saved=saved
    )


async def describe(session: AsyncSession, user_id: int, reply: str, now: datetime, fallback: str = "") -> None:
    """The question just opened in one line, unless its asker gave one: the reply's first sentence ending in ？
    (with the message it is about when that alone says little: 仍然推进？), else `fallback` (the same question
    asked again after a wrong number), else the reply's first line."""
    question = await state.peek(session, user_id, now)
    if question is None or question.asks:
        return
    found = _QUESTION.search(reply)
    sentence = found.group().strip() if found else fallback or (reply.strip().splitlines() or [""])[0]
    command = _command_text(question.data)
    if len(sentence) < SHORT_QUESTION and command:
        sentence = f"“{preview(command)}”{sentence}"
    await state.describe(session, user_id, sentence)


def repeats(question: OpenQuestion, text: str) -> bool:
    """Whether a message is the kept command sent again (with the customer added, say): it takes the question's
    place, so the question is neither reminded of nor said to be unsaved."""
    command = "".join(_command_text(question.data).split())
    return bool(command) and command in "".join(text.split())


def reminder(question: OpenQuestion) -> str:
    """The last line of the reply to a message that is no answer to the open question (a numbered one says so,
    and the console then reads a bare number as its answer, not as a button)."""
    numbered = "回复编号" if "ids" in question.data else ""
    return f"（还在等您回复：{question.asks}{numbered}）" if question.asks else ""


def waiting(question: OpenQuestion) -> str:
    """The reply to 是 / 2 that the open question does not take."""
    return f"还在等您回复：{question.asks}\n不再需要请回复“取消”。"


def dropped(question: OpenQuestion) -> str:
    """The last line of the answer to 撤销 while only a detail of a saved message was asked (the next step's day):
    the undo says what became of the message, this line that the question is closed too."""
    return f"（不再等您回复：{question.asks}）" if question.asks else ""


def replaced(question: OpenQuestion) -> str:
    """Said when a new question takes the place of an unanswered one."""
    return f"{question.unanswered}。" if question.unanswered else ""


def expired(question: OpenQuestion) -> str:
    """Said with the first message after a question was left unanswered too long."""
    if not question.unanswered:
        return ""
    return f"（{question.minutes} 分钟内没有等到回复：{question.unanswered}。）"


def withdrawn(question: OpenQuestion) -> str:
    """The answer to 撤销 / 取消 while a question is open."""
    return f"好的，{question.unanswered}。" if question.unanswered else "好的，已取消。"


def ending_with(replies: list[Reply], line: str) -> list[Reply]:
    """The replies with `line` as the last line of the last text (a message of its own after a card)."""
    if not line:
        return replies
    if replies and isinstance(last := replies[-1], TextReply) and last.to_user_id is None:
        return [*replies[:-1], TextReply(f"{last.text}\n{line}")]
    return [*replies, TextReply(line)]


def first_text(replies: list[Reply]) -> str:
    """The reply that asked a question: the first text among the replies."""
    return next((r.text for r in replies if isinstance(r, TextReply)), "")
