"""Robot message bodies: one type for both ways out (sessionWebhook and the robot send APIs), split at the limits.

Facts relied on (KB:robot-message-type; KB:the-robot-sends-a-group-message; KB:faq-robot):
- The send APIs take `msgKey` + `msgParam` (a JSON *string*): `sampleText` {content}, `sampleMarkdown` {title, text}.
  The sessionWebhook takes the custom-robot shape: {"msgtype": "text", "text": {"content"}} or
  {"msgtype": "markdown", "markdown": {"title", "text"}}, with `at.atUserIds` to @ someone (who must also be
  written as `@userId` in the text).
- `msgParam` may be at most 15,000 bytes (group send). The text/markdown limits are not documented separately, so
  a message is cut at 6,000 UTF-8 bytes on line boundaries: even if JSON escaping doubled every byte, the
  encoded msgParam stays under 15,000.
- A markdown line break is a newline after two spaces; a plain "\\n" is folded into the paragraph.
- The markdown `title` is what the chat list and the notification show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.channels.wecom.text import split_text

TEXT_LIMIT_BYTES = 6_000
MSG_PARAM_LIMIT_BYTES = 15_000
TITLE_CHARS = 20
TEXT, MARKDOWN, FILE = "sampleText", "sampleMarkdown", "sampleFile"


@dataclass(frozen=True)
class MessageBody:
    msg_key: str  # sampleText / sampleMarkdown
    params: dict[str, str] = field(default_factory=dict)

    def msg_param(self) -> str:
        """The `msgParam` string for the robot send APIs."""
        return json.dumps(self.params, ensure_ascii=False)

    def webhook_payload(self, *, at_user: str | None = None) -> dict[str, Any]:
        """The same message for a sessionWebhook; `at_user` @-mentions someone (used for group replies)."""
        if self.msg_key == TEXT:
            content = f"@{at_user} {self.params['content']}" if at_user else self.params["content"]
            payload: dict[str, Any] = {"msgtype": "text", "text": {"content": content}}
        elif self.msg_key == MARKDOWN:
            text = f"@{at_user}  \n{self.params['text']}" if at_user else self.params["text"]
            payload = {"msgtype": "markdown", "markdown": {"title": self.params["title"], "text": text}}
        else:
            raise ValueError(f"no sessionWebhook form for {self.msg_key}")
        if at_user:
            payload["at"] = {"atUserIds": [at_user], "isAtAll": False}
        return payload


def text_messages(text: str) -> list[MessageBody]:
    """Plain text in as few messages as the limit allows, cut between lines."""
    return [MessageBody(TEXT, {"content": chunk}) for chunk in split_text(text, TEXT_LIMIT_BYTES)]


def markdown_messages(text: str, title: str | None = None) -> list[MessageBody]:
    """Markdown in as few messages as the limit allows; later pieces are titled `…（续）`.

    Newlines become markdown line breaks, so a list the handler wrote one item per line shows that way.
    """
    chunks = split_text(text.replace("\n", "  \n"), TEXT_LIMIT_BYTES)
    name = title or _title_of(text)
    titles = [name] + [f"{name}（续）"] * (len(chunks) - 1)
    return [MessageBody(MARKDOWN, {"title": t, "text": c}) for t, c in zip(titles, chunks, strict=True)]


def _title_of(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#>*- ").strip("*")
        if line:
            return line[:TITLE_CHARS]
    return "kabot"
