from __future__ import annotations

import pytest

from core.nlu.names import NameIndex, build_aliases, normalize_name, trade_name


@pytest.mark.parametrize(
    ("raw", "core"),
    [
        ("宁波艾克美工业有限公司", "艾克美工业"),
        ("艾克美（宁波）工业股份有限公司", "艾克美工业"),
        ("深圳市长江电子有限公司", "长江电子"),
        ("ACME Industrial GmbH", "acme industrial"),
        ("ACME Logistics Ltd.", "acme logistics"),
        ("Sunrise Home Goods Co., Ltd.", "sunrise home goods"),
        ("Müller Maschinenbau GmbH & Co. KG", "muller maschinenbau"),
        ("ＡＣＭＥ　Ｉｎｃ．", "acme"),
    ],
)
def test_normalize_name(raw: str, core: str) -> None:
    assert normalize_name(raw) == core


def test_trade_name_and_aliases() -> None:
    assert trade_name("艾克美工业") == "艾克美"
    assert trade_name("华信电子科技") == "华信"
    assert trade_name("acme logistics") == "acme"
    assert build_aliases("华信电子科技有限公司") == ("华信电子科技", "华信电子", "华信")
    assert "brightstar" in build_aliases("Bright Star Imports Inc.")
    assert {"muller", "mueller"} <= set(build_aliases("Müller Maschinenbau GmbH"))
    assert "hx valve" in build_aliases("华信阀门集团有限公司", ["HX Valve"])


@pytest.mark.parametrize(
    ("query", "kind", "ids"),
    [
        ("艾克美", "match", [1]),
        ("艾可美", "match", [1]),  # homophone typo, through pinyin
        ("艾克森", "match", [2]),
        ("acme industrial", "match", [3]),
        ("华信阀门", "match", [5]),
        ("华信电子", "match", [6]),
        ("mueller", "match", [7]),
        ("brightstar", "match", [8]),
        ("nordwind pumps", "match", [9]),
        ("滨海国贸", "match", [10]),
        ("天府新材", "match", [11]),
        ("acme", "choose", [3, 4]),
        ("华信", "choose", [5, 6]),
        ("泰科电子", "none", []),
        ("Globex Corp", "none", []),
    ],
)
def test_decide(names: NameIndex, query: str, kind: str, ids: list[int]) -> None:
    decision = names.decide(query)
    assert decision.kind == kind
    assert sorted(m.customer_id for m in decision.matches) == ids
    assert (decision.best is not None) == (kind == "match")


def test_lookup_breaks_ties_on_the_full_name(names: NameIndex) -> None:
    assert names.lookup("ACME gmbh")[0].customer_id == 3


@pytest.mark.parametrize(
    ("text", "ids", "mention"),
    [
        ("今天拜访了艾克美张总，谈了报价", [1], "艾克美"),
        ("华信阀门的王工来电", [5], "华信阀门"),  # the longer alias wins over 华信
        ("华信说要降价", [5, 6], "华信"),  # ambiguous: both, same span
        ("visited ACME today", [3, 4], "acme"),
        ("acme industrial 的询盘", [3], "acme industrial"),
        ("和Bright Star的Tom开会", [8], "bright star"),
        ("Müller confirmed", [7], "müller"),
        ("艾可美那边说下周下单", [1], "艾可美"),  # homophone fallback
    ],
)
def test_find_in(names: NameIndex, text: str, ids: list[int], mention: str) -> None:
    found = names.find_in(text)
    assert sorted(m.customer_id for m in found) == ids
    assert text.lower()[found[0].start : found[0].end] == mention


@pytest.mark.parametrize(
    "text",
    ["张江路的客户", "今天天气不错", "acmeindustries", "logistics went up", "mail zw@acme.de", "see www.acme.com"],
)
def test_find_in_ignores_near_misses(names: NameIndex, text: str) -> None:
    assert names.find_in(text) == []


def test_empty_index() -> None:
    empty = NameIndex()
    assert empty.find_in("艾克美") == [] and empty.decide("艾克美").kind == "none" and len(empty) == 0


def test_find_in_reports_a_customers_first_mention(names: NameIndex) -> None:
    text = "联系人 艾克美 张伟 邮箱 zw@acme.de, 也叫 ACME"
    (found,) = [m for m in names.find_in(text) if m.customer_id == 1]
    assert text[found.start : found.end] == "艾克美"


@pytest.mark.parametrize(("written", "kind"), [("mullar", "choose"), ("muler", "choose"), ("muller", "match"),
                                               ("Müller", "match"), ("mueller", "match")])  # fmt: skip
def test_a_one_letter_typo_of_a_latin_name_is_asked_never_matched(written: str, kind: str) -> None:
    """Trial 6: `mullar` for Mueller was not found at all; `muler` would have been filed silently."""
    index = NameIndex([(1, "穆勒机械", ["Mueller Maschinenbau"]), (2, "北风泵业", ["Nordwind Pumps GmbH"])])
    decision = index.decide(written)
    assert decision.kind == kind and [m.customer_id for m in decision.matches] == [1]
