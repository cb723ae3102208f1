"""Every card template, for every channel that renders cards, with realistic and worst-case data.

Realistic cards are the ones the demo company's conversations really produce (taken from the outbox); worst-case
cards have long names, 40 follow-ups and tasks, 10 quote lines, long conditions. For each: the console renders it,
WeCom's rendering is valid JSON within WeCom's documented limits, and every fact the console shows is somewhere in
what the rep receives on WeCom (read the way the phone shows it, by tests/fakes/wecom_screen.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlmodel import col, select

from bot.cards.actions import (
    AcceptConditions,
    Answer,
    ApprovalTap,
    ConfirmDraft,
    EditDraft,
    SubmitQuote,
    Tap,
    TaskDone,
    TransferDecision,
)
from bot.cards.model import Button, Card
from bot.channels.base import OutboxItem
from bot.channels.console import ConsoleChannel
from bot.channels.wecom.channel import WeComChannel
from bot.outbox import SendCard
from bot.services import Services
from bot.settings import Settings
from scheduler import jobs
from storage.models import OutboxMessage
from tests.fakes.harness import ChatHarness
from tests.fakes.wecom_screen import shown

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "cards" / "templates"
PARTIALS = {"quote_body"}  # included by other templates, never a card of its own

# WeCom's documented lengths (path/90236 发送应用消息: text/markdown content ≤ 2048 bytes; template_card field
# comments as in the official docs' field tables: 字 = characters). quote_text has no documented length: 160 is ours.
# Checked again for issue 10: these are the app-message (应用消息) limits. A group robot's template cards have smaller
# ones (title 26, desc 30, sub_title_text 112, row value 26); kabot sends robots markdown only, never a card.
MESSAGE_BYTES = 2048
CARD_CHARS = {
    ("source", "desc"): 20,
    ("main_title", "title"): 36,
    ("main_title", "desc"): 44,
    ("sub_title_text",): 160,
    ("quote_area", "quote_text"): 160,
}
ROW_CHARS = {"keyname": 5, "value": 30}
MAX_ROWS, MAX_BUTTONS, BUTTON_CHARS, KEY_BYTES, TASK_ID_BYTES = 6, 6, 10, 1024, 128

LONG_NAME = "阿尔卑斯山脉精密流体控制设备与工业阀门系统集成（苏黎世）股份有限公司欧洲区总部采购中心"
QUOTE_LINES = [
    f"{i}. 不锈钢高压精密球阀 DN{50 + i * 5} PN40 法兰连接 带ATEX认证 {100 * i}件 × $80 = ${8000 * i:,} · 毛利 12.5%"
    for i in range(1, 11)
]


def quote_body(**more: Any) -> dict[str, Any]:
    return {
        "customer": f"{LONG_NAME} · A级 · 瑞士",
        "status": "第3版 · 审批中",
        "lines": QUOTE_LINES,
        "total": "合计 CIF Hamburg Port (Waltershof), Federal Republic of Germany $12,440,000.00 ≈ ¥88,572,800.00",
        "amount": "$12,440,000.00",
        "amount_base": "¥88,572,800.00",
        "margin": "毛利 12.22%",
        "stack": ["FOB 上海 $400,000", "运费 $30,000", "保险 $10,000", "CIF Hamburg $440,000"],
        "fx": "1 USD = 7.12 CNY · 来源 财务吴芳 · 设置于 11-20 09:30",
        "terms": "有效期 30 天（至 2026-12-23） · 付款 30%预付 70%见提单副本 · 交期 45 天",
        "notes": ["第7行毛利低于 10%", "运费按 11 月报价，12 月可能上调"],
        **more,
    }


def worst_cases() -> list[Card]:
    approve = tuple(
        Button(t, ApprovalTap(99, tap), s)
        for t, tap, s in (
            ("同意", Tap.APPROVE, "primary"),
            ("驳回", Tap.REJECT, "danger"),
            ("有条件同意", Tap.CONDITIONAL, "default"),
            ("详情", Tap.DETAILS, "default"),
        )
    )
    conditions = ['单价不低于"78"美元；交期不超过 30 天', "付款改为 50% 预付\n其余见提单", "运费由客户承担（含 THC）"]
    return [
        Card(
            "account_view",
            LONG_NAME,
            {
                "header": "A级 · 瑞士 · 工业阀门与流体控制 · 负责人 欧阳娜娜 · 跟进中",
                "last_contact": "今天联系过",
                "segment": "重要价值客户：近 90 天下单 6 次，累计 $1,250,000",
                "roles": [
                    f"{r}：{LONG_NAME[:12]}{i} 总监（{i} 天前联系）"
                    for i, r in enumerate(("决策者", "技术影响者", "使用者", "商务对接人"))
                ],
                "gaps": ["决策者 95 天没有联系了", "没有使用者联系人"],
                "opportunities": [
                    f"{LONG_NAME[:16]}年度框架{i} · S3 方案报价 · $50万 · 本阶段 {i} 天" for i in range(10)
                ],
                "follow_ups": [
                    f"11-{i % 28 + 1:02d} 拜访 与客户技术总监讨论了DN50球阀的认证…（欧阳娜娜）" for i in range(40)
                ],
                "quotes": [f"Q-2026-{i:04d} 第2版 · 审批中 · $44万" for i in range(12)],
                "tasks": [
                    f"⚠逾期 11-{i % 28 + 1:02d} 09:00 给{LONG_NAME[:10]}发送第{i}批样品和检测报告" for i in range(40)
                ],
                "overdue_count": 40,
            },
        ),
        Card(
            "approval_request",
            "报价审批 Q-2026-0999 第3版",
            quote_body(
                requester="欧阳娜娜",
                step=2,
                steps=3,
                step_name="销售总监",
                reasons="金额 > $200,000；毛利 12.2% < 15%：需财务审核（客户为战略客户）",
                conditions=conditions,
                comments=["赵敏：老客户，量大，同意（" + LONG_NAME + "）", '孙丽："可以"\n下次注意毛利'],
            ),
            approve,
            "apv999-12",
        ),
        Card(
            "approval_condition",
            "有条件同意 Q-2026-0999",
            quote_body(approver="孙丽", condition=conditions[0] + "，" + conditions[1], number="Q-2026-0999"),
            (Button("接受条件", AcceptConditions(999), "primary"),),
            "qc999",
        ),
        Card(
            "quote_card",
            "报价 Q-2026-0999",
            quote_body(
                history=[f"第{i}版 · 已被新版本取代 · $44万" for i in range(1, 3)]
                + ["  第1步 直属上级 赵敏 已同意 11-20 10:00"]
            ),
            (Button("提交审批", SubmitQuote(999), "primary"),),
            "q999",
        ),
        Card("quote_card", "报价 Q-2026-0998", quote_body(history=[])),
        Card(
            "draft",
            "请确认这条跟进",
            {
                "lines": [
                    f"客户：{LONG_NAME}",
                    "方式：拜访",
                    "内容："
                    + "今天拜访了客户技术总监，讨论了DN50球阀的认证、包装和交期，客户希望月底前给出正式报价。" * 3,
                    "待办：发正式报价 —— 11月30日（周一）09:00（日期是我推测的）",
                ]
            },
            (Button("确认", ConfirmDraft(), "primary"), Button("修改", EditDraft())),
        ),
        Card(
            "reminder",
            "⏰ 40 条待办到期",
            {
                "lines": [f"• 11-23 09:00 给{LONG_NAME}发第{i}批样品" for i in range(8)]
                + ["…另有 32 条，发“待办”查看全部"]
            },
            (Button("完成第1条", TaskDone(1), "primary"), Button("第1条推迟到明天", TaskDone(2))),
            "rem1",
        ),
        Card(
            "funnel",
            "全公司销售漏斗 · 11-23",
            {
                "text": "\n".join(
                    ["【销售漏斗】11月23日", "在手 420 单 · ¥1.2亿"] + [f"销售{i:03d} 逾期 {i} 单" for i in range(120)]
                ),
                "chart": "\n".join(f"S{i} {'█' * (30 - i * 5)} {100 - i * 10}单" for i in range(1, 6)),
            },
        ),
        Card("notice", "通知", {"body": "\n".join(f"第{i}条：{LONG_NAME}" for i in range(30))}),
        Card(
            "transfer_request",
            f"客户转移申请 {LONG_NAME}",
            {"requester": "欧阳娜娜", "customer": f"{LONG_NAME} · A级 · 瑞士", "owner": "司马相如"},
            (
                Button("同意", TransferDecision(99, Answer.YES), "primary"),
                Button("拒绝", TransferDecision(99, Answer.NO), "danger"),
            ),
            "xfer99",
        ),
    ]


async def realistic(bot: ChatHarness) -> list[Card]:
    """The cards the demo company's own conversations produce."""
    await bot.say("李娜", "查 艾克美")
    await bot.say("孙丽", "漏斗")
    await bot.say("赵敏", "日报")
    await bot.say("李娜", "跟进 艾克美 电话沟通了报价，月底前给答复")
    created = await bot.said("李娜", "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海")
    number = re.search(r"Q-\d{4}-\d{4}", created)
    assert number
    await bot.say("李娜", f"提交 {number.group()}")
    await bot.say("赵敏", f"有条件同意 {number.group()} 单价不低于85美元")
    await bot.say("李娜", f"报价 {number.group()}")
    await bot.say("王强", "申请转移 北风泵业")
    await jobs.remind_due_tasks(bot.services)
    async with bot.services.db.session() as s:
        rows = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "card").order_by(col(OutboxMessage.id)))
        ).all()
    return [Card.from_json(r.payload["card"]) for r in rows]


def wecom(services: Services) -> WeComChannel:
    settings = Settings(  # type: ignore[call-arg]
        database_url=services.settings.database_url,
        wecom_corp_id="wwtest",
        wecom_agent_id=1000002,
        wecom_secret=SecretStr("s"),
        wecom_token=SecretStr("t"),
        wecom_aes_key=SecretStr("a" * 43),
        company_name="阿尔卑斯精密流体控制（上海）进出口贸易有限公司",  # longer than a card's source line
        _env_file=None,
    )
    return WeComChannel(settings, services.renderer, services.db, services.clock)


def facts_of(console_text: str) -> list[str]:
    out = []
    for line in console_text.splitlines():
        if "（输入编号点按）" in line:
            continue
        for part in line.strip().strip("【】").split(" · "):
            fact = part.strip().lstrip("•⚠ ").rstrip("：")
            if fact:
                out.append(fact)
    return out


def flat(text: str) -> str:
    """A fact as a reader compares it: spacing and colons aside ("毛利：12%" on a card row says "毛利 12%")."""
    return re.sub(r"[\s：:]+", "", text)


def within_limits(card: dict[str, Any]) -> list[str]:
    problems = []
    for path, limit in CARD_CHARS.items():
        node: Any = card
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and len(node) > limit:
            problems.append(f"{'.'.join(path)} has {len(node)} > {limit} characters")
    rows = card.get("horizontal_content_list", [])
    if len(rows) > MAX_ROWS:
        problems.append(f"{len(rows)} rows > {MAX_ROWS}")
    for row in rows:
        problems += [f"{k} {row[k]!r} > {n}" for k, n in ROW_CHARS.items() if len(row.get(k, "")) > n]
    buttons = card.get("button_list", [])
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        problems.append(f"{len(buttons)} buttons")
    for b in buttons:
        if len(b["text"]) > BUTTON_CHARS or len(b["key"].encode()) > KEY_BYTES:
            problems.append(f"button {b!r}")
    task_id = card.get("task_id") or ""
    if not re.fullmatch(r"[0-9A-Za-z_\-@]{1,128}", task_id) or len(task_id.encode()) > TASK_ID_BYTES:
        problems.append(f"task_id {task_id!r}")
    if card.get("card_type") != "button_interaction" or "card_action" in card:
        problems.append("not a button_interaction card, or one that links somewhere")
    return problems


async def test_the_total_is_never_cut_by_a_long_incoterm(bot: ChatHarness) -> None:
    """Issue 10: the 金额 row held "合计 CIF <long port> $… ≈ ¥…" and the 30-character value cut the CNY figure."""
    channel = wecom(bot.services)
    for template in ("quote_card", "approval_request", "approval_condition"):
        card = Card(
            template,
            "报价 Q-2026-0999",
            quote_body(
                requester="李娜",
                step=1,
                steps=2,
                step_name="经理",
                reasons="毛利低",
                conditions=[],
                approver="赵敏",
                condition="预付30%",
                number="Q-2026-0999",
                history=[],
                comments=[],
            ),
            (Button("提交审批", SubmitQuote(999), "primary"),),
            "q999",
        )
        [*_, last] = channel.render(card, task_id="q999@1")
        shown = last["template_card"]
        rows = {r["keyname"]: r["value"] for r in shown["horizontal_content_list"]}
        assert rows["金额"] == "$12,440,000.00", (template, rows)
        assert rows.get("折合") == "¥88,572,800.00" or quote_body()["total"] in shown["sub_title_text"]


async def test_every_template_for_every_channel_realistic_and_worst_case(bot: ChatHarness) -> None:
    real = await realistic(bot)
    worst = worst_cases()
    console_names = {p.name.split(".")[0] for p in (TEMPLATES / "console").glob("*.txt.j2")} - PARTIALS
    assert {c.template for c in worst} == console_names, "every card template needs a worst case here"
    assert {c.template for c in real} >= console_names - {"notice"}, "the demo conversations reach every card"

    console = ConsoleChannel(bot.services.renderer, write=lambda _: None)
    channel = wecom(bot.services)
    for n, card in enumerate(real + worst, 1):
        seen = console.format(OutboxItem(n, "李娜", SendCard(card)))
        assert seen.startswith(f"【{card.title}】")
        messages = channel.render(card, task_id=f"{card.ref or 'card'}@{n:012x}" if card.buttons else None)
        for m in messages:
            json.loads(json.dumps(m, ensure_ascii=False))
            if m["msgtype"] in ("text", "markdown"):
                assert len(m[m["msgtype"]]["content"].encode()) <= MESSAGE_BYTES, card.title
            else:
                assert m["msgtype"] == "template_card"
                assert within_limits(m["template_card"]) == [], (card.template, within_limits(m["template_card"]))
        assert [m["msgtype"] == "template_card" for m in messages][-1] == bool(card.buttons)
        if card.buttons:  # the raw template output itself is valid JSON too (the conditions bug of issue 12)
            json.loads(bot.services.renderer.render_json(card, "wecom", source="x", task_id="t", overflow=True))
        on_phone = flat("\n".join(shown(m) for m in messages))
        cut = [f for f in facts_of(seen) if flat(f) not in on_phone]
        assert cut == [], f"{card.template} {card.title!r}: on WeCom the rep misses {cut[:5]}"
        labels = [b.text for b in card.buttons]
        assert labels == [
            b["text"] for m in messages if m["msgtype"] == "template_card" for b in m["template_card"]["button_list"]
        ]


async def test_a_card_that_cannot_hold_everything_says_where_the_rest_is(bot: ChatHarness) -> None:
    card = next(c for c in worst_cases() if c.template == "approval_request")
    *reading, decision = wecom(bot.services).render(card, task_id="apv999-12@x")
    assert reading and all(m["msgtype"] == "markdown" for m in reading)
    assert decision["template_card"]["sub_title_text"].startswith("完整内容见上方消息")
