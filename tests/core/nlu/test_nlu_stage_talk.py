"""Informal stage talk (issue 8, "Understanding"): won / lost words, arrows, colons, English; bare 到 is no verb."""

from __future__ import annotations

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, parse_message
from core.stages import Stage

DEMO = [
    (1, "穆勒机械", ("Mueller Maschinenbau",)),
    (2, "南十字矿业", ("Southern Cross Mining Pty",)),
    (3, "拉各斯石油", ("Lagos Petroleum",)),
    (4, "艾克森流体设备", ("Axon Fluid",)),
    (5, "枫叶管道", ("Maple Pipeline Inc.",)),
]


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(DEMO)


@pytest.mark.parametrize(
    ("text", "intent", "stage", "customer_id"),
    [
        ("穆勒那单签了！！", Intent.WIN, Stage.WON, 1),
        ("穆勒机械 合同签了", Intent.WIN, Stage.WON, 1),
        ("南十字矿业 搞定了 2.3M USD 的单子", Intent.WIN, Stage.WON, 2),
        ("拉各斯石油 成交 ✌️", Intent.WIN, Stage.WON, 3),
        ("Lagos Petroleum signed the PO today", Intent.WIN, Stage.WON, 3),
        ("Axon Fluid这单黄了，客户最后选了韩国供应商", Intent.LOSE, Stage.LOST, 4),
        ("穆勒机械这个单子丢了 价格差太多", Intent.LOSE, Stage.LOST, 1),
        ("拉各斯石油没戏了", Intent.LOSE, Stage.LOST, 3),
        ("枫叶管道这单输给了台湾的供应商", Intent.LOSE, Stage.LOST, 5),
        ("拉各斯石油 S2→S3", Intent.ADVANCE_STAGE, Stage.S3, 3),
        ("枫叶管道 S1->S2 需求确认完了", Intent.ADVANCE_STAGE, Stage.S2, 5),
        ("枫叶管道 S1到S2", Intent.ADVANCE_STAGE, Stage.S2, 5),
        ("枫叶管道 阶段: S4", Intent.ADVANCE_STAGE, Stage.S4, 5),
        ("枫叶管道 需求基本确认 改S2", Intent.ADVANCE_STAGE, Stage.S2, 5),
        ("拉各斯石油 合同在走审批了 进S5", Intent.ADVANCE_STAGE, Stage.S5, 3),
        ("穆勒机械 走合同流程了 S5", Intent.ADVANCE_STAGE, Stage.S5, 1),
        ("move Southern Cross Mining to negotiation", Intent.ADVANCE_STAGE, Stage.S4, 2),
        ("Axon Fluid to quotation stage", Intent.ADVANCE_STAGE, Stage.S3, 4),
        ("枫叶管道 报价发了 到方案报价阶段", Intent.ADVANCE_STAGE, Stage.S3, 5),
    ],
)
def test_stage_talk(names: NameIndex, text: str, intent: Intent, stage: Stage, customer_id: int) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.intent, p.stage, p.customer_id) == (intent, stage, customer_id)


@pytest.mark.parametrize("text", ["穆勒机械 样品明天寄到报价单上的地址", "枫叶管道 货到需求方工厂了"])
def test_a_bare_dao_is_not_a_stage_verb(names: NameIndex, text: str) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert p.intent is not Intent.ADVANCE_STAGE and p.stage is None


def test_jin_before_a_stage_word_and_jieduan_is_a_move(names: NameIndex) -> None:
    """Trial 9: `…蝶阀那个项目进合同阶段了 …` (进, not 进入) was logged as a note and the stage stayed."""
    p = parse_message("穆勒机械蝶阀那个项目进合同阶段了 法务审完下周就能签", now=NOW, tz=TZ, names=names)
    assert (p.intent, p.stage, p.customer_id) == (Intent.ADVANCE_STAGE, Stage.S5, 1)
    assert parse_message("穆勒机械的进展不错", now=NOW, tz=TZ, names=names).intent is not Intent.ADVANCE_STAGE
