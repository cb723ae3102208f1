"""Opportunities of an account, and the evidence on record for stage exit criteria."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.stage_rules import Evidence, EvidenceKind
from core.stages import OPEN_STAGES
from storage.models import FollowUp, Opportunity, Quote

# Words in a follow-up that count as a logged proposal, sample, PI, contract or deposit.
EVIDENCE_WORDS: dict[EvidenceKind, tuple[str, ...]] = {
    EvidenceKind.PROPOSAL: ("方案", "proposal", "技术建议书"),
    EvidenceKind.SAMPLE: ("样品", "sample"),
    EvidenceKind.PI: ("PI", "形式发票", "proforma"),
    EvidenceKind.CONTRACT: ("合同", "contract"),
    EvidenceKind.DEPOSIT: ("定金", "预付款", "deposit"),
}


async def of_customer(session: AsyncSession, customer_id: int, *, open_only: bool) -> Sequence[Opportunity]:
    q = select(Opportunity).where(Opportunity.customer_id == customer_id)
    if open_only:
        q = q.where(col(Opportunity.stage).in_([s.value for s in OPEN_STAGES]))
    return (await session.exec(q.order_by(col(Opportunity.id)))).all()


async def evidence(session: AsyncSession, opp: Opportunity, *, lost_reason: str | None = None) -> Evidence:
    kinds: set[EvidenceKind] = set()
    statuses = (
        await session.exec(
            select(Quote.status).where(
                or_(col(Quote.opportunity_id) == opp.id, col(Quote.customer_id) == opp.customer_id)
            )
        )
    ).all()
    if statuses:
        kinds.add(EvidenceKind.QUOTE)
    if "approved" in statuses:
        kinds.add(EvidenceKind.APPROVED_QUOTE)
    notes = (
        await session.exec(
            select(FollowUp.content).where(
                FollowUp.customer_id == opp.customer_id, FollowUp.happened_at >= opp.created_at
            )
        )
    ).all()
    for kind, words in EVIDENCE_WORDS.items():
        if any(w.lower() in n.lower() for n in notes for w in words):
            kinds.add(kind)
    return Evidence(frozenset(kinds), lost_reason)
