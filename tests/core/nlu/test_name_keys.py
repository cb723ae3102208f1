"""Short names and name keys (issue 8): generic words removed, other spellings kept as keys."""

from __future__ import annotations

import pytest

from core.nlu.names import KEY_ALIAS, KEY_PINYIN, build_aliases, mention_keys, name_keys, near_exact, query_keys


@pytest.mark.parametrize(
    ("name", "extra", "short"),
    [
        ("宁波海天塑机集团股份有限公司", [], "海天"),
        ("苏州恒力精密机械有限公司", [], "恒力"),
        ("南十字矿业", ["Southern Cross Mining Pty"], "southern cross"),
        ("Polmet Sp. z o.o.", [], "polmet"),
        ("Aqua Pumpen GmbH", [], "aqua"),
        ("Wombat Pumps Pty Ltd", [], "wombat"),
        ("Tata Steel Pvt. Ltd.", [], "tata steel"),
        ("罗西管业", ["Rossi Tubi S.p.A."], "rossi"),  # a user's alias is shortened too
    ],
)
def test_the_distinctive_part_is_an_alias(name: str, extra: list[str], short: str) -> None:
    assert short in build_aliases(name, extra)


def test_invisible_and_full_width_characters_do_not_make_a_new_name() -> None:
    assert build_aliases("Ａ\u200bＣＭＥ\u202e") == build_aliases("ACME")


def test_a_name_is_found_by_its_pinyin_and_by_the_keys_a_message_has() -> None:
    keys = name_keys("艾克美工业有限公司", ["ACME"])
    assert (KEY_PINYIN, "aikemei") in keys and (KEY_ALIAS, "acme") in keys
    assert (KEY_PINYIN, "aikemei") in query_keys("aikemei")
    assert {(KEY_ALIAS, "艾可美"), (KEY_PINYIN, "aikemei")} <= mention_keys("今天拜访了艾可美张总")  # a homophone


@pytest.mark.parametrize(("written", "near"), [("艾克森", True), ("艾克", False), ("%", False), ("艾_森", False)])
def test_only_a_near_exact_name_is_enough_to_say_whose(written: str, near: bool) -> None:
    assert near_exact(written, build_aliases("艾克森流体设备", ["Axon Fluid"])) is near
