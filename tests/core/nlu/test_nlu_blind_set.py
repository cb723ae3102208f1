"""Blind set A (bench/blind/setA.jsonl, 300 messages labelled by someone who never saw the rules), per message and
field. Every miss left after issue 8 is pinned as a strict expected failure, so a regression shows as a failure and
a fix shows as an XPASS to unpin. The figures: .venv/bin/python bench/score_blind.py bench/blind/setA.jsonl
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

from score_blind import Score, demo_names, score  # noqa: E402

CASES = [json.loads(line) for line in (ROOT / "bench/blind/setA.jsonl").read_text(encoding="utf-8").splitlines()]
NAMES = demo_names()
FIELDS = ("kind", "customer", "dates", "money", "stage", "data_loss")

KNOWN_MISSES = {
    "A005": {"money"},
    "A013": {"kind"},
    "A025": {"customer"},
    "A029": {"money"},
    "A033": {"customer"},
    "A040": {"kind"},
    "A043": {"kind"},  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A050": {"customer"},
    "A051": {"money"},
    "A061": {"kind"},
    "A062": {"kind"},
    "A063": {"kind", "stage"},
    "A066": {"customer"},
    "A077": {"kind"},
    "A085": {"kind"},
    "A086": {"kind"},
    "A087": {"dates", "money"},
    "A097": {"kind"},
    "A100": {"customer"},
    "A107": {"customer"},
    "A108": {"kind"},
    "A109": {"kind"},
    "A114": {"kind"},
    "A116": {"dates"},
    "A118": {"money"},
    "A126": {"kind"},
    "A127": {"dates", "kind"},
    "A136": {"kind"},
    "A139": {"kind"},
    "A147": {"kind"},
    "A148": {"kind"},
    "A149": {"customer"},
    "A150": {"customer"},
    "A156": {"kind"},  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A157": {"kind"},
    "A161": {"kind"},
    "A162": {"kind"},
    "A163": {"kind"},
    "A164": {"customer"},
    "A167": {"kind", "stage"},
    "A168": {"kind"},
    "A173": {"money"},
    "A178": {"customer"},
    "A181": {"customer"},
    "A184": {"customer"},
    "A186": {"kind", "stage"},
    "A187": {"customer"},
    "A188": {"customer"},
    "A189": {"kind"},
    "A190": {"kind"},
    "A199": {"kind"},
    "A210": {"kind", "stage"},
    "A215": {"kind"},
    "A217": {"kind"},
    "A218": {"kind"},
    "A219": {"kind"},
    "A226": {"customer"},
    "A227": {"kind"},  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A230": {"kind", "money"},
    "A237": {"kind"},
    "A239": {"customer"},
    "A240": {"kind"},
    "A241": {"kind"},
    "A246": {"dates"},
    "A248": {"money"},
    "A251": {"kind"},  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A253": {"kind", "money"},
    "A259": {"kind"},
    "A260": {"kind", "stage"},
    "A261": {"kind"},
    "A262": {"customer"},
    "A263": {"kind"},
    "A264": {"customer"},
    "A265": {"kind"},
    "A268": {
        "customer",
        "kind",
    },  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A269": {
        "kind",
        "money",
    },  # labelled a follow-up; a contact still ahead, named before anything done, is a plan (trial 4)
    "A278": {"kind"},
    "A280": {"kind"},
    "A282": {"customer"},
    "A283": {"kind"},
    "A287": {"kind"},  # labelled a follow-up; two trips still ahead are plans (tasks), never visits done today
    "A296": {"kind"},
    "A297": {"customer"},
    "A298": {"kind"},
    "A299": {"customer"},
    "A300": {"kind"},
}


@cache
def _verdict(case_id: str) -> Score:
    case = next(c for c in CASES if c["id"] == case_id)
    return score(case, NAMES)


def _ok(verdict: Score, field: str) -> bool:
    if field == "customer":
        return verdict.customer == "correct"
    if field == "data_loss":
        return not verdict.data_loss
    return bool(getattr(verdict, field))


def _params() -> list[Any]:
    return [
        pytest.param(
            case["id"],
            field,
            id=f"{case['id']}-{field}",
            marks=[pytest.mark.xfail(strict=True, reason="known miss")]
            if field in KNOWN_MISSES.get(case["id"], ())
            else [],
        )
        for case in CASES
        for field in FIELDS
    ]


@pytest.mark.parametrize(("case_id", "field"), _params())
def test_blind_set_a(case_id: str, field: str) -> None:
    verdict = _verdict(case_id)
    assert _ok(verdict, field), (verdict.text, verdict.got, verdict.expect)


def test_no_customer_is_filed_wrongly_without_asking() -> None:
    assert not [c["id"] for c in CASES if _verdict(c["id"]).customer == "wrong_silent"]
