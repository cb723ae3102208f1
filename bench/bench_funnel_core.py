"""The pure funnel (core.funnel) at scale: the row-level path over 200k opportunities and 100k stage events,
and the report built from SQL aggregates. Timings once lived as asserts in tests/core/test_funnel.py.

    .venv/bin/python bench/bench_funnel_core.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.funnel import (  # noqa: E402
    ForecastBucket,
    FunnelInput,
    Quarter,
    StageTotal,
    aggregate_facts,
    build_funnel_report,
    render_bar_chart,
    render_funnel_text,
)
from core.stages import OPEN_STAGES  # noqa: E402
from tests.core.test_funnel import FX, NOW, SH, D, _scale_facts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    facts, events = _scale_facts(200_000, reps=200)
    window_start = events[0].at
    aggregate_ms, build_ms, sql_ms = [], [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        agg = aggregate_facts(facts, quarter=Quarter(2026, 4), tz=SH, window_start=window_start)
        t1 = time.perf_counter()
        r = build_funnel_report(
            FunnelInput(
                now=NOW,
                tz=SH,
                base_currency="CNY",
                fx=FX,
                stage_totals=agg.stage_totals,
                forecast_buckets=agg.forecast_buckets,
                events=events,
                open_before_window=agg.open_before_window,
                overdue_tasks={r: r % 7 for r in range(200)},
                pending_approvals=5,
            )
        )
        render_funnel_text(r, {i: f"销售{i}" for i in range(200)})
        render_bar_chart(r)
        t2 = time.perf_counter()
        totals = [StageTotal(s, c, 40_000, D("123456789.12")) for s in OPEN_STAGES for c in ("CNY", "USD", "EUR")]
        buckets = [
            ForecastBucket(s, c, 100, D("1000000"), p)
            for s in OPEN_STAGES
            for c in ("CNY", "USD", "EUR")
            for p in (None, *range(0, 101, 5))
        ]
        t3 = time.perf_counter()
        small = build_funnel_report(
            FunnelInput(now=NOW, tz=SH, base_currency="CNY", fx=FX, stage_totals=totals, forecast_buckets=buckets)
        )
        render_funnel_text(small, {})
        t4 = time.perf_counter()
        aggregate_ms.append((t1 - t0) * 1000)
        build_ms.append((t2 - t1) * 1000)
        sql_ms.append((t4 - t3) * 1000)
    for label, values in (
        ("aggregate_facts, 200k opportunities", aggregate_ms),
        ("build + render, 100k events, 200 reps", build_ms),
        ("report from SQL aggregates", sql_ms),
    ):
        print(f"{label:40} median {statistics.median(values):8.1f} ms   max {max(values):8.1f} ms")


if __name__ == "__main__":
    main()
