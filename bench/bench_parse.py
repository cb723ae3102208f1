"""Latency of core.nlu.parse_message over the labelled message set.

Run: .venv/bin/python bench/bench_parse.py [--passes N]
Prints median and p99 per message (goal: median ≤ 1 ms, p99 ≤ 5 ms) with the 30-customer test index and
with a 2,000-customer index (the 30 plus generated fictional names), and the index build time.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "core" / "nlu")]

from messageset import MESSAGES  # noqa: E402
from nlu_customers import CUSTOMERS  # noqa: E402

from core.nlu import NameIndex, parse_message  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)

_CN_HEADS = list("宏华恒永金瑞佳美东天鑫隆盛泰兴丰源达通信利安康富嘉德昌荣益创")
_CN_TAILS = list("新远发顺辉宇晟锦博航凯鸿峰海川润捷升伟明")
_CN_TRADES = "机械 五金 电子 阀门 塑胶 纺织品 照明 家居用品 包装材料 物流 化工 服饰 工艺品 汽配 陶瓷".split()
_CN_CITIES = ["", "宁波", "义乌", "深圳市", "佛山", "苏州", "温州", "青岛"]
_EN_WORDS = (
    "Apex Blue Cedar Delta Eagle Falcon Granite Harbor Iron Jade Kestrel Lotus Maple Nova Orbit "
    "Pioneer Quartz Ridge Summit Titan Union Vertex Willow Zenith"
).split()
_EN_TRADES = "Trading Industrial Imports Supply Logistics Valves Pumps Textiles Electronics".split()
_EN_FORMS = "GmbH Ltd. Inc. LLC S.A. Pty Ltd Co., Ltd. JSC".split(" ")


def fictional_customers(count: int) -> list[tuple[int, str, tuple[str, ...]]]:
    """The 30 test customers plus generated Chinese and English names, deterministic."""
    rng = random.Random(7)
    customers = list(CUSTOMERS)
    seen = {name for _, name, _ in customers}
    cn = itertools.product(_CN_HEADS, _CN_TAILS, _CN_TRADES)
    en = itertools.product(_EN_WORDS, _EN_WORDS, _EN_TRADES)
    while len(customers) < count:
        if rng.random() < 0.6:
            head, tail, trade = next(cn)
            name = f"{rng.choice(_CN_CITIES)}{head}{tail}{trade}有限公司"
        else:
            first, second, trade = next(en)
            name = f"{first} {second} {trade} {rng.choice(_EN_FORMS)}"
        if name not in seen:
            seen.add(name)
            customers.append((len(customers) + 1, name, ()))
    return customers


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench(label: str, names: NameIndex, passes: int) -> None:
    texts = [case["text"] for case in MESSAGES]
    for text in texts * 3:  # warm up: caches, cn2an, pypinyin (loaded on the first homophone)
        parse_message(text, now=NOW, tz=TZ, names=names)
    samples = [
        timed(partial(parse_message, text, now=NOW, tz=TZ, names=names)) for _ in range(passes) for text in texts
    ]
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"{label:34} n={len(samples):6}  median {statistics.median(samples):.3f} ms  "
        f"p99 {p99:.3f} ms  max {samples[-1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=50)
    args = parser.parse_args()
    print(f"{len(MESSAGES)} messages x {args.passes} passes")
    bench("parse_message, 30 customers", NameIndex(CUSTOMERS), args.passes)
    customers = fictional_customers(2000)
    index: NameIndex | None = None

    def build() -> None:
        nonlocal index
        index = NameIndex(customers)

    print(f"NameIndex build, {len(customers)} customers: {timed(build):.1f} ms")
    assert index is not None
    bench(f"parse_message, {len(index)} customers", index, args.passes)
    find = sorted(timed(partial(index.find_in, case["text"])) for case in MESSAGES for _ in range(20))
    print(f"{'find_in alone, 2000 customers':34} median {statistics.median(find):.3f} ms")
    queries = ("艾可美", "acme", "华信电子", "Globex Corp") * 25
    lookups = sorted(timed(partial(index.decide, q)) for q in queries)
    print(f"{'decide (fuzzy), 2000 customers':34} median {statistics.median(lookups):.3f} ms  max {lookups[-1]:.2f} ms")


if __name__ == "__main__":
    main()
