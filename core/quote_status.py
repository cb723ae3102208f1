"""What each stored quote status is called wherever a person reads it (one map: 我的报价 showed "conditional")."""

from __future__ import annotations

QUOTE_STATUS_LABELS = {
    "draft": "草稿（未提交）",
    "pending": "审批中",
    "approved": "已批准",
    "rejected": "已驳回",
    "superseded": "已被新版本取代",
    "conditional": "有条件同意，待接受条件",
}


def quote_status_label(status: str) -> str:
    return QUOTE_STATUS_LABELS.get(status, status)
