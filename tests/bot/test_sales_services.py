"""The sales services below the chat: a Scope in, a typed outcome (or a typed refusal) out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.errors import Conflict, NeedsAnswer, NotAllowed, UserInputError
from bot.sales import approvals, fx, quotes, transfers
from bot.sales.approvals import Decided
from bot.sales.scope import Scope
from core.approval_policy import Verdict
from core.conditions import Effect
from core.nlu.names import NameIndex
from core.nlu.quote_commands import QuoteCommand, parse_quote_command
from storage.models import User
from storage.repo import names, users
from tests.fakes.harness import ChatHarness

SMALL = "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海"


@pytest.fixture
def scope_of(bot: ChatHarness):  # type: ignore[no-untyped-def]
    """`async with scope_of("李娜") as scope:` — one transaction acting as that person."""
    services = bot.services

    @asynccontextmanager
    async def make(name: str) -> AsyncIterator[Scope]:
        async with services.db.session() as session:
            [user] = (await session.exec(select(User).where(User.name == name))).all()
            yield Scope(session, services.clock, services.settings, services.policy, user, channel="test")

    return make


def cmd(text: str, now: datetime) -> QuoteCommand:
    parsed = parse_quote_command(text, now=now, tz=ZoneInfo("Asia/Shanghai"))
    assert parsed is not None and parsed.error is None
    return parsed


async def names_for(scope: Scope) -> NameIndex:
    """What the chat would hand the service: the visible customers the quote commands of these tests name."""
    owner_ids = await users.visible_owner_ids(scope.session, scope.user)
    return await names.index_for(scope.session, owner_ids, queries=["艾克美", "北风泵业", "艾克森流体设备"])


async def submitted_quote(scope_of) -> str:  # type: ignore[no-untyped-def]
    async with scope_of("李娜") as scope:
        drafted = await quotes.create(scope, cmd(SMALL, scope.now), await names_for(scope))
        number = drafted.bundle.quote.number
        done = await approvals.submit(scope, number=number)
    assert done.progress.status == "pending" and [c.approval.step_name for c in done.progress.cards] == ["直属上级"]
    return number


async def test_create_prices_and_records_the_reps_card(scope_of) -> None:  # type: ignore[no-untyped-def]
    async with scope_of("李娜") as scope:
        drafted = await quotes.create(scope, cmd(SMALL, scope.now), await names_for(scope))
    assert drafted.kind == "created" and drafted.bundle.pricing.margin_pct == Decimal("43.82")
    assert drafted.card_id.startswith(f"q{drafted.bundle.quote.id}x")


async def test_a_decision_is_an_outcome_and_a_second_one_a_conflict(scope_of) -> None:  # type: ignore[no-untyped-def]
    number = await submitted_quote(scope_of)
    async with scope_of("赵敏") as scope:
        done = await approvals.decide(scope, number=number, verdict=Verdict.APPROVE, comment="老客户")
    assert isinstance(done, Decided) and done.progress.status == "approved" and done.comment == "老客户"
    assert [f.text for f in done.finals] == ["已同意 · 赵敏 · 11-23 10:00"]
    with pytest.raises(Conflict, match="您已处理过"):
        async with scope_of("赵敏") as scope:
            await approvals.decide(scope, number=number, verdict=Verdict.APPROVE)


async def test_refusals_are_typed(scope_of) -> None:  # type: ignore[no-untyped-def]
    number = await submitted_quote(scope_of)
    with pytest.raises(NotAllowed) as err:
        async with scope_of("刘洋") as scope:
            await approvals.decide(scope, number=number, verdict=Verdict.APPROVE)
    assert err.value.entity == "quotes" and err.value.audited
    with pytest.raises(NeedsAnswer) as asked:
        async with scope_of("赵敏") as scope:
            await approvals.decide(scope, number=number, verdict=Verdict.REJECT)
    assert asked.value.kind == approvals.ASK_REASON
    with pytest.raises(NeedsAnswer) as asked:
        async with scope_of("赵敏") as scope:
            await approvals.decide(scope, number=number, verdict=Verdict.APPROVE, comment="预付30%")
    assert asked.value.kind == approvals.ASK_COMMENT and asked.value.data["comment"] == "预付30%"


async def test_accepting_a_condition_already_met_resumes_the_same_revision(scope_of) -> None:  # type: ignore[no-untyped-def]
    number = await submitted_quote(scope_of)
    async with scope_of("赵敏") as scope:
        done = await approvals.decide(scope, number=number, verdict=Verdict.CONDITIONAL, condition="单价不低于45美元")
    assert isinstance(done, Decided) and done.progress.status == "conditional" and done.condition_card_id
    async with scope_of("李娜") as scope:
        accepted = await approvals.accept_conditions(scope, number=number)
    assert [r.effect for r in accepted.applied.results] == [Effect.KEPT]
    assert accepted.drafted is None and accepted.progress is not None and accepted.progress.status == "approved"
    assert accepted.progress.bundle.quote.revision == 1


async def test_fx_outcomes_and_refusals(scope_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        async with scope_of("李娜") as scope:
            await fx.set_rate(scope, "USD", Decimal("7.2"))
    with pytest.raises(NeedsAnswer):
        async with scope_of("吴芳") as scope:
            await fx.set_rate(scope, "USD", Decimal("71.8"))
    with pytest.raises(UserInputError, match="本位币"):
        async with scope_of("吴芳") as scope:
            await fx.set_rate(scope, "rmb", Decimal(1))
    async with scope_of("吴芳") as scope:
        done = await fx.set_rate(scope, "usd", Decimal("7.2"))
        assert (done.currency, done.previous) == ("USD", Decimal("7.12"))
        undone = await fx.undo_rate(scope, "USD")
    assert (undone.undone, undone.restored) == (Decimal("7.2"), Decimal("7.12"))


async def test_a_transfer_is_an_outcome_listing_what_moved(scope_of) -> None:  # type: ignore[no-untyped-def]
    number = await submitted_quote(scope_of)
    async with scope_of("赵敏") as scope:
        done = await transfers.reassign(scope, customer="艾克美", to="王强", names=await names_for(scope))
    assert done.to_user.name == "王强" and done.from_user is not None and done.from_user.name == "李娜"
    assert len(done.moved.quote_ids) == 1 and done.moved.opportunity_ids
    assert set(done.tell) >= {done.to_user.id, done.from_user.id}
    async with scope_of("王强") as scope:
        shown = await quotes.show(scope, number)
    assert shown.bundle.owner.name == "王强"
