"""DingTalk's monthly quotas: the pure rules (core.quotas) and the database count every replica shares."""

from __future__ import annotations

import ast
import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.dingtalk.quota import QuotaMeter
from bot.services import Services
from core.clock import FakeClock
from core.quotas import Priority, QuotaKind, Usage, Verdict, admit, month_of, warn_now

# ---- rules -----------------------------------------------------------------------------------------------


def test_the_rules_do_no_io() -> None:
    tree = ast.parse((Path(__file__).resolve().parents[2] / "core" / "quotas.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "dataclasses", "datetime", "enum", "zoneinfo"}


def test_the_month_is_chinas() -> None:
    assert month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11"  # 23:59 in Shanghai
    assert month_of(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12"  # midnight in Shanghai
    with pytest.raises(ValueError):
        month_of(datetime(2026, 11, 30))  # noqa: DTZ001 — a naive time is a bug


def test_the_warning_is_due_only_for_the_call_that_crosses_80_percent() -> None:
    assert not warn_now(before=2_398, after=2_399, limit=3_000)
    assert warn_now(before=2_399, after=2_400, limit=3_000)
    assert not warn_now(before=2_400, after=2_401, limit=3_000)
    assert warn_now(before=2_000, after=2_900, limit=3_000)  # a batch that jumps over it
    assert not warn_now(before=1, after=10**6, limit=None)


S, D, K = Verdict.SEND, Verdict.DEFER, Verdict.SKIP


@pytest.mark.parametrize(
    ("used", "digest", "reminder", "card", "reply"),
    [
        (0, S, S, S, S),
        (4_499, S, S, S, S),
        (4_500, K, S, S, S),  # 90%: digests stop for the month
        (4_700, K, D, S, S),  # 94%: reminders wait
        (4_900, K, D, D, S),  # 98%: cards wait too
        (4_999, K, D, D, S),  # the last call is an answer
        (5_000, K, D, D, D),  # used up: even answers wait for next month
    ],
)
def test_replies_are_sent_longest_and_digests_stop_first(
    used: int, digest: Verdict, reminder: Verdict, card: Verdict, reply: Verdict
) -> None:
    usage = Usage(QuotaKind.API, used, 5_000)
    assert [admit(p, usage) for p in Priority] == [digest, reminder, card, reply]


def test_unlimited_kinds_are_always_sent() -> None:
    assert admit(Priority.DIGEST, Usage(QuotaKind.EXEMPT, 10**9, None)) is Verdict.SEND


def test_usage_reads_plainly() -> None:
    assert Usage(QuotaKind.API, 1_200, 5_000).describe() == "钉钉 API 调用 1,200 / 5,000（24%）"
    warned = Usage(QuotaKind.WEBHOOK_STREAM, 2_460, 3_000)
    assert warned.warning and not warned.exhausted and "⚠ 已超过 80%" in warned.describe()
    assert "本月额度已用完" in Usage(QuotaKind.API, 5_000, 5_000).describe()
    assert Usage(QuotaKind.EXEMPT, 7, None).describe() == "钉钉免计费调用（令牌、通讯录） 7（不限）"


# ---- counting ------------------------------------------------------------------------------------------


async def test_calls_are_counted_per_month_and_kind(services: Services, clock: FakeClock) -> None:
    meter = QuotaMeter(services.db, clock)
    for _ in range(3):
        await meter.record(QuotaKind.API)
    await meter.record(QuotaKind.WEBHOOK_STREAM)
    assert [(u.kind, u.used, u.limit) for u in await meter.usage()] == [
        (QuotaKind.WEBHOOK_STREAM, 1, 3_000),
        (QuotaKind.API, 3, 5_000),
        (QuotaKind.EXEMPT, 0, None),
    ]
    clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 08:00 on 1 December in Shanghai: a new month
    assert all(u.used == 0 for u in await meter.usage())
    await meter.record(QuotaKind.API)
    assert [u.used for u in await meter.usage()] == [0, 1, 0]


async def test_replicas_add_to_the_same_count_and_the_admin_is_warned_once(
    services: Services, clock: FakeClock
) -> None:
    warnings: list[Usage] = []

    async def warn(usage: Usage) -> None:
        warnings.append(usage)

    replicas = [QuotaMeter(services.db, clock, on_warning=warn) for _ in range(4)]
    await replicas[0].record(QuotaKind.WEBHOOK_STREAM, 2_390)
    await asyncio.gather(*(r.record(QuotaKind.WEBHOOK_STREAM) for r in replicas for _ in range(5)))
    assert [u.used for u in await replicas[1].usage()][0] == 2_410
    assert [(w.kind, w.used) for w in warnings] == [(QuotaKind.WEBHOOK_STREAM, 2_400)]


async def test_admission_reads_the_shared_count(services: Services, clock: FakeClock) -> None:
    meter, other = QuotaMeter(services.db, clock), QuotaMeter(services.db, clock)
    await other.record(QuotaKind.WEBHOOK_STREAM, 2_700)  # 90% of 3,000, counted by another replica
    assert await meter.admit(QuotaKind.WEBHOOK_STREAM, Priority.DIGEST) is Verdict.SKIP
    assert await meter.admit(QuotaKind.WEBHOOK_STREAM, Priority.REPLY) is Verdict.SEND
    assert await meter.admit(QuotaKind.API, Priority.DIGEST) is Verdict.SEND


async def test_a_failing_warning_does_not_fail_the_counted_call(services: Services, clock: FakeClock) -> None:
    async def broken(usage: Usage) -> None:
        raise RuntimeError("admin unreachable")

    meter = QuotaMeter(services.db, clock, on_warning=broken)
    usage = await meter.record(QuotaKind.API, 4_000)
    assert usage is not None and usage.warning
