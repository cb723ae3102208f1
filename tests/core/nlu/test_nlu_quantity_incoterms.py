from __future__ import annotations

from decimal import Decimal

import pytest

from core.nlu.incoterms import extract_incoterm
from core.nlu.quantity import extract_quantities


@pytest.mark.parametrize(
    ("text", "value", "unit", "container"),
    [
        ("1000件", "1000", "pcs", None),
        ("2个柜", "2", "container", None),
        ("500 pcs", "500", "pcs", None),
        ("3x40HQ", "3", "container", "40HQ"),
        ("1x20GP", "1", "container", "20GP"),
        ("两个40尺高柜", "2", "container", "40HQ"),
        ("数量1000", "1000", None, None),
        ("MOQ: 500", "500", None, None),
        ("1万件", "10000", "pcs", None),
        ("300套", "300", "set", None),
        ("10 cartons", "10", "carton", None),
        ("5吨", "5", "ton", None),
        ("DN50球阀 1000个", "1000", "pcs", None),
    ],
)
def test_quantities(text: str, value: str, unit: str | None, container: str | None) -> None:
    (q,) = extract_quantities(text)
    assert (q.value, q.unit, q.container) == (Decimal(value), unit, container)


@pytest.mark.parametrize("text", ["一个月", "两个人", "3个亿", "电话13800001111", "12月5日", "$1.2M", "两个星期"])
def test_no_false_quantities(text: str) -> None:
    assert extract_quantities(text) == []


@pytest.mark.parametrize(
    ("text", "code", "place"),
    [
        ("FOB上海", "FOB", "上海"),
        ("报FOB宁波价格", "FOB", "宁波"),
        ("CIF Hamburg", "CIF", "Hamburg"),
        ("cif汉堡", "CIF", "汉堡"),
        ("C&F Lagos", "CFR", "Lagos"),
        ("CNF", "CFR", None),
        ("EXW price", "EXW", None),
        ("DDP到门", "DDP", None),
        ("离岸价", "FOB", None),
        ("到岸价", "CIF", None),
        ("出厂价", "EXW", None),
        ("FCA Shenzhen airport", "FCA", "Shenzhen"),
        ("DAP", "DAP", None),
    ],
)
def test_incoterms(text: str, code: str, place: str | None) -> None:
    term = extract_incoterm(text)
    assert term is not None and (term.code, term.place) == (code, place)


def test_no_incoterm_inside_words() -> None:
    assert extract_incoterm("information about pipes") is None
    assert extract_incoterm("careful fobbing") is None


@pytest.mark.parametrize(
    ("text", "value", "unit", "container"),
    [
        ("50K pcs", "50000", "pcs", None),
        ("1.5w套", "15000", "set", None),
        ("3 x 40' reefer", "3", "container", "40RH"),
        ("3 x 40' containers stainless fittings", "3", "container", "40GP"),
        ("check valve DN65 x 500, USD 19.5", "500", None, None),
        ("butterfly valve DN150 x 120, GBP 88/pc", "120", None, None),
    ],
)
def test_k_w_and_container_words(text: str, value: str, unit: str | None, container: str | None) -> None:
    q = extract_quantities(text)[0]
    assert (q.value, q.unit, q.container) == (Decimal(value), unit, container)
