"""Who must approve a quote, in what order, and where an approval stands.

Pure: the policy arrives as TOML *text* (the bot reads `core/policies/default.toml` or the
company's own file), the org chart and quote facts arrive as plain dataclasses, and every
answer carries a Chinese reason so the rep sees *why* a quote waits on someone.

Routing rules (the ones a policy file cannot change):
- The requester never approves their own quote: relative approvers are looked for strictly
  above the requester, and the requester is removed from role holders.
- `manager` is the first active person above the requester (a departed manager is passed
  over, with a note). `director` is the first active 销售总监 above the requester.
- A relative approver who cannot be found (no manager set, no director in the chain) is
  escalated to the 总经理 (GM holders other than the requester), with a note; if there is
  nobody to escalate to — the requester *is* the top — the step is kept in the route as
  skipped, with the reason, so `kabot policy check` and the card can show it.
- A role step (`role = "finance"`) goes to every active holder of that role except the
  requester; with none left it is skipped with a note telling the admin to set one.
- Consecutive steps collapse so a person approves once: a step is folded into the step before
  it when someone certain to have approved that step (sole approver, or any approver of a
  会签) is an approver here under 或签, or covers every approver here under 会签 (会签
  otherwise just drops them). Only neighbours collapse: an approver who comes back after
  someone else's review decides again, with new information.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from core.countries import country_code, country_name
from core.money import format_money
from core.pricing import FxRates, QuotePricing, usd_equivalent
from core.roles import Role, parse_role

DEFAULT_POLICY_PACKAGE = "core.policies"
DEFAULT_POLICY_FILE = "default.toml"
MAX_NESTING = 8  # any_of / all_of levels: deeper is a mistake, and would only exhaust the stack


class PolicyError(ValueError):
    """The policy file is wrong; the message names the file, the line and the key, in Chinese and English."""

    def __init__(self, where: str, zh: str, en: str, *, line: int | None = None, file: str | None = None) -> None:
        self.key, self.zh, self.en, self.line, self.file = where, zh, en, line, file
        at = " ".join(x for x in (file, f"第{line}行" if line else None, where) if x)
        at_en = ", ".join(x for x in (file, f"line {line}" if line else None, where) if x)
        super().__init__(f"审批策略错误 {at}：{zh} / policy error at {at_en}: {en}")

    def located(self, text: str, file: str | None) -> PolicyError:
        """The same error with the file named and the line of its key found in `text`."""
        return PolicyError(self.key, self.zh, self.en, line=self.line or line_of(text, self.key), file=file)


_STEP_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]", re.M)
_PATH_PART = re.compile(r"([A-Za-z_]+)(?:\[(\d+)\])?")


def line_of(text: str, key: str) -> int | None:
    """The line (1-based) where a key path like `steps[2].when.any_of[0].max_margin_pct` is written.

    tomllib keeps no positions, so this looks for the n-th `[[steps]]` header and then the last named key in
    that step's lines; good enough to send a person to the right place.
    """
    parts = [m[1] for m in _PATH_PART.finditer(key)]
    if not parts:
        return None
    lines = text.splitlines()
    start, end = 0, len(lines)
    m = re.match(r"steps\[(\d+)\]", key)
    if m:
        headers = [text.count("\n", 0, h.start()) for h in _STEP_HEADER.finditer(text)]
        index = int(m[1])
        if index >= len(headers):
            return None
        start = headers[index]
        end = headers[index + 1] if index + 1 < len(headers) else len(lines)
    for name in reversed(parts[1:] if m else parts):
        pattern = re.compile(rf"(?:^|[\s{{,.\[])({re.escape(name)})\s*=|^\s*\[[^\]]*\b{re.escape(name)}\b[^\]]*\]")
        for n in range(start, end):
            if pattern.search(lines[n]):
                return n + 1
    return start + 1 if m else None


# ---------------------------------------------------------------- org chart and facts


@dataclass(frozen=True)
class OrgPerson:
    id: str
    name: str
    role: Role
    manager_id: str | None = None
    active: bool = True


@dataclass(frozen=True)
class OrgChart:
    """People by id; the manager chain is followed through `manager_id`."""

    people: Mapping[str, OrgPerson] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[OrgPerson]) -> OrgChart:
        return cls({p.id: p for p in people})

    def get(self, person_id: str | None) -> OrgPerson | None:
        return None if person_id is None else self.people.get(person_id)

    def chain_above(self, person: OrgPerson) -> list[OrgPerson]:
        """Managers upwards, nearest first; stops at a loop or an id missing from the chart."""
        out: list[OrgPerson] = []
        seen = {person.id}
        current = self.get(person.manager_id)
        while current is not None and current.id not in seen:
            out.append(current)
            seen.add(current.id)
            current = self.get(current.manager_id)
        return out

    def holders(self, role: Role) -> list[OrgPerson]:
        return [p for p in self.people.values() if p.role is role and p.active]

    def name_of(self, person_id: str) -> str:
        person = self.get(person_id)
        return person.name if person else person_id


@dataclass(frozen=True)
class QuoteFacts:
    """What routing looks at; amount_usd is the base amount at the quote's rates."""

    amount_base: Decimal
    base_currency: str
    amount_usd: Decimal
    margin_pct: Decimal | None = None
    tier: str | None = None
    country: str | None = None

    @classmethod
    def build(
        cls,
        amount_base: Decimal,
        rates: FxRates,
        margin_pct: Decimal | None = None,
        tier: str | None = None,
        country: str | None = None,
    ) -> QuoteFacts:
        return cls(amount_base, rates.base, usd_equivalent(amount_base, rates), margin_pct, tier, country)

    @classmethod
    def from_pricing(
        cls, pricing: QuotePricing, rates: FxRates, tier: str | None = None, country: str | None = None
    ) -> QuoteFacts:
        """A USD quote counts at its own locked rate, so $10,000 quoted is $10,000 for thresholds."""
        if pricing.currency != rates.base:
            rates = rates.with_rate(pricing.currency, pricing.fx_rate)
        return cls.build(pricing.total_base, rates, pricing.margin_pct, tier, country)


# ---------------------------------------------------------------- policy model


class Mode(StrEnum):
    ANY = "any"  # 或签: any one approver decides the step
    ALL = "all"  # 会签: every approver must approve

    @property
    def label(self) -> str:
        return "或签" if self is Mode.ANY else "会签"


_MODE_ALIASES = {"any": Mode.ANY, "或签": Mode.ANY, "all": Mode.ALL, "会签": Mode.ALL}


class Relative(StrEnum):
    MANAGER = "manager"
    DIRECTOR = "director"


_RELATIVE_ALIASES = {
    "manager": Relative.MANAGER,
    "直属上级": Relative.MANAGER,
    "director": Relative.DIRECTOR,
    "总监": Relative.DIRECTOR,
    "销售总监": Relative.DIRECTOR,
}


@dataclass(frozen=True)
class ApproverSpec:
    """Exactly one of: a person relative to the requester, or every holder of a role."""

    relative: Relative | None = None
    role: Role | None = None

    def describe(self) -> str:
        if self.relative is Relative.MANAGER:
            return "申请人直属上级"
        if self.relative is Relative.DIRECTOR:
            return "申请人上级链中的销售总监"
        assert self.role is not None
        return f"全部{self.role.label}"


@dataclass(frozen=True)
class Condition:
    """All keys set here must hold (AND); `any_of` needs one child, `all_of` every child."""

    min_amount_usd: Decimal | None = None
    max_margin_pct: Decimal | None = None  # matches when margin is strictly below
    unknown_margin_matches: bool = True  # no cost entered → treat as below the floor
    tiers: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    any_of: tuple[Condition, ...] = ()
    all_of: tuple[Condition, ...] = ()

    def evaluate(self, facts: QuoteFacts) -> list[str] | None:
        """None when not met; otherwise the matched clauses as Chinese text."""
        parts: list[list[str]] = []
        if self.min_amount_usd is not None:
            if facts.amount_usd < self.min_amount_usd:
                return None
            parts.append([f"金额 ≥ {usd_short(self.min_amount_usd)}"])
        if self.max_margin_pct is not None:
            if facts.margin_pct is None:
                if not self.unknown_margin_matches:
                    return None
                parts.append(["毛利未知（未填成本）"])
            elif facts.margin_pct < self.max_margin_pct:
                parts.append([f"毛利 {pct_text(facts.margin_pct)}% < {_num(self.max_margin_pct)}%"])
            else:
                return None
        if self.tiers is not None:
            if (facts.tier or "").strip().upper() not in self.tiers:
                return None
            parts.append([f"客户等级 {facts.tier.strip().upper()}"])  # type: ignore[union-attr]
        if self.countries is not None:
            code = country_code(facts.country)
            if code is None or code not in self.countries:
                return None
            parts.append([f"国家 {country_name(code)}"])
        for child in self.all_of:
            got = child.evaluate(facts)
            if got is None:
                return None
            parts.append(["，".join(got)])
        if self.any_of:
            matched = [text for child in self.any_of if (got := child.evaluate(facts)) is not None for text in got]
            if not matched:
                return None
            parts.append(matched)
        if len(parts) == 1:
            return parts[0]
        return ["，".join("、".join(p) for p in parts)]

    def describe(self) -> str:
        bits: list[str] = []
        if self.min_amount_usd is not None:
            bits.append(f"金额 ≥ {usd_short(self.min_amount_usd)}")
        if self.max_margin_pct is not None:
            tail = "（未填成本也算）" if self.unknown_margin_matches else ""
            bits.append(f"毛利 < {_num(self.max_margin_pct)}%{tail}")
        if self.tiers is not None:
            bits.append("客户等级 " + "/".join(sorted(self.tiers)))
        if self.countries is not None:
            bits.append("国家 " + "/".join(country_name(c) for c in sorted(self.countries)))
        groups = [(" 且 ", self.all_of), (" 或 ", self.any_of)]
        for joiner, children in groups:
            if children:
                bits.append("（" + joiner.join(c.describe() for c in children) + "）")
        if len(bits) == 1 and bits[0].startswith("（"):
            return bits[0][1:-1]
        return " 且 ".join(bits)


@dataclass(frozen=True)
class PolicyStep:
    name: str
    approver: ApproverSpec
    mode: Mode = Mode.ANY
    when: Condition | None = None  # None: always
    reason: str = ""  # action text, e.g. 需财务审核; default 需{name}审批

    @property
    def action(self) -> str:
        return self.reason or f"需{self.name}审批"


@dataclass(frozen=True)
class Policy:
    steps: tuple[PolicyStep, ...]
    name: str = "default"
    version: int = 1


# ---------------------------------------------------------------- loading and validation

_TOP_KEYS = {"version", "name", "steps"}
_STEP_KEYS = {"name", "approver", "role", "mode", "when", "reason"}
_COND_KEYS = {
    "min_amount_usd",
    "max_margin_pct",
    "unknown_margin_matches",
    "tiers",
    "countries",
    "any_of",
    "all_of",
}


def load_policy(text: str, *, file: str | None = None) -> Policy:
    """Parse and validate policy TOML; any mistake raises PolicyError naming the file, line and key."""
    try:
        return _load(text)
    except PolicyError as err:
        raise err.located(text, file) from None


def _load(text: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise PolicyError("(TOML)", f"格式错误：{err}", f"invalid TOML: {err}", line=int(m[1]) if m else None) from None
    except RecursionError:
        raise PolicyError("(TOML)", "嵌套太深", "nested too deeply") from None
    _unknown_keys(data, _TOP_KEYS, "")
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise PolicyError(
            "version", f"不支持的版本 {version!r}，目前只有 1", f"unsupported version {version!r}, only 1"
        )
    name = data.get("name", "default")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError("name", "必须是非空文字", "must be a non-empty string")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PolicyError("steps", "至少需要一个 [[steps]]", "at least one [[steps]] table is required")
    steps: list[PolicyStep] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_steps):
        step = _load_step(raw, f"steps[{i}]")
        if step.name in seen:
            raise PolicyError(f"steps[{i}].name", f"步骤名称重复：{step.name}", f"duplicate step name {step.name!r}")
        seen.add(step.name)
        steps.append(step)
    return Policy(tuple(steps), name.strip(), version)


def _unknown_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            path = f"{where}.{key}" if where else key
            raise PolicyError(
                path,
                f"未知的配置项（可用：{'、'.join(sorted(allowed))}）",
                f"unknown key (allowed: {', '.join(sorted(allowed))})",
            )


def _load_step(raw: Any, where: str) -> PolicyStep:
    if not isinstance(raw, dict):
        raise PolicyError(where, "必须是表 [[steps]]", "must be a table ([[steps]])")
    _unknown_keys(raw, _STEP_KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"{where}.name", "缺少步骤名称", "missing or empty step name")
    has_rel, has_role = "approver" in raw, "role" in raw
    if has_rel == has_role:
        raise PolicyError(
            f"{where}.approver",
            "approver（manager/director）与 role 必须且只能填一个",
            "set exactly one of approver (manager/director) or role",
        )
    spec: ApproverSpec
    if has_rel:
        rel = _RELATIVE_ALIASES.get(str(raw["approver"]).strip().lower())
        if rel is None:
            raise PolicyError(
                f"{where}.approver",
                f"只能是 manager 或 director，而不是 {raw['approver']!r}",
                f"must be 'manager' or 'director', not {raw['approver']!r}",
            )
        spec = ApproverSpec(relative=rel)
    else:
        role = parse_role(str(raw["role"])) if isinstance(raw["role"], str) else None
        if role is None:
            allowed = "/".join(r.value for r in Role)
            raise PolicyError(
                f"{where}.role",
                f"未知角色 {raw['role']!r}（可用：{allowed}）",
                f"unknown role {raw['role']!r} (allowed: {allowed})",
            )
        spec = ApproverSpec(role=role)
    mode = _MODE_ALIASES.get(str(raw.get("mode", "any")).strip().lower())
    if mode is None:
        raise PolicyError(
            f"{where}.mode",
            f"只能是 any（或签）或 all（会签），而不是 {raw['mode']!r}",
            f"must be 'any' or 'all', not {raw['mode']!r}",
        )
    reason = raw.get("reason", "")
    if not isinstance(reason, str):
        raise PolicyError(f"{where}.reason", "必须是文字", "must be a string")
    when = _load_condition(raw["when"], f"{where}.when", 1) if "when" in raw else None
    return PolicyStep(name.strip(), spec, mode, when, reason.strip())


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PolicyError(where, f"必须是数字，而不是 {value!r}", f"must be a number, not {value!r}")
    try:
        number = Decimal(str(value).replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise PolicyError(where, f"必须是数字，而不是 {value!r}", f"must be a number, not {value!r}") from None
    if not number.is_finite():
        raise PolicyError(where, "必须是有限数字", "must be a finite number")
    return number


def _codes(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise PolicyError(
            where, '必须是非空文字列表，如 ["A", "B"]', 'must be a non-empty list of strings, e.g. ["A", "B"]'
        )
    return frozenset(v.strip().upper() for v in value)


def _countries(value: Any, where: str) -> frozenset[str]:
    """ISO codes, whichever way the file names them (DE, 德国, Germany)."""
    _codes(value, where)  # a non-empty list of strings
    codes = set()
    for name in value:
        code = country_code(name)
        if code is None:
            raise PolicyError(
                where,
                f"不认识的国家 {name.strip()!r}，请用两位国家代码，如 DE、US",
                f"unknown country {name.strip()!r}; use ISO codes such as DE, US",
            )
        codes.add(code)
    return frozenset(codes)


def _load_condition(raw: Any, where: str, depth: int) -> Condition:
    if depth > MAX_NESTING:
        raise PolicyError(
            where, f"条件嵌套超过 {MAX_NESTING} 层", f"conditions nested deeper than {MAX_NESTING} levels"
        )
    if not isinstance(raw, dict):
        raise PolicyError(
            where,
            "必须是表，如 { min_amount_usd = 10000 }",
            "must be a table, e.g. { min_amount_usd = 10000 }",
        )
    if not raw:
        raise PolicyError(
            where, "条件为空；不需要条件就删掉 when", "empty condition; drop `when` for an unconditional step"
        )
    _unknown_keys(raw, _COND_KEYS, where)
    min_amount = max_margin = None
    if "min_amount_usd" in raw:
        min_amount = _number(raw["min_amount_usd"], f"{where}.min_amount_usd")
        if min_amount < 0:
            raise PolicyError(f"{where}.min_amount_usd", "不能为负", "must not be negative")
    if "max_margin_pct" in raw:
        max_margin = _number(raw["max_margin_pct"], f"{where}.max_margin_pct")
        if not Decimal(-100) < max_margin <= Decimal(100):
            raise PolicyError(
                f"{where}.max_margin_pct",
                "应为百分数，如 15 表示 15%",
                "must be a percentage, e.g. 15 for 15%",
            )
    unknown = raw.get("unknown_margin_matches", True)
    if "unknown_margin_matches" in raw:
        if not isinstance(unknown, bool):
            raise PolicyError(f"{where}.unknown_margin_matches", "必须是 true 或 false", "must be true or false")
        if max_margin is None:
            raise PolicyError(
                f"{where}.unknown_margin_matches",
                "只能与 max_margin_pct 一起使用",
                "only meaningful next to max_margin_pct",
            )
    tiers = _codes(raw["tiers"], f"{where}.tiers") if "tiers" in raw else None
    countries = _countries(raw["countries"], f"{where}.countries") if "countries" in raw else None
    groups: dict[str, tuple[Condition, ...]] = {}
    for key in ("any_of", "all_of"):
        if key in raw:
            items = raw[key]
            if not isinstance(items, list) or not items:
                raise PolicyError(
                    f"{where}.{key}",
                    "必须是非空的条件列表，如 [{ min_amount_usd = 100000 }, { max_margin_pct = 15 }]",
                    "must be a non-empty list of condition tables",
                )
            groups[key] = tuple(_load_condition(item, f"{where}.{key}[{j}]", depth + 1) for j, item in enumerate(items))
    return Condition(
        min_amount, max_margin, unknown, tiers, countries, groups.get("any_of", ()), groups.get("all_of", ())
    )


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class RouteStep:
    """One step of a quote's route; no approvers means skipped, and `note` says why."""

    name: str
    approvers: tuple[str, ...]
    mode: Mode
    reasons: tuple[str, ...]
    note: str = ""
    merged: tuple[str, ...] = ()  # names of later policy steps folded into this one

    @property
    def skipped(self) -> bool:
        return not self.approvers


def route(quote: QuoteFacts, requester: OrgPerson, org: OrgChart, policy: Policy) -> list[RouteStep]:
    """The ordered steps this quote needs, with approvers and the Chinese reason for each."""
    out: list[RouteStep] = []
    for step in policy.steps:
        if step.when is None:
            reasons = [step.action]
        else:
            matched = step.when.evaluate(quote)
            if matched is None:
                continue
            reasons = [f"{clause}：{step.action}" for clause in matched]
        approvers, note = _resolve(step.approver, requester, org)
        current = RouteStep(step.name, tuple(approvers), step.mode, tuple(reasons), note)
        out = _append_collapsing(out, current, org)
    return out


def _gm_escalation(requester: OrgPerson, org: OrgChart) -> list[str]:
    return [p.id for p in org.holders(Role.GM) if p.id != requester.id]


def _resolve(spec: ApproverSpec, requester: OrgPerson, org: OrgChart) -> tuple[list[str], str]:
    """Approver ids for a step and a note when they are not the obvious ones."""
    if spec.role is not None:
        holders = org.holders(spec.role)
        ids = [p.id for p in holders if p.id != requester.id]
        if ids:
            return ids, ""
        label = spec.role.label
        if holders:
            return [], f"申请人是唯一的{label}，不能审批自己的报价，已跳过此步"
        return [], f"没有在职的{label}，已跳过此步；请管理员设置{label}"
    chain = org.chain_above(requester)
    notes: list[str] = []
    if spec.relative is Relative.MANAGER:
        direct = org.get(requester.manager_id)
        for person in chain:
            if person.active:
                if direct is not None and person.id != direct.id:
                    notes.append(f"直属上级{direct.name}已停用，由{person.name}审批")
                return [person.id], "；".join(notes)
        missing = "申请人未设置直属上级" if requester.manager_id is None else "申请人的上级均已停用或不在组织架构中"
    else:
        for person in chain:
            if person.role is Role.DIRECTOR and person.active:
                return [person.id], ""
        missing = "申请人上级链中没有销售总监"
    gms = [p.id for p in chain if p.role is Role.GM and p.active] or _gm_escalation(requester, org)
    if gms:
        names = "、".join(org.name_of(i) for i in gms)
        return gms, f"{missing}，升级至{Role.GM.label}{names}审批"
    return [], f"{missing}，且没有更高层级可升级，已跳过此步"


def _append_collapsing(steps: list[RouteStep], current: RouteStep, org: OrgChart) -> list[RouteStep]:
    """Fold `current` into the previous active step where a person would approve twice."""
    prev_index = next((i for i in range(len(steps) - 1, -1, -1) if not steps[i].skipped), None)
    if current.skipped or prev_index is None:
        return [*steps, current]
    prev = steps[prev_index]
    certain = set(prev.approvers) if prev.mode is Mode.ALL or len(prev.approvers) == 1 else set()
    if not certain & set(current.approvers):
        return [*steps, current]
    remaining = tuple(a for a in current.approvers if a not in certain)
    if current.mode is Mode.ANY or not remaining:
        who = "、".join(org.name_of(a) for a in current.approvers if a in certain)
        merged_reasons = tuple(f"{r}（{who}已在上一步审批，合并）" for r in current.reasons)
        note = "；".join(n for n in (prev.note, current.note) if n)
        merged = RouteStep(
            prev.name,
            prev.approvers,
            prev.mode,
            prev.reasons + merged_reasons,
            note,
            (*prev.merged, current.name),
        )
        return [*steps[:prev_index], merged, *steps[prev_index + 1 :]]
    dropped = "、".join(org.name_of(a) for a in current.approvers if a in certain)
    note = "；".join(n for n in (current.note, f"{dropped}已在上一步审批，本步无需重复") if n)
    return [*steps, RouteStep(current.name, remaining, current.mode, current.reasons, note)]


def describe_route(quote: QuoteFacts, requester: OrgPerson, org: OrgChart, policy: Policy) -> list[str]:
    """Lines for `kabot policy check`: the facts, each step with approvers and reasons, what did not fire."""
    margin = "未知" if quote.margin_pct is None else f"{pct_text(quote.margin_pct)}%"
    base = format_money(quote.amount_base, quote.base_currency)
    lines = [
        f"审批策略：{policy.name}",
        f"报价：{base}（≈ {format_money(quote.amount_usd, 'USD')}），"
        f"毛利 {margin}，客户等级 {quote.tier or '未知'}，国家 {country_name(quote.country) or '未知'}",
        f"申请人：{requester.name}（{requester.role.label}）",
    ]
    steps = route(quote, requester, org, policy)
    if not [s for s in steps if not s.skipped]:
        lines.append("无需审批：没有需要审批的步骤")
    n = 0
    for step in steps:
        if step.skipped:
            lines.append(f"- 跳过 {step.name}：{step.note}")
            continue
        n += 1
        who = "、".join(org.name_of(a) for a in step.approvers)
        mode = f"（{step.mode.label}）" if len(step.approvers) > 1 else ""
        lines.append(f"{n}. {step.name}{mode}：{who} — {'；'.join(step.reasons)}")
        if step.note:
            lines.append(f"   注：{step.note}")
    routed = {s.name for s in steps} | {m for s in steps for m in s.merged}
    for pstep in policy.steps:
        if pstep.name not in routed and pstep.when is not None:
            lines.append(f"- 未触发 {pstep.name}：{pstep.when.describe()}")
    return lines


def describe_policy(policy: Policy) -> list[str]:
    """The policy itself in plain Chinese, for `kabot policy check` without a quote."""
    lines = [f"审批策略：{policy.name}"]
    for i, step in enumerate(policy.steps, 1):
        cond = "始终" if step.when is None else f"当 {step.when.describe()}"
        lines.append(f"{i}. {step.name}：{step.approver.describe()}（{step.mode.label}），{cond}")
    return lines


# ---------------------------------------------------------------- approval state


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CONDITIONAL = "conditional"  # 有条件通过: counts as approval, the condition travels with the quote

    @property
    def label(self) -> str:
        return {"approve": "通过", "reject": "驳回", "conditional": "有条件通过"}[self.value]


class RejectReason(StrEnum):
    PRICE_TOO_LOW = "price_too_low"
    LOW_MARGIN = "low_margin"
    PAYMENT_TERMS = "payment_terms"
    LEAD_TIME = "lead_time"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REJECT_REASON_LABELS[self]


REJECT_REASON_LABELS: dict[RejectReason, str] = {
    RejectReason.PRICE_TOO_LOW: "价格过低",
    RejectReason.LOW_MARGIN: "毛利不足",
    RejectReason.PAYMENT_TERMS: "付款条件",
    RejectReason.LEAD_TIME: "交期",
    RejectReason.OTHER: "其他",
}
_REJECT_ALIASES: dict[str, RejectReason] = {
    **{r.value: r for r in RejectReason},
    **{label: r for r, label in REJECT_REASON_LABELS.items()},
    "价格": RejectReason.PRICE_TOO_LOW,
    "价低": RejectReason.PRICE_TOO_LOW,
    "毛利": RejectReason.LOW_MARGIN,
    "毛利低": RejectReason.LOW_MARGIN,
    "付款": RejectReason.PAYMENT_TERMS,
    "账期": RejectReason.PAYMENT_TERMS,
    "交货期": RejectReason.LEAD_TIME,
    "货期": RejectReason.LEAD_TIME,
}


def parse_reject_reason(text: str) -> RejectReason | None:
    return _REJECT_ALIASES.get(text.strip().lower())


@dataclass(frozen=True)
class Decision:
    """One approver's decision on one step (index into the route, skipped steps included)."""

    step: int
    approver_id: str
    verdict: Verdict
    reason: RejectReason | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict is Verdict.REJECT and self.reason is None:
            raise ValueError("a reject needs a RejectReason")
        if self.verdict is Verdict.CONDITIONAL and not self.note.strip():
            raise ValueError("a conditional approval needs its condition in `note`")


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "审批中", "approved": "已批准", "rejected": "已驳回"}[self.value]


@dataclass(frozen=True)
class ApprovalState:
    status: ApprovalStatus
    step: int | None = None  # pending: the step waiting; rejected: the step that rejected
    waiting_for: tuple[str, ...] = ()  # who may decide now
    decided_by: tuple[str, ...] = ()  # approvals already in on the pending step (会签)
    rejected_by: str | None = None
    reject_reason: RejectReason | None = None
    reject_note: str = ""
    conditions: tuple[str, ...] = ()  # from 有条件通过, in order

    def may_decide(self, user_id: str) -> bool:
        return self.status is ApprovalStatus.PENDING and user_id in self.waiting_for


def next_state(steps: Sequence[RouteStep], decisions: Sequence[Decision]) -> ApprovalState:
    """Replay decisions in order over the route.

    或签: the first decision by any approver settles the step. 会签: every approver must
    approve; one reject settles it. A reject ends the quote. Decisions by people who are not
    approvers of that step, for a step not yet reached, or repeated by the same person are
    ignored, so a stale button press cannot move the quote.
    """
    conditions: list[str] = []
    start = 0  # decisions before the previous step completed cannot count for this one
    for index, step in enumerate(steps):
        if step.skipped:
            continue
        approved: list[str] = []
        last = start
        for pos in range(start, len(decisions)):
            d = decisions[pos]
            if d.step != index or d.approver_id not in step.approvers or d.approver_id in approved:
                continue
            last = pos + 1
            if d.verdict is Verdict.REJECT:
                return ApprovalState(
                    ApprovalStatus.REJECTED,
                    index,
                    rejected_by=d.approver_id,
                    reject_reason=d.reason,
                    reject_note=d.note,
                    conditions=tuple(conditions),
                )
            approved.append(d.approver_id)
            if d.verdict is Verdict.CONDITIONAL:
                conditions.append(d.note.strip())
            if step.mode is Mode.ANY:
                break
        done = bool(approved) if step.mode is Mode.ANY else set(approved) == set(step.approvers)
        if not done:
            waiting = tuple(a for a in step.approvers if a not in approved)
            return ApprovalState(ApprovalStatus.PENDING, index, waiting, tuple(approved), conditions=tuple(conditions))
        start = last
    return ApprovalState(ApprovalStatus.APPROVED, conditions=tuple(conditions))


# ---------------------------------------------------------------- small formatters


def _num(value: Decimal) -> str:
    """`15`, `12.5` — no trailing zeros or exponent."""
    return f"{value.normalize():f}"


def pct_text(value: Decimal) -> str:
    """One decimal, rounded down, so 14.96% never reads as a misleading "15.0% < 15%"."""
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_FLOOR)}"


def usd_short(amount: Decimal) -> str:
    """`$10k`, `$500k`, `$1.5M` — how thresholds are said aloud."""
    if amount >= 1_000_000 and amount % 100_000 == 0:
        return f"${_num(amount / 1_000_000)}M"
    if amount >= 1_000 and amount % 100 == 0:
        return f"${_num(amount / 1_000)}k"
    return format_money(amount, "USD")


# ---------------------------------------------------------------- delegation

_SALES_RANK = {Role.REP: 0, Role.MANAGER: 1, Role.DIRECTOR: 2, Role.GM: 3, Role.ADMIN: 3}


def may_delegate(approver: Role, delegate: Role) -> bool:
    """Whether an approver may hand their approvals to someone of `delegate`'s role without an admin.

    Never downwards: a manager's approvals do not go to a rep. Finance reviews stay with finance (or go up to
    the GM or an admin), since a sales person checking a margin is the conflict the finance step exists to avoid.
    """
    if approver is Role.FINANCE:
        return delegate in (Role.FINANCE, Role.GM, Role.ADMIN)
    if delegate is Role.FINANCE:
        return False
    return _SALES_RANK[delegate] >= _SALES_RANK[approver]
