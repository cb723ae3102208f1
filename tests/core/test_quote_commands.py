"""The quote / approval command parser: what it claims, what it leaves to the general parser, and its errors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from core.approval_policy import RejectReason
from core.nlu.quote_commands import QuoteCommand, classify_reject_reason, find_number, gaps, parse_quote_command

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def parse(text: str) -> QuoteCommand | None:
    return parse_quote_command(text, now=NOW, tz=TZ)


def test_one_line_quote() -> None:
    cmd = parse("报价 艾克美 DN50球阀 1000件 单价80美元 FOB上海")
    assert cmd is not None and cmd.intent == "quote_create" and cmd.error is None
    assert cmd.customer == "艾克美"
    [line] = cmd.lines
    assert (line.product, line.quantity, line.unit, line.unit_price, line.currency) == (
        "DN50球阀",
        D(1000),
        "pcs",
        D(80),
        "USD",
    )
    assert (cmd.terms.incoterm, cmd.terms.port) == ("FOB", "上海")


def test_several_lines_with_costs_and_terms() -> None:
    cmd = parse(
        "报价 艾克美 CIF汉堡 有效期15天 T/T 30%预付 交期 35天 运费 2800美元 保险0.3%\n"
        "DN50球阀 1000件 单价80美元 成本 9.8\n"
        "DN80球阀 500件 120美元 成本 ¥62"
    )
    assert cmd is not None and cmd.error is None
    a, b = cmd.lines
    assert (a.unit_cost, a.cost_currency) == (D("9.8"), None)  # the line's own currency
    assert (b.product, b.unit_price, b.unit_cost, b.cost_currency) == ("DN80球阀", D(120), D(62), "CNY")
    t = cmd.terms
    assert (t.incoterm, t.port, t.validity_days, t.payment_terms, t.lead_time_days) == (
        "CIF",
        "汉堡",
        15,
        "T/T 30%预付",
        35,
    )
    assert (t.freight, t.freight_currency, t.insurance_pct) == (D(2800), "USD", D("0.3"))


def test_lc_payment_terms() -> None:
    cmd = parse("报价 艾克美 L/C at sight DN50球阀 1000件 80美元")
    assert cmd is not None and cmd.terms.payment_terms == "L/C at sight" and cmd.lines[0].product == "DN50球阀"


def test_a_quote_of_two_currencies_gets_an_example() -> None:
    cmd = parse("报价 艾克美 A 1000件 80美元\nB 10件 9欧元")
    assert cmd is not None and cmd.error is not None and "一种币种" in cmd.error and "例如：报价 艾克美" in cmd.error


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("报价 艾克美 DN50球阀 1000件 单价80", ("币种",)),
        ("报价 艾克美 DN50球阀 单价80美元", ("DN50球阀的数量",)),
        ("报价 艾克美 1000件 单价80美元", ("产品名称",)),
    ],
)
def test_what_a_quote_lacks_is_named_to_be_asked_for(text: str, missing: tuple[str, ...]) -> None:
    """Issue 8: a quote missing a detail is kept and the detail asked for, not refused with the rest thrown away."""
    cmd = parse(text)
    assert cmd is not None and cmd.error is None and cmd.customer == "艾克美" and gaps(cmd) == missing


@pytest.mark.parametrize(
    "text",
    [
        "今天给艾克美报价了",
        "报价 艾克美",
        "查 艾克美",
        "通过展会认识了张总",
        "同意客户的要求",
        "修改客户 艾克美 等级A",
        "提交了样品",
    ],
)
def test_other_messages_are_left_to_the_general_parser(text: str) -> None:
    assert parse(text) is None


def test_add_line_revise_and_show() -> None:
    add = parse("加一行 Q-2026-0007 DN80球阀 500件 120美元")
    assert add is not None and add.intent == "quote_add_line" and add.number == "Q-2026-0007"
    assert add.lines[0].product == "DN80球阀"
    rev = parse("修改 q-2026-7 第2行 单价110美元 数量 600件")
    assert rev is not None and rev.intent == "quote_revise" and rev.number == "Q-2026-0007"
    [change] = rev.lines
    assert (change.line_no, change.unit_price, change.quantity, change.product) == (2, D(110), D(600), "")
    both = parse("修改 Q-2026-0007 第1行 单价78美元 第2行 单价110美元")
    assert both is not None and [(c.line_no, c.unit_price) for c in both.lines] == [(1, D(78)), (2, D(110))]
    fx = parse("修改 Q-2026-0007 更新汇率")
    assert fx is not None and fx.terms.refresh_fx and not fx.lines
    nothing = parse("修改 Q-2026-0007 看看")
    assert nothing is not None and nothing.error is not None and "修改 Q-2026-0007 单价78美元" in nothing.error
    assert parse("报价 Q-2026-0007").intent == "quote_show"  # type: ignore[union-attr]
    assert parse("查看 Q-2026-0007").intent == "quote_show"  # type: ignore[union-attr]


def test_submit_and_decisions() -> None:
    assert parse("提交").intent == "quote_submit"  # type: ignore[union-attr]
    assert parse("提交 Q-2026-0001").number == "Q-2026-0001"  # type: ignore[union-attr]
    ok = parse("同意 Q-2026-0007")
    assert ok is not None and ok.intent == "approve" and not ok.conditional
    cond = parse("有条件同意 Q-2026-0007 单价不低于78美元")
    assert cond is not None and cond.conditional and cond.condition == "单价不低于78美元"
    assert parse("有条件同意 Q-2026-0007").error  # type: ignore[union-attr]
    no = parse("驳回 Q-2026-0007 价格低于底线")
    assert no is not None and (no.intent, no.reason, no.note) == ("reject", RejectReason.PRICE_TOO_LOW, "价格低于底线")
    ask = parse("驳回 Q-2026-0007")
    assert ask is not None and ask.reason is None and ask.error is None  # the handler asks for the reason
    assert parse("待审批").intent == "pending_approvals"  # type: ignore[union-attr]
    assert parse("接受 Q-2026-0007").intent == "quote_accept"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "reason", "note"),
    [
        ("1", RejectReason.PRICE_TOO_LOW, ""),
        ("2 毛利太薄", RejectReason.LOW_MARGIN, "毛利太薄"),
        ("付款条件", RejectReason.PAYMENT_TERMS, ""),
        ("交期太长客户等不了", RejectReason.LEAD_TIME, "交期太长客户等不了"),
        ("其他 客户信用差", RejectReason.OTHER, "客户信用差"),
        ("客户信用差", RejectReason.OTHER, "客户信用差"),
        # A code only when the words complain about that thing.
        ("没填成本,无法核算毛利", RejectReason.OTHER, "没填成本,无法核算毛利"),
        ("毛利率太低", RejectReason.LOW_MARGIN, "毛利率太低"),
        ("价格可以,但是账期太长", RejectReason.PAYMENT_TERMS, "价格可以,但是账期太长"),
        ("单价低于底价", RejectReason.PRICE_TOO_LOW, "单价低于底价"),
        ("交货期赶不上", RejectReason.LEAD_TIME, "交货期赶不上"),
        ("margin too low", RejectReason.LOW_MARGIN, "margin too low"),
    ],
)
def test_reject_reasons_come_from_the_short_list(text: str, reason: RejectReason, note: str) -> None:
    assert classify_reject_reason(text) == (reason, note)


def test_fx_and_delegation() -> None:
    fx = parse("汇率 USD 7.12")
    assert fx is not None and (fx.intent, fx.currency, fx.rate) == ("fx_set", "USD", D("7.12"))
    assert parse("汇率 欧元 7.75").currency == "EUR"  # type: ignore[union-attr]
    assert parse("汇率").intent == "fx_show"  # type: ignore[union-attr]
    assert "汇率 USD 7.12" in (parse("汇率 美元 很高").error or "")  # type: ignore[union-attr]
    d = parse("委托 孙丽 至 12-05")
    assert d is not None and d.person == "孙丽" and d.until == datetime(2026, 12, 5, 23, 59, 59, tzinfo=TZ)
    assert parse("委托孙丽到12月5日").until == d.until  # type: ignore[union-attr]
    assert parse("委托 孙丽 至 1-10").until.year == 2027  # type: ignore[union-attr]  # 48 days ahead: next January
    assert "委托 孙丽 至 12-05" in (parse("委托 孙丽").error or "")  # type: ignore[union-attr]
    assert parse("取消委托").intent == "delegate_cancel"  # type: ignore[union-attr]


def test_find_number() -> None:
    assert find_number("看下 q-2026-12 的情况") == "Q-2026-0012"
    assert find_number("2026-0012") is None


# --- issue 9: what people meant ------------------------------------------------------------------------


def test_words_after_approve_are_a_comment_and_only_an_explicit_condition_is_one() -> None:
    comment = parse("同意 Q-2026-0001 老客户，可以")
    assert comment is not None and not comment.conditional
    assert (comment.note, comment.condition) == ("老客户，可以", "")  # as written: trial 7 saw 价格可以,注意交期
    for text in ("有条件同意 Q-2026-0001 预付30%", "同意 Q-2026-0001 条件：预付30%", "同意 Q-2026-0001 附条件:预付30%"):
        cmd = parse(text)
        assert cmd is not None and cmd.conditional and cmd.condition == "预付30%", text
    both = parse("同意 Q-2026-0001 老客户 条件：预付30%")
    assert both is not None and (both.note, both.condition) == ("老客户", "预付30%")


def test_payment_terms_lead_time_and_validity_are_read_in_a_revision() -> None:
    cmd = parse("修改 Q-2026-0001 付款方式 30%预付 70%见提单副本")
    assert cmd is not None and cmd.error is None and cmd.terms.payment_terms == "30%预付 70%见提单副本"
    cmd = parse("修改 Q-2026-0001 30%预付 70%见提单副本 交期 30天 有效期15天")
    assert cmd is not None and cmd.terms.payment_terms == "30%预付 70%见提单副本"
    assert (cmd.terms.lead_time_days, cmd.terms.validity_days) == (30, 15)
    cmd = parse("修改 Q-2026-0001 payment 30% deposit, balance against B/L copy")
    assert cmd is not None and cmd.terms.payment_terms == "30% deposit, balance against B/L copy"


@pytest.mark.parametrize(
    ("text", "tax"),
    [
        ("报价 滨海 DN50球阀 100件 单价 ¥1200 含税 成本 900元", True),
        ("报价 滨海 DN50球阀 100件 单价 ¥1200 不含税 成本 900元", False),
        ("报价 滨海 DN50球阀 100件 单价 ¥1200 含13%增值税 成本 900元", True),
        ("quote Binhai DN50 ball valve 100 pcs CNY 1200 incl. VAT cost CNY 900", True),
        ("报价 滨海 DN50球阀 100件 单价 ¥1200 成本 900元", None),
    ],
)
def test_tax_marks_are_understood_and_kept_out_of_the_product_name(text: str, tax: bool | None) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.error is None
    [line] = cmd.lines
    assert cmd.terms.tax_included is tax
    assert line.product in ("DN50球阀", "DN50 ball valve") and (line.unit_price, line.unit_cost) == (D(1200), D(900))


def test_english_quote_line() -> None:
    cmd = parse("quote ACME DN25 ball valve 500 pcs USD 35 each cost RMB 200 FOB Ningbo")
    assert cmd is not None and cmd.error is None and cmd.customer == "ACME"
    [line] = cmd.lines
    assert (line.product, line.quantity, line.unit, line.unit_price, line.currency) == (
        "DN25 ball valve",
        D(500),
        "pcs",
        D(35),
        "USD",
    )
    assert (line.unit_cost, line.cost_currency) == (D(200), "CNY")
    assert (cmd.terms.incoterm, cmd.terms.port) == ("FOB", "Ningbo")
    assert parse("报价 滨海 DN50球阀 100件 80元/件").lines[0].product == "DN50球阀"  # type: ignore[union-attr]


def test_a_product_name_can_be_changed() -> None:
    cmd = parse("修改 Q-2026-0001 第1行 品名 DN25 ball valve, full bore")
    assert cmd is not None and cmd.error is None
    [change] = cmd.lines
    assert (change.line_no, change.rename, change.unit_price) == (1, "DN25 ball valve, full bore", None)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("提交Q-2026-3", "Q-2026-0003"),
        ("提交 0003", "Q-2026-0003"),
        ("提交 2026-3", "Q-2026-0003"),
        ("同意 0012 老客户", "Q-2026-0012"),
        ("提交", None),
        ("提交刚才那个", None),
        ("submit the last one", None),
    ],
)
def test_quote_numbers_as_people_type_them(text: str, number: str | None) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.error is None and cmd.number == number


def test_a_short_bare_number_is_not_guessed_into_a_quote_number() -> None:
    for text in ("提交 3", "同意 1"):
        cmd = parse(text)
        assert cmd is not None and cmd.number is None and "完整的报价编号" in (cmd.error or "")


def test_fx_rmb_is_the_base_currency_and_rates_can_be_undone() -> None:
    assert parse("汇率 RMB 1").currency == "CNY"  # type: ignore[union-attr]
    for text in ("撤销汇率 USD", "汇率 USD 撤销", "撤销汇率 美元"):
        cmd = parse(text)
        assert cmd is not None and (cmd.intent, cmd.currency) == ("fx_undo", "USD"), text
    assert parse("撤销汇率").intent == "fx_undo"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("委托 孙丽 至 11-20", "已经过去"),
        ("委托 孙丽 至 2026-11-01", "已经过去"),
        ("委托 孙丽 至 下周", "不是一个确定的日期"),
        ("委托 孙丽 至 2-30", "没有 2-30 这一天"),
        ("委托 孙丽 至 2027-11-20", "太远"),
    ],
)
def test_a_past_or_vague_delegation_end_is_refused_with_the_reason(text: str, why: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.until is None and why in (cmd.error or "")


def test_an_admin_can_write_someone_elses_delegation() -> None:
    cmd = parse("委托 赵敏 给 王强 至 12-05")
    assert cmd is not None and (cmd.from_person, cmd.person) == ("赵敏", "王强") and cmd.until is not None


def test_a_keyed_payment_term_is_stored_without_its_key_and_long_city_names_stay_whole() -> None:
    cmd = parse("报价 艾克美 DN50球阀 1000件 单价80美元 付款方式 T/T 30%预付 70%见提单副本")
    assert cmd is not None and cmd.terms.payment_terms == "T/T 30%预付 70%见提单副本"
    cif = parse("报价 北欧暖通 风机盘管 50台 单价300美元 CIF 斯德哥尔摩 运费 1200美元")
    assert cif is not None and cif.terms.port == "斯德哥尔摩" and cif.lines[0].product == "风机盘管"
    short = parse("报价 艾克美 CIF汉堡 DN50球阀 1000件 单价80美元")
    assert short is not None and short.terms.port == "汉堡"
