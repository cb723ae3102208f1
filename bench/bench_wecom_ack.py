"""How fast does kabot acknowledge WeCom callbacks, beside a bare endpoint that only verifies and decrypts?

    .venv/bin/python bench/bench_wecom_ack.py [--database-url URL] [--mode closed|ladder|both]
        [--senders 32] [--seconds 10]            # closed loop
        [--rates 100,200,...] [--step-seconds 4]  # ladder
        [--workers N]                             # default: plain `kabot serve`, no flag

Processes: `kabot serve` (subprocess, as a user runs it: no flags unless --workers is given), the bare endpoint
(subprocess), the fake WeCom API that receives kabot's replies (subprocess), and this process as the load
generator (its own event loop and connection pool). Messages are encrypted "待办" texts from 200 users.

- closed (the goal): 32 senders, each sending its next callback as soon as the last one was acknowledged, for
  the same time against the bare endpoint and then against kabot. Goal: kabot's rate >= 60% of bare's with
  p99 <= 50 ms.
- ladder: open-loop steps of rising offered rate; a step passes when everything offered was acknowledged with
  200 and p99 <= 50 ms; a target's rate is its last passing step.

At the end every message kabot acknowledged must have been answered once: the fake's sends and the outbox's sent
rows are counted. PostgreSQL runs in a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.wecom.crypto import CallbackRejected  # noqa: E402
from bot.channels.wecom.inbound import parse_event  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from tests.fakes.wecom_server import FakeWeCom  # noqa: E402

USERS = 200
P99_GOAL_MS = 50.0
RATIO_GOAL = 0.6
DEFAULT_RATES = "25,50,100,200,300,400,600,800,1000,1300,1600,2000"
MESSAGE = "待办"  # a real query with a one-message answer, so "answered once" is one send per callback


# ---- the two servers that run in subprocesses of this script ---------------------------------------


def serve_bare(port: int) -> None:
    """Verify and decrypt, nothing else: the ceiling kabot is compared with."""
    crypto = FakeWeCom(clock=SystemClock()).crypto

    async def callback(request: web.Request) -> web.Response:
        q = request.query
        try:
            parse_event(crypto.decrypt(await request.read(), q["msg_signature"], q["timestamp"], q["nonce"]))
        except CallbackRejected as err:
            return web.Response(status=err.status)
        return web.Response()

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_post("/wecom/callback", callback)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_fake(port: int) -> None:
    """The WeCom API kabot replies to, with a count of what it received."""
    fake = FakeWeCom(clock=SystemClock())
    app = fake.make_app()

    async def stats(_request: web.Request) -> web.Response:
        fake.calls.clear()  # keep memory flat over a long run
        return web.json_response({"sent": len(fake.sent)})

    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---- orchestration ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess for the run; its output goes to `log` when given (kabot's own log lines stay out of the table)."""
    out = log.open("wb") if log else None
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if out else None)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if out:
            out.close()


async def wait_ready(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"{url} did not come up (kabot's output: {tempfile.gettempdir()}/bench_wecom_ack.serve.log)"
                )
            await asyncio.sleep(0.1)


@contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """SQLite in a temporary directory, or a new PostgreSQL database dropped at the end."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    from sqlalchemy.engine import make_url

    admin = make_url(url)
    name = f"kabot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(url: URL, sql: str) -> None:
    """CREATE/DROP DATABASE cannot run inside a transaction, so this bypasses SQLAlchemy."""
    import asyncpg

    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(url: str) -> None:
    from datetime import UTC, datetime

    from storage.db import Database
    from storage.models import User, UserIdentity

    db = Database(url)
    await db.upgrade()
    now = datetime.now(UTC)
    async with db.session() as s:
        people = [User(name=f"压测{i:03d}", role="rep", created_at=now, updated_at=now) for i in range(USERS)]
        s.add_all(people)
        await s.flush()
        s.add_all(
            UserIdentity(user_id=u.id or 0, channel="wecom", external_id=f"bench{i:03d}") for i, u in enumerate(people)
        )
    await db.close()


async def count_sent_outbox(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import col, select

    from storage.db import Database
    from storage.models import OutboxMessage

    db = Database(url)
    async with db.session() as s:
        n = (await s.exec(select(func.count()).where(col(OutboxMessage.status) == "sent"))).one()
    await db.close()
    return int(n)


# ---- load ------------------------------------------------------------------------------------------


@dataclass
class Step:
    rate: int
    offered: int
    acked: int
    seconds: float
    latencies_ms: list[float]

    @property
    def achieved(self) -> float:
        return self.acked / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def passed(self) -> bool:
        return self.acked == self.offered and self.pct(0.99) <= P99_GOAL_MS


async def run_step(
    http: aiohttp.ClientSession, url: str, fake: FakeWeCom, msg_ids: Iterator[int], rate: int, seconds: float
) -> Step:
    """Send `rate` callbacks a second for `seconds`, each at its scheduled time, whatever the answers do."""
    n = int(rate * seconds)
    callbacks = [fake.callback_text(f"bench{i % USERS:03d}", MESSAGE, next(msg_ids)) for i in range(n)]
    latencies: list[float] = []
    acked = 0

    async def one(params: dict[str, str], body: bytes) -> None:
        nonlocal acked
        t0 = time.perf_counter()
        try:
            async with http.post(url, params=params, data=body) as resp:
                await resp.read()
                if resp.status == 200:
                    acked += 1
                    latencies.append((time.perf_counter() - t0) * 1000)
        except aiohttp.ClientError:
            pass

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for i, (params, body) in enumerate(callbacks):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(params, body)))
    await asyncio.gather(*tasks)
    return Step(rate, n, acked, time.perf_counter() - start, latencies)


async def ladder(name: str, url: str, rates: list[int], seconds: float, msg_ids: Iterator[int]) -> list[Step]:
    """Warm up (every user writes once, as in a working day), then the rising steps until one fails."""
    fake = FakeWeCom(clock=SystemClock())
    steps: list[Step] = []
    connector = aiohttp.TCPConnector(limit=USERS)  # at most one open request per user
    async with aiohttp.ClientSession(connector=connector) as http:
        warmup = await run_step(http, url, fake, msg_ids, 100, USERS / 100)
        steps.append(warmup)
        await asyncio.sleep(3.0)
        for rate in rates:
            step = await run_step(http, url, fake, msg_ids, rate, seconds)
            steps.append(step)
            print(
                f"  {name:5} offered {rate:5}/s  acked {step.achieved:7.0f}/s  "
                f"p50 {step.pct(0.5):6.1f} ms  p99 {step.pct(0.99):6.1f} ms  {'ok' if step.passed else 'FAIL'}",
                flush=True,
            )
            if not step.passed:
                break
            await asyncio.sleep(1.0)  # let background work catch up between steps
    return steps


def best(steps: list[Step]) -> Step | None:
    passing = [s for s in steps[1:] if s.passed]  # steps[0] is the warm-up
    return passing[-1] if passing else None


async def wait_answered(fake_url: str, expected: int, timeout_s: float = 900.0) -> int:
    deadline = time.monotonic() + timeout_s
    sent = -1
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            async with http.get(fake_url + "/stats") as resp:
                sent = int((await resp.json())["sent"])
            if sent >= expected:
                return sent
            await asyncio.sleep(0.5)
    return sent


# ---- closed loop ----------------------------------------------------------------------------------


@dataclass
class Closed:
    """One closed-loop run: `senders` callers, each sending its next callback when the last was answered."""

    name: str
    senders: int
    seconds: float
    acked: int
    failed: int
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.acked / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc); 0 where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """The processes `pid` started (kabot serve's workers)."""
    out = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


async def closed_loop(
    name: str, url: str, pid: int, senders: int, seconds: float, msg_ids: Iterator[int], warmup_s: float = 2.0
) -> Closed:
    """Every sender is one WeCom member; a warm-up of `warmup_s` is not counted. The CPU time the server (and
    its workers) spent per callback is read around the whole run, a figure the machine's other load leaves alone."""
    fake = FakeWeCom(clock=SystemClock())
    latencies: list[float] = []
    counts = {"acked": 0, "failed": 0, "all": 0}
    pids = [pid, *children_of(pid)]
    cpu_before = [cpu_seconds(p) for p in pids]
    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        measure_from, stop_at = start + warmup_s, start + warmup_s + seconds

        async def sender(n: int) -> None:
            user = f"bench{n % USERS:03d}"
            while (t0 := time.perf_counter()) < stop_at:
                params, body = fake.callback_text(user, MESSAGE, next(msg_ids))
                ok = False
                try:
                    async with http.post(url, params=params, data=body) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    pass
                counts["all"] += int(ok)
                if t0 >= measure_from:
                    counts["acked" if ok else "failed"] += 1
                    if ok:
                        latencies.append((time.perf_counter() - t0) * 1000)

        await asyncio.gather(*(sender(n) for n in range(senders)))
    cpu_ms = [(cpu_seconds(p) - b) * 1000 / max(1, counts["all"]) for p, b in zip(pids, cpu_before, strict=True)]
    run = Closed(name, senders, seconds, counts["acked"], counts["failed"], latencies)
    print(
        f"  {name:5} {senders} senders  {run.rate:7.0f}/s  p50 {run.pct(0.5):6.1f} ms  p99 {run.pct(0.99):6.1f} ms"
        f"  CPU per callback: {cpu_ms[0]:.2f} ms serving"
        + "".join(f", {c:.2f} ms worker" for c in cpu_ms[1:])
        + (f"  {run.failed} not acknowledged" if run.failed else ""),
        flush=True,
    )
    return run


async def count_acked_total(url: str) -> int:
    """Callbacks kabot stored (warm-up included): what must be answered."""
    from sqlalchemy import func
    from sqlmodel import select

    from storage.db import Database
    from storage.models import InboundMessage

    db = Database(url)
    async with db.session() as s:
        n = (await s.exec(select(func.count()).select_from(InboundMessage))).one()
    await db.close()
    return int(n)


# ---- main ------------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, db_url: str) -> int:
    await seed(db_url)
    fake = FakeWeCom(clock=SystemClock())
    bare_port, fake_port, kabot_port = free_port(), free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KABOT_")},
        "KABOT_DATABASE_URL": db_url,
        "KABOT_WECOM_CORP_ID": fake.corp_id,
        "KABOT_WECOM_AGENT_ID": str(fake.agent_id),
        "KABOT_WECOM_SECRET": fake.secret,
        "KABOT_WECOM_TOKEN": fake.callback_token,
        "KABOT_WECOM_AES_KEY": fake.encoding_aes_key,
        "KABOT_WECOM_API_BASE": fake_url,
    }
    serve = [sys.executable, "-m", "bot.cli", "serve", "--port", str(kabot_port)]
    if args.workers is not None:
        serve += ["--workers", str(args.workers)]
    me = [sys.executable, str(Path(__file__).resolve())]
    msg_ids = itertools.count(1)
    bare_url, kabot_url = (
        f"http://127.0.0.1:{bare_port}/wecom/callback",
        f"http://127.0.0.1:{kabot_port}/wecom/callback",
    )
    ok = True
    with (
        process([*me, "--serve-bare", str(bare_port)]) as bare_proc,
        process([*me, "--serve-fake", str(fake_port)]),
        process(serve, env=env, log=Path(tempfile.gettempdir()) / "bench_wecom_ack.serve.log") as kabot_proc,
    ):
        await wait_ready(f"http://127.0.0.1:{bare_port}/")
        await wait_ready(fake_url + "/stats")
        await wait_ready(f"http://127.0.0.1:{kabot_port}/healthz")
        print(f"database: {db_url.split('@')[-1]}   {USERS} users   kabot: {' '.join(serve[2:])}")
        if args.mode in ("closed", "both"):
            print(f"closed loop, {args.senders} senders, {args.seconds:g} s each (after a 2 s warm-up):")
            bare_c = await closed_loop("bare", bare_url, bare_proc.pid, args.senders, args.seconds, msg_ids)
            kabot_c = await closed_loop("kabot", kabot_url, kabot_proc.pid, args.senders, args.seconds, msg_ids)
            ok &= report_closed(bare_c, kabot_c)
        if args.mode in ("ladder", "both"):
            rates = [int(r) for r in args.rates.split(",")]
            print(f"open-loop ladder, {args.step_seconds:g} s per step:")
            bare = await ladder("bare", bare_url, rates, args.step_seconds, msg_ids)
            kabot = await ladder("kabot", kabot_url, rates, args.step_seconds, msg_ids)
            ok &= report_ladder(bare, kabot)
        acked = await count_acked_total(db_url)
        load_ended = time.perf_counter()
        sent = await wait_answered(fake_url, acked)
        catch_up = time.perf_counter() - load_ended
        outbox_sent = await count_sent_outbox(db_url)
    answered = sent == acked == outbox_sent
    print(f"answered: {acked} stored, {sent} sent by the fake, {outbox_sent} outbox rows sent (each once: {answered})")
    print(f"the last answer went out {catch_up:.0f} s after the load ended (the worker catching up)")
    ok &= answered
    print("RESULT:", "goals met" if ok else "goals NOT met")
    return 0 if ok else 1


def report_closed(bare: Closed, kabot: Closed) -> bool:
    ratio = kabot.rate / bare.rate if bare.rate else 0.0
    met = ratio >= RATIO_GOAL and kabot.pct(0.99) <= P99_GOAL_MS and kabot.failed == 0
    print(
        f"closed loop: kabot {kabot.rate:.0f}/s (p99 {kabot.pct(0.99):.1f} ms) = {ratio:.0%} of bare {bare.rate:.0f}/s "
        f"(p99 {bare.pct(0.99):.1f} ms); goal ≥ {RATIO_GOAL:.0%} with p99 ≤ {P99_GOAL_MS:g} ms: {'met' if met else 'NOT met'}"
    )
    return met


def report_ladder(bare: list[Step], kabot: list[Step]) -> bool:
    b, k = best(bare), best(kabot)
    print(f"{'target':8}{'rate/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, step in (("bare", b), ("kabot", k)):
        if step is None:
            print(f"{name:8}{'—':>9}{'—':>9}{'—':>9}")
        else:
            print(f"{name:8}{step.achieved:9.0f}{step.pct(0.5):9.1f}{step.pct(0.99):9.1f}")
    ratio = (k.achieved / b.achieved) if b and k else 0.0
    top = bare[-1].rate if bare and bare[-1].passed else None
    print(
        f"ladder kabot/bare: {ratio:.0%} (goal ≥ {RATIO_GOAL:.0%})"
        + (f"  — bare passed every step; its true ceiling is above {top}/s" if top else "")
    )
    return k is not None and ratio >= RATIO_GOAL


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    p.add_argument("--mode", choices=("closed", "ladder", "both"), default="closed")
    p.add_argument("--senders", type=int, default=32, help="closed loop: concurrent senders")
    p.add_argument("--seconds", type=float, default=10.0, help="closed loop: measured seconds per target")
    p.add_argument("--step-seconds", type=float, default=4.0, help="ladder: length of each rate step")
    p.add_argument("--rates", default=DEFAULT_RATES, help="ladder: offered rates per second, rising")
    p.add_argument(
        "--workers", type=int, default=None, help="pass `--workers N` to kabot serve (default: plain `kabot serve`)"
    )
    p.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    p.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    if args.serve_fake:
        serve_fake(args.serve_fake)
        return 0
    with fresh_database(args.database_url) as url:
        return asyncio.run(bench(args, url))


if __name__ == "__main__":
    sys.exit(main())
