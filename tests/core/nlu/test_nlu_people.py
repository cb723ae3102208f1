"""A person a follow-up introduces with a title and a number is found, to be offered as a contact (trial 7)."""

from __future__ import annotations

import pytest

from core.countries import country_in
from core.nlu.near_names import homophone_in
from core.nlu.people import Person, person_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "今天在广交会认识了土耳其的Anatolia Valve Trading 采购经理 Mehmet 电话+90 532 111 2233，他们要DN50球阀",
            Person("Mehmet", "采购经理", "+90 532 111 2233"),
        ),
        ("北风泵业新来的采购经理叫刘强 电话13912345678", Person("刘强", "采购经理", "13912345678")),
        ("拜访了艾克美 张伟（采购总监）电话13800001111", Person("张伟", "采购总监", "13800001111")),
        ("认识了技术经理 Anna Schmidt，邮箱 anna@hft.de", Person("Anna Schmidt", "技术经理", email="anna@hft.de")),
    ],
)
def test_a_person_with_a_title_and_a_number_is_found(text: str, expected: Person) -> None:
    assert person_in(text) == expected


@pytest.mark.parametrize(
    "text", ["客户采购需求 电话13800001111", "今天拜访了艾克美张总 电话13800001111", "今天电话沟通了交期"]
)
def test_no_person_without_a_name_a_title_and_a_number(text: str) -> None:
    assert person_in(text) is None


def test_the_country_a_message_names() -> None:
    assert country_in("今天在广交会认识了土耳其的Anatolia Valve Trading") == "TR"
    assert country_in("Nordic HVAC AB 今天电话") is None


@pytest.mark.parametrize(
    ("run", "name", "written"),
    [
        ("穆乐机械今天电话说要样品", "穆勒机械", "穆乐机械"),  # 勒 is le or lei
        ("穆乐今天电话", "穆勒机械", "穆乐"),
        ("穆勒机械今天", "穆勒机械", None),  # the name itself: no typo
        ("今天电话", "金田机械", None),  # a word of time
    ],
)
def test_a_chinese_homophone_of_a_name(run: str, name: str, written: str | None) -> None:
    assert homophone_in(run, name) == written
