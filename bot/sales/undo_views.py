"""What 撤销 says it undid: the record by name, whose it is, and what it is back to — never just "修改待办"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.stages import Stage
from core.timefmt import format_due
from storage.models import AuditLog

WHAT = {
    "quotes": "报价",
    "approvals": "审批",
    "transfer_requests": "客户转移申请",
    "customers": "客户",
    "contacts": "联系人",
    "opportunities": "商机",
    "follow_ups": "跟进记录",
    "tasks": "待办",
}
# A changed field as a person names it, for "等级已改回 A".
FIELDS = {
    "tier": "等级",
    "name": "名称",
    "title": "职位",
    "phone": "电话",
    "email": "邮箱",
    "wechat": "微信",
    "country": "国家",
    "industry": "行业",
    "amount": "金额",
    "subject": "内容",
    "decision_role": "角色",
}
_QUIET = {"updated_at", "completed_at", "reminded_at", "escalated_at", "stage_entered_at", "closed_at", "probability"}


def quoted(words: str, width: int) -> str:
    """A person's words cut to about `width` characters, never inside a number or a Latin word (我说45天, not 我说4)."""
    words = words.strip()
    if len(words) <= width:
        return words
    end = width
    while (
        end < len(words)
        and words[end - 1].isascii()
        and words[end - 1].isalnum()
        and words[end].isascii()
        and (words[end].isalnum() or words[end] in ".,")
    ):
        end += 1
    return words[:end] + "…"


def label(entry: AuditLog) -> str:
    """The record's own words: a customer's or contact's name, a deal's title, a task's subject, a note's text."""
    shot = entry.after or entry.before or {}
    text = shot.get("name") or shot.get("title") or shot.get("subject") or shot.get("content") or ""
    return quoted(str(text), 20)


def undone(entry: AuditLog, customer: str | None, tz: ZoneInfo) -> str:
    """One undone change, e.g. 完成待办「寄样品」（艾克美），待办已恢复为未完成."""
    change, back = _change(entry, customer, tz)
    return f"{change}，{back}"


def described(entry: AuditLog, customer: str | None, tz: ZoneInfo) -> str:
    """The change 撤销 would take back, before it does, e.g. 完成待办「寄样品」（艾克美）."""
    return _change(entry, customer, tz)[0]


def _change(entry: AuditLog, customer: str | None, tz: ZoneInfo) -> tuple[str, str]:
    """What the change was, and what undoing it puts back."""
    what = WHAT.get(entry.entity, entry.entity)
    whose = f"（{customer}）" if customer and entry.entity != "customers" else ""
    named = f"「{label(entry)}」{whose}"
    if entry.action == "create":
        return f"新建{what}{named}", "已删除，这条跟进现在没有保存" if entry.entity == "follow_ups" else "已删除"
    before, after = entry.before or {}, entry.after or {}
    changed = [k for k in after if k in before and before[k] != after[k] and k not in _QUIET]
    if entry.entity == "tasks" and "status" in changed:
        verb = {"done": "完成", "cancelled": "取消"}.get(str(after["status"]), "修改")
        return f"{verb}待办{named}", "待办已恢复为未完成"
    if entry.entity == "tasks" and "due_at" in changed:
        return f"改期待办{named}", f"已改回 {_when(before['due_at'], tz)}"
    if entry.entity == "opportunities" and "stage" in changed:
        return f"推进商机{named}", f"阶段已改回 {_stage(before['stage'])}"
    back = "、".join(f"{FIELDS[k]}已改回 {before[k] or '空'}" for k in changed if k in FIELDS)
    return f"修改{what}{named}", back or "已改回原来的内容"


def when_made(entries: Sequence[AuditLog], tz: ZoneInfo) -> str:
    """Said when the undone change is not the person's previous message: when it was made and with which words."""
    return f"（是{made(entries, tz)}的修改）"


def made(entries: Sequence[AuditLog], tz: ZoneInfo) -> str:
    """When and with which words a change was made: 您 10:00 发“完成 1”时."""
    first = entries[0]
    words = quoted(first.message or "", 20)
    quoted_words = f"发“{words}”时" if words else ""
    return f"您 {first.at.astimezone(tz):%H:%M} {quoted_words}"


def _when(value: Any, tz: ZoneInfo) -> str:
    if not value:
        return "无日期"
    return format_due(datetime.fromisoformat(str(value)).astimezone(tz))


def _stage(value: Any) -> str:
    try:
        stage = Stage(str(value))
    except ValueError:
        return str(value)
    return f"{stage.value} {stage.label}"
