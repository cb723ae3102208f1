"""A report that ends in what the rep asked the customer: `艾克美 今天电话 问他们样品收到没`, `北风泵业 微信问了
付款安排好了吗`, `艾克美 下周一再跟进 样品收到没`.

Such a message ends like a question, but kabot is not the one asked: it is a follow-up to log (with its next step).
A message whose only clause asks (`艾克美的样品到了没`) is still a question for kabot. Pure: text in, yes or no.
"""

from __future__ import annotations

import re

from core.nlu.normalize import CLAUSE, normalize

# The last clause asks yes or no (…收到没, …安排好了吗, …到了没有?).
_YES_NO = re.compile(r"(?:吗|么|没|没有)\s*[?？]*$")
# The asking is reported: 问了 / 微信问 / 问他们 right before the question, or the question starts with 问.
_ASKED = re.compile(r"(?:问|询问)(?:了|过|了下|了一下|一下|下)?(?:他们|她|他|对方|客户|张总|[\u4e00-\u9fff]总)?\s*$")
_ASKS_HEAD = re.compile(r"^(?:问|询问|追问|催问)")
# An earlier clause reports a contact or plans the next one (今天电话, 微信沟通了, 下周一再跟进, 周五再问).
_CONTACTED = re.compile(
    r"电话|通话|来电|微信|邮件|拜访|见面|视频|沟通|聊了|谈了|联系了|whatsapp|email|"
    r"再(?:问|跟进|联系|催|确认|打|约|发)|回头|下次|跟进",
    re.I,
)
# A new topic opens the question (…下周签合同 对了穆勒的报价发了吗): asked of kabot, not of the customer.
_TOPIC_TURN = re.compile(r"^(?:对了|另外|还有|顺便|话说|请问)")


def asked_the_customer(text: str) -> bool:
    """Whether `text` reports asking the customer something: its last clause is a yes/no question, and the clauses
    before it say the asking happened (问了…吗) or report a contact or its next step (今天电话 …收到没)."""
    t = normalize(text).strip()
    clauses = [m for m in CLAUSE.finditer(t) if m.group().strip()]
    if not clauses or not _YES_NO.search(t):
        return False
    last = clauses[-1]
    question = last.group().strip()
    if _TOPIC_TURN.match(question):
        return False
    before = t[: last.start()]
    if _ASKS_HEAD.match(question) and before.strip():
        return True
    inside = re.search(r"(?:问|询问)(?:了|过|了下|了一下|一下|下)?", question)
    if inside is not None and inside.start() > 0:  # 微信问了付款安排好了吗: the asking verb inside the clause
        return True
    return bool(_ASKED.search(before.rstrip(" ,，。;；")) or _CONTACTED.search(before))
