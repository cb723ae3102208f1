"""Inbound → stored once → processed once → replies in the outbox, in one transaction.

A crash anywhere before the commit leaves the inbound row 'new' and no outbox rows, so `recover()` on the next
start processes it exactly once; a crash after the commit loses nothing either, because the replies are already
in the outbox. The claiming UPDATE (… WHERE status='new') comes last: if two workers raced, the second finds the
row taken (after waiting on its lock on PostgreSQL) and rolls its whole run back, so a message is handled once.

Per message, beside what the handler reads and writes: the inbound insert (shared by everyone acknowledged at the
same moment), the outbox insert and the claim, in one session; the caller passes the message it stored (or a
worker read in a batch), so the row is never read again.

A worker on PostgreSQL processes up to `TOGETHER` stored messages in one transaction: each in a savepoint, so a
refusal or an error undoes only that message's changes; then the replies of all of them in one insert and one
claim of all of them (… WHERE status='new' RETURNING id). If any was taken by another worker meanwhile, or the
transaction fails, the whole batch is rolled back and each message is processed on its own as above: a message is
still answered once, with its changes, or not at all. SQLite keeps one transaction per message: its one write lock
would be held from a batch's first write to its commit, and the acknowledging insert would wait for all of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import asking
from bot.context import Context
from bot.dispatcher import dispatch
from bot.errors import NeedsAnswer, Refusal
from bot.inbound import Inbound
from bot.outbox import enqueue, outbox_rows
from bot.replies import Reply, TextReply
from bot.services import Services
from storage import audit
from storage.audit import REFUSED
from storage.models import InboundMessage, OutboxMessage
from storage.repo import inbound as inbound_log
from storage.repo import users

log = logging.getLogger(__name__)

STORE_BATCH = 500
RECOVER_BATCH = 200
# Messages a worker processes in one transaction, by database (see above); 1: each in its own.
TOGETHER = {"postgresql": 50, "sqlite": 1}
SORRY = "抱歉，处理这条消息时出错了，已记录。请稍后再试，或发“帮助”查看用法。"
UNSUPPORTED = "暂时只能处理文字消息，请用文字描述您要做的事，例如“跟进 艾克美 今天电话沟通了报价”。发“帮助”查看用法。"
# A message whose content the platform withheld (DingTalk, its monthly robot message quota used up).
WITHHELD = "withheld"
WITHHELD_NOTICE = (
    "抱歉，本月机器人消息额度已用完，kabot 收不到您这条消息的内容，暂时无法处理。已提醒管理员；"
    "额度下月初恢复，急事请联系{contact}。"
)


class _ProcessedElsewhere(Exception):
    """Another worker committed this message first: roll this run back."""


class Pipeline:
    def __init__(self, services: Services, *, inline: bool = True) -> None:
        """`inline=False`: this process only stores messages; a worker (`kabot work`) processes them."""
        self.s = services
        self.inline = inline
        self.inbound_ready = asyncio.Event()
        self._to_store: list[tuple[Inbound, asyncio.Future[int | None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sender_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(self, inbound: Inbound) -> int | None:
        """Store the message; None when this platform message id was already received (a redelivery).

        Messages arriving while a write is under way are stored together in the next one (group commit), so
        acknowledging stays cheap under load; the caller still returns only once its message is committed.
        """
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._to_store.append((inbound, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._store_waiting())
        return await future

    async def _store_waiting(self) -> None:
        while self._to_store:
            batch, self._to_store = self._to_store[:STORE_BATCH], self._to_store[STORE_BATCH:]
            now = self.s.clock.now()
            try:
                ids = await inbound_log.store_new(
                    self.s.db,
                    [
                        {
                            "channel": i.channel,
                            "platform_msg_id": i.platform_msg_id,
                            "sender": i.sender,
                            "conversation": i.conversation,
                            "payload": i.to_payload(),
                            "status": "new",
                            "received_at": now,
                        }
                        for i, _ in batch
                    ],
                )
            except Exception as exc:  # noqa: BLE001 — every waiting caller learns its message was not stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for inbound, future in batch:
                # A redelivery in the same batch as the original gets None, like any later one.
                inbound_id = ids.pop((inbound.channel, inbound.platform_msg_id), None)
                if inbound_id is None:
                    log.info("duplicate inbound ignored: %s/%s", inbound.channel, inbound.platform_msg_id)
                if not future.done():
                    future.set_result(inbound_id)

    def process_soon(self, inbound_id: int, inbound: Inbound) -> None:
        """Process in the background here, keeping a reference so the task is not garbage-collected —
        unless a separate worker does the processing."""
        if not self.inline:
            return
        task = asyncio.create_task(self.process(inbound_id, inbound))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for background processing (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def handle(self, inbound: Inbound) -> int | None:
        """Receive and process now (console and tests); returns the inbound id, None for a duplicate."""
        inbound_id = await self.receive(inbound)
        if inbound_id is not None:
            await self.process(inbound_id, inbound)
        return inbound_id

    async def process(self, inbound_id: int, inbound: Inbound) -> None:
        """Process a stored message and tell the outbox there is something to deliver."""
        await self._process(inbound_id, inbound)
        self.s.outbox_ready.set()

    def _lock(self, inbound: Inbound) -> asyncio.Lock:
        """One sender's messages are handled in order in this process (conversation state depends on it)."""
        return self._sender_locks.setdefault((inbound.channel, inbound.sender), asyncio.Lock())

    async def _process(self, inbound_id: int, inbound: Inbound) -> None:
        async with self._lock(inbound):
            await self._process_alone(inbound_id, inbound)

    async def _process_alone(self, inbound_id: int, inbound: Inbound) -> None:
        try:
            await self._process_once(inbound_id, inbound)
        except Exception as exc:
            log.exception("processing inbound %s failed", inbound_id)
            await self._fail(inbound_id, inbound, exc)

    async def _process_once(self, inbound_id: int, inbound: Inbound) -> None:
        """One session, one transaction: identity, the handler, the replies queued, the claim. The row is not
        read first: the caller has the message, and the claim (last) finds out whether it was still 'new'."""
        now = self.s.clock.now()
        try:
            async with self.s.db.session() as session:
                replies = await self._handle(session, inbound_id, inbound)
                await enqueue(session, self.s, replies, inbound=inbound, inbound_id=inbound_id, now=now)
                await _claim(session, inbound_id, now)
        except _ProcessedElsewhere:
            log.info("inbound %s was processed already; this run rolled back", inbound_id)
        except Refusal as refusal:
            # Everything the message changed is rolled back; the refusal is answered (and audited) on its own.
            try:
                await self._refuse(inbound_id, inbound, refusal, now)
            except _ProcessedElsewhere:
                log.info("inbound %s was processed already; this run rolled back", inbound_id)

    async def _refuse(self, inbound_id: int, inbound: Inbound, refusal: Refusal, now: datetime) -> None:
        async with self.s.db.session() as session:
            replies = await _refused(session, inbound_id, inbound, refusal, now)
            await enqueue(session, self.s, replies, inbound=inbound, inbound_id=inbound_id, now=now)
            await _claim(session, inbound_id, now)

    async def _handle(self, session: AsyncSession, inbound_id: int, inbound: Inbound) -> Sequence[Reply]:
        """Run the message through identity and the router (in the caller's transaction); the replies."""
        user = await users.by_identity(session, inbound.channel, inbound.sender)
        if user is None:
            log.warning("message from unknown %s user %s refused", inbound.channel, inbound.sender)
            replies: Sequence[Reply] = [
                TextReply(
                    f"您好，您还不在 kabot 的用户名单里，暂时无法使用。请联系{self.s.settings.admin_contact}"
                    "把您加入名单（kabot users import）。"
                )
            ]
        elif inbound.unsupported == WITHHELD:
            replies = [TextReply(WITHHELD_NOTICE.format(contact=self.s.settings.admin_contact))]
        elif inbound.unsupported:
            replies = [TextReply(UNSUPPORTED)]
        else:
            ctx = Context(
                user=user,
                inbound=inbound,
                inbound_id=inbound_id,
                session=session,
                clock=self.s.clock,
                settings=self.s.settings,
                services=self.s,
            )
            replies = await dispatch(ctx)
        return replies

    async def _fail(self, inbound_id: int, inbound: Inbound, exc: Exception) -> None:
        now = self.s.clock.now()
        async with self.s.db.session() as session:
            if await _mark_failed(session, inbound_id, exc, now):
                await enqueue(session, self.s, [TextReply(SORRY)], inbound=inbound, inbound_id=inbound_id, now=now)

    async def _process_together(self, messages: Sequence[tuple[int, Inbound]]) -> None:
        """Several stored messages in one transaction (see the module's docstring), in order; each sender's lock
        is held throughout, so a message processed alone meanwhile (`serve --workers 0`) keeps its place."""
        async with AsyncExitStack() as stack:
            for key in sorted({(i.channel, i.sender) for _, i in messages}):
                await stack.enter_async_context(self._sender_locks.setdefault(key, asyncio.Lock()))
            try:
                await self._try_together(messages)
            except Exception as exc:  # noqa: BLE001 — each message gets its own chance, as if alone
                log.info("%s inbound messages processed one by one instead (%s)", len(messages), type(exc).__name__)
                for inbound_id, inbound in messages:
                    await self._process_alone(inbound_id, inbound)

    async def _try_together(self, messages: Sequence[tuple[int, Inbound]]) -> None:
        now = self.s.clock.now()
        rows: list[OutboxMessage] = []
        done: list[int] = []
        async with self.s.db.session() as session:
            if self.s.db.is_sqlite:  # pysqlite begins no transaction before a SAVEPOINT, whose release would commit
                await (await session.connection()).exec_driver_sql("BEGIN")
            for inbound_id, inbound in messages:
                try:
                    async with session.begin_nested():
                        replies = await self._handle(session, inbound_id, inbound)
                        rows += await outbox_rows(
                            session, self.s, replies, inbound=inbound, inbound_id=inbound_id, now=now
                        )
                    done.append(inbound_id)
                except Refusal as refusal:  # only this message's changes were rolled back
                    async with session.begin_nested():
                        replies = await _refused(session, inbound_id, inbound, refusal, now)
                        rows += await outbox_rows(
                            session, self.s, replies, inbound=inbound, inbound_id=inbound_id, now=now
                        )
                    done.append(inbound_id)
                except Exception as exc:
                    log.exception("processing inbound %s failed", inbound_id)
                    if not await _mark_failed(session, inbound_id, exc, now):
                        raise _ProcessedElsewhere from exc
                    rows += await outbox_rows(
                        session, self.s, [TextReply(SORRY)], inbound=inbound, inbound_id=inbound_id, now=now
                    )
                # What the next message reads comes from the database, as in a session of its own.
                session.expunge_all()
                session.info.clear()
            session.add_all(rows)
            await session.flush()
            claimed = await (await session.connection()).execute(_CLAIM_ALL, {"inbound": done, "at": now})
            if len(claimed.all()) != len(done):
                raise _ProcessedElsewhere

    async def work(self, stop: asyncio.Event) -> None:
        """A worker's loop: whatever is stored and unprocessed, oldest first; then wait a poll interval."""
        while not stop.is_set():
            try:
                done = await self.recover(stop)
            except Exception:  # noqa: BLE001 — the loop must survive a database hiccup
                log.exception("inbound worker run failed")
                done = 0
            if done:
                continue
            self.inbound_ready.clear()
            try:
                await asyncio.wait_for(self.inbound_ready.wait(), timeout=self.s.settings.worker_poll_seconds)
            except TimeoutError:
                pass

    async def recover(self, stop: asyncio.Event | None = None) -> int:
        """Process what was received but never processed (a crash, a restart, or `serve`'s acknowledgements when
        this is a worker), oldest first, read in batches; the outbox is told once per batch, so the replies go
        out together. Once `stop` is set it returns after the transaction under way: the rest stays 'new' for the
        next start. Returns how many."""
        done = 0
        after = 0
        together = TOGETHER.get(self.s.db.engine.dialect.name, 1)
        while stop is None or not stop.is_set():
            async with self.s.db.session() as session:
                rows = (
                    await session.exec(
                        select(InboundMessage)
                        .where(InboundMessage.status == "new", col(InboundMessage.id) > after)
                        .order_by(col(InboundMessage.id))
                        .limit(RECOVER_BATCH)
                    )
                ).all()
            messages = [
                (
                    row.id or 0,
                    Inbound.from_row(row.channel, row.sender, row.platform_msg_id, row.conversation, row.payload),
                )
                for row in rows
            ]
            for start in range(0, len(messages), together):
                if stop is not None and stop.is_set():
                    break
                batch = messages[start : start + together]
                if len(batch) == 1:
                    await self._process(*batch[0])
                else:
                    await self._process_together(batch)
                done += len(batch)
                after = batch[-1][0]
            if rows:
                self.s.outbox_ready.set()
            if len(rows) < RECOVER_BATCH:
                break
        return done


_CLAIM = (  # built once; named unlike any column (an UPDATE's parameter named after a column would set it)
    update(InboundMessage.__table__)  # type: ignore[attr-defined]
    .where(col(InboundMessage.id) == bindparam("inbound"), col(InboundMessage.status) == "new")
    .values(status="done", processed_at=bindparam("at"))
)


_CLAIM_ALL = (
    update(InboundMessage.__table__)  # type: ignore[attr-defined]
    .where(col(InboundMessage.id).in_(bindparam("inbound", expanding=True)), col(InboundMessage.status) == "new")
    .values(status="done", processed_at=bindparam("at"))
    .returning(col(InboundMessage.id))
)


async def _claim(session: AsyncSession, inbound_id: int, now: datetime) -> None:
    """Mark the message done. Claimed last, so the write lock (all of SQLite's) is held for the commit only."""
    await session.flush()  # the replies first: the claim is the last write
    claimed = await (await session.connection()).execute(_CLAIM, {"inbound": inbound_id, "at": now})
    if claimed.rowcount == 0:
        raise _ProcessedElsewhere


async def _mark_failed(session: AsyncSession, inbound_id: int, exc: Exception, now: datetime) -> bool:
    """Record that processing failed (never retried); False when the message was processed elsewhere."""
    failed = await session.exec(  # type: ignore[call-overload]
        update(InboundMessage)
        .where(col(InboundMessage.id) == inbound_id, col(InboundMessage.status) == "new")
        .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:500], processed_at=now)
    )
    return bool(failed.rowcount)


async def _refused(
    session: AsyncSession, inbound_id: int, inbound: Inbound, refusal: Refusal, now: datetime
) -> list[Reply]:
    """The one place a refusal becomes a reply, an audit row (permissions) and an open question (NeedsAnswer)."""
    user = await users.by_identity(session, inbound.channel, inbound.sender)
    if user is not None and user.id is not None:
        if refusal.audited:
            await audit.record(
                session,
                at=now,
                actor_id=user.id,
                channel=inbound.channel,
                action=REFUSED,
                entity=refusal.entity or "messages",
                entity_id=refusal.entity_id,
                after={"reason": refusal.message, "refusal": type(refusal).__name__},
                message=inbound.text,
                inbound_id=inbound_id,
            )
        if isinstance(refusal, NeedsAnswer):
            await asking.open_question(
                session,
                user.id,
                refusal.kind,
                refusal.data,
                now,
                minutes=refusal.minutes,
                asks=refusal.asks,
                unanswered=refusal.unanswered,
            )
            await asking.describe(session, user.id, refusal.message, now)
    return [TextReply(refusal.reply_text())]
