"""Issue 9, "what went wrong": each surprise as the people who met it would try it again."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select

from bot.sales.policy import read_policy
from storage.models import Approval, AuditLog, Customer, FxRate, Quote, QuoteLine, User
from tests.bot.test_quotes_support import last_file, quote_and_submit, sheet_values
from tests.fakes.harness import ChatHarness

SMALL = "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海"  # $5,000, 44% margin: the manager only
EUR_DEAL = "报价 艾克美 DN50球阀 10件 单价4500欧元 成本 ¥20000 FOB上海 T/T 30%预付 70%见提单副本"  # €45,000


async def rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return list((await s.exec(select(model).where(*where))).all())


async def refusals(bot: ChatHarness) -> list[AuditLog]:
    return await rows(bot, AuditLog, AuditLog.action == "refused")


# --- a comment is not a condition ------------------------------------------------------------------------


async def test_words_after_approve_are_a_comment_the_rep_sees(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    out = await bot.said("赵敏", f"同意 {number} 老客户，可以")
    assert f"已同意 {number}" in out and f"有条件同意 {number}" not in out
    told = "\n".join(await bot.flush("李娜"))
    assert "报价已批准" in told and "附言：老客户，可以" in told
    [row] = await rows(bot, Approval)
    assert (row.decision, row.comment) == ("approved", "老客户，可以")
    [quote] = await rows(bot, Quote)
    assert quote.status == "approved"


async def test_words_that_read_as_a_condition_are_asked_about_not_guessed(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    asked = await bot.said("赵敏", f"同意 {number} 单价不低于45美元")
    assert "是同意的条件吗" in asked
    [row] = await rows(bot, Approval)
    assert row.decision == "pending"  # nothing decided until answered
    assert "已同意" in await bot.said("赵敏", "否")
    assert "附言：单价不低于45美元" in "\n".join(await bot.flush("李娜"))
    second = await quote_and_submit(bot, SMALL)
    await bot.say("赵敏", f"同意 {second} 单价不低于55美元")
    assert "有条件同意" in await bot.said("赵敏", "是")


# --- a condition is a constraint ---------------------------------------------------------------------------


async def test_accepting_a_condition_the_quote_already_meets_changes_nothing(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, EUR_DEAL)
    await bot.flush("赵敏")
    await bot.say("赵敏", f"有条件同意 {number} 单价不低于4400欧元，预付30%")
    card = "\n".join(await bot.flush("李娜"))
    assert "付款 T/T 30%预付 70%见提单副本" in card
    out = "\n".join(await bot.say("李娜", f"接受 {number}"))
    assert "✓ 单价不低于4400欧元：已满足" in out and "✓ 预付30%：已满足" in out
    assert "报价未改动，继续审批：现在等第2步 销售总监：孙丽" in out
    [quote] = await rows(bot, Quote)  # still revision 1, at €4,500, with its payment terms
    [line] = await rows(bot, QuoteLine)
    assert (quote.revision, quote.status, line.unit_price, quote.payment_terms) == (
        1,
        "pending",
        Decimal(4500),
        "T/T 30%预付 70%见提单副本",
    )
    card = "\n".join(await bot.flush("孙丽"))
    assert f"报价审批 {number} 第1版" in card and "已附条件：单价不低于4400欧元,预付30%" in card
    assert "李娜 已接受您对" in "\n".join(await bot.flush("赵敏"))


async def test_a_violated_term_changes_and_a_term_kabot_cannot_apply_is_shown(bot: ChatHarness) -> None:
    deal = EUR_DEAL.replace("4500欧元", "4300欧元").replace("T/T 30%预付 70%", "T/T 20%预付 80%")
    number = await quote_and_submit(bot, deal)
    await bot.say("赵敏", f"有条件同意 {number} 单价不低于4400欧元，预付30%，需附CE证书")
    out = "\n".join(await bot.say("李娜", f"接受 {number}"))
    assert "→ 单价不低于4400欧元：DN50球阀 单价 €4,300 → €4,400" in out
    assert "→ 预付30%：付款方式 T/T 20%预付 80%见提单副本 → T/T 30%预付 70%见提单副本" in out
    assert "！ 需附CE证书：kabot 无法自动处理，请您落实" in out and "请您自行处理标“！”的条件" in out
    assert "直属上级：赵敏 — 直属上级审批（沿用第1版的同意）" in out and "现在等 孙丽 审批" in out
    latest = max(await rows(bot, Quote), key=lambda q: q.revision)
    assert (latest.revision, latest.status, latest.payment_terms) == (2, "pending", "T/T 30%预付 70%见提单副本")
    assert f"报价审批 {number} 第2版" in "\n".join(await bot.flush("孙丽"))
    assert not [m for m in await bot.flush("赵敏") if "报价审批" in m]  # the manager is not asked again


async def test_a_term_kabot_cannot_set_is_decided_again_by_who_set_it(bot: ChatHarness) -> None:
    """User trial: 预付30% on an L/C quote was carried over as approved and the quote went out on L/C terms."""
    number = await quote_and_submit(bot, EUR_DEAL.replace("T/T 30%预付 70%见提单副本", "L/C at sight"))
    await bot.flush("赵敏")
    await bot.say("赵敏", f"有条件同意 {number} 预付30%")
    out = "\n".join(await bot.say("李娜", f"接受 {number}"))
    assert "！ 预付30%" in out and "沿用第1版的同意" not in out
    latest = max(await rows(bot, Quote), key=lambda q: q.revision)
    assert (latest.revision, latest.status) == (2, "pending")
    assert f"报价审批 {number} 第2版" in "\n".join(await bot.flush("赵敏"))  # the manager checks her condition


async def test_payment_terms_lead_time_and_validity_are_kept_shown_and_carried(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    out = await bot.said("李娜", f"修改 {number} 付款方式 30%预付 70%见提单副本 交期 30天 有效期15天")
    assert "已生成第2版" in out and "付款 30%预付 70%见提单副本" in out and "交期 30 天" in out
    out = await bot.said("李娜", f"修改 {number} 单价52美元")
    assert "已生成第2版" not in out and "付款 30%预付 70%见提单副本" in out and "有效期 15 天" in out
    await bot.say("李娜", f"提交 {number}")
    await bot.say("赵敏", f"同意 {number}")
    _, data = await last_file(bot.services, "李娜")
    values = sheet_values(data)
    assert "Payment: 30%预付 70%见提单副本" in values and "Lead Time: 30 days" in values
    assert not any(str(v).startswith("Payment: -") for v in values)


# --- tax, English lines, numbers -------------------------------------------------------------------------


async def test_margin_on_a_tax_inclusive_domestic_price(bot: ChatHarness) -> None:
    out = await bot.said("李娜", "报价 滨海国贸 DN50球阀 100件 单价 ¥1200 含税 成本 900元")
    assert "1. DN50球阀 100件 × ¥1,200 = ¥120,000 · 毛利 15.25%" in out
    assert "含税价（增值税 13%），毛利按不含税价计算" in out and "含税 100件" not in out
    assert "合计 ¥120,000" in out and "FOB" not in out  # a domestic sale names no incoterm unless the rep does
    export = await bot.said("李娜", "报价 艾克美 DN50球阀 100件 单价 ¥1200 含税 成本 900元")
    assert "毛利 25.00%" in export and "出口报价，增值税 0%" in export and "合计 FOB ¥120,000" in export


async def test_the_vat_rate_is_a_setting(bot: ChatHarness) -> None:
    bot.services.settings = bot.services.settings.model_copy(update={"vat_rate": Decimal(9)})
    out = await bot.said("李娜", "报价 滨海国贸 DN50球阀 100件 单价 ¥1090 含税 成本 900元")
    assert "毛利 10.00%" in out and "增值税 9%" in out


async def test_an_english_quote_line_and_a_product_renamed_later(bot: ChatHarness) -> None:
    out = await bot.said("李娜", "quote ACME DN25 ball valve 500 pcs USD 35 each cost RMB 200 FOB Ningbo")
    assert "1. DN25 ball valve 500件 × $35 = $17,500 · 毛利 19.74%" in out and "FOB Ningbo" in out
    renamed = await bot.said("李娜", "修改 Q-2026-0001 第1行 品名 DN25 full-bore ball valve")
    assert "1. DN25 full-bore ball valve 500件 × $35" in renamed


async def test_quote_numbers_as_people_type_them(bot: ChatHarness) -> None:
    await bot.say("李娜", SMALL)
    assert "已提交 Q-2026-0001" in await bot.said("李娜", "提交Q-2026-1")
    await bot.say("李娜", SMALL)
    assert "已提交 Q-2026-0002" in await bot.said("李娜", "提交 0002")
    await bot.say("李娜", SMALL)
    assert "已提交 Q-2026-0003" in await bot.said("李娜", "提交刚才那个")
    assert "您没有待提交的草稿报价" in await bot.said("李娜", "提交")
    assert "完整的报价编号" in await bot.said("李娜", "提交 3")


# --- exchange rates ----------------------------------------------------------------------------------------


async def test_a_rate_ten_times_off_must_be_confirmed_and_can_be_undone(bot: ChatHarness) -> None:
    asked = await bot.said("吴芳", "汇率 USD 71.8")
    assert "变动了 908.4%" in asked and "是不是输错了" in asked
    assert "保持不变" in await bot.said("吴芳", "否")
    assert (await rows(bot, FxRate, FxRate.currency == "USD"))[0].rate_to_base == Decimal("7.12")
    await bot.say("吴芳", "汇率 USD 71.8")
    assert "已设置汇率 1 USD = 71.8 CNY（原为 7.12）" in await bot.said("吴芳", "是")
    assert "已撤销 1 USD = 71.8 CNY，恢复为 1 USD = 7.12 CNY" in await bot.said("吴芳", "撤销汇率 USD")
    assert "撤销汇率 USD" in await bot.said("吴芳", "汇率 USD 7.3")  # a small move: no question
    assert "恢复为 1 USD = 7.12 CNY" in await bot.said("吴芳", "撤销汇率 USD")
    assert "没有可以撤销" in await bot.said("吴芳", "撤销汇率 USD")
    listed = await bot.said("李娜", "汇率")
    assert "1 USD = 7.12 CNY · 吴芳 · 11-23 10:00" in listed


async def test_implausible_rates_and_the_base_currency_are_refused(bot: ChatHarness) -> None:
    assert "不合理" in await bot.said("吴芳", "汇率 USD 0.00001")
    assert "不合理" in await bot.said("吴芳", "汇率 USD 200000")
    assert "本位币" in await bot.said("吴芳", "汇率 RMB 1")
    assert "只有财务或管理员可以设置汇率（吴芳）" in await bot.said("李娜", "汇率 USD 7.5")
    [refused] = [r for r in await refusals(bot) if r.entity == "fx_rates"][:1]
    assert refused.message == "汇率 USD 7.5"


async def test_one_unusable_rate_row_does_not_break_quotes_in_other_currencies(bot: ChatHarness) -> None:
    async with bot.services.db.session() as s:
        row = await s.get(FxRate, "EUR")
        assert row is not None
        row.rate_to_base = Decimal("0.0000001")  # rounds to 0 in Numeric(18, 6)
        s.add(row)
    assert "已生成报价" in await bot.said("李娜", SMALL)  # USD still works
    refused = await bot.said("李娜", "报价 艾克美 DN50球阀 10件 单价4500欧元")
    assert "汇率未设置：EUR" in refused
    assert "EUR 无效" in await bot.said("吴芳", "汇率")


# --- delegation ----------------------------------------------------------------------------------------


async def test_a_past_end_date_is_refused_with_the_reason(bot: ChatHarness) -> None:
    out = await bot.said("赵敏", "委托 孙丽 至 11-20")
    assert "委托的结束日期 2026-11-20 已经过去了" in out


async def test_delegating_below_ones_role_needs_an_admin(bot: ChatHarness) -> None:
    refused = await bot.said("赵敏", "委托 李娜 至 12-05")
    assert "受托人的角色不能低于您" in refused and "请管理员发：委托 赵敏 给 李娜 至 12-05" in refused
    assert [r.entity for r in await refusals(bot)] == ["delegations"]
    async with bot.services.db.session() as s:
        s.add(User(name="管理员", role="admin"))
    out = await bot.said("管理员", "委托 赵敏 给 王强 至 12-05")
    assert "已委托 王强 代赵敏审批报价，至 12-05" in out
    assert "管理员 管理员 已设置：您的报价审批委托 王强" in "\n".join(await bot.flush("赵敏"))


# --- routing by country, reason codes, refusals ----------------------------------------------------------


async def test_a_country_rule_matches_customers_whichever_way_their_country_was_written(
    bot: ChatHarness, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[steps]]\nname = "直属上级"\napprover = "manager"\n'
        '[[steps]]\nname = "出口合规"\nrole = "gm"\n[steps.when]\ncountries = ["DE"]\n',
        encoding="utf-8",
    )
    bot.services.policy = read_policy(str(policy))
    out = await bot.said("李娜", "新客户 莱比锡阀门 Germany B级")
    assert "德国" in out
    [c] = await rows(bot, Customer, Customer.name == "莱比锡阀门")
    assert c.country == "DE"
    number = await quote_and_submit(bot, SMALL.replace("艾克美", "莱比锡阀门"))
    shown = await bot.said("李娜", f"报价 {number}")
    assert "第2步 出口合规 周建国" in shown
    other = await quote_and_submit(bot, SMALL.replace("艾克美", "伊比利亚水务"))  # Spain: not routed
    assert "出口合规" not in await bot.said("李娜", f"报价 {other}")


async def test_a_rejection_whose_words_name_no_reason_is_other_with_the_text(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, SMALL)
    assert "已驳回（其他）" in await bot.said("赵敏", f"驳回 {number} 没填成本，无法核算毛利")
    [row] = await rows(bot, Approval)
    assert (row.reason_code, row.comment) == ("other", "没填成本，无法核算毛利")


async def test_every_refusal_leaves_an_audit_row(bot: ChatHarness) -> None:
    big = await quote_and_submit(bot, "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海")
    assert "还没轮到您审批" in await bot.said("孙丽", f"同意 {big}")  # not your turn
    assert "不是您的报价" in await bot.said("王强", f"修改 {big} 单价90美元")  # another rep's quote
    assert "只有财务或管理员" in await bot.said("李娜", "汇率 USD 7.5")  # FX by a rep
    assert "这不是您需要审批的报价" in await bot.said("刘洋", f"同意 {big}")
    got = [(r.entity, r.message) for r in await refusals(bot)]
    assert got == [
        ("quotes", f"同意 {big}"),
        ("quotes", f"修改 {big} 单价90美元"),
        ("fx_rates", "汇率 USD 7.5"),
        ("quotes", f"同意 {big}"),
    ]
    assert [a.decision for a in await rows(bot, Approval)] == ["pending", "waiting", "waiting"]
    actors = {r.actor_id for r in await refusals(bot)}
    people = {u.id: u.name for u in await rows(bot, User)}
    assert {people[a] for a in actors if a} == {"孙丽", "王强", "李娜", "刘洋"}


async def test_pending_approvals_are_listed_oldest_first(bot: ChatHarness) -> None:
    """待审批 lists what waits, newest quote numbers after older ones."""
    first = await quote_and_submit(bot, SMALL)
    second = await quote_and_submit(bot, SMALL)
    listed = await bot.said("赵敏", "待审批")
    assert listed.index(first) < listed.index(second)
    assert (await rows(bot, Quote, col(Quote.status) == "pending"))[0].number == first


async def test_approving_another_teams_draft_reveals_nothing(bot: ChatHarness) -> None:
    """User trial: `同意 Q-…` by someone outside the team told them the quote's revision and that it was a draft."""
    out = await bot.said("李娜", SMALL)
    number = next(w for w in out.replace("：", " ").split() if w.startswith("Q-"))
    reply = await bot.said("陈静", f"同意 {number}")
    assert "尚未提交" not in reply and "第1版" not in reply and "不是您需要审批" in reply


async def test_an_english_name_of_several_words_is_not_eaten_by_the_product(bot: ChatHarness) -> None:
    """User trial: `quote Thames Engineering DN25 …` named the line "Engineering DN25 brass ball valve"."""
    out = await bot.said(
        "王强", "quote Thames Engineering DN25 brass ball valve 2000 pcs GBP 6.8 each cost RMB 38 FOB Ningbo"
    )
    assert "泰晤士工程" in out
    [line] = await rows(bot, QuoteLine)
    assert line.product == "DN25 brass ball valve"
