from __future__ import annotations

import re

import pytest

from core.stage_rules import (
    DEFAULT_RULES,
    Evidence,
    EvidenceKind,
    Requirement,
    StageRules,
    assess_move,
    check_move,
    is_backward,
    parse_evidence,
    parse_stage,
)
from core.stages import Stage

NONE = Evidence()
QUOTE = Evidence.of(EvidenceKind.QUOTE)
PROPOSAL = Evidence.of("proposal")
APPROVED = Evidence.of(EvidenceKind.APPROVED_QUOTE)


# ----------------------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    ("current", "target"),
    [(Stage.S1, Stage.S2), (Stage.S2, Stage.S1), (Stage.S3, Stage.S4), (Stage.S1, Stage.S1)],
)
def test_moves_without_requirements_pass(current, target):
    assert check_move(current, target, NONE, DEFAULT_RULES) == []


def test_s3_needs_quote_or_proposal():
    assert check_move(Stage.S2, Stage.S3, NONE, DEFAULT_RULES) == ["缺少报价或方案（进入「S3 方案报价」前需要）"]
    assert check_move(Stage.S2, Stage.S3, QUOTE, DEFAULT_RULES) == []
    assert check_move(Stage.S2, Stage.S3, PROPOSAL, DEFAULT_RULES) == []


def test_s5_needs_approved_quote_not_just_a_quote():
    assert check_move(Stage.S4, Stage.S5, QUOTE, DEFAULT_RULES) == ["缺少已审批的报价（进入「S5 合同签订」前需要）"]
    assert check_move(Stage.S4, Stage.S5, APPROVED, DEFAULT_RULES) == []


def test_skipping_stages_does_not_bypass_gates():
    missing = check_move(Stage.S1, Stage.S5, NONE, DEFAULT_RULES)
    assert missing == [
        "缺少报价或方案（进入「S3 方案报价」前需要）",
        "缺少已审批的报价（进入「S5 合同签订」前需要）",
    ]
    # An approved quote is also a quote, so it satisfies S3 too.
    assert check_move(Stage.S1, Stage.S5, APPROVED, DEFAULT_RULES) == []


def test_won_needs_to_be_at_s5():
    assert check_move(Stage.S5, Stage.WON, NONE, DEFAULT_RULES) == []
    assert check_move(Stage.S4, Stage.WON, APPROVED, DEFAULT_RULES) == [
        "需先推进到「S5 合同签订」才能赢单（当前：S4 商务谈判）"
    ]
    # From S2, both the stage rule and the skipped gates are reported, stage rule first.
    missing = check_move(Stage.S2, Stage.WON, NONE, DEFAULT_RULES)
    assert missing[0].startswith("需先推进到「S5 合同签订」")
    assert len(missing) == 3


@pytest.mark.parametrize("current", [Stage.S1, Stage.S3, Stage.S5, Stage.WON])
def test_lost_always_allowed_with_reason(current):
    assert check_move(current, Stage.LOST, Evidence(lost_reason="价格太高，客户选了越南供应商"), DEFAULT_RULES) == []
    assert check_move(current, Stage.LOST, NONE, DEFAULT_RULES) == ["请填写输单原因"]
    assert check_move(current, Stage.LOST, Evidence(lost_reason="   "), DEFAULT_RULES) == ["请填写输单原因"]


def test_lost_from_won_is_flagged():
    check = assess_move(Stage.WON, Stage.LOST, Evidence(lost_reason="客户取消订单"))
    assert check.ok and check.warnings == ("该商机已赢单，改为输单请确认",)


def test_default_rules_argument_is_optional():
    assert check_move(Stage.S2, Stage.S3, NONE) == check_move(Stage.S2, Stage.S3, NONE, DEFAULT_RULES)


# ----------------------------------------------------------------------------- backward / flags


def test_backward_allowed_but_flagged():
    check = assess_move(Stage.S4, Stage.S2, NONE)
    assert check.ok and check.backward
    assert check.warnings == ("阶段回退：S4 商务谈判 → S2 需求确认",)
    # Going back never demands evidence, even into a gated stage.
    assert assess_move(Stage.S5, Stage.S3, NONE).missing == ()


def test_won_back_to_open_is_backward():
    check = assess_move(Stage.WON, Stage.S5, NONE)
    assert check.ok and check.backward
    assert check.warnings == ("阶段回退：赢单 → S5 合同签订",)


def test_reopening_lost_is_flagged_and_gated():
    check = assess_move(Stage.LOST, Stage.S2, NONE)
    assert check.ok and not check.backward
    assert check.warnings == ("重新打开输单商机，进入「S2 需求确认」",)
    assert assess_move(Stage.LOST, Stage.S3, NONE).missing == ("缺少报价或方案（进入「S3 方案报价」前需要）",)
    assert "需先推进到「S5 合同签订」才能赢单（当前：输单）" in check_move(Stage.LOST, Stage.WON, APPROVED)


def test_same_stage_is_a_noop_warning():
    check = assess_move(Stage.S3, Stage.S3, NONE)
    assert check.ok and check.warnings == ("已处于「S3 方案报价」，无需变更",)


@pytest.mark.parametrize(
    ("current", "target", "backward"),
    [
        (Stage.S3, Stage.S2, True),
        (Stage.S2, Stage.S3, False),
        (Stage.WON, Stage.S1, True),
        (Stage.S5, Stage.LOST, False),
        (Stage.LOST, Stage.S1, False),
        (Stage.S5, Stage.WON, False),
    ],
)
def test_is_backward(current, target, backward):
    assert is_backward(current, target) is backward


# ----------------------------------------------------------------------------- configuration


def test_from_mapping_overrides_and_keeps_defaults():
    rules = StageRules.from_mapping(
        {
            "requires": {"S4": ["sample"], "赢单": "contract,deposit|pi", "S3": "proposal"},
            "lost_requires_reason": "false",
        }
    )
    # S5 default kept, S3 replaced, S4 and won added.
    assert rules.requires[Stage.S5] == (Requirement(frozenset({EvidenceKind.APPROVED_QUOTE})),)
    assert check_move(Stage.S2, Stage.S3, QUOTE, rules) == ["缺少方案（进入「S3 方案报价」前需要）"]
    assert check_move(Stage.S3, Stage.S4, NONE, rules) == ["缺少样品确认（进入「S4 商务谈判」前需要）"]
    assert check_move(Stage.S5, Stage.WON, Evidence.of("contract"), rules) == [
        "缺少形式发票(PI)或定金到账（赢单前需要）"
    ]
    assert check_move(Stage.S5, Stage.WON, Evidence.of("contract", "定金"), rules) == []
    assert check_move(Stage.S3, Stage.LOST, NONE, rules) == []


def test_from_mapping_can_remove_rules():
    rules = StageRules.from_mapping({"requires": {"s3": [], "S5": None}, "must_be_at": {"won": ""}})
    assert check_move(Stage.S1, Stage.WON, NONE, rules) == []


def test_from_mapping_nested_any_of_lists_and_must_be_at():
    rules = StageRules.from_mapping({"requires": {"S2": [["quote", "proposal"], "sample"]}, "must_be_at": {"S4": "S3"}})
    assert check_move(Stage.S1, Stage.S2, Evidence.of("sample"), rules) == [
        "缺少报价或方案（进入「S2 需求确认」前需要）"
    ]
    assert check_move(Stage.S2, Stage.S4, Evidence.of("approved_quote"), rules)[0].startswith(
        "需先推进到「S3 方案报价」"
    )


def test_from_mapping_empty_equals_defaults():
    assert StageRules.from_mapping({}) == StageRules()


@pytest.mark.parametrize(
    "data",
    [
        {"requirez": {}},
        {"requires": {"S9": "quote"}},
        {"requires": {"S3": "invoice"}},
        {"requires": {"lost": "quote"}},
        {"requires": {"S3": "|"}},
        {"requires": "S3=quote"},
        {"requires": {"S3": 5}},
        {"must_be_at": {"won": "lost"}},
        {"must_be_at": {"S3": "S4"}},
        {"must_be_at": {"S3": "S3"}},
        {"must_be_at": ["won"]},
        {"lost_requires_reason": "maybe"},
    ],
)
def test_from_mapping_validation(data):
    """Every mistake is explained in Chinese first (probe, issue 12: the details were English only)."""
    with pytest.raises(ValueError) as err:
        StageRules.from_mapping(data)
    chinese = str(err.value).split(" / ")[0]
    assert re.search(r"[\u4e00-\u9fff]", chinese), err.value


def test_parsers():
    assert parse_stage("s3") is Stage.S3
    assert parse_stage("WON") is Stage.WON
    assert parse_stage("输单") is Stage.LOST
    assert parse_stage(" 方案报价 ") is Stage.S3
    assert parse_evidence("Approved_Quote") is EvidenceKind.APPROVED_QUOTE
    assert parse_evidence("报价") is EvidenceKind.QUOTE
    with pytest.raises(ValueError, match="known"):
        parse_evidence("发票")


def test_requirement_needs_a_kind():
    with pytest.raises(ValueError):
        Requirement(frozenset())


def test_evidence_implication_is_one_way():
    assert APPROVED.has(EvidenceKind.QUOTE)
    assert not QUOTE.has(EvidenceKind.APPROVED_QUOTE)
