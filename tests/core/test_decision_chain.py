from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.decision_chain import (
    ChainConfig,
    ChainContact,
    DecisionRole,
    GapKind,
    analyze_decision_chain,
    parse_decision_role,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DM, TECH, USER, BIZ, OTHER = (
    DecisionRole.DECISION_MAKER,
    DecisionRole.TECHNICAL,
    DecisionRole.USER,
    DecisionRole.BUSINESS,
    DecisionRole.OTHER,
)


def c(name: str, role: DecisionRole, days: float | None) -> ChainContact:
    return ChainContact(name, role, None if days is None else NOW - timedelta(days=days))


def test_full_and_fresh_chain_has_no_gaps():
    r = analyze_decision_chain(
        [c("张伟", DM, 3), c("李工", TECH, 10), c("王师傅", USER, 30), c("Anna", BIZ, 0)], now=NOW
    )
    assert r.ok and r.gaps == () and r.lines == ()
    assert r.summary == "决策链完整：4 个关键角色均有联系人，30 天内都有联系"
    assert [rc.line for rc in r.roles] == [
        "决策者：张伟（3 天前）",
        "技术影响者：李工（10 天前）",
        "使用者：王师傅（30 天前）",  # exactly at the threshold is not yet stale
        "商务对接人：Anna（今天）",
    ]


def test_missing_roles_and_stale_contacts():
    r = analyze_decision_chain(
        [c("张伟", DM, 45), c("Anna", BIZ, 2), c("老刘", OTHER, 400)],
        now=NOW,
    )
    assert r.lines == ("没有技术影响者联系人", "没有使用者联系人", "决策者 张伟 45 天未联系")
    assert [g.kind for g in r.gaps] == [GapKind.MISSING_ROLE, GapKind.MISSING_ROLE, GapKind.STALE]
    assert r.gaps[2].contact == "张伟" and r.gaps[2].days == 45
    assert r.summary == "决策链覆盖 2/4，缺技术影响者、使用者，1 位关键人超 30 天未联系"
    # 其他 is shown for context but never produces a gap
    assert r.roles[-1].role is OTHER and r.roles[-1].line == "其他：老刘（400 天未联系）"
    assert r.roles[1].line == "技术影响者：无联系人"


def test_never_touched_and_ordering():
    r = analyze_decision_chain(
        [
            c("张伟", DM, 31),
            c("赵总", DM, 90),
            c("钱总", DM, 1),
            c("李工", TECH, None),
            c("王师傅", USER, 60),
            c("Anna", BIZ, 5),
        ],
        now=NOW,
    )
    assert r.lines == (
        "技术影响者 李工 从未联系",
        "决策者 赵总 90 天未联系",
        "使用者 王师傅 60 天未联系",
        "决策者 张伟 31 天未联系",
    )
    # A second decision-maker gone quiet is flagged even though 钱总 is warm; freshest listed first.
    assert r.roles[0].line == "决策者：钱总（1 天前）、张伟（31 天未联系）、赵总（90 天未联系）"
    assert r.roles[1].line == "技术影响者：李工（从未联系）"
    assert r.summary == "决策链覆盖 4/4，3 位关键人超 30 天未联系，1 位从未联系"


def test_no_contacts_at_all():
    r = analyze_decision_chain([], now=NOW)
    assert r.lines == tuple(f"没有{role.label}联系人" for role in (DM, TECH, USER, BIZ))
    assert r.summary == "决策链覆盖 0/4，缺决策者、技术影响者、使用者、商务对接人"
    assert all(rc.contacts == () for rc in r.roles)


def test_threshold_configurable_and_whole_days():
    contacts = [c("张伟", DM, 15.05), c("李工", TECH, 16), c("王师傅", USER, 1), c("Anna", BIZ, 1)]
    r = analyze_decision_chain(contacts, now=NOW, config=ChainConfig(stale_days=15))
    assert r.lines == ("技术影响者 李工 16 天未联系",)  # 15.05 days back is 15 calendar days: not over 15
    assert "超 15 天" in r.summary


def test_required_roles_configurable():
    cfg = ChainConfig(required_roles=(DM, BIZ))
    r = analyze_decision_chain([c("张伟", DM, 1), c("Anna", BIZ, 1)], now=NOW, config=cfg)
    assert r.ok and [rc.role for rc in r.roles] == [DM, BIZ]
    assert r.summary.startswith("决策链完整：2 个关键角色")


def test_future_touch_counts_as_today():
    r = analyze_decision_chain([c("张伟", DM, -2)], now=NOW, config=ChainConfig(required_roles=(DM,)))
    assert r.roles[0].contacts[0].days == 0 and r.ok


def test_touch_in_another_zone_is_compared_as_an_instant():
    sh = ZoneInfo("Asia/Shanghai")
    only_dm = ChainConfig(required_roles=(DM,))
    warm = ChainContact("张伟", DM, datetime(2026, 10, 24, 17, 0, tzinfo=sh))  # 29 d 17 h before NOW
    assert analyze_decision_chain([warm], now=NOW, config=only_dm).ok
    cold = ChainContact("张伟", DM, datetime(2026, 10, 23, 9, 0, tzinfo=sh))  # 31 d 1 h before NOW
    assert analyze_decision_chain([cold], now=NOW, config=only_dm).lines == ("决策者 张伟 31 天未联系",)


@pytest.mark.parametrize(
    "kwargs",
    [{"stale_days": 0}, {"required_roles": (DM, OTHER)}, {"required_roles": (DM, DM)}],
)
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        ChainConfig(**kwargs)


def test_naive_datetimes_rejected():
    with pytest.raises(ValueError):
        analyze_decision_chain([], now=datetime(2026, 11, 23))  # noqa: DTZ001
    with pytest.raises(ValueError):
        analyze_decision_chain([ChainContact("张伟", DM, datetime(2026, 11, 1))], now=NOW)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("决策者", DM),
        ("Decision Maker", DM),
        ("技术影响者", TECH),
        ("使用者", USER),
        ("商务对接人", BIZ),
        ("采购", BIZ),
        ("其他", OTHER),
        ("", OTHER),
        (None, OTHER),
        ("老板的司机", OTHER),
    ],
)
def test_parse_decision_role(text, role):
    assert parse_decision_role(text) is role


def test_days_are_counted_on_the_reps_calendar_not_in_24_hour_periods():
    """Just after midnight in Shanghai, a visit yesterday afternoon was 1 day ago (not 今天), and one two calendar
    days back is 2 天前 even though fewer than 48 hours have passed."""
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 3, 0, 10, tzinfo=shanghai)
    r = analyze_decision_chain(
        [
            ChainContact("刘芳", DM, datetime(2026, 12, 2, 15, 0, tzinfo=shanghai)),
            ChainContact("黄伟", TECH, datetime(2026, 12, 1, 15, 0, tzinfo=shanghai)),
        ],
        now=now,
    )
    assert [rc.line for rc in r.roles][:2] == ["决策者：刘芳（1 天前）", "技术影响者：黄伟（2 天前）"]
