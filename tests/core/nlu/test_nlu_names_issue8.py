"""Issue 8, names as reps write them: a homophone of a second customer is that customer's part (asked about by the
bot, never filed under the first); parts told by time of day are one day's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.nlu import NameIndex, Parsed, parse_message
from core.nlu.people import person_in

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday
EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=TZ)

DEMO = [
    (1, "穆勒机械", ("Mueller Maschinenbau",)),
    (2, "安第斯铜业", ("Andes Copper",)),
    (3, "罗西管业", ("Rossi Tubi S.p.A.",)),
    (4, "泰晤士工程", ("Thames Engineering Ltd.",)),
    (5, "里斯本船舶", ("Lisboa Naval",)),
    (6, "北风泵业", ("Nordwind Pumps GmbH",)),
]


@pytest.fixture(scope="module")
def demo() -> NameIndex:
    return NameIndex(DEMO)


def parse(text: str, names: NameIndex, now: datetime = MORNING) -> Parsed:
    return parse_message(text, now=now, tz=TZ, names=names)


@pytest.mark.parametrize("now", [MORNING, EVENING])
def test_a_homophone_of_a_second_customer_is_its_own_part_on_the_same_day(demo: NameIndex, now: datetime) -> None:
    p = parse("上午去了穆勒机械聊了阀门 下午去了安迪斯铜业 他们要样品", demo, now)
    [other] = p.also
    assert (p.customer_id, p.summary) == (1, "上午去了穆勒机械聊了阀门")
    assert (other.customer_id, other.customer) == (2, "安迪斯铜业")
    assert "他们要样品" in (other.summary or "")
    assert p.occurred_at is not None and other.occurred_at is not None
    assert p.occurred_at.date() == other.occurred_at.date()
    assert (p.occurred_at.hour, other.occurred_at.hour) == (9, 14)


def test_parts_on_named_days_keep_their_days(demo: NameIndex) -> None:
    p = parse("昨天下午拜访了北风泵业 今天又电话跟进了一次", demo)
    days = [q.occurred_at.day for q in (p, *p.also) if q.occurred_at is not None]
    assert days == [22, 23]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("认识了采购经理 Maria de la Cruz 电话+34 612 345 678", "Maria de la Cruz"),
        ("技术总监Nguyen Van An 电话+84 90 123 4567", "Nguyen Van An"),
        ("采购经理 Jan van der Berg 邮箱 jan@vdb.nl", "Jan van der Berg"),
        ("Thomas Müller（技术总监）电话+49 170 1234567", "Thomas Müller"),
        ("采购经理 Mehmet Yılmaz 电话+90 532 111 2233", "Mehmet Yılmaz"),
    ],
)
def test_a_latin_person_is_read_whole(text: str, name: str) -> None:
    person = person_in(text)
    assert person is not None and person.name == name
