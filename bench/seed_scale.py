"""Seed a PostgreSQL schema with a large, realistic key-account book for the scale benchmarks.

Run: .venv/bin/python bench/seed_scale.py [--schema bench_scale] [--scale 1.0] [--force]

Full size (scale 1): an org of 200 reps in 20 teams (a manager each), a director, a GM, finance and an admin;
100,000 customers (60% Chinese, 40% English names; 3% in the public pool), 300,000 contacts with decision roles,
200,000 opportunities in every stage and five currencies with 2–3 stage_changes rows each, 1,000,000 follow-ups
over the last two years (skewed: a few accounts have hundreds), 300,000 tasks, 30,000 quotes, approvals and
fx_rates. Rows are written with asyncpg COPY (`copy_records_to_table`) with FK triggers off for the load, the
id sequences are moved past the loaded ids, then the tables are ANALYZEd. Prints the time of every step.

Idempotent: the sizes and the reference "now" are kept in the schema's COMMENT; a second run with the same sizes
only brings the schema up to the code's migrations (new indexes, then VACUUM ANALYZE), `--force` drops the schema
and seeds it again. The indexes are the migrations' own, created before the load. The benchmarks read that "now" (see `read_marker`)
and run with a FakeClock at it, so "yesterday" and the 90-day window always see the seeded history.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.nlu.names import name_keys, normalize_name  # noqa: E402
from core.stages import DEFAULT_PROBABILITY, OPEN_STAGES, Stage  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.repo.names import audience  # noqa: E402

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_SCHEMA = "bench_scale"
CHUNK = 50_000

# --------------------------------------------------------------------------- vocabulary

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林欣晨博雪琳晶颖慧佳嘉瑞鑫"
)
CN_HEADS = "宏华恒永金瑞佳美东天鑫隆盛泰兴丰源达通信利安康富嘉德昌荣益创新远发顺辉宇晟锦博航凯鸿峰海川润捷升伟明正中广联合众诚汇豪腾飞亚星"
CN_TRADES = (
    "机械 五金 电子 阀门 塑胶 纺织品 照明 家居用品 包装材料 物流 化工 服饰 工艺品 汽配 陶瓷 泵业 管业 建材 "
    "精密 模具 玩具 钢铁 不锈钢 光电 仪器 新能源 环保 医疗器械 食品 卫浴"
).split()
CN_CITIES = ("", "", "", "宁波", "义乌", "深圳", "佛山", "苏州", "温州", "青岛", "厦门", "东莞")
CN_FORMS = ("有限公司", "有限公司", "股份有限公司", "贸易有限公司", "")
EN_WORDS = (
    "Apex Blue Cedar Delta Eagle Falcon Granite Harbor Iron Jade Kestrel Lotus Maple Nova Orbit Pioneer "
    "Quartz Ridge Summit Titan Union Vertex Willow Zenith Amber Beacon Cobalt Dune Ember Fjord Glacier "
    "Horizon Indigo Juniper Keystone Lumen Meridian Northstar Onyx Pacific Quest Radiant Sterling Tundra "
    "Umber Vista Westwind Xenon Yukon Zephyr Atlas Boreal Crest Drake Everest Frontier Gala Helix"
).split()
EN_TRADES = "Trading Industrial Imports Supply Logistics Valves Pumps Textiles Electronics Machinery Components".split()
EN_FORMS = ("GmbH", "Ltd.", "Inc.", "LLC", "S.A.", "Pty Ltd", "Co., Ltd.", "JSC", "S.p.A.", "B.V.")
COUNTRIES = (
    "德国 美国 英国 法国 意大利 西班牙 荷兰 波兰 瑞典 加拿大 澳大利亚 巴西 墨西哥 智利 阿联酋 沙特 印度 越南 泰国 "
    "印尼 菲律宾 南非 尼日利亚 埃及 土耳其 韩国 日本 俄罗斯 新加坡 马来西亚"
).split()
INDUSTRIES = (
    "阀门 泵阀 水泵 机械 五金 管件 水处理 工程承包 能源 油气 矿业 建材 化工 暖通 精密仪器 物流 贸易 机电 钢结构".split()
)
SOURCES = ("展会", "B2B平台", "官网", "社媒", "代理商", "转介绍", "其他")
ROLES = ("决策者", "技术影响者", "使用者", "商务对接人", "其他")
TITLES = {"决策者": "总经理", "技术影响者": "技术经理", "使用者": "设备主管", "商务对接人": "采购专员", "其他": "助理"}
PRODUCTS = ("DN50球阀", "DN80闸阀", "不锈钢管件", "离心泵", "蝶阀", "法兰", "止回阀", "控制阀", "截止阀", "安全阀")
KINDS = ("电话", "拜访", "邮件", "视频会议", "微信", "展会", "其他")
NOTES = (
    "拜访了{c}，沟通了{p}的需求，客户关心交期",
    "和{c}电话沟通，客户对{p}报价有疑问，觉得偏贵",
    "发了{p}的样品资料给{c}，等待技术确认",
    "与{c}讨论了{p}年度框架协议",
    "{c}询问{p}的认证文件（CE/API）",
    "确认了{p}的包装和唛头要求",
    "客户内部在比价{p}，下周再跟进",
)
TASK_SUBJECTS = ("电话跟进报价", "寄样品", "发送认证文件", "确认交期", "约下次拜访", "催回款", "发修改后报价")
CURRENCIES = (("USD", 5), ("EUR", 2), ("CNY", 2), ("GBP", 1), ("JPY", 1))
FX = {"USD": Decimal("7.120000"), "EUR": Decimal("7.750000"), "GBP": Decimal("9.050000"), "JPY": Decimal("0.048000")}
STAGE_WEIGHTS = (
    (Stage.S1, 18),
    (Stage.S2, 14),
    (Stage.S3, 11),
    (Stage.S4, 8),
    (Stage.S5, 6),
    (Stage.WON, 25),
    (Stage.LOST, 18),
)
TWO_YEARS = 730 * 86400


# --------------------------------------------------------------------------- sizes and marker


@dataclass(frozen=True)
class Sizes:
    reps: int
    teams: int
    customers: int
    contacts: int
    opportunities: int
    follow_ups: int
    tasks: int
    quotes: int

    @classmethod
    def scaled(cls, scale: float, reps: int = 200, teams: int = 20) -> Sizes:
        def n(full: int) -> int:
            return max(1, round(full * scale))

        return cls(
            reps=reps,
            teams=teams,
            customers=n(100_000),
            contacts=n(300_000),
            opportunities=n(200_000),
            follow_ups=n(1_000_000),
            tasks=n(300_000),
            quotes=n(30_000),
        )


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def read_marker(conn: asyncpg.Connection, schema: str) -> dict[str, Any] | None:
    """The sizes and reference time a finished seed left in the schema comment, None when unseeded."""
    comment = await conn.fetchval(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", schema
    )
    if not comment:
        return None
    try:
        marker = json.loads(comment)
    except ValueError:
        return None
    return marker if isinstance(marker, dict) and marker.get("kabot_bench_seed") else None


def marker_now(marker: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(marker["now"])


# --------------------------------------------------------------------------- generators


@dataclass
class Org:
    gm: int
    director: int
    finance: int
    admin: int
    managers: list[int]  # one per team
    reps: list[int]
    rep_team: dict[int, int]  # rep id → index of team


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        if name not in used:
            used.add(name)
            return name


def users_rows(
    sizes: Sizes, now: datetime, rng: random.Random
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], Org]:
    rows: list[tuple[Any, ...]] = []
    identities: list[tuple[Any, ...]] = []  # (user_id, channel, external_id) for user_identities
    used: set[str] = set()

    def add(role: str, manager: int | None, team: str | None, wecom: str) -> int:
        uid = len(rows) + 1
        rows.append((uid, _person(rng, used), role, manager, team, "Asia/Shanghai", True, now, now))
        identities.append((uid, "wecom", wecom))
        return uid

    gm = add("gm", None, None, "gm")
    director = add("director", gm, None, "director")
    finance = add("finance", gm, None, "finance")
    admin = add("admin", None, None, "admin")
    managers = [add("manager", director, f"销售{t + 1:02d}组", f"mgr{t + 1:02d}") for t in range(sizes.teams)]
    reps: list[int] = []
    rep_team: dict[int, int] = {}
    for r in range(sizes.reps):
        team = r % sizes.teams
        rid = add("rep", managers[team], f"销售{team + 1:02d}组", f"rep{r + 1:03d}")
        reps.append(rid)
        rep_team[rid] = team
    return rows, identities, Org(gm, director, finance, admin, managers, reps, rep_team)


def customer_names(count: int, rng: random.Random) -> list[str]:
    """Unique names whose normalized forms are unique too, so `查 <name>` can resolve each one."""
    seen: set[str] = set()
    names: list[str] = []
    attempts = 0
    while len(names) < count:
        attempts += 1
        if rng.random() < 0.6:
            head = "".join(rng.sample(CN_HEADS, k=2 if rng.random() < 0.8 else 3))
            name = f"{rng.choice(CN_CITIES)}{head}{rng.choice(CN_TRADES)}{rng.choice(CN_FORMS)}"
        else:
            name = f"{rng.choice(EN_WORDS)} {rng.choice(EN_WORDS)} {rng.choice(EN_TRADES)} {rng.choice(EN_FORMS)}"
        key = normalize_name(name)
        if key in seen or len(key) < 2:
            continue
        seen.add(key)
        names.append(name)
    return names


@dataclass
class Book:
    """What later tables need to know about the customers and opportunities already generated."""

    owner: list[int | None]  # index = customer id - 1
    contacts: list[list[str]]  # contact names per customer
    opp_customer: list[int]
    opp_owner: list[int]


def customers_rows(sizes: Sizes, org: Org, now: datetime, rng: random.Random, book: Book) -> Iterator[tuple[Any, ...]]:
    names = customer_names(sizes.customers, rng)
    for i, name in enumerate(names):
        cid = i + 1
        r = rng.random()
        if r < 0.03:
            owner, status = None, "pool"
        else:
            owner = rng.choice(org.reps)
            status = "active" if r < 0.90 else ("dormant" if r < 0.97 else "lost")
        book.owner.append(owner)
        created = now - timedelta(seconds=rng.randrange(TWO_YEARS + 365 * 86400))
        updated = created + (now - created) * rng.random()
        tier = rng.choices("ABC", weights=(1, 3, 6))[0]
        yield (
            cid,
            name,
            normalize_name(name),
            "[]",
            rng.choice(COUNTRIES),
            None,
            rng.choice(INDUSTRIES),
            tier,
            rng.choice(SOURCES),
            owner,
            status,
            "[]",
            None,
            created,
            updated,
        )


def contacts_rows(sizes: Sizes, now: datetime, rng: random.Random, book: Book) -> Iterator[tuple[Any, ...]]:
    """Every customer gets at least one contact; the rest go to random customers (about 3 each)."""
    n_customers = len(book.owner)
    book.contacts = [[] for _ in range(n_customers)]
    for k in range(sizes.contacts):
        customer = k if k < n_customers else rng.randrange(n_customers)
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        book.contacts[customer].append(name)
        role = ROLES[0] if len(book.contacts[customer]) == 1 and rng.random() < 0.7 else rng.choice(ROLES)
        created = now - timedelta(seconds=rng.randrange(TWO_YEARS))
        yield (
            k + 1,
            customer + 1,
            name,
            TITLES[role],
            role,
            f"+86 1{rng.randrange(3, 9)}{rng.randrange(10**9):09d}",
            None,
            None,
            None,
            created,
            created,
        )


def _currency(rng: random.Random) -> str:
    return rng.choices([c for c, _ in CURRENCIES], weights=[w for _, w in CURRENCIES])[0]


def _amount(rng: random.Random, currency: str) -> Decimal:
    unit = {"CNY": 30_000, "JPY": 1_000_000}.get(currency, 5_000)
    return Decimal(rng.randint(1, 150) * unit)


def opportunities_rows(
    sizes: Sizes, org: Org, now: datetime, rng: random.Random, book: Book, changes: list[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """Opportunities plus their stage history (appended to `changes`: 2–3 rows each on average)."""
    n_customers = len(book.owner)
    stages = [s for s, _ in STAGE_WEIGHTS]
    weights = [w for _, w in STAGE_WEIGHTS]
    for k in range(sizes.opportunities):
        customer = rng.randrange(n_customers)
        owner = book.owner[customer] or rng.choice(org.reps)
        book.opp_customer.append(customer + 1)
        book.opp_owner.append(owner)
        stage = rng.choices(stages, weights=weights)[0]
        currency = _currency(rng)
        created = now - timedelta(seconds=rng.randrange(TWO_YEARS))
        if stage.is_open:
            top = OPEN_STAGES.index(stage)
            start = max(0, top - rng.choice((1, 1, 2, 2, 3)))
            path = list(OPEN_STAGES[start : top + 1])
        else:
            reached = rng.randint(1, 5)
            start = max(0, reached - rng.choice((1, 2, 2, 3)))
            path = [*OPEN_STAGES[start:reached], stage]
        # The last move happened at a uniformly random moment between creation and now.
        last_at = created + (now - created) * rng.random()
        step = (last_at - created) / max(1, len(path) - 1)
        opp_id = k + 1
        previous: str | None = None
        for j, s in enumerate(path):
            at = created + step * j
            changes.append((len(changes) + 1, opp_id, previous, s.value, at, owner))
            previous = s.value
        closed = last_at if not stage.is_open else None
        expected = (now + timedelta(days=rng.randint(-60, 200))).date() if stage.is_open else (closed or now).date()
        prob = DEFAULT_PROBABILITY[stage] if rng.random() < 0.7 else None
        yield (
            opp_id,
            customer + 1,
            f"{rng.choice(PRODUCTS)}采购项目",
            _amount(rng, currency) if rng.random() < 0.95 else None,
            currency,
            stage.value,
            prob,
            expected,
            owner,
            last_at,
            "价格" if stage is Stage.LOST else None,
            closed,
            created,
            last_at,
        )


def follow_up_rows(
    sizes: Sizes, org: Org, now: datetime, rng: random.Random, book: Book, first_id: int, count: int
) -> list[tuple[Any, ...]]:
    n_customers = len(book.owner)
    rows: list[tuple[Any, ...]] = []
    for k in range(count):
        # Skewed: ~half of all follow-ups land on the first 10% of customers by a power law.
        customer = int(n_customers * rng.random() ** 2.2) if rng.random() < 0.6 else rng.randrange(n_customers)
        owner = book.owner[customer] or rng.choice(org.reps)
        contacts = book.contacts[customer]
        who = rng.choice(contacts) if contacts and rng.random() < 0.8 else "客户"
        if len(who) in (2, 3) and rng.random() < 0.5:
            who = who[0] + rng.choice(("总", "经理", "工"))
        at = now - timedelta(seconds=rng.randrange(TWO_YEARS))
        rows.append(
            (
                first_id + k,
                customer + 1,
                None,
                owner,
                rng.choice(KINDS),
                rng.choice(NOTES).format(c=who, p=rng.choice(PRODUCTS)),
                at,
                None,
                None,
                at,
            )
        )
    return rows


def tasks_rows(sizes: Sizes, org: Org, now: datetime, rng: random.Random, book: Book) -> Iterator[tuple[Any, ...]]:
    n_customers = len(book.owner)
    for k in range(sizes.tasks):
        customer = rng.randrange(n_customers)
        owner = book.owner[customer] or rng.choice(org.reps)
        due = now + timedelta(seconds=rng.randrange(-365 * 86400, 30 * 86400))
        r = rng.random()
        status = "open" if (due > now and r < 0.9) or r < 0.08 else ("done" if r < 0.95 else "cancelled")
        created = due - timedelta(days=rng.randint(1, 14))
        yield (
            k + 1,
            owner,
            rng.choice(TASK_SUBJECTS),
            customer + 1,
            None,
            None,
            due,
            status,
            "followup",
            None,
            due if status == "done" else None,
            None,
            None,
            created,
        )


def quotes_rows(
    sizes: Sizes, org: Org, now: datetime, rng: random.Random, book: Book, approvals: list[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    n_opps = len(book.opp_customer)
    for k in range(sizes.quotes):
        opp = rng.randrange(n_opps)
        customer, owner = book.opp_customer[opp], book.opp_owner[opp]
        currency = _currency(rng)
        total = _amount(rng, currency)
        rate = FX.get(currency, Decimal(1))
        created = now - timedelta(seconds=rng.randrange(TWO_YEARS))
        status = rng.choices(("draft", "pending", "approved", "rejected", "superseded"), weights=(2, 1, 5, 1, 1))[0]
        qid = k + 1
        if status == "pending":
            manager = org.managers[org.rep_team[owner]]
            approvals.append(
                (
                    len(approvals) + 1,
                    qid,
                    1,
                    "销售经理审批",
                    "any",
                    "折扣超出权限",
                    manager,
                    "pending",
                    None,
                    None,
                    None,
                    None,
                    created,
                )
            )
        yield (
            qid,
            f"Q-{created.year}-{qid:06d}",
            1,
            customer,
            opp + 1,
            owner,
            currency,
            rate,
            "bench",
            created,
            "CNY",
            "FOB",
            "Ningbo",
            30,
            "30% T/T",
            30,
            None,
            None,
            total,
            total * rate,
            Decimal("18.5"),
            status,
            1,
            created if status != "draft" else None,
            created if status in ("approved", "rejected") else None,
            created,
            created,
        )


# --------------------------------------------------------------------------- loading


async def copy_name_keys(conn: asyncpg.Connection) -> int:
    """The name keys the app writes on every flush (storage/repo/names.py), for the customers COPY loaded."""
    rows = await conn.fetch("SELECT id, name, aliases, owner_id, status FROM customers")
    keys = (
        (k, v, r["id"], audience(r["owner_id"], r["status"]))
        for r in rows
        for k, v in name_keys(r["name"], json.loads(r["aliases"] or "[]"))
    )
    return await copy(conn, "customer_name_keys", ("kind", "key", "customer_id", "visible_to"), keys)


async def copy(conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Any) -> int:
    """COPY rows in chunks (generators stay lazy); returns how many."""
    total = 0
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            await conn.copy_records_to_table(table, records=batch, columns=list(columns))
            total += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
        total += len(batch)
    return total


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        "id",
        "name",
        "role",
        "manager_id",
        "team",
        "timezone",
        "active",
        "created_at",
        "updated_at",
    ),
    "fx_rates": ("currency", "rate_to_base", "source", "set_by_id", "set_at"),
    "customers": (
        "id",
        "name",
        "normalized_name",
        "aliases",
        "country",
        "region",
        "industry",
        "tier",
        "source",
        "owner_id",
        "status",
        "tags",
        "notes",
        "created_at",
        "updated_at",
    ),
    "contacts": (
        "id",
        "customer_id",
        "name",
        "title",
        "decision_role",
        "phone",
        "email",
        "wechat",
        "preferences",
        "created_at",
        "updated_at",
    ),
    "opportunities": (
        "id",
        "customer_id",
        "title",
        "amount",
        "currency",
        "stage",
        "probability",
        "expected_close",
        "owner_id",
        "stage_entered_at",
        "lost_reason",
        "closed_at",
        "created_at",
        "updated_at",
    ),
    "stage_changes": ("id", "opportunity_id", "from_stage", "to_stage", "at", "actor_id"),
    "follow_ups": (
        "id",
        "customer_id",
        "opportunity_id",
        "author_id",
        "kind",
        "content",
        "happened_at",
        "next_action",
        "next_due",
        "created_at",
    ),
    "tasks": (
        "id",
        "owner_id",
        "subject",
        "customer_id",
        "opportunity_id",
        "quote_id",
        "due_at",
        "status",
        "source",
        "source_id",
        "completed_at",
        "reminded_at",
        "escalated_at",
        "created_at",
    ),
    "quotes": (
        "id",
        "number",
        "revision",
        "customer_id",
        "opportunity_id",
        "owner_id",
        "currency",
        "fx_rate",
        "fx_source",
        "fx_set_at",
        "base_currency",
        "incoterm",
        "port",
        "validity_days",
        "payment_terms",
        "lead_time_days",
        "freight",
        "insurance_rate",
        "total",
        "total_base",
        "margin_pct",
        "status",
        "version",
        "submitted_at",
        "decided_at",
        "created_at",
        "updated_at",
    ),
    "approvals": (
        "id",
        "quote_id",
        "step_no",
        "step_name",
        "mode",
        "reason",
        "approver_id",
        "decision",
        "reason_code",
        "comment",
        "decided_by_id",
        "decided_at",
        "created_at",
    ),
}


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last = self.start

    def step(self, what: str, rows: int | None = None) -> None:
        t = time.perf_counter()
        extra = f" {rows:>9,} rows" if rows is not None else ""
        rate = f" ({rows / (t - self.last):,.0f}/s)" if rows and t > self.last else ""
        print(f"  {what:<28}{extra} {t - self.last:7.2f}s{rate}", flush=True)
        self.last = t

    def total(self) -> float:
        return time.perf_counter() - self.start


async def upgrade_seeded(url: str, schema: str) -> None:
    """A schema seeded by an older revision gets the newer migrations (their indexes) and fresh statistics, so the
    benchmarks measure what a fresh seed would."""
    db = Database(url, schema=schema)
    try:
        cur, head = await db.revisions()
        if cur == head:
            return
        timer = Timer()
        await db.upgrade()
    finally:
        await db.close()
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    timer.step(f"upgrade {cur} → {head} + VACUUM ANALYZE")


async def seed(url: str, schema: str, sizes: Sizes, *, force: bool, seed_value: int = 20261123) -> dict[str, Any]:
    """Seed `schema` unless it already holds these sizes; returns the marker."""
    dsn = asyncpg_dsn(url)
    admin = await asyncpg.connect(dsn)
    try:
        marker = await read_marker(admin, schema)
        if marker and marker.get("sizes") == asdict(sizes) and not force:
            print(f"schema {schema} already seeded with these sizes at {marker['now']} (use --force to reseed)")
            await upgrade_seeded(url, schema)
            return marker
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()

    timer = Timer()
    db = Database(url, schema=schema)
    await db.upgrade()
    await db.close()
    timer.step("alembic upgrade")

    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(seed_value)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        # FK triggers off for the load (superuser): the generators only ever reference rows they created.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        book = Book(owner=[], contacts=[], opp_customer=[], opp_owner=[])

        users, identities, org = users_rows(sizes, now, rng)
        await copy(conn, "users", COLUMNS["users"], users)
        await copy(conn, "user_identities", ("user_id", "channel", "external_id"), identities)
        await copy(conn, "fx_rates", COLUMNS["fx_rates"], [(c, r, "bench", org.finance, now) for c, r in FX.items()])
        timer.step("users + fx_rates", len(users))

        n = await copy(conn, "customers", COLUMNS["customers"], customers_rows(sizes, org, now, rng, book))
        timer.step("customers", n)
        n = await copy_name_keys(conn)
        timer.step("customer_name_keys", n)
        n = await copy(conn, "contacts", COLUMNS["contacts"], contacts_rows(sizes, now, rng, book))
        timer.step("contacts", n)

        changes: list[tuple[Any, ...]] = []
        n = await copy(
            conn, "opportunities", COLUMNS["opportunities"], opportunities_rows(sizes, org, now, rng, book, changes)
        )
        timer.step("opportunities", n)
        n = await copy(conn, "stage_changes", COLUMNS["stage_changes"], changes)
        timer.step("stage_changes", n)

        done = 0
        while done < sizes.follow_ups:
            count = min(200_000, sizes.follow_ups - done)
            await copy(
                conn, "follow_ups", COLUMNS["follow_ups"], follow_up_rows(sizes, org, now, rng, book, done + 1, count)
            )
            done += count
        timer.step("follow_ups", done)

        n = await copy(conn, "tasks", COLUMNS["tasks"], tasks_rows(sizes, org, now, rng, book))
        timer.step("tasks", n)
        approvals: list[tuple[Any, ...]] = []
        n = await copy(conn, "quotes", COLUMNS["quotes"], quotes_rows(sizes, org, now, rng, book, approvals))
        await copy(conn, "approvals", COLUMNS["approvals"], approvals)
        timer.step("quotes + approvals", n + len(approvals))

        await conn.execute("SET session_replication_role = origin")
        for table in (
            "users",
            "customers",
            "contacts",
            "opportunities",
            "stage_changes",
            "follow_ups",
            "tasks",
            "quotes",
            "approvals",
        ):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 1))"
            )
        await conn.execute("VACUUM (ANALYZE)")
        timer.step("setval + VACUUM ANALYZE")

        marker = {"kabot_bench_seed": 1, "sizes": asdict(sizes), "now": now.isoformat(), "seed": seed_value}
        comment = json.dumps(marker).replace("'", "''")
        await conn.execute(f"COMMENT ON SCHEMA \"{schema}\" IS '{comment}'")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
            schema,
        )
    finally:
        await conn.close()
    print(f"seeded schema {schema} in {timer.total():.1f}s ({size} on disk), now = {now.isoformat()}")
    return marker


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=PG_URL, help="SQLAlchemy PostgreSQL URL (default: %(default)s)")
    p.add_argument("--schema", default=DEFAULT_SCHEMA)
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every row count except the org (0.01: smoke)")
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--teams", type=int, default=20)
    p.add_argument("--force", action="store_true", help="drop the schema and seed again")
    args = p.parse_args(argv)
    sizes = Sizes.scaled(args.scale, reps=args.reps, teams=args.teams)
    print(f"seeding {args.schema}: {asdict(sizes)}")
    asyncio.run(seed(args.url, args.schema, sizes, force=args.force))


if __name__ == "__main__":
    main()
