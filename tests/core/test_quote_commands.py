"""The quote / approval command parser: what it claims, what it leaves to the general parser, and its errors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from core.approval_policy import RejectReason
from core.nlu.quote_commands import QuoteCommand, classify_reject_reason, find_number, parse_quote_command

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


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("报价 艾克美 DN50球阀 1000件 单价80", "请写明币种"),
        ("报价 艾克美 DN50球阀 单价80美元", "缺少数量"),
        ("报价 艾克美 1000件 单价80美元", "缺少产品名称"),
        ("报价 艾克美 A 1000件 80美元\nB 10件 9欧元", "一种币种"),
    ],
)
def test_a_wrong_quote_gets_an_example(text: str, error: str) -> None:
    cmd = parse(text)
    assert cmd is not None and cmd.error is not None and error in cmd.error and "例如：报价 艾克美" in cmd.error


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
    cond = parse("同意 Q-2026-0007 单价不低于78美元")
    assert cond is not None and cond.conditional and cond.note == "单价不低于78美元"
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
    assert parse("委托 孙丽 至 1-10").until.year == 2027  # type: ignore[union-attr]
    assert "委托 孙丽 至 12-05" in (parse("委托 孙丽").error or "")  # type: ignore[union-attr]
    assert parse("取消委托").intent == "delegate_cancel"  # type: ignore[union-attr]


def test_find_number() -> None:
    assert find_number("看下 q-2026-12 的情况") == "Q-2026-0012"
    assert find_number("2026-0012") is None
