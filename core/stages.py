"""Opportunity stages, their order, default win probabilities and Chinese names."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"
    S5 = "S5"
    WON = "won"
    LOST = "lost"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (Stage.WON, Stage.LOST)


STAGE_LABELS: dict[Stage, str] = {
    Stage.S1: "初步接触",
    Stage.S2: "需求确认",
    Stage.S3: "方案报价",
    Stage.S4: "商务谈判",
    Stage.S5: "合同签订",
    Stage.WON: "赢单",
    Stage.LOST: "输单",
}

OPEN_STAGES: tuple[Stage, ...] = (Stage.S1, Stage.S2, Stage.S3, Stage.S4, Stage.S5)

# Defaults used for the weighted forecast when an opportunity has no probability of its own.
DEFAULT_PROBABILITY: dict[Stage, int] = {
    Stage.S1: 10,
    Stage.S2: 20,
    Stage.S3: 40,
    Stage.S4: 60,
    Stage.S5: 80,
    Stage.WON: 100,
    Stage.LOST: 0,
}


def stage_rank(stage: Stage) -> int:
    """Order for 'advanced' comparisons; won ranks after S5, lost ranks nowhere (-1)."""
    if stage is Stage.LOST:
        return -1
    return list(Stage).index(stage)
