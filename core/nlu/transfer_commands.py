"""Account transfers: `把北欧暖通转给王强`, `王强离职，客户转给李娜`, `申请转移 艾克森`, `同意转移 艾克森`.

Pure, and tried before the general parser. A sentence like `把报价转给客户了` must stay a follow-up, so a
transfer to someone is only claimed when that someone is a colleague's name (`people`, passed in by the caller).

    parse_transfer_command("把北欧暖通转给王强", people={"王强"}) == TransferCommand(Intent.TRANSFER_ACCOUNT, …)
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from core.nlu.intents import Intent
from core.nlu.normalize import normalize

EXAMPLE_REASSIGN = "把北欧暖通转给王强"
EXAMPLE_OFFBOARD = "王强离职，客户转给李娜"
EXAMPLE_REQUEST = "申请转移 艾克森"


@dataclass(frozen=True)
class TransferCommand:
    """`intent` is what the router dispatches on; `error` set means: reply with it and change nothing."""

    intent: Intent  # TRANSFER_REQUEST / TRANSFER_ACCOUNT / OFFBOARD / TRANSFER_DECIDE / TRANSFER_PENDING
    text: str
    customer: str | None = None
    person: str | None = None  # offboard: who leaves
    to: str | None = None  # who gets the account(s)
    approve: bool | None = None  # transfer_decide
    note: str = ""
    error: str | None = None


_GIVE = r"(?:转给|转交给|交给|移交给|分给|转到|转移给|给)"
_CUE = re.compile(
    r"转给|转交|交给|移交|分给|转到|转移|转让|离职|交接|transfer|offboard|^\s?(?:同意|批准|审批|拒绝|驳回)", re.I
)
_REQUEST = re.compile(r"^(?:申请转移客户|申请转移|申请转让)\s?(?P<customer>.+)$")
_PENDING = re.compile(r"^(?:(?:待审批|待处理)的?\s?(?:客户)?转移(?:申请)?|(?:客户)?转移申请(?:列表)?)$")
# 同意转移 X / 拒绝转移 X 原因; also a manager's shorter try (同意 X, 审批 转移 X: which way is not said). A message
# opening with a decision word is never a follow-up: quote numbers are taken before (parse_quote_command).
_DECIDE = re.compile(
    r"^(?P<verb>同意|批准|审批|拒绝|驳回)\s?(?:(?:转移|转让)(?:申请)?)?\s?(?P<customer>[^\s,，]+)?\s?(?P<note>.*)$"
)
_OFFBOARD = (
    re.compile(
        rf"^(?P<person>[^\s,，]+?)\s?(?:已经|已)?离职(?:了)?[,，\s]*(?:他的|她的)?(?:客户|所有客户|全部客户)?(?:都|全部)?\s?{_GIVE}\s?(?P<to>\S+)$"
    ),
    re.compile(rf"^(?:离职|交接)\s?(?P<person>\S+?)\s?(?:的客户)?\s?{_GIVE}\s?(?P<to>\S+)$"),
    re.compile(rf"^把?(?P<person>[^\s,，]+?)的(?:所有|全部)?客户(?:都|全部)?\s?{_GIVE}\s?(?P<to>\S+)$"),
    re.compile(r"^offboard\s+(?P<person>\S+)\s+(?:to\s+)?(?P<to>\S+)$", re.I),
)
_REASSIGN = (
    re.compile(rf"^把\s?(?P<customer>.+?)\s?{_GIVE}\s?(?P<to>\S+)$"),
    re.compile(rf"^(?:转移|转让|移交)\s?(?P<customer>.+?)\s?{_GIVE}\s?(?P<to>\S+)$"),
    re.compile(r"^(?P<customer>[^\s,，]+?)\s?(?:转给|转交给|移交给)\s?(?P<to>\S+)$"),
    re.compile(r"^transfer\s+(?P<customer>.+?)\s+to\s+(?P<to>\S+)$", re.I),
)


_EXPLICIT = (1, 3)  # the 转移 … 给 … and `transfer … to …` forms


def might_be_transfer(text: str) -> bool:
    """Cheap pre-check, so the caller looks up colleagues' names only for messages that could need them."""
    return bool(_CUE.search(text))


def parse_transfer_command(text: str, *, people: Collection[str]) -> TransferCommand | None:
    """The transfer command in `text`, or None when the message is not one."""
    flat = normalize(text).strip(" 。.!！")
    if _PENDING.match(flat):
        return TransferCommand(Intent.TRANSFER_PENDING, flat)
    if m := _REQUEST.match(flat):
        customer = m["customer"].strip()
        return TransferCommand(Intent.TRANSFER_REQUEST, flat, customer=customer)
    if flat in ("申请转移", "申请转让"):
        return TransferCommand(Intent.TRANSFER_REQUEST, flat, error=f"请写上客户名称。\n例如：{EXAMPLE_REQUEST}")
    if m := _DECIDE.match(flat):
        if not m["customer"]:
            error = "请写明是哪个客户的转移申请。\n例如：同意转移 艾克森"
            return TransferCommand(Intent.TRANSFER_DECIDE, flat, error=error)
        approve = None if m["verb"] == "审批" else m["verb"] in ("同意", "批准")
        customer = re.sub(r"的?(?:转移|转让)(?:申请)?$", "", m["customer"]) or m["customer"]  # 批准 X的转移申请
        return TransferCommand(Intent.TRANSFER_DECIDE, flat, customer=customer, approve=approve, note=m["note"])
    for pattern in _OFFBOARD:
        if (m := pattern.match(flat)) and m["person"] in people and _name(m["to"]) in people:
            return TransferCommand(Intent.OFFBOARD, flat, person=m["person"], to=_name(m["to"]))
    for n, pattern in enumerate(_REASSIGN):
        if (m := pattern.match(flat)) is None or not (customer := m["customer"].strip(" ,，的")):
            continue
        to = _name(m["to"])
        if to in people:
            return TransferCommand(Intent.TRANSFER_ACCOUNT, flat, customer=customer, to=to)
        if n in _EXPLICIT:  # 转移 X 给 Y is a command whoever Y is: say that Y is unknown
            error = f"没有找到同事“{to}”。\n例如：{EXAMPLE_REASSIGN}"
            return TransferCommand(Intent.TRANSFER_ACCOUNT, flat, error=error)
    return None


def _name(word: str) -> str:
    """`王强吧` / `王强。` → 王强: what follows a name in a sentence is not part of it."""
    return re.sub(r"(?:吧|了|啊|负责|跟进|处理)$", "", word.strip(" ,，。.!！"))
