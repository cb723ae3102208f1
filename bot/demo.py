"""`kabot demo`: a realistic small export company, created once, deterministic."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.countries import country_code
from core.nlu.names import normalize_name
from core.stages import DEFAULT_PROBABILITY, OPEN_STAGES, Stage
from storage.models import Contact, Customer, FollowUp, FxRate, Opportunity, StageChange, Task, User
from storage.repo import users

DEMO_USER = "李娜"
SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLES = (
    "今天拜访了艾克美张总，谈了阀门报价，下周二再电话跟进",
    "查 艾克美",
    "待办",
)

# name, role, manager (by name), team, wecom id
PEOPLE = (
    ("周建国", "gm", None, None, "zhoujianguo"),
    ("孙丽", "director", "周建国", None, "sunli"),
    ("吴芳", "finance", "周建国", None, "wufang"),
    ("赵敏", "manager", "孙丽", "欧美组", "zhaomin"),
    ("刘洋", "manager", "孙丽", "亚非组", "liuyang"),
    ("李娜", "rep", "赵敏", "欧美组", "lina"),
    ("王强", "rep", "赵敏", "欧美组", "wangqiang"),
    ("陈静", "rep", "刘洋", "亚非组", "chenjing"),
)

# name, aliases, country, industry, tier, owner
CUSTOMERS = (
    ("艾克美工业有限公司", ["ACME Industrial GmbH", "ACME"], "德国", "阀门", "A", "李娜"),
    ("艾克森流体设备", ["Axon Fluid"], "美国", "泵阀", "B", "王强"),
    ("北风泵业", ["Nordwind Pumps GmbH"], "德国", "水泵", "A", "李娜"),
    ("穆勒机械", ["Mueller Maschinenbau"], "奥地利", "机械", "B", "李娜"),
    ("布莱特星贸易", ["Brightstar Trading LLC"], "美国", "五金", "C", "王强"),
    ("罗西管业", ["Rossi Tubi S.p.A."], "意大利", "管件", "B", "王强"),
    ("伊比利亚水务", ["Iberia Aguas S.A."], "西班牙", "水处理", "B", "李娜"),
    ("泰晤士工程", ["Thames Engineering Ltd."], "英国", "工程承包", "A", "王强"),
    ("波罗的海能源", ["Baltic Energy Sp. z o.o."], "波兰", "能源", "C", "李娜"),
    ("枫叶管道", ["Maple Pipeline Inc."], "加拿大", "油气", "B", "王强"),
    ("南十字矿业", ["Southern Cross Mining Pty"], "澳大利亚", "矿业", "A", "王强"),
    ("阿兹特克建材", ["Azteca Materiales"], "墨西哥", "建材", "C", "李娜"),
    ("圣保罗化工", ["Sao Paulo Quimica"], "巴西", "化工", "B", "王强"),
    ("安第斯铜业", ["Andes Copper"], "智利", "矿业", "C", "李娜"),
    ("北欧暖通", ["Nordic HVAC AB"], "瑞典", "暖通", "B", "李娜"),
    ("莱茵化学", ["Rhein Chemie"], "德国", "化工", "A", "王强"),
    ("阿尔卑斯精工", ["Alpen Precision AG"], "瑞士", "精密仪器", "B", "王强"),
    ("自由港物流", ["Freeport Logistics"], "美国", "物流", "C", "王强"),
    ("迪拜海湾贸易", ["Gulf Star Trading FZE"], "阿联酋", "贸易", "A", "陈静"),
    ("利雅得水泵", ["Riyadh Pumps Co."], "沙特", "水泵", "B", "陈静"),
    ("孟买工程", ["Mumbai Engineering Pvt Ltd"], "印度", "工程承包", "A", "陈静"),
    ("德里阀门", ["Delhi Valves"], "印度", "阀门", "C", "陈静"),
    ("胡志明机电", ["Saigon M&E"], "越南", "机电", "B", "陈静"),
    ("河内钢构", ["Hanoi Steel Structure"], "越南", "钢结构", "C", "陈静"),
    ("曼谷水务", ["Bangkok Water Supply"], "泰国", "水处理", "B", "陈静"),
    ("雅加达建设", ["Jakarta Konstruksi"], "印尼", "建筑", "B", "陈静"),
    ("马尼拉港务", ["Manila Port Services"], "菲律宾", "港口", "C", "陈静"),
    ("开普敦矿机", ["Cape Mining Equipment"], "南非", "矿业", "B", "陈静"),
    ("拉各斯石油", ["Lagos Petroleum"], "尼日利亚", "油气", "A", "陈静"),
    ("开罗建材", ["Cairo Building Materials"], "埃及", "建材", "C", "陈静"),
    ("伊斯坦布尔管件", ["Istanbul Boru"], "土耳其", "管件", "B", "陈静"),
    ("首尔精密", ["Seoul Precision"], "韩国", "精密仪器", "B", "陈静"),
    ("大阪机械", ["Osaka Kikai"], "日本", "机械", "A", "陈静"),
    ("莫斯科热能", ["Moscow Thermal"], "俄罗斯", "能源", "C", "陈静"),
    ("华信阀门", ["Huaxin Valves"], "新加坡", "阀门", "B", "陈静"),
    ("华信电子", ["Huaxin Electronics"], "马来西亚", "电子", "C", "陈静"),
    ("天府新材", ["Tianfu Materials"], "中国", "新材料", "C", "王强"),
    ("滨海国贸", ["Binhai International"], "中国", "贸易", "C", "李娜"),
    ("里斯本船舶", ["Lisboa Naval"], "葡萄牙", "船舶", "B", "李娜"),
    ("雅典能源", ["Athens Energy"], "希腊", "能源", "C", "王强"),
)

ROLES = ("决策者", "技术影响者", "使用者", "商务对接人")
SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = ("伟", "磊", "芳", "静", "军", "洋", "勇", "艳", "杰", "涛")
TITLES = {"决策者": "总经理", "技术影响者": "技术经理", "使用者": "设备主管", "商务对接人": "采购专员"}
PRODUCTS = ("DN50球阀", "DN80闸阀", "不锈钢管件", "离心泵", "蝶阀", "法兰", "止回阀", "控制阀")
KINDS = ("电话", "拜访", "邮件", "视频会议", "微信", "展会")
NOTES = (
    "沟通了{p}的需求，客户关心交期",
    "客户对{p}报价有疑问，觉得偏贵",
    "发了{p}的样品资料，等待技术确认",
    "讨论了{p}年度框架协议",
    "客户询问{p}的认证文件（CE/API）",
    "确认了{p}的包装和唛头要求",
)
FX = {"USD": Decimal("7.12"), "EUR": Decimal("7.75"), "GBP": Decimal("9.05")}


async def seed_demo(session: AsyncSession, now: datetime) -> bool:
    """Create the demo company unless it exists; True when it was created now."""
    if (await session.exec(select(User).where(User.name == DEMO_USER))).first() is not None:
        return False
    rng = random.Random(20261123)
    people: dict[str, User] = {}
    for name, role, manager, team, wecom in PEOPLE:
        u = User(
            name=name,
            role=role,
            team=team,
            created_at=now,
            updated_at=now,
            manager_id=people[manager].id if manager else None,
        )
        session.add(u)
        await session.flush()
        assert u.id is not None
        await users.set_identities(session, u.id, {"wecom": wecom})
        people[name] = u
    for cur, rate in FX.items():
        session.add(FxRate(currency=cur, rate_to_base=rate, source="demo", set_by_id=people["吴芳"].id, set_at=now))

    for i, (name, aliases, country, industry, tier, owner) in enumerate(CUSTOMERS):
        created = now - timedelta(days=rng.randint(120, 700))
        owner_user = people[owner]
        c = Customer(
            name=name,
            normalized_name=normalize_name(name),
            aliases=aliases,
            country=country_code(country) or country,
            industry=industry,
            tier=tier,
            source=rng.choice(("展会", "B2B平台", "官网", "转介绍", "代理商")),
            owner_id=owner_user.id,
            created_at=created,
            updated_at=created,
        )
        session.add(c)
        await session.flush()
        assert c.id is not None and owner_user.id is not None
        contacts = [r for r in ROLES if i == 0 or rng.random() < 0.7] or ["商务对接人"]
        if i == 0:
            contacts = ["决策者", "使用者", "商务对接人"]  # the demo account misses a 技术影响者 on purpose
        for role in contacts:
            person = ("张" if (i == 0 and role == "决策者") else rng.choice(SURNAMES)) + rng.choice(GIVEN)
            session.add(
                Contact(
                    customer_id=c.id,
                    name=person,
                    title=TITLES[role],
                    decision_role=role,
                    phone=f"+86 138{rng.randint(10000000, 99999999)}",
                    created_at=created,
                    updated_at=created,
                )
            )
        for _ in range(1 + (tier == "A") + rng.randint(0, 1)):
            await _opportunity(session, rng, c.id, owner_user.id, now)
        for _ in range(rng.randint(2, 7) + (6 if i == 0 else 0)):
            days = rng.randint(0, 89)
            session.add(
                FollowUp(
                    customer_id=c.id,
                    author_id=owner_user.id,
                    kind=rng.choice(KINDS),
                    content=rng.choice(NOTES).format(p=rng.choice(PRODUCTS)),
                    happened_at=now - timedelta(days=days, hours=rng.randint(0, 8)),
                    created_at=now - timedelta(days=days),
                )
            )
        for _ in range(rng.randint(0, 2) + (2 if i == 0 else 0)):
            day = (now.astimezone(SHANGHAI) + timedelta(days=rng.randint(-10, 14))).date()
            due = datetime.combine(day, time(rng.choice((9, 10, 14, 16))), SHANGHAI)
            session.add(
                Task(
                    owner_id=owner_user.id,
                    subject=rng.choice(("电话跟进报价", "寄样品", "发送认证文件", "确认交期", "约下次拜访")),
                    customer_id=c.id,
                    due_at=due,
                    source="followup",
                    created_at=due - timedelta(days=7),
                )
            )
    return True


async def _opportunity(
    session: AsyncSession, rng: random.Random, customer_id: int, owner_id: int, now: datetime
) -> None:
    stage = rng.choice((*OPEN_STAGES, *OPEN_STAGES, Stage.WON, Stage.LOST))
    currency = rng.choice(("USD", "USD", "EUR", "CNY"))
    amount = Decimal(rng.randint(2, 120) * (5000 if currency != "CNY" else 30000))
    created = now - timedelta(days=rng.randint(20, 200))
    path = (
        list(OPEN_STAGES[: OPEN_STAGES.index(stage) + 1])
        if stage.is_open
        else [*OPEN_STAGES[: rng.randint(1, 5)], stage]
    )
    step = (now - created) / (len(path) + 1)
    opp = Opportunity(
        customer_id=customer_id,
        title=f"{rng.choice(PRODUCTS)}采购项目",
        amount=amount,
        currency=currency,
        stage=stage.value,
        probability=DEFAULT_PROBABILITY[stage],
        owner_id=owner_id,
        expected_close=(now + timedelta(days=rng.randint(-20, 150))).date(),
        stage_entered_at=created + step * (len(path) - 1),
        lost_reason="价格" if stage is Stage.LOST else None,
        closed_at=created + step * (len(path) - 1) if not stage.is_open else None,
        created_at=created,
        updated_at=created,
    )
    session.add(opp)
    await session.flush()
    assert opp.id is not None
    previous: str | None = None
    for k, s in enumerate(path):
        session.add(
            StageChange(
                opportunity_id=opp.id, from_stage=previous, to_stage=s.value, at=created + step * k, actor_id=owner_id
            )
        )
        previous = s.value
