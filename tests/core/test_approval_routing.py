"""Approval routing over the default policy, custom conditions, policy validation and approval state."""

from __future__ import annotations

from decimal import Decimal as D
from importlib.resources import files

import pytest

from core.approval_policy import (
    DEFAULT_POLICY_FILE,
    DEFAULT_POLICY_PACKAGE,
    REJECT_REASON_LABELS,
    ApprovalStatus,
    Decision,
    Mode,
    OrgChart,
    OrgPerson,
    Policy,
    PolicyError,
    QuoteFacts,
    RejectReason,
    RouteStep,
    Verdict,
    describe_policy,
    describe_route,
    load_policy,
    next_state,
    parse_reject_reason,
    route,
)
from core.money import Money
from core.pricing import FxRates, QuoteInput, QuoteLine, price_quote
from core.roles import Role

RATES = FxRates("CNY", {"USD": D("7.12"), "EUR": D("7.75")})
DEFAULT_TEXT = files(DEFAULT_POLICY_PACKAGE).joinpath(DEFAULT_POLICY_FILE).read_text("utf-8")
DEFAULT = load_policy(DEFAULT_TEXT)

ORG = OrgChart.of(
    [
        OrgPerson("gm", "王总", Role.GM),
        OrgPerson("d1", "李总监", Role.DIRECTOR, "gm"),
        OrgPerson("m1", "张经理", Role.MANAGER, "d1"),
        OrgPerson("r1", "小陈", Role.REP, "m1"),
        OrgPerson("f1", "财务甲", Role.FINANCE, "gm"),
        OrgPerson("f2", "财务乙", Role.FINANCE, "gm"),
        OrgPerson("orphan", "小孤", Role.REP),  # no manager set
        OrgPerson("m2", "赵经理", Role.MANAGER, "gm"),  # no director between m2 and the GM
        OrgPerson("r2", "小周", Role.REP, "m2"),
        OrgPerson("m_left", "钱经理", Role.MANAGER, "d1", active=False),
        OrgPerson("r3", "小吴", Role.REP, "m_left"),
    ]
)

FIN = ("f1", "f2")


def usd(amount: str, margin: str | None = "20", tier: str | None = "B", country: str | None = "US") -> QuoteFacts:
    return QuoteFacts.build(D(amount) * D("7.12"), RATES, D(margin) if margin is not None else None, tier, country)


def cny(amount: str, margin: str | None = "20") -> QuoteFacts:
    return QuoteFacts.build(D(amount), RATES, D(margin) if margin is not None else None)


def eur_quote(unit_price: str) -> QuoteFacts:
    pricing = price_quote(
        QuoteInput("EUR", (QuoteLine("Pump", D(1), "set", D(unit_price), Money(D(1), "CNY")),)), RATES
    )
    return QuoteFacts.from_pricing(pricing, RATES, "B", "DE")


def shape(steps: list[RouteStep]) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.name, s.approvers) for s in steps]


MGR = ("直属上级", ("m1",))
DIR = ("销售总监", ("d1",))
FINANCE = ("财务", FIN)
GM = ("总经理", ("gm",))

# (case, facts, requester, expected [(step name, approvers)], reasons that must appear somewhere)
DEFAULT_CASES = [
    ("small: manager only", usd("9999.99"), "r1", [MGR], ["直属上级审批"]),
    ("director at exactly $10k", usd("10000"), "r1", [MGR, DIR], ["金额 ≥ $10k：需销售总监审批"]),
    ("CNY just below $10k", cny("71199.99"), "r1", [MGR], []),
    ("CNY at $10k", cny("71200"), "r1", [MGR, DIR], []),
    ("EUR just below $10k", eur_quote("9187.09"), "r1", [MGR], []),
    ("EUR at/over $10k", eur_quote("9187.10"), "r1", [MGR, DIR], []),
    ("just below $100k", usd("99999.99"), "r1", [MGR, DIR], []),
    ("finance at $100k", usd("100000"), "r1", [MGR, DIR, FINANCE], ["金额 ≥ $100k：需财务审核"]),
    ("margin below floor", usd("5000", "12"), "r1", [MGR, FINANCE], ["毛利 12.0% < 15%：需财务审核"]),
    ("margin just below floor", usd("5000", "14.99"), "r1", [MGR, FINANCE], ["毛利 14.9% < 15%：需财务审核"]),
    ("margin at floor", usd("5000", "15"), "r1", [MGR], []),
    ("margin above floor", usd("5000", "30"), "r1", [MGR], []),
    (
        "unknown margin goes to finance",
        usd("5000", None),
        "r1",
        [MGR, FINANCE],
        ["毛利未知（未填成本）：需财务审核"],
    ),
    (
        "both finance reasons",
        usd("150000", "10"),
        "r1",
        [MGR, DIR, FINANCE],
        ["金额 ≥ $100k：需财务审核", "毛利 10.0% < 15%：需财务审核"],
    ),
    ("just below $500k", usd("499999.99"), "r1", [MGR, DIR, FINANCE], []),
    ("GM at $500k", usd("500000"), "r1", [MGR, DIR, FINANCE, GM], ["金额 ≥ $500k：需总经理审批"]),
    ("CNY at $500k", cny("3560000"), "r1", [MGR, DIR, FINANCE, GM], []),
    ("requester without manager escalates to GM", usd("5000"), "orphan", [("直属上级", ("gm",))], []),
    (
        "requester who is a manager: director approves once",
        usd("10000"),
        "m1",
        [("直属上级", ("d1",))],
        ["直属上级审批", "金额 ≥ $10k：需销售总监审批（李总监已在上一步审批，合并）"],
    ),
    (
        "director missing: escalates to GM",
        usd("10000"),
        "r2",
        [("直属上级", ("m2",)), ("销售总监", ("gm",))],
        [],
    ),
    ("departed manager: next one up", usd("5000"), "r3", [("直属上级", ("d1",))], []),
    ("departed manager + director merge", usd("10000"), "r3", [("直属上级", ("d1",))], []),
    ("director requester: GM above, merged", usd("10000"), "d1", [("直属上级", ("gm",))], []),
]


@pytest.mark.parametrize(
    ("case", "facts", "requester", "expected", "reasons"), DEFAULT_CASES, ids=[c[0] for c in DEFAULT_CASES]
)
def test_default_policy(case: str, facts: QuoteFacts, requester: str, expected: list, reasons: list[str]) -> None:
    steps = [s for s in route(facts, ORG.people[requester], ORG, DEFAULT) if not s.skipped]
    assert shape(steps) == expected
    all_reasons = [r for s in steps for r in s.reasons]
    for reason in reasons:
        assert reason in all_reasons
    for s in steps:
        assert requester not in s.approvers  # never approves own quote


def test_escalation_notes_say_why() -> None:
    [step] = route(usd("5000"), ORG.people["orphan"], ORG, DEFAULT)
    assert step.note == "申请人未设置直属上级，升级至总经理王总审批"
    _, director = route(usd("10000"), ORG.people["r2"], ORG, DEFAULT)
    assert director.note == "申请人上级链中没有销售总监，升级至总经理王总审批"
    [step] = route(usd("5000"), ORG.people["r3"], ORG, DEFAULT)
    assert "钱经理已停用" in step.note


def test_top_of_org_skips_with_notes_and_keeps_skipped_steps_in_the_route() -> None:
    steps = route(usd("600000"), ORG.people["gm"], ORG, DEFAULT)
    assert [(s.name, s.skipped) for s in steps] == [
        ("直属上级", True),
        ("销售总监", True),
        ("财务", False),
        ("总经理", True),
    ]
    assert "没有更高层级可升级" in steps[0].note
    assert steps[3].note == "申请人是唯一的总经理，不能审批自己的报价，已跳过此步"


def test_role_with_no_holders_is_skipped_with_admin_hint() -> None:
    org = OrgChart.of(p for p in ORG.people.values() if p.role is not Role.FINANCE)
    steps = route(usd("100000"), org.people["r1"], org, DEFAULT)
    fin = next(s for s in steps if s.name == "财务")
    assert fin.skipped and fin.note == "没有在职的财务，已跳过此步；请管理员设置财务"


def test_default_finance_is_or_sign_with_two_finance_people() -> None:
    fin = route(usd("100000"), ORG.people["r1"], ORG, DEFAULT)[-1]
    assert fin.approvers == FIN and fin.mode is Mode.ANY


def test_countersign_with_two_finance_people() -> None:
    policy = load_policy(DEFAULT_TEXT.replace('role = "finance"\nmode = "any"', 'role = "finance"\nmode = "all"'))
    fin = route(usd("100000"), ORG.people["r1"], ORG, policy)[-1]
    assert fin.approvers == FIN and fin.mode is Mode.ALL
    state = next_state([fin], [Decision(0, "f1", Verdict.APPROVE)])
    assert state.status is ApprovalStatus.PENDING and state.waiting_for == ("f2",)


def test_finance_requester_is_not_their_own_reviewer() -> None:
    org = OrgChart.of([*ORG.people.values(), OrgPerson("f3", "财务丙", Role.FINANCE, "gm")])
    fin = route(usd("100000"), org.people["f3"], org, DEFAULT)[-1]
    assert fin.approvers == FIN


CUSTOM = load_policy("""
name = "大客户与国家"
[[steps]]
name = "直属上级"
approver = "manager"

[[steps]]
name = "大客户总监"
approver = "director"
when = { tiers = ["a"], min_amount_usd = 50000 }

[[steps]]
name = "合规"
role = "总经理"
when = { countries = ["RU", "IR"] }

[[steps]]
name = "财务会签"
role = "finance"
mode = "会签"
[steps.when]
all_of = [
  { tiers = ["B", "C"] },
  { any_of = [ { max_margin_pct = 10, unknown_margin_matches = false }, { min_amount_usd = 20000 } ] },
]
""")

CUSTOM_CASES = [
    (
        "tier A at threshold",
        usd("50000", tier="A"),
        [MGR, ("大客户总监", ("d1",))],
        ["金额 ≥ $50k，客户等级 A：需大客户总监审批"],
    ),
    ("tier A below threshold", usd("49999", tier="A"), [MGR], []),
    (
        "tier B big: no director, finance countersign",
        usd("50000", tier="B"),
        [MGR, ("财务会签", FIN)],
        ["客户等级 B，金额 ≥ $20k：需财务会签审批"],
    ),
    ("tier unknown", usd("50000", tier=None), [MGR], []),
    (
        "country listed (case-insensitive)",
        usd("1000", tier="A", country="ru"),
        [MGR, ("合规", ("gm",))],
        ["国家 俄罗斯：需合规审批"],  # compared as ISO codes, shown in Chinese
    ),
    ("country not listed", usd("1000", tier="A", country="DE"), [MGR], []),
    (
        "tier C low margin",
        usd("1000", "8", tier="C"),
        [MGR, ("财务会签", FIN)],
        ["客户等级 C，毛利 8.0% < 10%：需财务会签审批"],
    ),
    ("tier C unknown margin does not match when told so", usd("1000", None, tier="C"), [MGR], []),
    ("tier A low margin: all_of fails", usd("1000", "8", tier="A"), [MGR], []),
]


@pytest.mark.parametrize(("case", "facts", "expected", "reasons"), CUSTOM_CASES, ids=[c[0] for c in CUSTOM_CASES])
def test_custom_policy_tier_and_country(case: str, facts: QuoteFacts, expected: list, reasons: list[str]) -> None:
    steps = route(facts, ORG.people["r1"], ORG, CUSTOM)
    assert shape(steps) == expected
    all_reasons = [r for s in steps for r in s.reasons]
    for reason in reasons:
        assert reason in all_reasons
    if any(s.name == "财务会签" for s in steps):
        assert steps[-1].mode is Mode.ALL


def _policy(*steps: str) -> Policy:
    return load_policy("\n".join(f"[[steps]]\n{s}" for s in steps))


def test_collapse_countersign_then_or_sign_by_same_people() -> None:
    policy = _policy('name = "财务一"\nrole = "finance"\nmode = "all"', 'name = "财务二"\nrole = "finance"')
    [step] = route(usd("1"), ORG.people["r1"], ORG, policy)
    assert step.name == "财务一" and step.merged == ("财务二",) and len(step.reasons) == 2


def test_no_collapse_when_nobody_is_certain_to_have_approved() -> None:
    policy = _policy('name = "财务一"\nrole = "finance"', 'name = "财务二"\nrole = "finance"')
    assert len(route(usd("1"), ORG.people["r1"], ORG, policy)) == 2


def test_countersign_drops_only_the_person_who_already_approved() -> None:
    policy = _policy('name = "上级"\napprover = "manager"', 'name = "经理会签"\nrole = "manager"\nmode = "all"')
    steps = route(usd("1"), ORG.people["r1"], ORG, policy)
    assert shape(steps) == [("上级", ("m1",)), ("经理会签", ("m2",))]  # m_left is inactive
    assert "张经理已在上一步审批" in steps[1].note


def test_non_consecutive_repeat_decides_again() -> None:
    policy = _policy(
        'name = "上级"\napprover = "manager"',
        'name = "财务"\nrole = "finance"',
        'name = "再上级"\napprover = "manager"',
    )
    assert [s.name for s in route(usd("1"), ORG.people["r1"], ORG, policy)] == ["上级", "财务", "再上级"]


# ---------------------------------------------------------------- validation


def _step(extra: str = "", base: str = 'name = "s"\napprover = "manager"') -> str:
    return f"[[steps]]\n{base}\n{extra}"


BAD_POLICIES = [
    ("not toml", "[[steps]\nname=", "(TOML)"),
    ("no steps", 'name = "x"', "steps"),
    ("unknown top key", "stepz = 1\n" + _step(), "stepz"),
    ("bad version", "version = 2\n" + _step(), "version"),
    ("missing name", '[[steps]]\napprover = "manager"', "steps[0].name"),
    ("both approver and role", _step('role = "gm"'), "steps[0].approver"),
    ("neither approver nor role", '[[steps]]\nname = "s"', "steps[0].approver"),
    ("bad relative", _step(base='name = "s"\napprover = "boss"'), "steps[0].approver"),
    ("bad role", _step(base='name = "s"\nrole = "ceo"'), "steps[0].role"),
    ("bad mode", _step('mode = "majority"'), "steps[0].mode"),
    ("unknown step key", _step("approvers = 2"), "steps[0].approvers"),
    ("reason not text", _step("reason = 5"), "steps[0].reason"),
    ("empty when", _step("when = {}"), "steps[0].when"),
    ("typo in condition", _step("when = { min_amount = 10 }"), "steps[0].when.min_amount"),
    ("amount not a number", _step('when = { min_amount_usd = "lots" }'), "steps[0].when.min_amount_usd"),
    ("amount is a bool", _step("when = { min_amount_usd = true }"), "steps[0].when.min_amount_usd"),
    ("negative amount", _step("when = { min_amount_usd = -1 }"), "steps[0].when.min_amount_usd"),
    ("margin out of range", _step("when = { max_margin_pct = 150 }"), "steps[0].when.max_margin_pct"),
    ("tiers not a list", _step('when = { tiers = "A" }'), "steps[0].when.tiers"),
    ("countries empty", _step("when = { countries = [] }"), "steps[0].when.countries"),
    ("any_of empty", _step("when = { any_of = [] }"), "steps[0].when.any_of"),
    (
        "nested typo",
        _step("when = { any_of = [ { min_amount_usd = 1 }, { foo = 1 } ] }"),
        "steps[0].when.any_of[1].foo",
    ),
    (
        "unknown_margin alone",
        _step("when = { unknown_margin_matches = false }"),
        "steps[0].when.unknown_margin_matches",
    ),
    ("duplicate step names", _step() + "\n" + _step(), "steps[1].name"),
]


@pytest.mark.parametrize(("case", "text", "key"), BAD_POLICIES, ids=[c[0] for c in BAD_POLICIES])
def test_policy_validation_names_the_key(case: str, text: str, key: str) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(text)
    assert err.value.key == key
    message = str(err.value)
    assert message.startswith("审批策略错误 ") and f" {key}：" in message and f" {key}: " in message
    assert err.value.line is not None or key == "steps"  # and the line it is on


def test_policy_errors_name_the_file_and_the_line() -> None:
    text = DEFAULT_TEXT.replace("max_margin_pct = 15", "max_margin_pct = 150")
    with pytest.raises(PolicyError) as err:
        load_policy(text, file="/etc/kabot/policy.toml")
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "max_margin_pct = 150," in ln)
    assert err.value.line == line and err.value.file == "/etc/kabot/policy.toml"
    assert str(err.value).startswith(f"审批策略错误 /etc/kabot/policy.toml 第{line}行 steps[2].when.any_of[1]")
    bad_toml = "version = 1\n\n[[steps]\n"
    with pytest.raises(PolicyError) as err:
        load_policy(bad_toml, file="p.toml")
    assert err.value.line == 3 and "p.toml 第3行" in str(err.value)


@pytest.mark.parametrize("depth", [9, 50, 3000])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    when = "{ any_of = [" * depth + "{ min_amount_usd = 1 }" + "] }" * depth
    with pytest.raises(PolicyError) as err:
        load_policy(f'[[steps]]\nname = "x"\nrole = "finance"\nwhen = {when}\n')
    assert "嵌套" in str(err.value)


def test_countries_are_iso_codes_whichever_way_the_policy_names_them() -> None:
    for written in ('["DE"]', '["德国"]', '["germany"]', '["deu"]'):
        policy = load_policy(
            f'[[steps]]\nname = "m"\napprover = "manager"\n[[steps]]\nname = "合规"\nrole = "gm"\n'
            f"[steps.when]\ncountries = {written}\n"
        )
        for stored in ("DE", "德国", "Germany"):  # legacy rows hold names; new ones hold codes
            assert [s.name for s in route(usd("1", country=stored), ORG.people["r1"], ORG, policy)] == ["m", "合规"]
        assert [s.name for s in route(usd("1", country="AT"), ORG.people["r1"], ORG, policy)] == ["m"]
    with pytest.raises(PolicyError) as err:
        load_policy('[[steps]]\nname = "m"\nrole = "gm"\nwhen = { countries = ["Atlantis"] }\n')
    assert err.value.key == "steps[0].when.countries" and "Atlantis" in str(err.value)


def test_default_policy_shape() -> None:
    assert [s.name for s in DEFAULT.steps] == ["直属上级", "销售总监", "财务", "总经理"]
    assert DEFAULT.steps[0].when is None
    assert DEFAULT.steps[1].when is not None and DEFAULT.steps[1].when.min_amount_usd == 10000
    assert DEFAULT.steps[3].approver.role is Role.GM
    assert describe_policy(DEFAULT)[3] == "3. 财务：全部财务（或签），当 金额 ≥ $100k 或 毛利 < 15%（未填成本也算）"


def test_describe_route_lines() -> None:
    lines = describe_route(usd("150000", "12", tier="A"), ORG.people["m1"], ORG, DEFAULT)
    assert lines[1].startswith("报价：¥1,068,000（≈ $150,000），毛利 12.0%，客户等级 A")
    assert lines[2] == "申请人：张经理（销售经理）"
    assert lines[3].startswith("1. 直属上级：李总监 — 直属上级审批；金额 ≥ $10k")
    assert lines[4] == "2. 财务（或签）：财务甲、财务乙 — 金额 ≥ $100k：需财务审核；毛利 12.0% < 15%：需财务审核"
    assert lines[5] == "- 未触发 总经理：金额 ≥ $500k"
    assert not any("未触发 销售总监" in line for line in lines)  # merged, not "not triggered"


# ---------------------------------------------------------------- approval state

STEPS = [
    RouteStep("直属上级", ("m1",), Mode.ANY, ("直属上级审批",)),
    RouteStep("销售总监", (), Mode.ANY, ("金额 ≥ $10k：需销售总监审批",), note="跳过"),
    RouteStep("财务", FIN, Mode.ALL, ("金额 ≥ $100k：需财务审核",)),
    RouteStep("总经理", ("gm", "gm2"), Mode.ANY, ("金额 ≥ $500k：需总经理审批",)),
]
A = Verdict.APPROVE


def rej(step: int, who: str, why: RejectReason = RejectReason.PRICE_TOO_LOW) -> Decision:
    return Decision(step, who, Verdict.REJECT, why, "再降不了")


STATE_CASES = [
    ("nothing decided", [], ApprovalStatus.PENDING, 0, ("m1",)),
    (
        "manager approves: skipped step passed, 会签 waits on both",
        [Decision(0, "m1", A)],
        ApprovalStatus.PENDING,
        2,
        FIN,
    ),
    ("会签 half done", [Decision(0, "m1", A), Decision(2, "f2", A)], ApprovalStatus.PENDING, 2, ("f1",)),
    (
        "会签 done, 或签 waits on either",
        [Decision(0, "m1", A), Decision(2, "f2", A), Decision(2, "f1", A)],
        ApprovalStatus.PENDING,
        3,
        ("gm", "gm2"),
    ),
    (
        "或签 one approves: approved",
        [Decision(0, "m1", A), Decision(2, "f1", A), Decision(2, "f2", A), Decision(3, "gm2", A)],
        ApprovalStatus.APPROVED,
        None,
        (),
    ),
    ("reject at first step", [rej(0, "m1")], ApprovalStatus.REJECTED, 0, ()),
    (
        "会签 one rejects after the other approved",
        [Decision(0, "m1", A), Decision(2, "f1", A), rej(2, "f2")],
        ApprovalStatus.REJECTED,
        2,
        (),
    ),
    (
        "或签 first decision settles: a later reject is ignored",
        [
            Decision(0, "m1", A),
            Decision(2, "f1", A),
            Decision(2, "f2", A),
            Decision(3, "gm", A),
            rej(3, "gm2"),
        ],
        ApprovalStatus.APPROVED,
        None,
        (),
    ),
    (
        "或签 reject by one ends it",
        [Decision(0, "m1", A), Decision(2, "f1", A), Decision(2, "f2", A), rej(3, "gm")],
        ApprovalStatus.REJECTED,
        3,
        (),
    ),
    ("non-approver ignored", [Decision(0, "r1", A), rej(0, "f1")], ApprovalStatus.PENDING, 0, ("m1",)),
    (
        "person decides once per step",
        [Decision(0, "m1", A), Decision(2, "f1", A), rej(2, "f1")],
        ApprovalStatus.PENDING,
        2,
        ("f2",),
    ),
    (
        "early decision for a later step does not count",
        [Decision(2, "f1", A), Decision(0, "m1", A)],
        ApprovalStatus.PENDING,
        2,
        FIN,
    ),
]


@pytest.mark.parametrize(
    ("case", "decisions", "status", "step", "waiting"), STATE_CASES, ids=[c[0] for c in STATE_CASES]
)
def test_next_state(
    case: str, decisions: list[Decision], status: ApprovalStatus, step: int | None, waiting: tuple[str, ...]
) -> None:
    state = next_state(STEPS, decisions)
    assert (state.status, state.step, state.waiting_for) == (status, step, waiting)


def test_rejection_carries_who_and_why() -> None:
    state = next_state(STEPS, [Decision(0, "m1", A), rej(2, "f2", RejectReason.LOW_MARGIN)])
    assert state.rejected_by == "f2" and state.reject_reason is RejectReason.LOW_MARGIN
    assert state.reject_note == "再降不了" and state.status.label == "已驳回"


def test_conditional_approval_counts_and_keeps_its_condition() -> None:
    decisions = [
        Decision(0, "m1", Verdict.CONDITIONAL, note="预付款不低于 30%"),
        Decision(2, "f1", A),
        Decision(2, "f2", Verdict.CONDITIONAL, note="交期不超过 45 天"),
        Decision(3, "gm", A),
    ]
    state = next_state(STEPS, decisions)
    assert state.status is ApprovalStatus.APPROVED
    assert state.conditions == ("预付款不低于 30%", "交期不超过 45 天")


def test_decided_by_and_may_decide() -> None:
    state = next_state(STEPS, [Decision(0, "m1", A), Decision(2, "f1", A)])
    assert state.decided_by == ("f1",)
    assert state.may_decide("f2") and not state.may_decide("f1") and not state.may_decide("gm")
    assert not next_state(STEPS, [rej(0, "m1")]).may_decide("m1")


def test_empty_or_all_skipped_route_is_approved() -> None:
    assert next_state([], []).status is ApprovalStatus.APPROVED
    assert next_state([STEPS[1]], []).status is ApprovalStatus.APPROVED


def test_decision_validation() -> None:
    with pytest.raises(ValueError):
        Decision(0, "m1", Verdict.REJECT)
    with pytest.raises(ValueError):
        Decision(0, "m1", Verdict.CONDITIONAL)


def test_reject_reasons() -> None:
    assert [r.label for r in RejectReason] == ["价格过低", "毛利不足", "付款条件", "交期", "其他"]
    assert set(REJECT_REASON_LABELS) == set(RejectReason)
    assert parse_reject_reason("毛利不足") is RejectReason.LOW_MARGIN
    assert parse_reject_reason("账期") is RejectReason.PAYMENT_TERMS
    assert parse_reject_reason("太贵了") is None
