"""On WeCom a rep sees every fact the console shows: each answer kabot queued is rendered the console's way, and
every fact of it must be in what the fake WeCom received for that person, read as the phone shows it.

The answers are the long ones a rep meets in a day: the 360° view of a big account, the funnel, 待办 with many
tasks, a quote with 10 lines, 帮助, the approver's card, the due-task reminder and the morning digest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.channels.base import OutboxItem
from bot.channels.console import ConsoleChannel
from bot.outbox import decode
from scheduler import jobs
from storage.models import Customer, OutboxMessage, Task, User
from tests.fakes.wecom_rig import Rig
from tests.fakes.wecom_screen import shown

WECOM_IDS = {"李娜": "lina", "赵敏": "zhaomin", "孙丽": "sunli", "吴芳": "wufang"}


class Reader:
    """Compares, person by person, what the console would show with what WeCom delivered since the last look."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.console = ConsoleChannel(rig.services.renderer, write=lambda _: None)
        self.last_row = 0
        self.last_sent = 0
        self.read: list[str] = []

    async def check(self) -> dict[str, str]:
        """Deliver; then for each person, every fact of the console's rendering must be on their phone."""
        await self.rig.settle()
        async with self.rig.services.db.session() as s:
            q = select(OutboxMessage).where(col(OutboxMessage.id) > self.last_row).order_by(col(OutboxMessage.id))
            rows = (await s.exec(q)).all()
        assert rows, "nothing was answered"
        assert all(r.status == "sent" for r in rows), [(r.kind, r.last_error) for r in rows if r.status != "sent"]
        self.last_row = rows[-1].id or 0
        sent, self.last_sent = self.rig.fake.sent[self.last_sent :], len(self.rig.fake.sent)
        phones: dict[str, str] = {}
        for m in sent:
            phones[m["touser"]] = phones.get(m["touser"], "") + "\n" + shown(m, self.rig.fake.uploads)
        for row in rows:
            console = self.console.format(OutboxItem(row.id or 0, row.target, decode(row.kind, row.payload)))
            phone = flat(phones.get(row.target, ""))
            cut = [f for f in facts(console) if flat(f) not in phone]
            assert cut == [], f"{row.kind} to {row.target}: not on WeCom: {cut[:5]}"
        self.read += [f"--- {t} ---{p}" for t, p in phones.items()]
        return phones


def facts(console_text: str) -> list[str]:
    out = []
    for line in console_text.splitlines():
        if "（输入编号点按）" in line or line.startswith("（卡片已更新"):
            continue
        for part in line.strip().strip("【】").split(" · "):
            if fact := part.strip().lstrip("•⚠ ").rstrip("："):
                out.append(fact)
    return out


def flat(text: str) -> str:
    """A fact as a reader compares it: spacing and colons aside ("毛利：12%" on a card row says "毛利 12%")."""
    return re.sub(r"[\s：:]+", "", text)


async def say(rig: Rig, who: str, text: str, msg_id: list[int] = [9000]) -> None:  # noqa: B006 — a counter
    msg_id[0] += 1
    assert (await rig.post(rig.fake.callback_text(WECOM_IDS[who], text, msg_id[0])))[0] == 200


async def test_every_long_answer_reaches_the_phone_whole(rig: Rig) -> None:
    reader = Reader(rig)
    services = rig.services
    now = services.clock.now()
    async with services.db.session() as s:
        lina = (await s.exec(select(User).where(User.name == "李娜"))).one()
        acme = (await s.exec(select(Customer).where(Customer.name == "艾克美工业有限公司"))).one()
        for i in range(30):  # a rep with a long to-do list, some of it overdue
            s.add(
                Task(
                    owner_id=lina.id or 0,
                    subject=f"给艾克美发第{i + 1}批样品和检测报告",
                    customer_id=acme.id,
                    due_at=now + timedelta(hours=i * 7 - 60),
                    created_at=now,
                )
            )

    for text in (
        "跟进 艾克美 今天拜访了采购总监张伟，确认了DN50球阀的年度框架协议条款，下周二再电话跟进",
        "联系人 艾克美 王磊 技术经理 技术影响者 电话13900002222",
        "商机 艾克美 2027年度管件框架 80万美元 S3",
    ):
        await say(rig, "李娜", text)
    await reader.check()

    await say(rig, "李娜", "查 艾克美")  # the 360° view of a big account
    view = (await reader.check())["lina"]
    assert "王磊" in view and "2027年度管件框架" in view and "给艾克美发第" in view

    await say(rig, "李娜", "待办")  # 30 tasks
    assert "给艾克美发第13批样品" in (await reader.check())["lina"]  # the list shows the first 20
    await say(rig, "李娜", "帮助")
    await reader.check()
    await say(rig, "孙丽", "漏斗")
    await reader.check()

    await say(rig, "李娜", "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海")
    number = re.search(r"Q-\d{4}-\d{4}", (await reader.check())["lina"])
    assert number
    for i in range(9):  # a quote with 10 lines
        await say(
            rig,
            "李娜",
            f"加一行 {number.group()} DN{65 + i * 15}闸阀 {200 + i * 50}件 {95 + i}美元 成本 ¥{400 + i * 20}",
        )
        await reader.check()
    await say(rig, "李娜", f"报价 {number.group()}")
    quote = (await reader.check())["lina"]
    assert quote.count("闸阀") >= 9
    await say(rig, "李娜", f"提交 {number.group()}")
    approver = (await reader.check())["zhaomin"]  # the approver's card, with the whole quote before it
    assert "DN185闸阀" in approver and "完整内容见上方消息" in approver

    clock = rig.clock
    clock.advance(hours=60)  # tasks fall due: the reminder
    assert await jobs.remind_due_tasks(services) == 3
    await reader.check()
    clock.set(datetime(2026, 11, 27, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai: the digest
    assert await jobs.send_daily_digests(services) == 4  # 2 managers, the director, the GM
    await reader.check()
