"""Roles in a sales organisation and the Chinese words people use for them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    GM = "gm"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def sees_everyone(self) -> bool:
        return self in (Role.DIRECTOR, Role.GM, Role.ADMIN)


APPROVERS = (Role.MANAGER, Role.DIRECTOR, Role.GM, Role.FINANCE, Role.ADMIN)  # quotes are routed to them
MANAGERS = (Role.MANAGER, Role.DIRECTOR, Role.GM, Role.ADMIN)  # move accounts between people
FX_SETTERS = (Role.FINANCE, Role.ADMIN)  # set exchange rates

ROLE_LABELS: dict[Role, str] = {
    Role.REP: "销售",
    Role.MANAGER: "销售经理",
    Role.DIRECTOR: "销售总监",
    Role.GM: "总经理",
    Role.FINANCE: "财务",
    Role.ADMIN: "管理员",
}

_ALIASES: dict[str, Role] = {
    **{r.value: r for r in Role},
    **{label: role for role, label in ROLE_LABELS.items()},
    "sales": Role.REP,
    "业务员": Role.REP,
    "销售代表": Role.REP,
    "经理": Role.MANAGER,
    "主管": Role.MANAGER,
    "总监": Role.DIRECTOR,
    "总经理": Role.GM,
    "gm": Role.GM,
    "general manager": Role.GM,
    "finance": Role.FINANCE,
    "会计": Role.FINANCE,
    "administrator": Role.ADMIN,
    "系统管理员": Role.ADMIN,
}


def parse_role(text: str) -> Role | None:
    return _ALIASES.get(text.strip().lower())
