"""An amount said with a win or a move is the deal's (issue 8, trial 8): any amount with a win, one after amount
words (金额改成, 预算, 预计金额) with a move, an estimate marked so; the words around it are no note."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, parse_message

DEMO = [(1, "穆勒机械", ()), (2, "北风泵业", ()), (3, "安第斯铜业", ())]


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(DEMO)


@pytest.mark.parametrize(
    ("text", "intent", "amount", "currency", "estimate", "note"),
    [
        (
            "北风泵业的蝶阀项目签了 最终金额11.8万美元 客户接受了我们的交期",
            Intent.WIN,
            118000,
            "USD",
            False,
            "客户接受了我们的交期",
        ),
        ("北风泵业蝶阀签了 成交金额 11.8万美元", Intent.WIN, 118000, "USD", False, None),
        ("北风泵业蝶阀签了 合同价11.8万美元 客户很满意", Intent.WIN, 118000, "USD", False, "客户很满意"),
        ("穆勒机械控制阀项目推进到S4了 金额改成220万人民币", Intent.ADVANCE_STAGE, 2200000, "CNY", False, None),
        ("安第斯铜业蝶阀项目客户确认需求了 推到S2 预算大概45万美元", Intent.ADVANCE_STAGE, 450000, "USD", True, None),
        ("北风泵业蝶阀推进到S3 预算45万美元左右", Intent.ADVANCE_STAGE, 450000, "USD", True, None),
        ("北风泵业蝶阀推进到S3 总价调到45万美元", Intent.ADVANCE_STAGE, 450000, "USD", False, None),
        ("北风泵业蝶阀推进到S3 报了12万美元", Intent.ADVANCE_STAGE, None, None, False, "报了12万美元"),
    ],
)
def test_an_amount_with_a_move_is_the_deals(
    names: NameIndex,
    text: str,
    intent: Intent,
    amount: int | None,
    currency: str | None,
    estimate: bool,
    note: str | None,
) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.intent, p.amount, p.currency) == (intent, None if amount is None else Decimal(amount), currency)
    assert ("amount" in p.guesses, p.summary) == (estimate, note)


def test_a_dated_step_beside_a_move_is_the_reps(names: NameIndex) -> None:
    p = parse_message(
        "穆勒机械控制阀项目推进到S4了 金额改成220万人民币 下周二跟周静谈合同条款", now=NOW, tz=TZ, names=names
    )
    assert p.summary == "下周二跟周静谈合同条款"
    assert [(s.action, s.by_customer) for s in p.next_steps] == [("跟周静谈合同条款", False)]
    assert p.next_action == "跟周静谈合同条款" and p.next_due is not None
