"""The messages the brief lists as the floor, each with the fields it must yield."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from conftest import NOW, TZ

from core.nlu import Intent, NameIndex, Parsed, parse_message
from core.stages import Stage


def parse(text: str, names: NameIndex | None = None) -> Parsed:
    return parse_message(text, now=NOW, tz=TZ, names=names)


def local(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


CASES: list[tuple[str, Intent, dict[str, Any]]] = [
    (
        "新客户 艾克美工业 德国 A级 行业阀门 来源展会",
        Intent.NEW_CUSTOMER,
        {"customer": "艾克美工业", "country": "德国", "tier": "A", "industry": "阀门", "source": "展会"},
    ),
    ("新客戶 艾克美工业", Intent.NEW_CUSTOMER, {"customer": "艾克美工业"}),
    ("新客户艾克美工业", Intent.NEW_CUSTOMER, {"customer": "艾克美工业"}),
    (
        "添加客户 Nordwind Pumps AS 挪威 B级 来源领英",
        Intent.NEW_CUSTOMER,
        {"customer": "Nordwind Pumps AS", "country": "挪威", "tier": "B", "source": "社媒"},
    ),
    ("客户 艾克美 等级 B", Intent.UPDATE_CUSTOMER, {"customer_id": 1, "tier": "B"}),
    (
        "客户 艾克美 国家 德国 行业 阀门 状态 活跃",
        Intent.UPDATE_CUSTOMER,
        {"customer_id": 1, "country": "德国", "industry": "阀门", "status": "活跃"},
    ),
    ("别名 艾克美 ACME", Intent.ADD_ALIAS, {"customer_id": 1, "alias": "ACME"}),
    (
        "联系人 艾克美 张伟 采购总监 决策者 电话13800001111 邮箱 zw@acme.de",
        Intent.NEW_CONTACT,
        {
            "customer_id": 1,
            "contact_name": "张伟",
            "title": "采购总监",
            "decision_role": "决策者",
            "phone": "13800001111",
            "email": "zw@acme.de",
        },
    ),
    (
        "联系人 瑞丰 王芳 采购 商务对接人 微信 wangfang_88",
        Intent.NEW_CONTACT,
        {
            "customer_id": 23,
            "contact_name": "王芳",
            "title": "采购",
            "decision_role": "商务对接人",
            "wechat": "wangfang_88",
        },
    ),
    (
        "商机 艾克美 DN50球阀年度采购 50万美元 S2 预计12月底签约",
        Intent.NEW_OPPORTUNITY,
        {
            "customer_id": 1,
            "opportunity": "DN50球阀年度采购",
            "amount": Decimal(500000),
            "currency": "USD",
            "stage": Stage.S2,
            "close_date": local(12, 31),
            "guesses": ("close_date",),
        },
    ),
    ("推进 艾克美 球阀 S3", Intent.ADVANCE_STAGE, {"customer_id": 1, "opportunity": "球阀", "stage": Stage.S3}),
    ("艾克美球阀 进入商务谈判", Intent.ADVANCE_STAGE, {"customer_id": 1, "opportunity": "球阀", "stage": Stage.S4}),
    ("赢单 艾克美 球阀", Intent.WIN, {"customer_id": 1, "opportunity": "球阀", "stage": Stage.WON}),
    (
        "输单 艾克美 球阀 原因 价格",
        Intent.LOSE,
        {"customer_id": 1, "opportunity": "球阀", "stage": Stage.LOST, "reason": "价格"},
    ),
    (
        "跟进 艾克美 今天电话沟通了DN50球阀需求，客户关心交期，下周二再电话跟进",
        Intent.FOLLOW_UP,
        {
            "customer_id": 1,
            "kind": "电话",
            "occurred_at": NOW,
            "summary": "今天电话沟通了DN50球阀需求，客户关心交期",
            "next_action": "再电话跟进",
            "next_due": local(12, 1),
        },
    ),
    (
        "今天拜访了艾克美张总，谈了报价，客户觉得贵，周五前给答复",
        Intent.FOLLOW_UP,
        {
            "customer_id": 1,
            "kind": "拜访",
            "occurred_at": NOW,
            "next_action": "给答复",
            "next_due": local(11, 27),
        },
    ),
    (
        "visited ACME today, send samples next Friday",
        Intent.FOLLOW_UP,
        {
            "customer": "ACME",
            "customer_id": None,
            "kind": "拜访",
            "summary": "visited ACME today",
            "next_action": "send samples",
            "next_due": local(12, 4),
        },
    ),
    (
        "跟近 艾克美 昨天打了电话",
        Intent.FOLLOW_UP,
        {"customer_id": 1, "kind": "电话", "occurred_at": local(11, 22), "next_action": None},
    ),
    ("查 艾克美", Intent.LOOKUP, {"customer_id": 1}),
    ("查艾克美", Intent.LOOKUP, {"customer_id": 1}),
    ("艾克美怎么样", Intent.LOOKUP, {"customer_id": 1}),
    ("ACME?", Intent.LOOKUP, {"customer": "ACME", "customer_id": None}),
    ("查看 艾克美", Intent.LOOKUP, {"customer_id": 1}),
    ("待办", Intent.LIST_TASKS, {}),
    ("我的待办", Intent.LIST_TASKS, {}),
    ("todo", Intent.LIST_TASKS, {}),
    ("完成 2", Intent.COMPLETE_TASK, {"number": 2}),
    ("推迟 2 明天", Intent.POSTPONE_TASK, {"number": 2, "next_due": local(11, 24)}),
    ("撤销", Intent.UNDO, {}),
    ("undo", Intent.UNDO, {}),
    ("漏斗", Intent.FUNNEL, {}),
    ("日报", Intent.FUNNEL, {}),
    ("funnel", Intent.FUNNEL, {}),
    ("帮助", Intent.HELP, {}),
    ("help", Intent.HELP, {}),
    ("?", Intent.HELP, {}),
    ("是", Intent.CONFIRM, {}),
    ("确认", Intent.CONFIRM, {}),
    ("好", Intent.CONFIRM, {}),
    ("yes", Intent.CONFIRM, {}),
    ("仍然推进", Intent.CONFIRM, {}),
    ("否", Intent.CANCEL, {}),
    ("取消", Intent.CANCEL, {}),
    ("不", Intent.CANCEL, {}),
    ("2", Intent.CHOICE, {"number": 2}),
    ("申请转移 艾克美", Intent.TRANSFER_REQUEST, {"customer_id": 1}),
    ("今天天气不错", Intent.UNKNOWN, {}),
]


@pytest.mark.parametrize(("text", "intent", "fields"), CASES, ids=[c[0] for c in CASES])
def test_floor_messages(names: NameIndex, text: str, intent: Intent, fields: dict[str, Any]) -> None:
    parsed = parse(text, names)
    assert parsed.intent is intent
    for name, expected in fields.items():
        assert getattr(parsed, name) == expected, name


def test_ambiguous_customer_offers_candidates(names: NameIndex) -> None:
    parsed = parse("visited ACME today, send samples next Friday", names)
    assert {m.customer_id for m in parsed.customer_candidates} == {3, 4}


def test_without_a_name_index_the_written_customer_is_kept() -> None:
    assert parse("推进 艾克美 球阀 S3").customer == "艾克美"
    assert parse("跟进 艾克美 今天电话沟通了需求，下周二再电话跟进").customer == "艾克美"
    assert parse("查 Bright Star").customer == "Bright Star"


def test_missing_and_guesses(names: NameIndex) -> None:
    parsed = parse("商机 宏达 注塑件 12.5万", names)
    assert parsed.amount == Decimal(125000) and parsed.money is None and "currency" in parsed.missing
    assert parse("推迟 2", names).missing == ("next_due",)
    assert parse("跟进 瑞丰 电话聊了下", names).next_due is None
    assert "kind" in parse("跟进 瑞丰 客户说下周下单", names).guesses
    assert parse("推进 艾克美", names).missing == ("stage",)


def test_commands_that_are_really_sentences(names: NameIndex) -> None:
    assert parse("客户说下周下单", names).intent is Intent.FOLLOW_UP
    assert parse("完成了报价，客户说周五回复", names).intent is Intent.FOLLOW_UP


def test_parsed_money_property(names: NameIndex) -> None:
    parsed = parse("商机 艾克美 球阀 50万美元 S2", names)
    assert parsed.money is not None and str(parsed.money) == "$500,000"
