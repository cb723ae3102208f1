"""A worker's `recover`: several messages in one transaction without losing the exactly-once promise, and a
prompt stop (issue 10)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot import pipeline as pipeline_module
from bot.context import Context
from bot.errors import NotAllowed
from bot.handlers import ROUTERS
from bot.inbound import Inbound
from bot.replies import Reply, TextReply
from bot.router import Router, merge
from core.nlu.intents import Intent
from storage.models import InboundMessage, OutboxMessage
from tests.fakes.harness import ChatHarness

PEOPLE = ("李娜", "王强", "赵敏", "陈静")


def message(n: int, text: str) -> Inbound:
    return Inbound(channel="console", sender=PEOPLE[n % len(PEOPLE)], platform_msg_id=f"m-{n}", text=text)


def replacing_help(bot: ChatHarness, router: Router) -> None:
    bot.services.router = merge([router, *(r for r in ROUTERS if r.name != "help")])


async def store(bot: ChatHarness, texts: list[str]) -> list[int]:
    ids = [await bot.pipeline.receive(message(n, t)) for n, t in enumerate(texts)]
    assert all(i is not None for i in ids)
    return [i for i in ids if i is not None]


async def outcome(bot: ChatHarness) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Each stored message's status, and the outbox texts queued for it."""
    async with bot.services.db.session() as s:
        status = {m.id or 0: m.status for m in (await s.exec(select(InboundMessage))).all()}
        texts: dict[int, list[str]] = {}
        for row in (await s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all():
            texts.setdefault(row.inbound_id or 0, []).append(str(row.payload.get("text", "card")))
    return status, texts


@pytest.fixture
def together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches on either database (SQLite's default is one message per transaction)."""
    monkeypatch.setattr(pipeline_module, "TOGETHER", {"sqlite": 50, "postgresql": 50})


@pytest.mark.usefixtures("together")
async def test_a_refusal_or_an_error_in_a_batch_undoes_only_its_own_message(bot: ChatHarness) -> None:
    odd = Router("odd")

    @odd.intent(Intent.HELP)
    async def half_then_trouble(ctx: Context, _parsed: Any) -> list[Reply]:
        half = OutboxMessage(
            channel="console", target="x", kind="text", payload={"text": "half"}, inbound_id=ctx.inbound_id
        )
        ctx.session.add(half)
        await ctx.session.flush()  # a change the trouble below must undo
        if ctx.inbound.platform_msg_id == "m-1":
            raise NotAllowed("不行")
        if ctx.inbound.platform_msg_id == "m-2":
            raise RuntimeError("boom")
        return [TextReply(f"好 {ctx.inbound.platform_msg_id}")]

    replacing_help(bot, odd)
    ids = await store(bot, ["帮助"] * 4)
    assert await bot.pipeline.recover() == 4

    status, texts = await outcome(bot)
    assert [status[i] for i in ids] == ["done", "done", "failed", "done"]
    assert texts[ids[0]] == ["half", "好 m-0"] and texts[ids[3]] == ["half", "好 m-3"]
    assert texts[ids[1]] == ["不行"] and texts[ids[2]] == [pipeline_module.SORRY]
    assert await bot.pipeline.recover() == 0  # nothing left over, nothing answered twice


@pytest.mark.usefixtures("together")
async def test_a_message_another_worker_took_during_a_batch_is_answered_once(bot: ChatHarness) -> None:
    racing = Router("racing")
    ids: list[int] = []

    @racing.intent(Intent.HELP)
    async def meanwhile(ctx: Context, _parsed: Any) -> list[Reply]:
        if ctx.inbound.platform_msg_id == "m-0" and len(ids) == 3:
            async with ctx.services.db.session() as other:  # another worker answers m-1 and commits first
                await other.exec(  # type: ignore[call-overload]
                    update(InboundMessage).where(col(InboundMessage.id) == ids[1]).values(status="done")
                )
                other.add(OutboxMessage(channel="console", target="x", kind="text", payload={"text": "other"}))
            ids.append(0)  # only once: the batch is redone one by one
        return [TextReply(f"好 {ctx.inbound.platform_msg_id}")]

    replacing_help(bot, racing)
    ids += await store(bot, ["帮助"] * 3)
    await bot.pipeline.recover()

    status, texts = await outcome(bot)
    assert [status[i] for i in ids[:3]] == ["done", "done", "done"]
    assert texts[ids[0]] == ["好 m-0"] and texts[ids[2]] == ["好 m-2"]
    assert ids[1] not in texts  # answered by the other worker only
    assert await bot.pipeline.recover() == 0


@pytest.mark.usefixtures("together")
async def test_a_batch_answers_like_messages_sent_one_by_one(bot: ChatHarness) -> None:
    """Real handlers, several messages of one sender in one batch: each sees what the one before it did."""
    texts = ["新客户 长风阀门 德国 B级", "跟进 长风阀门 今天电话沟通了报价，下周二再跟进", "查 长风阀门", "帮助"]
    ids = await bot.pipeline.receive(Inbound(channel="console", sender="李娜", platform_msg_id="a", text=texts[0]))
    assert ids is not None
    for n, text in enumerate(texts[1:], 1):
        await bot.pipeline.receive(Inbound(channel="console", sender="李娜", platform_msg_id=f"a{n}", text=text))
    assert await bot.pipeline.recover() == 4
    replies = await bot.flush("李娜")
    assert len(replies) >= 4
    assert "今天电话沟通了报价" in "\n".join(replies)


async def test_a_stopped_worker_returns_between_transactions(bot: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "TOGETHER", {"sqlite": 2, "postgresql": 2})
    stop = asyncio.Event()
    stopping = Router("stopping")

    @stopping.intent(Intent.HELP)
    async def stop_after_first(ctx: Context, _parsed: Any) -> list[Reply]:
        stop.set()  # a SIGTERM while the first message is being processed
        return [TextReply(f"好 {ctx.inbound.platform_msg_id}")]

    replacing_help(bot, stopping)
    ids = await store(bot, ["帮助"] * 5)
    assert await bot.pipeline.recover(stop) == 2  # the transaction under way is finished

    status, _ = await outcome(bot)
    assert [status[i] for i in ids] == ["done", "done", "new", "new", "new"]  # the rest waits for the next start
    assert await bot.pipeline.recover() == 3
    _, texts = await outcome(bot)
    assert [texts[i] for i in ids] == [[f"好 m-{n}"] for n in range(5)]
