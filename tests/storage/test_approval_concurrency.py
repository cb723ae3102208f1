"""50 approvers' taps at the same moment, on separate sessions and pipelines (replicas): one decision, one notice.

The step is a 或签 of five finance people, so every tap is by a legitimate approver; the database (row lock on
PostgreSQL, the write lock on SQLite, plus the version and `decision = 'pending'` checks) must let exactly one win.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.cards.actions import ApprovalTap, Tap
from bot.inbound import Inbound
from bot.pipeline import Pipeline
from bot.sales.policy import read_policy
from storage.models import Approval, AuditLog, InboundMessage, OutboxMessage, Quote, User
from tests.bot.test_quotes_support import quote_and_submit
from tests.fakes.harness import ChatHarness

POLICY = """
version = 1
name = "财务或签"

[[steps]]
name = "财务"
role = "finance"
mode = "any"
"""


async def test_fifty_simultaneous_approvals_decide_once(
    bot: ChatHarness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = bot.services
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    services.policy = read_policy(str(policy))
    async with services.db.session() as s:
        for i in range(4):
            s.add(User(name=f"财务{i}", role="finance"))
    number = await quote_and_submit(bot, "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")

    async with services.db.session() as s:
        rows = (await s.exec(select(Approval).order_by(col(Approval.id)))).all()
        approvers = {a.id: (await s.get(User, a.approver_id)).name for a in rows}  # type: ignore[union-attr]
    assert len(approvers) == 5

    taps = [
        (name, ApprovalTap(approval_id or 0, Tap.APPROVE)) for _ in range(10) for approval_id, name in approvers.items()
    ]
    replicas = [Pipeline(services) for _ in taps]  # no shared in-process lock: only the database decides
    await asyncio.gather(
        *(
            replica.handle(Inbound(channel="console", sender=name, platform_msg_id=uuid.uuid4().hex, action=action))
            for replica, (name, action) in zip(replicas, taps, strict=True)
        )
    )

    async with services.db.session() as s:
        decided = (await s.exec(select(Approval).where(Approval.decision == "approved"))).all()
        others = (await s.exec(select(Approval).where(Approval.decision != "approved"))).all()
        quote = (await s.exec(select(Quote).where(Quote.number == number))).one()
        decisions = (await s.exec(select(AuditLog).where(AuditLog.action == "decide"))).all()
        to_rep = (await s.exec(select(OutboxMessage).where(OutboxMessage.target == "李娜"))).all()
        failed = (await s.exec(select(InboundMessage).where(InboundMessage.status != "done"))).all()
        answers = (
            await s.exec(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "text", col(OutboxMessage.target).in_(approvers.values())
                )
            )
        ).all()
    assert not failed  # every tap was answered, none crashed
    assert len(decided) == 1 and len(decisions) == 1
    texts = [m.payload["text"] for m in answers]
    assert sum(1 for t in texts if t.startswith("已同意")) == 1
    assert sum(1 for t in texts if "处理" in t) == 49  # 已由 … 处理 / 您已处理过
    assert {a.decision for a in others} == {"superseded"}
    assert quote.status == "approved"
    assert sum(1 for m in to_rep if m.kind == "file") == 1
    assert sum(1 for m in to_rep if "报价已批准" in str(m.payload.get("text"))) == 1
