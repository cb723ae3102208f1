"""The funnel's SQL agrees with the pure definitions in core.funnel (conversions, the opportunity aggregates)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from sqlmodel import col, select

from bot.demo import seed_demo
from bot.services import Services
from core.funnel import (
    OpportunityFact,
    Quarter,
    StageEvent,
    aggregate_facts,
    compute_conversions,
    conversion_window,
)
from core.stages import OPEN_STAGES, Stage
from storage.models import Customer, Opportunity, StageChange
from storage.repo.funnel import SLOTS, conversion_counts, funnel_input


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


async def test_sql_conversions_match_the_reference_on_tangled_paths(services: Services) -> None:
    """Bounces, skips, losses, ties in time, creations inside the window, moves just outside it, and
    opportunities moved more often than a packed path holds."""
    now = services.clock.now()
    start = now - timedelta(days=90)
    rng = random.Random(12)
    stages = list(Stage)
    async with services.db.session() as s:
        await seed_demo(s, now)
        customer = (await s.exec(select(Customer))).first()
        assert customer is not None and customer.id is not None and customer.owner_id is not None
        for _ in range(120):
            opp = Opportunity(customer_id=customer.id, title="t", owner_id=customer.owner_id)
            s.add(opp)
            await s.flush()
            assert opp.id is not None
            at = start + timedelta(days=rng.randint(-20, 60))
            current: Stage | None = None if rng.random() < 0.4 else rng.choice(stages)
            for _ in range(rng.choice((1, 2, 3, 6, 6, 6, 40))):
                to = rng.choice(stages)
                s.add(StageChange(opportunity_id=opp.id, from_stage=current, to_stage=to, at=at))
                current = to
                at += timedelta(hours=rng.choice((0, 0, 1, 24, 300)))  # 0: two moves at the same instant
    async with services.db.session() as s:
        rows = (
            await s.exec(
                select(StageChange).where(StageChange.at >= start, StageChange.at < now).order_by(col(StageChange.id))
            )
        ).all()
        every = await conversion_counts(s, owner_ids=None, start=start, end=now)
    events = [
        StageEvent(r.opportunity_id, Stage(r.from_stage) if r.from_stage else None, Stage(r.to_stage), r.at)
        for r in rows
    ]
    expected = {c.stage: (c.entered, c.reached) for c in compute_conversions(events, {}, start, now) if c.entered}
    assert every == expected
    assert all(expected.get(s, (0, 0))[1] for s in OPEN_STAGES)
    assert max(Counter(r.opportunity_id for r in rows).values()) >= SLOTS


async def test_opportunity_figures_match_the_reference(services: Services) -> None:
    """The one scan over opportunities gives what core.funnel.aggregate_facts computes from the rows."""
    now = services.clock.now()
    tz = "Asia/Shanghai"
    async with services.db.session() as s:
        await seed_demo(s, now)
        customer = (await s.exec(select(Customer))).first()
        assert customer is not None and customer.id is not None and customer.owner_id is not None
        # A won deal without closed_at is counted by when it entered 'won'; one won last quarter is not.
        for closed, entered in ((None, now - timedelta(days=2)), (now - timedelta(days=200), now)):
            s.add(
                Opportunity(
                    customer_id=customer.id,
                    title="won",
                    owner_id=customer.owner_id,
                    stage="won",
                    amount=Decimal("700"),
                    currency="USD",
                    closed_at=closed,
                    stage_entered_at=entered,
                )
            )
    async with services.db.session() as s:
        got = await funnel_input(s, owner_ids=None, now=now, tz=tz, base_currency="CNY")
        opps = (await s.exec(select(Opportunity))).all()
    quarter = Quarter.of(now, tz)
    assert got.quarter == quarter
    facts = [
        OpportunityFact(
            o.id or 0,
            o.owner_id,
            Stage(o.stage),
            o.amount,
            o.currency,
            o.probability,
            o.expected_close,
            o.stage_entered_at,
            o.closed_at,
        )
        for o in opps
    ]
    ref = aggregate_facts(facts, quarter=quarter, tz=tz, window_start=conversion_window(now)[0])
    assert set(got.stage_totals) == set(ref.stage_totals) and len(ref.stage_totals) > 5
    assert set(got.forecast_buckets) == set(ref.forecast_buckets)
    assert any(b.stage is Stage.WON for b in ref.forecast_buckets)
    assert got.open_before_window == ref.open_before_window and ref.open_before_window
