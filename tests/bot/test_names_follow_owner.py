"""Names follow the account (issue 8, name lookup at scale): the name keys carry the customer's owner, so a
moved account is found by its new owner under any spelling and no longer by the old one, a pooled account by
anyone; and a message reads the names once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from bot.understand import _parse
from storage.models import Customer, User
from storage.repo import users
from tests.fakes.harness import ChatHarness


async def _stale_keys(bot: ChatHarness) -> list[Any]:
    """Key rows whose owner is not the customer's (0 stands for the public pool)."""
    async with bot.services.db.session() as s:
        q = text(
            "SELECT k.kind, k.key, c.name FROM customer_name_keys k JOIN customers c ON c.id = k.customer_id "
            "WHERE k.visible_to <> CASE WHEN c.status = 'pool' OR c.owner_id IS NULL THEN 0 ELSE c.owner_id END"
        )
        return list((await s.exec(q)).all())  # type: ignore[call-overload]


async def _to_pool(bot: ChatHarness, name: str) -> None:
    async with bot.services.db.session() as s:
        [c] = (await s.exec(select(Customer).where(Customer.name == name))).all()
        c.status, c.owner_id = "pool", None
        s.add(c)
        await s.commit()


async def test_a_moved_account_is_found_by_its_new_owner_by_any_spelling(bot: ChatHarness) -> None:
    assert "不是您的客户" in await bot.said("王强", "查 北欧暖通")
    assert "转给 王强" in await bot.said("赵敏", "把北欧暖通转给王强")
    assert await _stale_keys(bot) == []
    shown = await bot.said("王强", "查 北欧暖同")  # a typo: only the fuzzy keys can find it
    assert "北欧暖通" in shown and "没有找到" not in shown and "不是您的客户" not in shown
    assert "北欧暖通" in await bot.said("王强", "今天拜访了北欧暖通，谈了风机盘管报价")
    assert "不是您的客户" in await bot.said("李娜", "查 北欧暖通")
    assert "北欧暖通" not in await bot.said("李娜", "查 北欧暖同")


async def test_a_pooled_account_is_anyones_to_find_and_its_claimer_s_alone(bot: ChatHarness) -> None:
    await _to_pool(bot, "北风泵业")
    assert await _stale_keys(bot) == []
    assert "北风泵业" in await bot.said("王强", "查 北风泵叶")
    assert "转给 王强" in await bot.said("王强", "申请转移 北风泵业")  # a pooled account moves at once
    assert await _stale_keys(bot) == []
    assert "北风泵业" not in await bot.said("陈静", "查 北风泵叶")


async def test_a_name_picked_from_a_list_goes_with_the_account(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "查 北")
    picked = "北风泵业" if "北风泵业" in asked.split("\n")[1] else "北欧暖通"
    assert picked in await bot.said("李娜", "1")
    assert "转给 王强" in await bot.said("赵敏", f"把{picked}转给王强")
    assert await _stale_keys(bot) == []
    assert picked in "\n".join(await bot.flush("李娜"))  # told it moved
    again = await bot.said("李娜", "查 北")
    assert f"【{picked}】" not in again


@contextmanager
def _statements(bot: ChatHarness) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = bot.services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _reads_names(statement: str) -> bool:
    """The names read (storage/repo/names.py; its keys are read in a function on PostgreSQL)."""
    return statement.lstrip().startswith("WITH found AS")


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("李娜", "跟进 北欧暖通 今天电话沟通了报价，下周二再跟进"),
        ("李娜", "今天拜访了北欧暖通张总"),
        ("李娜", "查 北欧暖同"),  # a typo: the look-alikes come in the same read
        ("李娜", "查 aikemei"),
        ("赵敏", "查 不存在的公司"),  # a manager: her team is read once
        ("孙丽", "查 北"),
    ],
)
async def test_a_message_reads_the_names_once(bot: ChatHarness, who: str, message: str) -> None:
    async with bot.services.db.session() as session:
        [user] = (await session.exec(select(User).where(User.name == who))).all()
        ctx: Any = SimpleNamespace(
            session=session, user=user, user_id=user.id, now=datetime.now(UTC), tz=ZoneInfo("Asia/Shanghai")
        )
        with _statements(bot) as seen:
            await _parse(ctx, message)
    assert len([s for s in seen if _reads_names(s)]) == 1
    assert len([s for s in seen if "FROM users" in s]) <= 1


@pytest.mark.parametrize("who", ["赵敏", "李娜"])
async def test_a_whole_message_reads_the_team_and_the_names_once(bot: ChatHarness, who: str) -> None:
    with _statements(bot) as seen:
        assert "北欧暖通" in await bot.said(who, "跟进 北欧暖通 今天电话沟通了报价，下周二再跟进")
    assert len([s for s in seen if _reads_names(s)]) == 1
    assert len([s for s in seen if "RECURSIVE team" in s]) == (1 if who == "赵敏" else 0)


async def test_a_lookup_reads_the_user_the_names_and_the_account_once_each(bot: ChatHarness) -> None:
    """Issue 12: `查` reads three things: the user with their open question, the names with the customers they
    name (so the one asked for needs no read of its own), and the account's facts."""
    await bot.say("李娜", "帮助")
    with _statements(bot) as seen:
        assert "北欧暖通" in await bot.said("李娜", "查 北欧暖通")
    reads = [s for s in seen if s.lstrip().startswith(("SELECT", "WITH"))]
    assert len(reads) == 3, "\n".join(r[:90] for r in reads)


async def test_a_team_change_in_the_same_session_is_seen(bot: ChatHarness) -> None:
    async with bot.services.db.session() as s:
        [manager] = (await s.exec(select(User).where(User.name == "赵敏"))).all()
        [outsider] = (await s.exec(select(User).where(User.name == "陈静"))).all()
        before = await users.visible_owner_ids(s, manager)
        assert before is not None and outsider.id not in before
        outsider.manager_id = manager.id
        s.add(outsider)
        await s.flush()
        assert outsider.id in (await users.visible_owner_ids(s, manager) or [])
