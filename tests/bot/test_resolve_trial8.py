"""Issue 8, trial 8: a quantifier phrase (一个新客户, 一家公司) is never offered as a new customer's name."""

from __future__ import annotations

import pytest

from bot.resolve import could_be_company


@pytest.mark.parametrize("phrase", ["一个新客户", "一家公司", "两家客户"])
def test_a_quantifier_phrase_is_no_company(phrase: str) -> None:
    assert not could_be_company(phrase)


def test_a_real_name_still_is() -> None:
    assert could_be_company("Nordic Pipe Solutions")
