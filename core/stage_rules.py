"""Stage exit criteria ("stage evidence"): what must be on record before an opportunity may move.

Why: a funnel is only as honest as its stages. If "方案报价" can be claimed without a quote, the
conversion rates and the forecast are fiction. So a forward move must show evidence; moving back is
allowed (reality changes) but flagged so the manager sees it; losing is always allowed, with a reason.

Requirements are cumulative over skipped stages: S2 → S5 must satisfy S3's and S5's requirements, so a
gate cannot be bypassed by jumping over it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from core.stages import OPEN_STAGES, STAGE_LABELS, Stage, stage_rank


class EvidenceKind(StrEnum):
    QUOTE = "quote"
    PROPOSAL = "proposal"
    APPROVED_QUOTE = "approved_quote"
    SAMPLE = "sample"
    PI = "pi"
    CONTRACT = "contract"
    DEPOSIT = "deposit"

    @property
    def label(self) -> str:
        return EVIDENCE_LABELS[self]


EVIDENCE_LABELS: dict[EvidenceKind, str] = {
    EvidenceKind.QUOTE: "报价",
    EvidenceKind.PROPOSAL: "方案",
    EvidenceKind.APPROVED_QUOTE: "已审批的报价",
    EvidenceKind.SAMPLE: "样品确认",
    EvidenceKind.PI: "形式发票(PI)",
    EvidenceKind.CONTRACT: "合同",
    EvidenceKind.DEPOSIT: "定金到账",
}

# Having the stronger item proves the weaker one (an approved quote is a quote).
_IMPLIES: dict[EvidenceKind, frozenset[EvidenceKind]] = {
    EvidenceKind.APPROVED_QUOTE: frozenset({EvidenceKind.QUOTE}),
}

_EVIDENCE_ALIASES: dict[str, EvidenceKind] = {
    **{k.value: k for k in EvidenceKind},
    **{v: k for k, v in EVIDENCE_LABELS.items()},
    "approved-quote": EvidenceKind.APPROVED_QUOTE,
    "approved quote": EvidenceKind.APPROVED_QUOTE,
    "审批报价": EvidenceKind.APPROVED_QUOTE,
    "proforma": EvidenceKind.PI,
    "proforma_invoice": EvidenceKind.PI,
    "形式发票": EvidenceKind.PI,
    "样品": EvidenceKind.SAMPLE,
    "定金": EvidenceKind.DEPOSIT,
    "deposit_received": EvidenceKind.DEPOSIT,
}

_STAGE_ALIASES: dict[str, Stage] = {
    **{s.value.lower(): s for s in Stage},
    **{label: s for s, label in STAGE_LABELS.items()},
}


def parse_stage(text: str) -> Stage:
    """`S3`, `s3`, `won`, `赢单`, `方案报价` → Stage; ValueError names the accepted forms."""
    key = str(text).strip()
    stage = _STAGE_ALIASES.get(key.lower()) or _STAGE_ALIASES.get(key)
    if stage is None:
        raise ValueError(
            f"未知的阶段 {text!r}，请写 S1–S5、won、lost 或中文阶段名（如 方案报价、赢单）"
            f" / unknown stage {text!r}; use S1..S5, won, lost or a Chinese stage name"
        )
    return stage


def parse_evidence(text: str) -> EvidenceKind:
    key = str(text).strip()
    kind = _EVIDENCE_ALIASES.get(key.lower()) or _EVIDENCE_ALIASES.get(key)
    if kind is None:
        known = ", ".join(k.value for k in EvidenceKind)
        labels = "、".join(EVIDENCE_LABELS.values())
        raise ValueError(
            f"未知的证据 {text!r}，可用：{known}（或 {labels}） / unknown evidence {text!r}; known: {known}"
        )
    return kind


@dataclass(frozen=True)
class Evidence:
    """What is on record for the opportunity. Storage fills it: quotes by status, logged proposals, …"""

    kinds: frozenset[EvidenceKind] = frozenset()
    lost_reason: str | None = None

    @classmethod
    def of(cls, *kinds: EvidenceKind | str, lost_reason: str | None = None) -> Evidence:
        return cls(frozenset(k if isinstance(k, EvidenceKind) else parse_evidence(k) for k in kinds), lost_reason)

    def has(self, kind: EvidenceKind) -> bool:
        if kind in self.kinds:
            return True
        return any(kind in implied for strong, implied in _IMPLIES.items() if strong in self.kinds)


@dataclass(frozen=True)
class Requirement:
    """Satisfied by any one of `any_of` (e.g. 报价 or 方案)."""

    any_of: frozenset[EvidenceKind]

    def __post_init__(self) -> None:
        if not self.any_of:
            raise ValueError("每条要求至少要写一种证据 / a requirement needs at least one evidence kind")

    def met_by(self, evidence: Evidence) -> bool:
        return any(evidence.has(k) for k in self.any_of)

    @property
    def label(self) -> str:
        return "或".join(k.label for k in sorted(self.any_of, key=list(EvidenceKind).index))


def _req(*kinds: EvidenceKind) -> Requirement:
    return Requirement(frozenset(kinds))


def _default_requires() -> dict[Stage, tuple[Requirement, ...]]:
    return {
        Stage.S3: (_req(EvidenceKind.QUOTE, EvidenceKind.PROPOSAL),),
        Stage.S5: (_req(EvidenceKind.APPROVED_QUOTE),),
    }


@dataclass(frozen=True)
class StageRules:
    """requires[T]: evidence needed to enter T; must_be_at[T]: the stage the opp must be in to enter T."""

    requires: Mapping[Stage, tuple[Requirement, ...]] = field(default_factory=_default_requires)
    must_be_at: Mapping[Stage, Stage] = field(default_factory=lambda: {Stage.WON: Stage.S5})
    lost_requires_reason: bool = True

    def __post_init__(self) -> None:
        if Stage.LOST in self.requires:
            raise ValueError(
                "输单随时都可以，不能给 lost 设证据要求 / lost is always allowed; it cannot have evidence requirements"
            )
        for target, needed in self.must_be_at.items():
            if target is Stage.LOST or needed is Stage.LOST or needed is Stage.WON:
                raise ValueError(
                    "must_be_at 只能用在 S1–S5 和 won 之间 / must_be_at only applies between S1..S5 and won"
                )
            if stage_rank(needed) >= stage_rank(target):
                raise ValueError(
                    f"must_be_at：进入 {target.value} 不能要求先到更后面的 {needed.value}"
                    f" / must_be_at: {target.value} cannot require the later stage {needed.value}"
                )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> StageRules:
        """Build from TOML/env values; everything not given keeps its default.

        Shape::

            lost_requires_reason = true
            [requires]            # target stage -> list of requirements; a requirement is one kind
            S3 = ["quote|proposal"]   #   or "a|b" / ["a", "b"] meaning any of them
            S5 = "approved_quote"     # a string is split on "," into requirements
            won = []                  # empty: no evidence needed
            [must_be_at]
            won = "S5"

        Stage keys accept S1..S5 / won / lost / Chinese names; unknown keys or kinds raise ValueError.
        """
        known = {"requires", "must_be_at", "lost_requires_reason"}
        unknown = set(data) - known
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(
                f"不认识的设置 {names}，可用：requires、must_be_at、lost_requires_reason"
                f" / unknown stage rule settings: {names}"
            )
        defaults = cls()
        requires = dict(defaults.requires)
        if "requires" in data:
            raw = data["requires"]
            if not isinstance(raw, Mapping):
                raise ValueError(
                    "requires 应是一个表：[requires] 下每行 阶段 = 要求"
                    " / requires must be a table of stage -> requirements"
                )
            for key, value in raw.items():
                stage = parse_stage(key)
                reqs = _parse_requirements(value, stage)
                if reqs:
                    requires[stage] = reqs
                else:
                    requires.pop(stage, None)
        must_be_at = dict(defaults.must_be_at)
        if "must_be_at" in data:
            raw = data["must_be_at"]
            if not isinstance(raw, Mapping):
                raise ValueError(
                    "must_be_at 应是一个表：[must_be_at] 下每行 阶段 = 阶段"
                    " / must_be_at must be a table of stage -> stage"
                )
            for key, value in raw.items():
                stage = parse_stage(key)
                if value in (None, "", False):
                    must_be_at.pop(stage, None)
                else:
                    must_be_at[stage] = parse_stage(str(value))
        lost_requires_reason = defaults.lost_requires_reason
        if "lost_requires_reason" in data:
            lost_requires_reason = _parse_bool(data["lost_requires_reason"])
        return cls(requires=requires, must_be_at=must_be_at, lost_requires_reason=lost_requires_reason)


class StageRulesError(ValueError):
    """KABOT_STAGE_RULES_FILE is wrong: the message names the file and the line, in Chinese and English."""

    def __init__(self, detail: str, *, file: str, line: int | None = None) -> None:
        at = f"{file} 第{line}行 (line {line})" if line else file
        super().__init__(f"阶段规则错误 / stage rules error {at}：{detail}")


def load_stage_rules(text: str, *, file: str) -> StageRules:
    """Parse a stage rules TOML; any mistake raises StageRulesError naming the file and the line of the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise StageRulesError(f"TOML 格式错误 invalid TOML: {err}", file=file, line=int(m[1]) if m else None) from None
    except RecursionError:
        raise StageRulesError("嵌套太深 nested too deeply", file=file) from None
    try:
        return StageRules.from_mapping(data)
    except ValueError as err:
        raise StageRulesError(str(err), file=file, line=_line_of_mistake(data, text)) from None


def _line_of_mistake(data: Mapping[str, object], text: str) -> int | None:
    """tomllib keeps no positions: find the one setting that fails alone, then the line that writes it."""
    for key, value in data.items():
        entries = list(value.items()) if isinstance(value, Mapping) else [(None, value)]
        for sub, v in entries:
            try:
                StageRules.from_mapping({key: {sub: v}} if sub is not None else {key: v})
            except ValueError:
                return _line_of(text, key, sub)
    return None


def _line_of(text: str, key: str, sub: str | None) -> int | None:
    lines = text.splitlines()
    section = next((n for n, ln in enumerate(lines) if re.match(rf"\s*\[\s*{re.escape(key)}\s*\]", ln)), None)
    name = sub if sub is not None else key
    pattern = re.compile(rf"""(?:^|[\s{{,])["']?{re.escape(name)}["']?\s*=""")
    for n in range(section or 0, len(lines)):
        if pattern.search(lines[n]):
            return n + 1
    return section + 1 if section is not None else None


def _parse_requirements(value: object, stage: Stage) -> tuple[Requirement, ...]:
    if value is None:
        return ()
    items: list[object]
    if isinstance(value, str):
        items = [v for v in value.split(",") if v.strip()]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise ValueError(
            f'requires.{stage.value} 应是列表或文字（如 ["quote|proposal"]），收到 {value!r}'
            f" / expected a list or string, got {value!r}"
        )
    reqs = []
    for item in items:
        if isinstance(item, str):
            kinds = [parse_evidence(p) for p in item.split("|") if p.strip()]
        elif isinstance(item, Iterable):
            kinds = [parse_evidence(str(p)) for p in item]
        else:
            raise ValueError(f"requires.{stage.value} 的要求写法不对：{item!r} / bad requirement {item!r}")
        if not kinds:
            raise ValueError(f"requires.{stage.value} 有一条空要求 / empty requirement")
        reqs.append(Requirement(frozenset(kinds)))
    return tuple(reqs)


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "是"):
        return True
    if text in ("0", "false", "no", "off", "否"):
        return False
    raise ValueError(f"应为 true 或 false，收到 {value!r} / expected true/false, got {value!r}")


DEFAULT_RULES = StageRules()


def _name(stage: Stage) -> str:
    return f"{stage.value} {stage.label}" if stage.is_open else stage.label


@dataclass(frozen=True)
class MoveCheck:
    """`missing` blocks the move; `warnings` do not, but should be shown / logged for the manager."""

    current: Stage
    target: Stage
    missing: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing

    @property
    def backward(self) -> bool:
        return is_backward(self.current, self.target)


def is_backward(current: Stage, target: Stage) -> bool:
    """Won → anything open, or a lower open stage. Reopening a lost deal is not backward."""
    if target is Stage.LOST or current is Stage.LOST:
        return False
    return stage_rank(target) < stage_rank(current)


def assess_move(current: Stage, target: Stage, evidence: Evidence, rules: StageRules = DEFAULT_RULES) -> MoveCheck:
    """Full verdict: blockers plus non-blocking flags (backward move, reopening, no-op)."""
    missing: list[str] = []
    warnings: list[str] = []
    if current is target:
        warnings.append(f"已处于「{_name(target)}」，无需变更")
        return MoveCheck(current, target, (), tuple(warnings))

    if target is Stage.LOST:
        if rules.lost_requires_reason and not (evidence.lost_reason or "").strip():
            missing.append("请填写输单原因")
        if current is Stage.WON:
            warnings.append("该商机已赢单，改为输单请确认")
        return MoveCheck(current, target, tuple(missing), tuple(warnings))

    if is_backward(current, target):
        warnings.append(f"阶段回退：{_name(current)} → {_name(target)}")
        return MoveCheck(current, target, (), tuple(warnings))

    if current is Stage.LOST:
        warnings.append(f"重新打开输单商机，进入「{_name(target)}」")

    needed = rules.must_be_at.get(target)
    if needed is not None and current is not needed and stage_rank(current) < stage_rank(needed):
        missing.append(f"需先推进到「{_name(needed)}」才能{_enter(target)}（当前：{_name(current)}）")

    # Every stage passed through or entered must have its own evidence: skipping does not bypass gates.
    start = stage_rank(current)
    for stage in (*OPEN_STAGES, Stage.WON):
        rank = stage_rank(stage)
        if start < rank <= stage_rank(target):
            for req in rules.requires.get(stage, ()):
                if not req.met_by(evidence):
                    missing.append(f"缺少{req.label}（{_enter(stage)}前需要）")
    return MoveCheck(current, target, tuple(missing), tuple(warnings))


def _enter(stage: Stage) -> str:
    return "赢单" if stage is Stage.WON else f"进入「{_name(stage)}」"


def check_move(current: Stage, target: Stage, evidence: Evidence, rules: StageRules = DEFAULT_RULES) -> list[str]:
    """Missing items in Chinese; empty means the move may go ahead. See `assess_move` for the flags."""
    return list(assess_move(current, target, evidence, rules).missing)
