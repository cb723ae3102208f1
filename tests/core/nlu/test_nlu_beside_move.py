"""Stage talk keeps what the rep said beside the move, and an amount change is read as one (issue 8, trial on
the WeCom phone view): the words after 丢了 are the reason, after 进入合同阶段了 a note, and 金额调整为 names money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, parse_message

DEMO = [(1, "穆勒机械", ("Mueller Maschinenbau",)), (2, "北风泵业", ()), (3, "艾克美工业有限公司", ("ACME", "艾克美"))]


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(DEMO)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("穆勒机械控制阀的单子丢了 客户选了意大利的供应商 价格比我们低15%", "客户选了意大利的供应商 价格比我们低15%"),
        ("穆勒机械这个单子丢了 价格差太多", "价格差太多"),
        ("穆勒机械控制阀的单子丢了", None),
        ("穆勒机械控制阀这单输给了意大利的供应商", "输给了意大利的供应商"),  # to whom, said whole
        ("Mueller Maschinenbau control valve deal lost to an Italian supplier", "lost to an Italian supplier"),
        ("穆勒机械控制阀的单子丢了！", None),
        ("输单 穆勒机械 控制阀 原因 价格", "价格"),
    ],
)
def test_the_words_after_a_loss_are_its_reason(names: NameIndex, text: str, reason: str | None) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.intent, p.customer_id, p.reason) == (Intent.LOSE, 1, reason)
    assert "意大利" not in (p.opportunity or "")


@pytest.mark.parametrize(
    ("text", "note", "hint"),
    [
        ("北风泵业蝶阀项目进入合同阶段了 客户法务在审合同", "客户法务在审合同", "蝶阀项目"),
        ("推进 北风泵业 蝶阀 S5 客户法务在审合同", "客户法务在审合同", "蝶阀"),
        ("推进 北风泵业 蝶阀 S5", None, "蝶阀"),
        ("北风泵业 蝶阀 签了 ✌️", None, "蝶阀 ✌️"),  # an emoji is no note (nor any deal's name)
    ],
)
def test_the_words_after_a_move_are_a_note(names: NameIndex, text: str, note: str | None, hint: str) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.customer_id, p.summary, p.opportunity) == (2, note, hint)


def test_a_win_keeps_the_contract_amount(names: NameIndex) -> None:
    p = parse_message("好消息 穆勒机械控制阀的单子签了 合同金额12.6万欧", now=NOW, tz=TZ, names=names)
    assert (p.intent, p.amount, p.currency, p.summary) == (Intent.WIN, Decimal(126000), "EUR", None)
    assert "控制阀" in (p.opportunity or "")


@pytest.mark.parametrize(
    ("text", "amount", "currency", "hint"),
    [
        ("艾克美法兰项目金额调整为32万欧", 320000, "EUR", "法兰项目"),
        ("艾克美的法兰项目金额改成 30万美元", 300000, "USD", "法兰项目"),
        ("艾克美法兰项目改为32万欧", 320000, "EUR", "法兰"),
        ("update ACME flange amount to EUR 320k", 320000, "EUR", "flange"),
    ],
)
def test_an_amount_change_of_a_named_deal(names: NameIndex, text: str, amount: int, currency: str, hint: str) -> None:
    p = parse_message(text, now=NOW, tz=TZ, names=names)
    assert (p.intent, p.customer_id, p.amount, p.currency, p.opportunity) == (
        Intent.SET_AMOUNT,
        3,
        Decimal(amount),
        currency,
        hint,
    )


@pytest.mark.parametrize("text", ["艾克美 单价改为78美元", "艾克美 等级改为B", "艾克美 金额改为多少还没定"])
def test_other_changes_are_no_amount_change(names: NameIndex, text: str) -> None:
    assert parse_message(text, now=NOW, tz=TZ, names=names).intent is not Intent.SET_AMOUNT
