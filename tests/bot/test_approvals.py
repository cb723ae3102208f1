"""Approvals in chat: routed by policy, decided with one tap or a text command, exactly once, with the rep told."""

from __future__ import annotations

import json
import uuid

from sqlmodel import col, select

from bot.cards.model import Card
from bot.inbound import Inbound
from core.clock import FakeClock
from storage.models import Approval, AuditLog, OutboxMessage, Quote, QuoteCard
from tests.bot.test_quotes_support import last_file, quote_and_submit, sheet_values
from tests.fakes.harness import ChatHarness

SMALL = "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海"  # $5,000, margin 44%: manager only
BIG = "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海"  # $80,000, margin 12%: manager, director, finance


async def approvals_of(bot: ChatHarness, number: str) -> list[Approval]:
    async with bot.services.db.session() as s:
        q = select(Approval).join(Quote, col(Quote.id) == Approval.quote_id).where(Quote.number == number)
        return list((await s.exec(q.order_by(col(Approval.id)))).all())


async def test_every_step_decided_by_tap_and_the_rep_gets_the_xlsx(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, BIG)
    card = "\n".join(await bot.flush("赵敏"))
    assert f"报价审批 {number}" in card and "第1/3步 直属上级" in card
    assert "艾克美工业有限公司 · A级 · 德国" in card and "$80,000 ≈ ¥569,600" in card
    assert "毛利 12.22%" in card and "1 USD = 7.12 CNY · 来源 demo" in card
    assert "[1] 同意  [2] 驳回  [3] 有条件同意  [4] 详情" in card

    done = "\n".join(await bot.tap("赵敏", 1))
    assert "已同意 · 赵敏 · 11-23 10:00" in done and f"已同意 {number} 第1版（第1/3步 直属上级）" in done
    told = "\n".join(await bot.flush("李娜"))
    assert "赵敏 已同意" in told and "等第2步 销售总监：孙丽" in told

    assert "第2/3步 销售总监" in "\n".join(await bot.flush("孙丽"))
    await bot.tap("孙丽", 1)
    assert "等第3步 财务：吴芳" in "\n".join(await bot.flush("李娜"))
    card = "\n".join(await bot.flush("吴芳"))
    assert "原因：毛利 12.2% < 15%：需财务审核" in card
    await bot.tap("吴芳", 1)

    told = "\n".join(await bot.flush("李娜"))
    assert "报价已批准" in told and "[文件]" in told
    filename, data = await last_file(bot.services, "李娜")
    assert filename == f"{number}-R1.xlsx"
    values = sheet_values(data)
    assert {"DN50球阀", number, "ACME Industrial GmbH", 80000, 1000, 80} <= values
    assert "已批准" in await bot.said("李娜", f"报价 {number}")
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"] * 3


async def test_reject_by_tap_asks_for_the_reason_and_stores_its_code(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    asked = "\n".join(await bot.tap("赵敏", 2))
    assert "原因" in asked and "1. 价格过低" in asked and "5. 其他" in asked
    done = "\n".join(await bot.say("赵敏", "2 毛利太薄"))
    assert "已驳回（毛利不足）" in done
    told = "\n".join(await bot.flush("李娜"))
    assert "赵敏 已驳回（毛利不足），2 毛利太薄" not in told and "毛利不足" in told and "毛利太薄" in told
    assert f"修改 {number}" in told
    [row] = await approvals_of(bot, number)
    assert (row.decision, row.reason_code, row.comment) == ("rejected", "low_margin", "毛利太薄")


async def test_text_decisions_the_console_way(bot: ChatHarness) -> None:
    first = await quote_and_submit(bot, SMALL)
    assert "已同意" in await bot.said("赵敏", f"同意 {first}")
    assert "报价已批准" in "\n".join(await bot.flush("李娜"))
    second = await quote_and_submit(bot, SMALL)
    assert "已驳回（价格过低）" in await bot.said("赵敏", f"驳回 {second} 价格低于底线")
    [row] = await approvals_of(bot, second)
    assert (row.reason_code, row.comment) == ("price_too_low", "价格低于底线")
    third = await quote_and_submit(bot, SMALL)
    assert "原因" in await bot.said("赵敏", f"驳回 {third}")
    assert "已驳回（交期）" in await bot.said("赵敏", "交期")
    assert "请写明报价编号" in await bot.said("赵敏", "同意")


async def test_the_card_is_finalised_once_in_its_own_table(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    card = "\n".join(await bot.flush("赵敏"))
    assert number in card
    await bot.say("赵敏", f"同意 {number}")
    async with bot.services.db.session() as s:
        cards = (await s.exec(select(QuoteCard).where(QuoteCard.kind == "approval"))).all()
        in_audit = (await s.exec(select(AuditLog).where(AuditLog.action == "card_sent"))).all()
    assert not in_audit  # card bookkeeping is not read back from the audit log any more
    [row] = cards
    assert row.card_id.startswith("apv") and row.closed_at is not None and row.final_text
    assert row.final_text.startswith("已同意 · 赵敏")


async def test_a_non_approver_tap_is_refused_and_logged(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    action = bot.console.buttons["赵敏"][0]
    out = await bot._send("王强", Inbound(channel="console", sender="王强", platform_msg_id="x1", action=action))
    assert "这不是您需要审批的报价" in "\n".join(out)
    assert "这不是您需要审批的报价" in await bot.said("刘洋", f"同意 {number}")
    async with bot.services.db.session() as s:
        refused = (await s.exec(select(AuditLog).where(AuditLog.action == "refused"))).all()
    assert [(r.entity, r.actor_id is not None) for r in refused] == [("quotes", True)] * 2
    assert [a.decision for a in await approvals_of(bot, number)] == ["pending"]


async def test_a_replayed_click_decides_once(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    action = bot.console.buttons["赵敏"][0]
    first = "\n".join(await bot.tap("赵敏", 1))
    bot.console.buttons["赵敏"] = [action]
    again = "\n".join(await bot.tap("赵敏", 1))
    assert "已同意" in first and "您已处理过" in again
    redelivered = Inbound(channel="console", sender="赵敏", platform_msg_id="same", action=action)
    assert await bot.pipeline.handle(redelivered) is not None
    assert await bot.pipeline.handle(redelivered) is None  # the inbound log refuses a redelivery
    told = "\n".join(await bot.flush("李娜"))
    assert told.count("报价已批准") == 1
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]


async def test_a_revision_restarts_approval_and_keeps_the_old_one_readable(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    old_card = bot.console.buttons["赵敏"][0]
    out = "\n".join(await bot.say("李娜", f"修改 {number} 单价48美元"))
    assert "已生成第2版" in out and "$4,800" in out
    assert "已撤回" in "\n".join(await bot.flush("赵敏"))  # the old card is finalised
    assert "第2版尚未提交" in await bot.said("赵敏", f"同意 {number}")
    bot.console.buttons["赵敏"] = [old_card]
    assert "第1版已被第2版取代" in "\n".join(await bot.tap("赵敏", 1))
    await bot.say("李娜", f"提交 {number}")
    card = "\n".join(await bot.flush("赵敏"))
    assert f"报价审批 {number} 第2版" in card
    await bot.tap("赵敏", 1)
    shown = await bot.said("李娜", f"报价 {number}")
    assert "第1版 · 已被新版本取代" in shown and "第2版 · 已批准" in shown
    decisions = [(a.decision) for a in await approvals_of(bot, number)]
    assert decisions == ["superseded", "approved"]


async def test_accepting_a_condition_changes_only_what_violates_it_and_keeps_the_approvals(
    bot: ChatHarness,
) -> None:
    number = await quote_and_submit(bot, SMALL)
    out = await bot.said("赵敏", f"有条件同意 {number} 单价不低于55美元")
    assert "有条件同意" in out
    card = "\n".join(await bot.flush("李娜"))
    assert "赵敏 有条件同意：单价不低于55美元" in card and "[1] 接受条件" in card
    mine = await bot.said("李娜", "我的报价")  # trial 7 read "—— conditional"
    assert "有条件同意，待接受条件" in mine and "conditional" not in mine
    out = "\n".join(await bot.tap("李娜", 1))
    assert "→ 单价不低于55美元：DN50球阀 单价 $50 → $55" in out and "$5,500" in out
    assert "1. 直属上级：赵敏 — 直属上级审批（沿用第1版的同意）" in out and "报价已批准" in out
    told = "\n".join(await bot.flush("赵敏"))
    assert "李娜 已接受您对 Q-2026-0001 的条件，已改为第2版，已批准" in told
    shown = await bot.said("李娜", f"报价 {number}")
    assert "第1版 · 已被新版本取代" in shown and "第2版 · 已批准 · $5,500" in shown
    assert "赵敏 已同意 11-23 10:00：沿用第1版的有条件同意（条件：单价不低于55美元）" in shown


async def test_delegation_routes_approvals_to_the_delegate_and_tells_both(bot: ChatHarness) -> None:
    pending = await quote_and_submit(bot, SMALL)
    await bot.flush("赵敏")
    out = await bot.said("赵敏", "委托 孙丽 至 12-05")
    assert "已委托 孙丽" in out and "至 12-05" in out and "已委托 孙丽 处理" in out  # old card updated
    told = "\n".join(await bot.flush("孙丽"))
    assert "赵敏 委托您代为审批报价" in told and f"报价审批 {pending}" in told
    number = await quote_and_submit(bot, SMALL)
    assert f"报价审批 {number}" in "\n".join(await bot.flush("孙丽"))
    assert not await bot.flush("赵敏")
    assert "这不是您需要审批的报价" in await bot.said("赵敏", f"同意 {number}")
    assert "已同意" in await bot.said("孙丽", f"同意 {number}")
    listed = await bot.said("孙丽", "待审批")
    assert pending in listed and number not in listed


async def test_pending_list(bot: ChatHarness) -> None:
    assert "没有等您审批" in await bot.said("赵敏", "待审批")
    number = await quote_and_submit(bot, SMALL)
    listed = await bot.said("赵敏", "待审批")
    assert number in listed and "艾克美工业有限公司" in listed and "第1步 直属上级" in listed and "李娜" in listed


async def test_past_validity_needs_a_fresh_rate(bot: ChatHarness, clock: FakeClock) -> None:
    number = await quote_and_submit(bot, SMALL)
    clock.advance(days=31)
    refused = await bot.said("赵敏", f"同意 {number}")
    assert "已过有效期" in refused and f"修改 {number} 更新汇率" in refused
    assert [a.decision for a in await approvals_of(bot, number)] == ["pending"]
    await bot.say("吴芳", "汇率 USD 7.05")
    out = await bot.said("李娜", f"修改 {number} 更新汇率")
    assert "已使用今天的汇率" in out and "1 USD = 7.05 CNY" in out
    await bot.say("李娜", f"提交 {number}")
    assert "已同意" in await bot.said("赵敏", f"同意 {number}")


async def test_a_tap_on_a_card_with_an_unknown_approval_is_harmless(bot: ChatHarness) -> None:
    from bot.cards.actions import ApprovalTap, Tap

    out = await bot._send(
        "赵敏",
        Inbound(
            channel="console", sender="赵敏", platform_msg_id=uuid.uuid4().hex, action=ApprovalTap(999, Tap.APPROVE)
        ),
    )
    assert "失效" in "\n".join(out)


async def test_the_wecom_approval_card_shows_what_decides_it(bot: ChatHarness) -> None:
    """On WeCom the approver sees customer, amount, margin, requester, reason and rate without opening 详情."""
    await quote_and_submit(bot, BIG)
    async with bot.services.db.session() as s:
        row = (
            await s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.target == "赵敏", OutboxMessage.kind == "card")
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()
    assert row is not None
    card = Card.from_json(row.payload["card"])
    rendered = json.loads(bot.services.renderer.render_json(card, "wecom", source="kabot", card_url="https://x"))
    facts = {h["keyname"]: h["value"] for h in rendered["horizontal_content_list"]}
    assert "艾克美工业有限公司" in facts["客户"] and "$80,000" in facts["金额"] and "12.22%" in facts["毛利"]
    assert facts["申请人"] == "李娜" and "7.12" in facts["汇率"]
    assert rendered["main_title"]["desc"] == "第1/3步 直属上级" and "DN50球阀" in rendered["quote_area"]["quote_text"]
    assert [b["text"] for b in rendered["button_list"]] == ["同意", "驳回", "有条件同意", "详情"]


async def test_the_wecom_card_stays_valid_json_with_conditions_and_comments(bot: ChatHarness) -> None:
    """Conditions and earlier approvers' comments reach the next approver's card, inside valid JSON."""
    number = await quote_and_submit(bot, BIG)
    await bot.say("赵敏", f'同意 {number} 老客户，"可以"\\n')
    async with bot.services.db.session() as s:
        row = (
            await s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.target == "孙丽", OutboxMessage.kind == "card")
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()
    assert row is not None
    card = Card.from_json(row.payload["card"])
    card.data["conditions"] = ['单价不低于82美元，"预付"30%']
    rendered = json.loads(bot.services.renderer.render_json(card, "wecom", source="kabot", card_url="https://x"))
    assert rendered["sub_title_text"].startswith('单价不低于82美元，"预付"30%；赵敏：老客户')
    assert "前序审批附言 赵敏：老客户" in bot.services.renderer.text(card)


async def test_undoing_a_submission_tells_the_approver_and_closes_the_card(bot: ChatHarness) -> None:
    """Issue 8: 撤销 right after 提交 left the approver with a live card for a quote nobody wanted approved."""
    number = await quote_and_submit(bot, BIG)
    assert number in "\n".join(await bot.flush("赵敏"))
    undone = await bot.said("李娜", "撤销")
    assert "已撤销提交" in undone and "又是草稿了" in undone
    told = "\n".join(await bot.flush("赵敏"))
    assert f"李娜 撤销了报价 {number} 的提交" in told and "已撤回 · 李娜 撤销了提交" in told
    async with bot.services.db.session() as s:
        quote = (await s.exec(select(Quote).where(Quote.number == number))).one()
        approvals = (await s.exec(select(Approval).where(Approval.quote_id == quote.id))).all()
    assert quote.status == "draft" and all(a.decision not in ("pending", "waiting") for a in approvals)
    assert "已同意" not in await bot.said("赵敏", f"同意 {number}")
    assert "已提交" in await bot.said("李娜", f"提交 {number}")  # and it can be submitted again


async def test_a_submission_someone_approved_is_not_undone(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, BIG)
    await bot.say("赵敏", f"同意 {number}")
    await bot.say("李娜", "跟进 艾克美 电话沟通了交期")  # 李娜's last change is now this follow-up …
    assert "已撤销" in await bot.said("李娜", "撤销")
    refused = await bot.said("李娜", "撤销")  # … and before it the submission, which 赵敏 has approved
    assert "已撤销提交" not in refused and "已经有人审批过了" in refused
