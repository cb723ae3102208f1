"""The funnel's SQL conversion counts agree with the pure definition in core.funnel on the demo company."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.demo import seed_demo
from bot.services import Services
from core.funnel import StageEvent, compute_conversions
from core.stages import Stage
from storage.models import Opportunity, StageChange
from storage.repo.funnel import conversion_counts


async def test_sql_conversions_match_the_reference(services: Services) -> None:
    now = services.clock.now()
    async with services.db.session() as s:
        await seed_demo(s, now)
        # A bounce and a skip make the paths interesting: S2 → S4 → S3 → won.
        opp = (await s.exec(select(Opportunity).where(Opportunity.stage == "S2"))).first()
        assert opp is not None and opp.id is not None
        for k, (a, b) in enumerate((("S2", "S4"), ("S4", "S3"), ("S3", "won"))):
            s.add(StageChange(opportunity_id=opp.id, from_stage=a, to_stage=b, at=now - timedelta(days=3 - k)))
    start = now - timedelta(days=90)
    async with services.db.session() as s:
        rows = (await s.exec(select(StageChange).where(StageChange.at >= start, StageChange.at < now))).all()
        owners = {o.id: o.owner_id for o in (await s.exec(select(Opportunity))).all()}
        every = await conversion_counts(s, owner_ids=None, start=start, end=now)
        some_owner = owners[opp.id]
        mine = await conversion_counts(s, owner_ids=[some_owner], start=start, end=now)

    def reference(only: int | None) -> dict[Stage, tuple[int, int]]:
        events = [
            StageEvent(r.opportunity_id, Stage(r.from_stage) if r.from_stage else None, Stage(r.to_stage), r.at)
            for r in rows
            if only is None or owners[r.opportunity_id] == only
        ]
        return {c.stage: (c.entered, c.reached) for c in compute_conversions(events, {}, start, now) if c.entered}

    assert every == reference(None) and sum(e for e, _ in every.values()) > 10
    assert mine == reference(some_owner)
