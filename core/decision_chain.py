"""Decision-chain gaps for the customer 360° view.

Why: key-account deals are lost to the person nobody talked to. The rep usually knows the 商务对接人
well; the 360° view must point out the roles with no contact and the key people gone quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.clock import calendar_days


class DecisionRole(StrEnum):
    DECISION_MAKER = "决策者"
    TECHNICAL = "技术影响者"
    USER = "使用者"
    BUSINESS = "商务对接人"
    OTHER = "其他"

    @property
    def label(self) -> str:
        return self.value


_ROLE_ALIASES: dict[str, DecisionRole] = {
    **{r.value: r for r in DecisionRole},
    "decision_maker": DecisionRole.DECISION_MAKER,
    "decision maker": DecisionRole.DECISION_MAKER,
    "dm": DecisionRole.DECISION_MAKER,
    "拍板人": DecisionRole.DECISION_MAKER,
    "technical": DecisionRole.TECHNICAL,
    "technical_influencer": DecisionRole.TECHNICAL,
    "技术": DecisionRole.TECHNICAL,
    "user": DecisionRole.USER,
    "end_user": DecisionRole.USER,
    "用户": DecisionRole.USER,
    "business": DecisionRole.BUSINESS,
    "buyer": DecisionRole.BUSINESS,
    "purchasing": DecisionRole.BUSINESS,
    "采购": DecisionRole.BUSINESS,
    "商务": DecisionRole.BUSINESS,
    "other": DecisionRole.OTHER,
}


def parse_decision_role(text: str | None) -> DecisionRole:
    """Lenient: storage keeps free text; anything unknown is 其他 rather than an error."""
    if not text:
        return DecisionRole.OTHER
    key = text.strip()
    return _ROLE_ALIASES.get(key) or _ROLE_ALIASES.get(key.lower()) or DecisionRole.OTHER


@dataclass(frozen=True)
class ChainContact:
    name: str
    role: DecisionRole
    last_touch: datetime | None  # aware; latest follow-up / meeting with this person


@dataclass(frozen=True)
class ChainConfig:
    """stale_days: key people not touched for longer than this are flagged (default 30).

    required_roles: roles a healthy chain must cover; 其他 is never required.
    """

    stale_days: int = 30
    required_roles: tuple[DecisionRole, ...] = (
        DecisionRole.DECISION_MAKER,
        DecisionRole.TECHNICAL,
        DecisionRole.USER,
        DecisionRole.BUSINESS,
    )

    def __post_init__(self) -> None:
        if self.stale_days < 1:
            raise ValueError("stale_days must be at least 1")
        if DecisionRole.OTHER in self.required_roles:
            raise ValueError("其他 cannot be a required role")
        if len(set(self.required_roles)) != len(self.required_roles):
            raise ValueError("required_roles has duplicates")


class GapKind(StrEnum):
    MISSING_ROLE = "missing_role"
    NEVER_TOUCHED = "never_touched"
    STALE = "stale"


@dataclass(frozen=True)
class ChainGap:
    kind: GapKind
    role: DecisionRole
    text: str
    contact: str | None = None
    days: int | None = None


@dataclass(frozen=True)
class ContactStatus:
    contact: ChainContact
    days: int | None  # whole days since last touch; None = never

    def stale(self, stale_days: int) -> bool:
        return self.days is None or self.days > stale_days


@dataclass(frozen=True)
class RoleCoverage:
    role: DecisionRole
    contacts: tuple[ContactStatus, ...]  # freshest first, never-touched last
    line: str  # "决策者：张伟（45 天未联系）、李强（3 天前）" / "技术影响者：无联系人"


@dataclass(frozen=True)
class DecisionChainReport:
    roles: tuple[RoleCoverage, ...]  # required roles in config order, then 其他 if any contacts
    gaps: tuple[ChainGap, ...]  # missing roles first, then never-touched, then stalest
    summary: str

    @property
    def ok(self) -> bool:
        return not self.gaps

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(g.text for g in self.gaps)


def _days_since(then: datetime | None, now: datetime) -> int | None:
    if then is None:
        return None
    if then.tzinfo is None:
        raise ValueError("last_touch must be an aware datetime")
    assert now.tzinfo is not None
    return max(0, calendar_days(then, now, now.tzinfo))


def _touch_text(days: int | None, stale_days: int) -> str:
    if days is None:
        return "从未联系"
    if days > stale_days:
        return f"{days} 天未联系"
    return "今天" if days == 0 else f"{days} 天前"


def analyze_decision_chain(
    contacts: Iterable[ChainContact], *, now: datetime, config: ChainConfig | None = None
) -> DecisionChainReport:
    """Coverage per role plus the gaps worth acting on; every contact of a required role is checked,
    because a second decision-maker gone quiet is still a risk even when the first one is warm."""
    cfg = config or ChainConfig()
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    by_role: dict[DecisionRole, list[ContactStatus]] = {r: [] for r in DecisionRole}
    for c in contacts:
        by_role[c.role].append(ContactStatus(c, _days_since(c.last_touch, now)))
    for items in by_role.values():
        items.sort(key=lambda s: (s.days is None, s.days or 0, s.contact.name))

    roles: list[RoleCoverage] = []
    missing: list[ChainGap] = []
    never: list[ChainGap] = []
    stale: list[ChainGap] = []
    shown_roles: Sequence[DecisionRole] = cfg.required_roles + (
        (DecisionRole.OTHER,) if by_role[DecisionRole.OTHER] else ()
    )
    for role in shown_roles:
        items = by_role[role]
        if items:
            people = "、".join(f"{s.contact.name}（{_touch_text(s.days, cfg.stale_days)}）" for s in items)
            line = f"{role.label}：{people}"
        else:
            line = f"{role.label}：无联系人"
        roles.append(RoleCoverage(role, tuple(items), line))
        if role not in cfg.required_roles:
            continue
        if not items:
            missing.append(ChainGap(GapKind.MISSING_ROLE, role, f"没有{role.label}联系人"))
        for s in items:
            if s.days is None:
                never.append(
                    ChainGap(GapKind.NEVER_TOUCHED, role, f"{role.label} {s.contact.name} 从未联系", s.contact.name)
                )
            elif s.days > cfg.stale_days:
                stale.append(
                    ChainGap(
                        GapKind.STALE,
                        role,
                        f"{role.label} {s.contact.name} {s.days} 天未联系",
                        s.contact.name,
                        s.days,
                    )
                )
    stale.sort(key=lambda g: -(g.days or 0))
    gaps = (*missing, *never, *stale)

    covered = sum(1 for r in cfg.required_roles if by_role[r])
    total = len(cfg.required_roles)
    if not gaps:
        summary = f"决策链完整：{total} 个关键角色均有联系人，{cfg.stale_days} 天内都有联系"
    else:
        parts = [f"决策链覆盖 {covered}/{total}"]
        if missing:
            parts.append("缺" + "、".join(g.role.label for g in missing))
        if stale:
            parts.append(f"{len(stale)} 位关键人超 {cfg.stale_days} 天未联系")
        if never:
            parts.append(f"{len(never)} 位从未联系")
        summary = "，".join(parts)
    return DecisionChainReport(tuple(roles), gaps, summary)
