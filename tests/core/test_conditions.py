"""An approver's condition is a constraint: kept when it holds, applied when it does not, left to the rep otherwise."""

from __future__ import annotations

from decimal import Decimal as D

from core.conditions import (
    ClauseKind,
    Effect,
    LineTerms,
    QuoteTerms,
    apply_conditions,
    parse_conditions,
    prepay_share,
)

ONE_LINE = QuoteTerms("EUR", (LineTerms(1, "DN50球阀", D(4500)),), "T/T 30%预付 70%见提单副本", 35)


def effects(text: str, terms: QuoteTerms = ONE_LINE) -> list[Effect]:
    return [r.effect for r in apply_conditions(parse_conditions(text), terms).results]


def test_the_reported_case_changes_nothing() -> None:
    """`单价不低于4400欧元，预付30%` on €4,500 with 30% prepaid: both hold, the deal stays as it is."""
    applied = apply_conditions(parse_conditions("单价不低于4400欧元，预付30%"), ONE_LINE)
    assert [r.effect for r in applied.results] == [Effect.KEPT, Effect.KEPT]
    assert applied.terms == ONE_LINE and not applied.changed


def test_a_violated_term_is_changed_to_satisfy_it_and_nothing_else_moves() -> None:
    terms = QuoteTerms("EUR", (LineTerms(1, "DN50球阀", D(4300)),), "T/T 20%预付 80%见提单副本", 45)
    applied = apply_conditions(parse_conditions("单价不低于4400欧元，预付30%，交期不超过40天"), terms)
    assert applied.terms.lines[0].unit_price == D(4400)
    assert applied.terms.payment_terms == "T/T 30%预付 70%见提单副本"  # the balance follows the deposit
    assert applied.terms.lead_time_days == 40 and applied.terms.validity_days == 30
    assert [r.detail for r in applied.results] == [
        "DN50球阀 单价 €4,300 → €4,400",
        "付款方式 T/T 20%预付 80%见提单副本 → T/T 30%预付 70%见提单副本",
        "交期 45 天 → 40 天",
    ]


def test_what_cannot_be_applied_is_left_to_the_rep() -> None:
    two_lines = QuoteTerms("USD", (LineTerms(1, "A阀", D(10)), LineTerms(2, "B阀", D(20))), "L/C at sight")
    assert effects("需附CE证书", two_lines) == [Effect.MANUAL]
    assert effects("单价不低于15美元", two_lines) == [Effect.MANUAL]  # which line?
    assert effects("第2行 单价不低于25美元", two_lines) == [Effect.CHANGED]
    assert effects("A阀单价不低于12美元", two_lines) == [Effect.CHANGED]
    assert effects("单价不低于80欧元", QuoteTerms("USD", (LineTerms(1, "A阀", D(10)),))) == [Effect.MANUAL]
    assert effects("预付30%", two_lines) == [Effect.MANUAL]  # an L/C: the rep rewrites the terms


def test_clauses_are_read_in_chinese_and_english() -> None:
    kinds = [c.kind for c in parse_conditions("price at least USD 36; 30% deposit; lead time within 30 days")]
    assert kinds == [ClauseKind.MIN_PRICE, ClauseKind.MIN_PREPAY, ClauseKind.MAX_LEAD_TIME]
    assert [c.kind for c in parse_conditions("款到发货，有效期15天")] == [
        ClauseKind.MIN_PREPAY,
        ClauseKind.MAX_VALIDITY,
    ]
    assert parse_conditions("单价改为4600欧元")[0].kind is ClauseKind.SET_PRICE


def test_prepay_share_in_payment_terms() -> None:
    assert prepay_share("T/T 30%预付 70%见提单副本") == D(30)
    assert prepay_share("30% deposit, balance against B/L copy") == D(30)
    assert prepay_share("款到发货") == D(100)
    assert prepay_share("L/C at sight") is None and prepay_share(None) is None


def test_clauses_written_with_only_a_space_between_are_two() -> None:
    """Trial 9: `有条件同意 0001 单价不低于46美元 预付不低于30%` on a $45 quote — read as one clause, the price floor
    was lost and `接受` said 已满足; a product named before its floor stays with it."""
    usd = QuoteTerms("USD", (LineTerms(1, "DN50球阀", D(45)),), "T/T 30%预付 70%见提单副本", 35)
    clauses = parse_conditions("单价不低于46美元 预付不低于30%")
    assert [c.kind for c in clauses] == [ClauseKind.MIN_PRICE, ClauseKind.MIN_PREPAY]
    assert effects("单价不低于46美元 预付不低于30%", usd) == [Effect.CHANGED, Effect.KEPT]
    [floor] = parse_conditions("DN50球阀 单价不低于46美元")
    assert (floor.kind, floor.product) == (ClauseKind.MIN_PRICE, "DN50球阀")
