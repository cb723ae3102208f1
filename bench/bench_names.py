"""Name resolution at 100,000 customers on PostgreSQL: p50/p95 per role, the first (cold) message included.

Run: .venv/bin/python bench/bench_names.py [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
     [--schema bench_names] [--customers 100000] [--messages 200] [--force] [--explain]

Seeds its own schema (users of seed_scale's org: 200 reps in 20 teams, a director; customers with seed_scale's
names, plus a few with aliases; the name keys the app keeps on flush) once, upgrades an older seed in place, then
resolves messages the way a chat message is understood (bot.understand._parse: visible owners → one read of the
name keys → parse) for a rep, a manager and the director. Every message runs in its own session. The first message
of each role is taken on a new engine (empty pool, nothing cached), so "cold" is a fresh replica's first message;
it is counted in p95 too. Besides the wall clock: statements per message, this process's CPU, and with --explain
the time inside PostgreSQL (EXPLAIN ANALYZE of each statement sent), which the machine's load hardly moves.

The messages: `查 <short name>`, `跟进 <full name> 今天电话沟通了报价，下周二再跟进`, a mention without a command,
a typo, a name in pinyin, and a name that does not exist (the fuzzy path at its widest).

Measured 2026-12-02 08:38 UTC on the shared 2-core machine under load average ~9 (floor p50 23 ms / p95 84 ms);
100,000 customers, 1,444,034 keys (bench/README.md has the before/after table):

    rep       1.00 statements | in PostgreSQL p50 1.7 ms, p95 11.1 ms | wall p50 63 ms, p95 162 ms
    manager   2.00 statements | in PostgreSQL p50 1.9 ms, p95 14.2 ms | wall p50 64 ms, p95 146 ms
    director  1.00 statements | in PostgreSQL p50 1.3 ms, p95 13.4 ms | wall p50 76 ms, p95 196 ms

(before: the director's first message built a 100,000-name index in 4-9 s, per process and per person.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed_scale import (  # type: ignore[import-not-found]  # noqa: E402
    COLUMNS,
    Book,
    Sizes,
    asyncpg_dsn,
    copy,
    copy_name_keys,
    customers_rows,
    read_marker,
    users_rows,
)
from sqlalchemy import event  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.understand import _parse  # noqa: E402
from core.nlu.names import build_aliases, trade_name  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import User  # noqa: E402

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TZ = ZoneInfo("Asia/Shanghai")


async def seed(url: str, schema: str, customers: int, *, force: bool) -> None:
    sizes = Sizes.scaled(customers / 100_000)
    dsn = asyncpg_dsn(url)
    admin = await asyncpg.connect(dsn)
    try:
        marker = await read_marker(admin, schema)
        if marker and marker.get("sizes") == asdict(sizes) and not force:
            print(f"schema {schema} already seeded ({customers:,} customers)")
            await _upgrade(url, schema)
            return
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    t = time.perf_counter()
    db = Database(url, schema=schema)
    await db.upgrade()
    await db.close()
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(20261123)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        await conn.execute("SET session_replication_role = replica")
        users, identities, org = users_rows(sizes, now, rng)
        await copy(conn, "users", COLUMNS["users"], users)
        await copy(conn, "user_identities", ("user_id", "channel", "external_id"), identities)
        book = Book(owner=[], contacts=[], opp_customer=[], opp_owner=[])
        n = await copy(conn, "customers", COLUMNS["customers"], customers_rows(sizes, org, now, rng, book))
        keys = await copy_name_keys(conn)
        await conn.execute("SET session_replication_role = origin")
        for table in ("users", "customers"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("VACUUM (ANALYZE)")
        comment = json.dumps({"kabot_bench_seed": 1, "sizes": asdict(sizes), "now": now.isoformat()})
        await conn.execute(f"COMMENT ON SCHEMA \"{schema}\" IS '{comment}'")
    finally:
        await conn.close()
    print(f"seeded {n:,} customers, {keys:,} name keys in {time.perf_counter() - t:.0f} s")


async def _upgrade(url: str, schema: str) -> None:
    """A seed made before a later migration (0010: the owner on the name keys) is brought up to date in place."""
    db = Database(url, schema=schema)
    try:
        before, head = await db.revisions()
        if before != head:
            t = time.perf_counter()
            await db.upgrade()
            await db.close()
            conn = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
            try:
                await conn.execute("VACUUM (ANALYZE) customer_name_keys")
            finally:
                await conn.close()
            print(f"schema {schema} upgraded {before} → {head} in {time.perf_counter() - t:.0f} s")
    finally:
        await db.close()


def _messages(rng: random.Random, names: list[str], count: int) -> list[str]:
    out = []
    for i in range(count):
        name = rng.choice(names)
        short = trade_name(build_aliases(name)[0]) if build_aliases(name) else name
        kind = i % 6
        if kind == 0:
            out.append(f"查 {short}")
        elif kind == 1:
            out.append(f"跟进 {name} 今天电话沟通了报价，下周二再跟进")
        elif kind == 2:
            out.append(f"今天拜访了{short}张总，谈了阀门报价，下周二再电话跟进")
        elif kind == 3:
            out.append(f"查 {short[:-1]}{'x' if short.isascii() else '兴'}")  # a typo
        elif kind == 4:
            out.append(f"查 {name.split()[0] if name.isascii() else ''.join(lazy_pinyin(short))}")  # pinyin
        else:
            out.append("查 不存在的公司名称")
    return out


@dataclass
class Run:
    times: list[float]  # ms per message, wall clock
    cpu: list[float]  # ms per message of this process's CPU (parsing, statement building, the index)
    statements: list[list[tuple[str, Any]]]  # per message: what was sent (SQL, parameters), the user's row left out


async def run_role(url: str, schema: str, user_id: int, messages: list[str]) -> Run:
    """One fresh engine (a cold replica), then every message in its own session. The user's own row, which the
    app has already read when a message is understood, is not counted among the statements."""
    db = Database(url, schema=schema)
    run = Run([], [], [])
    sent: list[tuple[str, Any]] = []
    event.listen(
        db.engine.sync_engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_: sent.append((sql, params))
    )
    try:
        for text in messages:
            sent.clear()
            t, cpu = time.perf_counter(), time.process_time()
            async with db.session() as session:
                user = await session.get(User, user_id)
                assert user is not None
                ctx: Any = SimpleNamespace(
                    session=session, user=user, user_id=user_id, now=datetime.now(UTC), tz=TZ, extras={}
                )
                await _parse(ctx, text)
            run.times.append((time.perf_counter() - t) * 1000)
            run.cpu.append((time.process_time() - cpu) * 1000)
            run.statements.append(sent[1:])
    finally:
        await db.close()
    return run


async def server_ms(url: str, schema: str, run: Run) -> list[float]:
    """Per message, what PostgreSQL spent on its statements (EXPLAIN ANALYZE planning + execution, the second of
    two runs): a figure the machine's load hardly moves, unlike the wall clock."""
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
    out = []
    try:
        for sent in run.statements:
            total = 0.0
            for sql, params in sent:
                for _ in range(2):
                    plan = json.loads(await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *params))[0]
                total += plan["Planning Time"] + plan["Execution Time"]
            out.append(total)
    finally:
        await conn.close()
    return out


async def _floor(url: str, schema: str, count: int) -> list[float]:
    """The same session round trip with nothing in it: what the machine's load adds to every figure."""
    db = Database(url, schema=schema)
    times = []
    try:
        for _ in range(count):
            t = time.perf_counter()
            async with db.session() as session:
                await session.exec(select(1))
            times.append((time.perf_counter() - t) * 1000)
    finally:
        await db.close()
    return times


def _pct(xs: list[float], p: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


async def main_async(args: argparse.Namespace) -> None:
    await seed(args.url, args.schema, args.customers, force=args.force)
    conn = await asyncpg.connect(asyncpg_dsn(args.url), server_settings={"search_path": args.schema})
    try:
        director = await conn.fetchval("SELECT id FROM users WHERE role = 'director' ORDER BY id LIMIT 1")
        manager = await conn.fetchval("SELECT id FROM users WHERE role = 'manager' ORDER BY id LIMIT 1")
        rep = await conn.fetchval(
            "SELECT owner_id FROM customers WHERE owner_id IN (SELECT id FROM users WHERE manager_id = $1) "
            "GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1",
            manager,
        )
        total = await conn.fetchval("SELECT count(*) FROM customers")
        keys = await conn.fetchval("SELECT count(*) FROM customer_name_keys")
        pick: dict[str, list[str]] = {}
        for role, where in (
            ("rep", f"owner_id = {rep}"),
            ("manager", f"owner_id IN (SELECT id FROM users WHERE manager_id = {manager} OR id = {manager})"),
            ("director", "true"),
        ):
            rows = await conn.fetch(f"SELECT name FROM customers WHERE {where} ORDER BY random() LIMIT 500")
            pick[role] = [r["name"] for r in rows]
    finally:
        await conn.close()
    print(f"{total:,} customers, {keys:,} name keys; {args.messages} messages per role")
    floor = await _floor(args.url, args.schema, args.messages)
    print(
        f"floor: a session with one SELECT 1 on this machine now: p50 {statistics.median(floor):.1f} ms, "
        f"p95 {_pct(floor, 0.95):.1f} ms"
    )
    rng = random.Random(7)
    for role, uid in (("rep", rep), ("manager", manager), ("director", director)):
        run = await run_role(args.url, args.schema, uid, _messages(rng, pick[role], args.messages))
        times, counts = run.times, [len(sent) for sent in run.statements]
        print(
            f"{role:9s} cold first {times[0]:6.1f} ms | p50 {statistics.median(times):5.1f} ms | "
            f"p95 {_pct(times, 0.95):5.1f} ms | max {max(times):6.1f} ms | "
            f"statements per message {statistics.mean(counts):.2f} (max {max(counts)})"
        )
        print(
            f"{'':9s} CPU of this process p50 {statistics.median(run.cpu):5.1f} ms | p95 {_pct(run.cpu, 0.95):5.1f} ms"
        )
        if args.explain:
            server = await server_ms(args.url, args.schema, run)
            print(
                f"{'':9s} in PostgreSQL (EXPLAIN ANALYZE, planning + execution) p50 {statistics.median(server):5.1f} ms"
                f" | p95 {_pct(server, 0.95):5.1f} ms | max {max(server):6.1f} ms"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=PG_URL)
    p.add_argument("--schema", default="bench_names")
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--messages", type=int, default=200)
    p.add_argument("--force", action="store_true", help="drop the schema and seed again")
    p.add_argument("--explain", action="store_true", help="also each message's time inside PostgreSQL")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
