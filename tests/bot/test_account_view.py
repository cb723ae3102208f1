"""查 <customer>: every fact of the 360° view, as the rep reads it (now = Monday 2026-11-23 10:00 Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from storage.models import Contact, Customer, FollowUp, FxRate, Opportunity, Quote, Task, User
from tests.fakes.harness import ChatHarness

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CARD = """【艾克美工业有限公司】
A级 · 德国 · 阀门 · 负责人 李娜 · 跟进中
1 天前联系 · 价值分层 一般价值：近 30 天成交，3 年内 4 单，累计 ¥81.1万
联系人（决策链）：
  决策者：张芳（从未联系）
  技术影响者：周海（2 天前）
  使用者：钱多多（5 天前）、王杰（从未联系）
  商务对接人：Anna Berg（3 天前）、杨芳（从未联系）
  ⚠ 决策者 张芳 从未联系
  ⚠ 使用者 王杰 从未联系
  ⚠ 商务对接人 杨芳 从未联系
在跟商机（5）：
  • DN80闸阀采购项目 · S2 需求确认 · ¥255万 · 本阶段 59 天
  • DN80闸阀 · S3 方案报价 · ¥123万 · 本阶段 40 天
  • 法兰采购项目 · S5 合同签订 · €30.5万 · 本阶段 63 天
  • 小额配件 · S1 初步接触 · $800 · 本阶段 3 天
  • 无金额试单 · S2 需求确认 · 金额未填 · 本阶段 1 天
最近跟进：
  • 11-22 电话 电话沟通交期，客户希望提前两周到货并且要求分批发运，另附装箱…（李娜）
  • 11-22 视频会议 讨论了蝶阀年度框架协议（李娜）
  • 11-22 电话 客户说 anna berg 休假（小写不算）（李娜）
  • 11-21 电话 和周总确认了图纸，周五给样品（李娜）
  • 11-20 电话 给 Anna Berg 发了报价单 100% 含税（李娜）
报价：
  • Q-2026-906 第7版 · 已批准 · $7
  • Q-2026-905 第6版 · 草稿（未提交） · $1
  • Q-2026-904 第5版 · 草稿（未提交） · $12.5
  • Q-2026-903 第4版 · 已驳回 · ¥10万
  • Q-2026-902 第3版 · 审批中 · —
待办（7，逾期 2）：
  • ⚠逾期 11-21 09:00 确认交期
  • ⚠逾期 11-22 10:00 寄样品
  • 11-25 13:00 回访
  • 11-29 10:00 发送认证文件
  • 12-05 10:00 确认交期
  • 12-06 09:00 寄样品
  • 无日期的待办"""


def _at(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def _rich_account(bot: ChatHarness) -> None:
    """艾克美 with more of everything than the card shows, and rows that must stay off it."""
    async with bot.services.db.session() as s:
        acme = (await s.exec(select(Customer).where(Customer.name == "艾克美工业有限公司"))).one()
        other = (await s.exec(select(Customer).where(Customer.id != acme.id))).first()
        lina = (await s.exec(select(User).where(User.name == "李娜"))).one()
        wang = (await s.exec(select(User).where(User.name == "王强"))).one()
        assert other is not None and acme.id and lina.id and wang.id
        cid, me = acme.id, lina.id
        s.add(Contact(customer_id=cid, name="周海", decision_role="技术影响者"))
        s.add(Contact(customer_id=cid, name="Anna Berg", decision_role="商务对接人"))
        s.add(Contact(customer_id=cid, name="钱多多", decision_role="使用者"))
        notes = [
            (0.5, "电话沟通交期，客户希望提前两周到货并且要求分批发运，另附装箱单样式", me),
            (1.2, "客户说 anna berg 休假（小写不算）", me),
            (2, "和周总确认了图纸，周五给样品", me),
            (3, "给 Anna Berg 发了报价单 100% 含税", me),
            (5, "钱经理说下月下单", wang.id),
            (9, "第七条跟进：不在最近五条里", me),
            (400, "一年多以前提到周总，不算最近联系", me),
        ]
        for days, text, who in notes:
            s.add(FollowUp(customer_id=cid, author_id=who, kind="电话", content=text, happened_at=_at(days)))
        s.add(FollowUp(customer_id=other.id or 0, author_id=me, content="别家的钱经理", happened_at=NOW))
        deals = [
            ("小额配件", Decimal("800"), "USD", "S1", 3, None),
            ("DN80闸阀", Decimal("1234567.8"), "CNY", "S3", 40, None),
            ("无金额试单", None, "EUR", "S2", 1, None),
            ("丢掉的单", Decimal("900000"), "USD", "lost", 10, _at(9)),
            ("已成交30", Decimal("50000"), "USD", "won", 31, _at(30)),
            ("已成交200", Decimal("300000"), "CNY", "won", 201, _at(200)),
            ("已成交500", Decimal("20000"), "EUR", "won", 501, _at(500)),
            ("成交无日期", None, "USD", "won", 90, None),
        ]
        for title, amount, cur, stage, days, closed in deals:
            s.add(
                Opportunity(
                    customer_id=cid, title=title, amount=amount, currency=cur, stage=stage, owner_id=me,
                    stage_entered_at=_at(days), closed_at=closed,
                )
            )  # fmt: skip
        quotes = [
            ("approved", Decimal("45000"), "USD"),
            ("superseded", Decimal("47000"), "USD"),
            ("pending", None, "EUR"),
            ("rejected", Decimal("99999.99"), "CNY"),
            ("draft", Decimal("12.5"), "USD"),
            ("draft", Decimal("1"), "USD"),
            ("approved", Decimal("7"), "USD"),
        ]
        for i, (status, total, cur) in enumerate(quotes):
            s.add(
                Quote(
                    number=f"Q-2026-{900 + i}", revision=i + 1, customer_id=cid, owner_id=me, status=status,
                    total=total, currency=cur, created_at=_at(20 - i),
                )
            )  # fmt: skip
        s.add(Task(owner_id=me, subject="寄样品", customer_id=cid, due_at=_at(1)))
        s.add(Task(owner_id=me, subject="回访", customer_id=cid, due_at=NOW + timedelta(days=2, hours=3)))
        s.add(Task(owner_id=me, subject="无日期的待办", customer_id=cid))
        s.add(Task(owner_id=me, subject="已完成的不显示", customer_id=cid, due_at=_at(3), status="done"))
        if await s.get(FxRate, "EUR") is None:
            s.add(FxRate(currency="EUR", rate_to_base=Decimal("7.8")))


async def test_the_card_shows_every_fact_of_the_account(bot: ChatHarness) -> None:
    await _rich_account(bot)
    view = await bot.said("李娜", "查 艾克美")
    assert view == CARD


async def test_an_account_with_nothing_yet(bot: ChatHarness) -> None:
    await bot.say("李娜", "新客户 诺华泵业 德国 B级")
    view = await bot.said("李娜", "查 诺华泵业")
    assert view.startswith("【诺华泵业】\nB级 · 德国 · 负责人 李娜 · 跟进中\n从未联系 · 价值分层 新客户/无成交")
    assert "在跟商机（0）：\n  暂无" in view and "待办（0）：\n  暂无" in view and "报价" not in view


async def test_an_english_note_is_cut_by_width_not_at_26_letters(bot: ChatHarness) -> None:
    """Trial 3: `discussed the new pump specs…` showed as `…开了视频会 dis…` in 查."""
    note = "video call with Hans, discussed the new pump specs and the Q1 delivery schedule"
    await bot.said("李娜", f"跟进 北风泵业 {note}")
    view = await bot.said("李娜", "查 北风")
    assert "video call with Hans, discussed the new pump specs and the Q…" in view
    assert "delivery schedule" not in view  # no task was made of the Q1 it talked about
