"""What a question asked back remembers: the rep's original command and what has been settled since.

An answer ('2', '是') is never read again as a command: it settles one detail (the customer, the opportunity,
the confirmation) of the command kept here, and that command runs again with everything settled so far.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Continuation:
    text: str
    customer_id: int | None = None
    opportunity_id: int | None = None
    confirmed: bool = False

    def settle(self, **changes: Any) -> Continuation:
        return replace(self, **changes)

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Continuation:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
