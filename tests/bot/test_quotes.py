"""Quotes in chat: priced, shown back as a card, numbered, extended; FX locked, and refused when missing."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from storage.models import AuditLog, Quote, QuoteCard
from tests.fakes.harness import ChatHarness

QUOTE = "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海"


async def test_the_rep_sees_the_priced_quote_before_submitting(bot: ChatHarness) -> None:
    out = await bot.said("李娜", QUOTE)
    assert "已生成报价 Q-2026-0001（草稿）" in out
    assert "【报价 Q-2026-0001】" in out and "艾克美工业有限公司 · A级 · 德国" in out
    assert "1. DN50球阀 1,000件 × $80 = $80,000 · 毛利 12.22%" in out
    assert "合计 FOB 上海 $80,000 ≈ ¥569,600" in out
    assert "汇率：1 USD = 7.12 CNY · 来源 demo · 设置于 11-23 10:00" in out
    assert "有效期 30 天（至 2026-12-23）" in out and "[1] 提交审批" in out
    submitted = "\n".join(await bot.tap("李娜", 1))
    assert "已提交 Q-2026-0001 第1版，审批路线" in submitted and "1. 直属上级：赵敏" in submitted
    assert "2. 销售总监：孙丽" in submitted and "3. 财务：吴芳" in submitted
    async with bot.services.db.session() as s:
        q = (await s.exec(select(Quote))).one()
        actions = [a.action for a in (await s.exec(select(AuditLog))).all()]
        sent = [(c.kind, c.closed_at is None) for c in (await s.exec(select(QuoteCard))).all()]
    assert (q.status, q.fx_rate, q.fx_source, q.total_base) == ("pending", Decimal("7.12"), "demo", Decimal(569600))
    assert {"create", "submit"} <= set(actions)
    assert sent == [("submit", False), ("approval", True)]  # the rep's card finalised, the manager's is live


async def test_several_lines_terms_and_the_incoterm_price_stack(bot: ChatHarness) -> None:
    out = await bot.said(
        "李娜",
        "报价 艾克美 FOB上海 有效期15天 T/T 30%预付 交期 35天 运费 2800美元 保险0.3%\n"
        "DN50球阀 1000件 单价80美元 成本 9.8\n"
        "DN80球阀 500件 120美元 成本 ¥62",
    )
    assert "1. DN50球阀 1,000件 × $80 = $80,000" in out and "2. DN80球阀 500件 × $120 = $60,000" in out
    assert "合计 FOB 上海 $140,000" in out
    assert "+ 运费 $2,800 → CFR $142,800" in out and "→ CIF" in out
    assert "有效期 15 天" in out and "付款 T/T 30%预付" in out and "交期 35 天" in out
    added = await bot.said("李娜", "加一行 Q-2026-0001 蝶阀 200件 30美元")
    assert "已更新草稿" in added and "3. 蝶阀 200件 × $30 = $6,000" in added and "$146,000" in added


async def test_numbers_are_sequential_and_revisions_keep_theirs(bot: ChatHarness) -> None:
    assert "Q-2026-0001" in await bot.said("李娜", QUOTE)
    assert "Q-2026-0002" in await bot.said("李娜", QUOTE)
    assert "Q-2026-0003" in await bot.said("王强", "报价 艾克森 离心泵 10台 单价900美元")


async def test_a_currency_without_a_rate_is_refused_and_says_who_can_set_it(bot: ChatHarness) -> None:
    refused = await bot.said("李娜", "报价 艾克美 DN50球阀 1000件 单价9000日元")
    assert "汇率未设置：JPY" in refused and "吴芳" in refused and "汇率 JPY" in refused
    assert "只有财务或管理员可以设置汇率（吴芳）" in await bot.said("李娜", "汇率 JPY 0.048")
    assert "已设置汇率 1 JPY = 0.048 CNY" in await bot.said("吴芳", "汇率 JPY 0.048")
    assert "1 JPY = 0.048 CNY" in await bot.said("李娜", "报价 艾克美 DN50球阀 1000件 单价9000日元")
    assert "1 JPY = 0.048 CNY" in await bot.said("李娜", "汇率")


async def test_a_quote_keeps_the_rate_it_was_priced_with(bot: ChatHarness) -> None:
    await bot.say("李娜", QUOTE)
    assert "原为 7.12" in await bot.said("吴芳", "汇率 USD 7.30")
    shown = await bot.said("李娜", "报价 Q-2026-0001")
    assert "1 USD = 7.12 CNY" in shown and "¥569,600" in shown


async def test_only_own_or_team_customers(bot: ChatHarness) -> None:
    refused = await bot.said("李娜", "报价 艾克森流体设备 离心泵 10台 单价900美元")  # 王强's, by its full name
    assert "已生成报价" not in refused and "负责人：王强" in refused and "申请转移" in refused  # issue 8
    assert "已生成报价" in await bot.said("赵敏", "报价 艾克森 离心泵 10台 单价900美元")
    assert "没找到客户“不存在公司”" in await bot.said("李娜", "报价 不存在公司 阀门 10件 单价9美元")


async def test_a_wrong_command_gets_an_example(bot: ChatHarness) -> None:
    out = await bot.said("李娜", "报价 艾克美 DN50球阀 1000件 单价80")
    assert "还缺：币种" in out and "例如：美元" in out and "还没有保存" in out
    assert "已生成报价 Q-2026-0001" in await bot.said("李娜", "美元")
    out = await bot.said("李娜", "修改 Q-2026-0001 看看")
    assert "例如：修改 Q-2026-0007 单价78美元" in out
    assert "没有找到报价 Q-2026-0009" in await bot.said("李娜", "修改 Q-2026-0009 单价78美元")


async def test_only_the_owner_revises_and_several_lines_need_a_line_number(bot: ChatHarness) -> None:
    await bot.say("李娜", "报价 艾克美 A阀 10件 单价8美元\nB阀 10件 单价9美元")
    assert "只有报价负责人可以修改" in await bot.said("王强", "修改 Q-2026-0001 单价7美元")
    assert "请写明改第几行" in await bot.said("李娜", "修改 Q-2026-0001 单价7美元")
    assert "1. A阀 10件 × $7 = $70" in await bot.said("李娜", "修改 Q-2026-0001 第1行 单价7美元")
    assert "2. B阀 10件 × $10 = $100" in await bot.said("李娜", "修改 Q-2026-0001 B阀 单价10美元")
