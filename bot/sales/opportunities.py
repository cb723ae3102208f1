"""Opportunity changes, audited like every change: a stage move (a win booked at the amount the rep states)
and a new amount. The caller has checked the stage's exit criteria and asked what needed asking."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sales.scope import Scope
from core.money import Money
from core.stages import DEFAULT_PROBABILITY, Stage
from storage import audit
from storage.models import Opportunity, StageChange


@dataclass(frozen=True)
class Moved:
    before: Stage
    amount_before: Money | None  # a win booked at another amount than the deal's: what it said until now


def _money(opp: Opportunity) -> Money | None:
    return Money(opp.amount, opp.currency) if opp.amount is not None else None


async def move(
    scope: Scope, opp: Opportunity, target: Stage, *, reason: str | None = None, booked: Money | None = None
) -> Moved:
    """Move to `target`; a loss keeps its reason, a win its contract amount (`booked`) when the rep gave one."""
    now = scope.clock.now()
    current, was = Stage(opp.stage), _money(opp)
    before = audit.snapshot(opp)
    opp.stage, opp.stage_entered_at, opp.updated_at = target.value, now, now
    opp.probability = DEFAULT_PROBABILITY[target]
    opp.closed_at = None if target.is_open else now
    opp.lost_reason = reason if target is Stage.LOST else None
    if booked is not None:
        opp.amount, opp.currency = booked.amount, booked.currency
    scope.session.add(opp)
    change = StageChange(
        opportunity_id=opp.id or 0, from_stage=current.value, to_stage=target.value, at=now, actor_id=scope.user_id
    )
    scope.session.add(change)
    await scope.session.flush()
    await scope.record("update", "opportunities", opp.id, before=before, after=audit.snapshot(opp))
    await scope.record("create", "stage_changes", change.id, after=audit.snapshot(change))
    return Moved(current, was if booked is not None and was != booked else None)


async def set_amount(scope: Scope, opp: Opportunity, amount: Money) -> Money | None:
    """The deal's new amount; returns the old one (None: it had none)."""
    was, before = _money(opp), audit.snapshot(opp)
    opp.amount, opp.currency, opp.updated_at = amount.amount, amount.currency, scope.clock.now()
    scope.session.add(opp)
    await scope.session.flush()
    await scope.record("update", "opportunities", opp.id, before=before, after=audit.snapshot(opp))
    return was
