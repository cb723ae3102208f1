"""Latency of `漏斗` (the funnel / daily report) on PostgreSQL at scale: director p95 ≤ 500 ms for 200 reps.

Run (after `bench/seed_scale.py`):
    .venv/bin/python bench/bench_funnel.py [--schema bench_scale] [--runs 7] [--explain]

Asks `漏斗` end to end (`ChatHarness.say`: inbound log → parse → handler → card → outbox → console rendering) as the
director (every opportunity) and as one manager (a team of 10 reps), one warm-up then `--runs` timed runs each, and
reports median, p95 and max. Beside it, the same funnel split into its parts, timed directly: the SQL of
`storage.repo.funnel.funnel_input` (with the time of each statement from SQLAlchemy cursor events), the pure
`core.funnel.build_funnel_report`, and the text rendering. `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the
slowest funnel statements.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_account_view import explain, ms, open_bench  # noqa: E402
from seed_scale import DEFAULT_SCHEMA, PG_URL  # noqa: E402

from core.funnel import build_funnel_report, render_bar_chart, render_funnel_text  # noqa: E402
from storage.repo import funnel, users  # noqa: E402

GOAL_MS = 500.0


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(label: str, values: Sequence[float]) -> str:
    return (
        f"  {label:<34} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms"
        f"   max {max(values):7.1f} ms   (n={len(values)})"
    )


async def run(args: argparse.Namespace) -> None:
    b = await open_bench(args)
    now, services, log, harness, raw = b.now, b.services, b.log, b.harness, b.raw
    viewers = [("director", "director (全公司)"), (args.manager, f"manager {args.manager} (one team)")]
    director_p95 = 0.0
    for who, label in viewers:
        async with services.db.session() as session:
            user = await users.by_identity(session, "console", who)
            assert user is not None, f"no user {who}"
            owner_ids = await users.visible_owner_ids(session, user)
        scope = "everyone" if owner_ids is None else f"{len(owner_ids)} people"
        count = await raw.fetchval(
            "SELECT count(*) FROM opportunities" + ("" if owner_ids is None else " WHERE owner_id = ANY($1::int[])"),
            *([] if owner_ids is None else [owner_ids]),
        )
        print(f"\n漏斗 as {label}: {scope}, {count:,} opportunities")

        first = time.perf_counter()
        out = await harness.say(who, "漏斗")
        first_ms = ms(time.perf_counter() - first)
        if not out or "销售漏斗" not in out[0]:
            print(f"  !! unexpected answer: {out[:1]}")
        e2e: list[float] = []
        for _ in range(args.runs):
            t = time.perf_counter()
            await harness.say(who, "漏斗")
            e2e.append(ms(time.perf_counter() - t))

        sql: list[float] = []
        build: list[float] = []
        render: list[float] = []
        per_stmt: dict[str, list[float]] = {}
        statements = 0
        for _ in range(args.runs):
            async with services.db.session() as session:
                log.reset()
                log.slow.clear()
                log.on = True
                t0 = time.perf_counter()
                inp = await funnel.funnel_input(
                    session,
                    owner_ids=owner_ids,
                    now=now,
                    tz=user.timezone,
                    base_currency=services.settings.base_currency,
                )
                t1 = time.perf_counter()
                log.on = False
                statements = log.count
                names = {u.id: u.name for u in await users.all_users(session)}
            t2 = time.perf_counter()
            report = build_funnel_report(inp)
            t3 = time.perf_counter()
            render_funnel_text(report, names)
            render_bar_chart(report)
            t4 = time.perf_counter()
            sql.append(ms(t1 - t0))
            build.append(ms(t3 - t2))
            render.append(ms(t4 - t3))
            for t, stmt, _ in log.slow:
                per_stmt.setdefault(stmt, []).append(ms(t))
        print(f"  first run (cold statement caches)  {first_ms:7.1f} ms")
        print(line("end to end (ChatHarness.say)", e2e))
        print(line(f"funnel_input SQL ({statements} statements)", sql))
        print(line("build_funnel_report", build))
        print(line("render text + bar chart", render))
        print(f"  events fetched (stage_changes rows): {len(inp.events):,}")
        print("  funnel statements, median ms:")
        for stmt, ts in sorted(per_stmt.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"    {statistics.median(ts):7.1f}  {' '.join(stmt.split())[:110]}")
        if who == "director":
            director_p95 = p95(e2e)

        if args.explain:
            for t, stmt, params in sorted(log.slowest(args.explain_top), key=lambda x: -x[0]):
                print(f"\n  --- {ms(t):.1f} ms: {' '.join(stmt.split())[:300]}")
                print("  " + (await explain(raw, stmt, params)).replace("\n", "\n  "))
    verdict = "met" if director_p95 <= GOAL_MS else "MISSED"
    print(f"\ndirector 漏斗 end to end p95 {director_p95:.0f} ms (goal ≤ {GOAL_MS:.0f} ms): {verdict}")
    await raw.close()
    await services.db.close()


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=PG_URL)
    p.add_argument("--schema", default=DEFAULT_SCHEMA)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--manager", default="mgr01", help="WeCom id of the manager to ask as (default %(default)s)")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest funnel statements")
    p.add_argument("--explain-top", type=int, default=3)
    args = p.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
