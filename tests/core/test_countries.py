"""Countries are stored and compared as ISO codes, whichever way people write them, and shown in Chinese."""

from __future__ import annotations

import pytest

from core.countries import COUNTRIES, country_code, country_name, country_name_en


@pytest.mark.parametrize("written", ["德国", "Germany", "germany", "DE", "de", "DEU", " Deutschland "])
def test_every_way_of_writing_germany_is_de(written: str) -> None:
    assert country_code(written) == "DE"


@pytest.mark.parametrize(
    ("written", "code"),
    [("美国", "US"), ("U.S.A.", "US"), ("UK", "GB"), ("英国", "GB"), ("迪拜", "AE"), ("沙特", "SA"), ("印尼", "ID")],
)
def test_aliases(written: str, code: str) -> None:
    assert country_code(written) == code


def test_unknown_is_none_and_shown_as_written() -> None:
    assert country_code("Atlantis") is None and country_code("") is None and country_code(None) is None
    assert country_name("Atlantis") == "Atlantis" and country_name(None) == ""


def test_shown_in_chinese_or_english() -> None:
    assert (country_name("DE"), country_name_en("DE"), country_name("德国")) == ("德国", "Germany", "德国")


def test_the_table_is_consistent() -> None:
    codes = [c.code for c in COUNTRIES]
    assert len(codes) == len(set(codes)) and all(len(c) == 2 and c.isupper() for c in codes)
    for c in COUNTRIES:  # no name means two countries
        for name in (c.zh, c.en, *c.aliases):
            assert country_code(name) == c.code, name
