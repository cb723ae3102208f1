"""Latency of the 360° account view (`查 <customer>`) on PostgreSQL at scale, against hand-written SQL.

Run (after `bench/seed_scale.py`):
    .venv/bin/python bench/bench_account_view.py [--schema bench_scale] [-n 300] [--explain] [--profile]

For N random owned customers, each asked for by its owning rep, four timings per customer (in shuffled order):

* end to end — `ChatHarness.say(rep, "查 <name>")`: inbound log row → claim → identity → parse (name index) →
  customer resolved → access check → `account_facts` → card → outbox row → commit → outbox delivery through the
  console channel, which renders the card to text. This is the figure the goal (p95 ≤ 25 ms) is about.
* handler — `bot.dispatcher.dispatch` in one session plus the console rendering of the card: the same path without
  the inbound log / outbox bookkeeping.
* raw SQL — the same facts (customer + owner, contacts, open opportunities, last 5 follow-ups with authors, quotes,
  open tasks, won deals, fx rates, notes for contact touches) with hand-written SQL straight through asyncpg, one
  statement after the other on one connection, no transaction: the floor our layers are compared with (the
  handler reads the same facts in one statement, storage/repo/account.py, which is also timed alone, raw).

Names are resolved per message from the database's name keys (storage/repo/names.py, bench/bench_names.py); the
first message per rep (`帮助`) is timed separately and left out of the steady state. `--explain` prints
EXPLAIN (ANALYZE, BUFFERS) of the slowest statements the handler issued; `--profile e2e|handler` prints a cProfile
of that path. Statement counts and time inside the driver per message come from SQLAlchemy cursor events.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from seed_scale import DEFAULT_SCHEMA, PG_URL, asyncpg_dsn, marker_now, read_marker  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.cards.model import Card  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.dispatcher import dispatch  # noqa: E402
from bot.inbound import Inbound  # noqa: E402
from bot.replies import CardReply  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from core.stages import OPEN_STAGES  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.repo import names as names_repo  # noqa: E402
from storage.repo import users as users_repo  # noqa: E402
from tests.fakes.harness import ChatHarness  # noqa: E402

# --------------------------------------------------------------------------- shared helpers (also used by bench_funnel)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of `values` (ms), p in 0..100."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = max(0, min(len(data) - 1, round(p / 100 * len(data) + 0.5) - 1))
    return data[k]


def summary(values: Sequence[float]) -> str:
    return (
        f"p50 {pct(values, 50):7.2f}  p95 {pct(values, 95):7.2f}  p99 {pct(values, 99):7.2f}  "
        f"max {max(values):7.2f} ms  (n={len(values)})"
    )


@dataclass
class StatementLog:
    """Counts the statements SQLAlchemy sends and the time spent in the driver, per message."""

    on: bool = False
    count: int = 0
    seconds: float = 0.0
    slow: list[tuple[float, str, Any]] = field(default_factory=list)  # (seconds, statement, parameters)
    _started: dict[int, float] = field(default_factory=dict)

    def attach(self, db: Database) -> None:
        engine = db.engine.sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            self._started[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            t = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
            if self.on:
                self.count += 1
                self.seconds += t
                self.slow.append((t, statement, parameters))

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0

    def slowest(self, n: int) -> list[tuple[float, str, Any]]:
        """The n slowest distinct statements seen (by text), slowest first."""
        best: dict[str, tuple[float, str, Any]] = {}
        for t, stmt, params in self.slow:
            if stmt not in best or best[stmt][0] < t:
                best[stmt] = (t, stmt, params)
        return sorted(best.values(), key=lambda x: -x[0])[:n]


@dataclass
class GcPauses:
    """Wall time of Python's cyclic garbage collections (gen 2 ones walk every cached name index)."""

    pauses: list[tuple[int, float]] = field(default_factory=list)  # (generation, ms)
    _t: float = 0.0

    def __post_init__(self) -> None:
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.pauses.append((info["generation"], ms(time.perf_counter() - self._t)))

    def report(self) -> str:
        g2 = [t for g, t in self.pauses if g == 2]
        return f"{len(self.pauses)} collections, {len(g2)} of gen 2" + (
            f" (median {statistics.median(g2):.0f} ms, max {max(g2):.0f} ms)" if g2 else ""
        )


async def explain(conn: asyncpg.Connection, statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as SQLAlchemy sent it to asyncpg ($n placeholders)."""
    args = list(parameters) if isinstance(parameters, (list, tuple)) else []
    rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *args)
    return "\n".join(r[0] for r in rows)


async def open_services(url: str, schema: str, now: datetime) -> Services:
    """The app's services on the benchmark schema, with a clock frozen at the seed's reference time."""
    services = build_services(Settings(database_url=url, _env_file=None), clock=FakeClock(now))  # type: ignore[call-arg]
    await services.db.close()
    services.db = Database(url, schema=schema)
    await services.db.ensure_schema()
    return services


async def load_marker(url: str, schema: str) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        marker = await read_marker(conn, schema)
    finally:
        await conn.close()
    if marker is None:
        raise SystemExit(f"schema {schema} is not seeded: run bench/seed_scale.py --schema {schema} first")
    return marker


# --------------------------------------------------------------------------- raw SQL


OPEN = [s.value for s in OPEN_STAGES]
RAW_SQL = {
    "customer": "SELECT c.*, u.name AS owner_name FROM customers c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = $1",
    "contacts": "SELECT * FROM contacts WHERE customer_id = $1 ORDER BY id",
    "open_opps": "SELECT * FROM opportunities WHERE customer_id = $1 AND stage = ANY($2::varchar[]) ORDER BY amount DESC",
    "recent": "SELECT f.*, u.name AS author FROM follow_ups f JOIN users u ON u.id = f.author_id "
    "WHERE f.customer_id = $1 ORDER BY f.happened_at DESC LIMIT 5",
    "quotes": "SELECT * FROM quotes WHERE customer_id = $1 AND status <> 'superseded' ORDER BY created_at DESC LIMIT 5",
    "tasks": "SELECT * FROM tasks WHERE customer_id = $1 AND status = 'open' ORDER BY due_at LIMIT 10",
    "won": "SELECT coalesce(closed_at, stage_entered_at), amount, currency FROM opportunities "
    "WHERE customer_id = $1 AND stage = 'won'",
    "fx": "SELECT currency, rate_to_base FROM fx_rates",
    "touches": "SELECT happened_at, content FROM follow_ups WHERE customer_id = $1 AND happened_at >= $2 "
    "ORDER BY happened_at DESC LIMIT 300",
}


async def raw_facts(conn: asyncpg.Connection, customer_id: int, since: datetime) -> dict[str, Any]:
    return {
        "customer": await conn.fetchrow(RAW_SQL["customer"], customer_id),
        "contacts": await conn.fetch(RAW_SQL["contacts"], customer_id),
        "open_opps": await conn.fetch(RAW_SQL["open_opps"], customer_id, OPEN),
        "recent": await conn.fetch(RAW_SQL["recent"], customer_id),
        "quotes": await conn.fetch(RAW_SQL["quotes"], customer_id),
        "tasks": await conn.fetch(RAW_SQL["tasks"], customer_id),
        "won": await conn.fetch(RAW_SQL["won"], customer_id),
        "fx": await conn.fetch(RAW_SQL["fx"]),
        "touches": await conn.fetch(RAW_SQL["touches"], customer_id, since),
    }


def facts_statement() -> str:
    """The handler's one statement for the account's facts (storage/repo/account.py) as asyncpg takes it ($1 = the
    customer, $2 = since): sent raw, it is the floor of that statement alone."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    from storage.repo.account import _STATEMENTS

    compiled = _STATEMENTS["postgresql"].compile(dialect=dialect())
    assert compiled.positiontup == ["cid", "since"]
    return compiled.string


# --------------------------------------------------------------------------- the benchmark


@dataclass(frozen=True)
class Target:
    customer_id: int
    name: str
    owner_wecom: str


async def pick_targets(conn: asyncpg.Connection, n: int, seed: int) -> list[Target]:
    await conn.execute("SELECT setseed($1)", (seed % 1000) / 1000)
    rows = await conn.fetch(
        "SELECT c.id, c.name, i.external_id FROM customers c "
        "JOIN user_identities i ON i.user_id = c.owner_id AND i.channel = 'wecom' "
        "ORDER BY random() LIMIT $1",
        n,
    )
    return [Target(r[0], r[1], r[2]) for r in rows]


async def handler_only(services: Services, who: str, text: str) -> str:
    """dispatch() in one session and the console rendering: the handler path without inbound log and outbox."""
    async with services.db.session() as session:
        user = await users_repo.by_identity(session, "console", who)
        assert user is not None
        inbound = Inbound(channel="console", sender=who, platform_msg_id=uuid.uuid4().hex, text=text)
        ctx = Context(
            user=user,
            inbound=inbound,
            inbound_id=None,
            session=session,
            clock=services.clock,
            settings=services.settings,
            services=services,
        )
        replies = await dispatch(ctx)
    reply = replies[0]
    if isinstance(reply, CardReply):
        card = Card.from_json(reply.card.to_json())
        return f"【{card.title}】\n{services.renderer.text(card)}"
    return getattr(reply, "text", "")


CPU: dict[str, list[float]] = {}  # path → this process's CPU ms per message (Python + driver; not the server's)


async def timed(work: Awaitable[Any], path: str = "") -> tuple[float, Any]:
    """Milliseconds to await `work` (a coroutine only starts running when awaited), and its result; with `path`,
    the process CPU time it took is kept in CPU[path] (on a loaded machine wall time is mostly waiting)."""
    t, c = time.perf_counter(), time.process_time()
    out = await work
    if path:
        CPU.setdefault(path, []).append(ms(time.process_time() - c))
    return ms(time.perf_counter() - t), out


async def index_build_times(services: Services, wecoms: Sequence[str]) -> tuple[list[float], list[int], float, int]:
    """The per-message candidate index (storage/repo/names.index_for) of `查 艾克美` for some reps and the director."""
    reps: list[float] = []
    sizes: list[int] = []
    async with services.db.session() as session:
        for who in wecoms:
            user = await users_repo.by_identity(session, "console", who)
            assert user is not None
            t = time.perf_counter()
            owner_ids = await users_repo.visible_owner_ids(session, user)
            index = await names_repo.index_for(session, owner_ids, "查 艾克美", ["艾克美"])
            reps.append(ms(time.perf_counter() - t))
            sizes.append(len(index))
        t = time.perf_counter()
        everyone = await names_repo.index_for(session, None, "查 艾克美", ["艾克美"])
        director = ms(time.perf_counter() - t)
    return reps, sizes, director, len(everyone)


@dataclass
class Bench:
    """What every scale benchmark needs: the seeded 'now', the app on the bench schema, a raw connection."""

    now: datetime
    services: Services
    log: StatementLog
    harness: ChatHarness
    raw: asyncpg.Connection


async def open_bench(args: argparse.Namespace) -> Bench:
    marker = await load_marker(args.url, args.schema)
    now = marker_now(marker)
    print(f"schema {args.schema}: {marker['sizes']}  (now = {now.isoformat()})")
    services = await open_services(args.url, args.schema, now)
    log = StatementLog()
    log.attach(services.db)
    harness = ChatHarness(services)
    raw = await asyncpg.connect(asyncpg_dsn(args.url), server_settings={"search_path": args.schema})
    return Bench(now, services, log, harness, raw)


async def run(args: argparse.Namespace) -> None:
    b = await open_bench(args)
    now, services, log, harness, raw = b.now, b.services, b.log, b.harness, b.raw
    since = now - timedelta(days=365)
    targets = await pick_targets(raw, args.n + args.warmup, args.seed)
    warm, targets = targets[: args.warmup], targets[args.warmup :]
    reps = sorted({t.owner_wecom for t in targets} | {t.owner_wecom for t in warm})

    # 1. First message per rep: builds (and caches) that rep's name index.
    first: list[float] = []
    for who in reps:
        t, _ = await timed(harness.say(who, "帮助"))
        first.append(t)
    again: list[float] = []
    for who in reps[:50]:
        t, _ = await timed(harness.say(who, "帮助"))
        again.append(t)
    build, sizes, director_build, director_size = await index_build_times(services, reps[:30])

    # 2. Warm-up: connection pools, statement caches, templates.
    for t_ in warm:
        await harness.say(t_.owner_wecom, f"查 {t_.name}")
        await handler_only(services, t_.owner_wecom, f"查 {t_.name}")
        await raw_facts(raw, t_.customer_id, since)

    # 3. Steady state, order shuffled per customer so no path always pays the cold page.
    rng = random.Random(args.seed)
    e2e: list[float] = []
    handler: list[float] = []
    rawsql: list[float] = []
    raw_one: list[float] = []
    one_statement = facts_statement()
    stmts_e2e: list[int] = []
    driver_e2e: list[float] = []
    stmts_handler: list[int] = []
    failures: list[str] = []
    profiler = cProfile.Profile() if args.profile else None
    gcs = GcPauses()
    for tg in targets:
        text = f"查 {tg.name}"
        order = ["e2e", "handler", "raw", "raw_one"]
        rng.shuffle(order)
        for what in order:
            if what == "e2e":
                log.reset()
                log.on = True
                if profiler and args.profile == "e2e":
                    profiler.enable()
                t, out = await timed(harness.say(tg.owner_wecom, text), "e2e")
                if profiler and args.profile == "e2e":
                    profiler.disable()
                log.on = False
                e2e.append(t)
                stmts_e2e.append(log.count)
                driver_e2e.append(ms(log.seconds))
                if not out or not out[0].startswith(f"【{tg.name}】"):
                    failures.append(f"{text} → {out[:1]}")
            elif what == "handler":
                log.reset()
                log.on = True
                if profiler and args.profile == "handler":
                    profiler.enable()
                t, out = await timed(handler_only(services, tg.owner_wecom, text), "handler")
                if profiler and args.profile == "handler":
                    profiler.disable()
                log.on = False
                handler.append(t)
                stmts_handler.append(log.count)
            elif what == "raw":
                t, _ = await timed(raw_facts(raw, tg.customer_id, since), "raw")
                rawsql.append(t)
            else:
                t, _ = await timed(raw.fetchrow(one_statement, tg.customer_id, since))
                raw_one.append(t)

    print()
    print(f"name index, first message per rep (帮助, builds the index):  {summary(first)}")
    print(f"same message again (index cached):                          {summary(again)}")
    print(
        f"candidate index for 查 艾克美 (index_for), {len(build)} reps of ~{int(statistics.mean(sizes))} names: "
        f"median {statistics.median(build):.1f} ms, max {max(build):.1f} ms"
    )
    print(f"candidate index for the director ({director_size:,} names): {director_build:.0f} ms")
    print()
    print(f"查 <customer>, {len(targets)} customers, {len(reps)} reps, after {len(warm)} warm-up lookups:")
    print(f"  end to end (ChatHarness.say)   {summary(e2e)}")
    print(f"  handler (dispatch + render)    {summary(handler)}")
    print(f"  raw SQL (asyncpg, 9 queries)   {summary(rawsql)}")
    print(f"  the handler's facts statement  {summary(raw_one)}  (raw through asyncpg)")
    print(
        f"  ratio end to end / raw: p50 {pct(e2e, 50) / pct(rawsql, 50):.1f}x  p95 {pct(e2e, 95) / pct(rawsql, 95):.1f}x"
    )
    print(
        f"  ratio handler / raw:    p50 {pct(handler, 50) / pct(rawsql, 50):.1f}x  "
        f"p95 {pct(handler, 95) / pct(rawsql, 95):.1f}x"
    )
    print(
        f"  statements per message: end to end {statistics.median(stmts_e2e):.0f}, handler "
        f"{statistics.median(stmts_handler):.0f}, raw {len(RAW_SQL)}; time in driver (end to end) "
        f"p50 {pct(driver_e2e, 50):.2f} ms, p95 {pct(driver_e2e, 95):.2f} ms"
    )
    goal = "MET" if pct(e2e, 95) <= 25 else "MISSED"
    ratio = all(pct(handler, p) / pct(rawsql, p) <= 2 for p in (50, 95))
    print(
        f"  goal p95 ≤ 25 ms end to end: {goal};  ratio goal ≤ 2x (handler/raw at p50 and p95): "
        f"{'MET' if ratio else 'MISSED'}"
    )
    print(
        "  CPU of this process per message (p50 / p95): "
        + ", ".join(f"{k} {pct(CPU[k], 50):.2f} / {pct(CPU[k], 95):.2f} ms" for k in ("e2e", "handler", "raw"))
    )
    print(f"  Python GC during the steady state: {gcs.report()}")
    slowest = sorted(zip(e2e, handler, rawsql, targets, strict=True), key=lambda x: -x[0])[:5]
    print("  slowest lookups (end to end / handler / raw ms, follow-ups in the last year, contacts):")
    for te, th, tr, tg in slowest:
        notes = await raw.fetchval(
            "SELECT count(*) FROM follow_ups WHERE customer_id = $1 AND happened_at >= $2", tg.customer_id, since
        )
        people = await raw.fetchval("SELECT count(*) FROM contacts WHERE customer_id = $1", tg.customer_id)
        print(
            f"    {te:7.1f} / {th:6.1f} / {tr:5.1f}  customer {tg.customer_id}: {notes} follow-ups, {people} contacts"
        )
    if failures:
        print(f"  !! {len(failures)} lookups did not answer with the account card, e.g. {failures[:3]}")

    if args.explain:
        print("\nslowest statements the handler sent, with EXPLAIN ANALYZE:")
        for t, stmt, params in log.slowest(args.explain_top):
            print(f"\n--- {ms(t):.2f} ms: {' '.join(stmt.split())[:300]}  params={params}")
            print(await explain(raw, stmt, params))
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats(args.profile_sort).print_stats(args.profile_lines)
        print(f"\ncProfile of the {args.profile} path ({args.profile_sort}):")
        print(buf.getvalue())
    await raw.close()
    await services.db.close()


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=PG_URL)
    p.add_argument("--schema", default=DEFAULT_SCHEMA)
    p.add_argument("-n", type=int, default=300, help="customers to look up (default %(default)s)")
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest handler statements")
    p.add_argument("--explain-top", type=int, default=5)
    p.add_argument("--profile", choices=("e2e", "handler"), help="cProfile one path")
    p.add_argument("--profile-sort", default="cumulative", choices=("cumulative", "tottime"))
    p.add_argument("--profile-lines", type=int, default=35)
    args = p.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
