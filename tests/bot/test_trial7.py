"""Trial 7 (a new user on the WeCom phone view, demo company): nothing lost, nothing misfiled, questions answered."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import FollowUp
from tests.fakes.harness import ChatHarness


async def _notes_of(bot: ChatHarness, words: str) -> list[FollowUp]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(FollowUp).where(col(FollowUp.content).contains(words)))).all())


async def test_a_kind_correction_changes_the_last_follow_up_and_is_undone_by_undo(bot: ChatHarness) -> None:
    """Trial 7: `刚才北欧暖通那条不是视频会议 是电话` was saved as a new 视频会议 follow-up with those words."""
    await bot.said("李娜", "跟进 北欧暖通 今天开了视频会议，讨论了独特报价")
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "视频会议"
    fixed = await bot.said("李娜", "刚才北欧暖通那条不是视频会议 是电话")
    assert "北欧暖通" in fixed and "视频会议 → 电话" in fixed and "已记录" not in fixed
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "电话" and await _notes_of(bot, "不是视频会议") == []
    assert "已撤销" in await bot.said("李娜", "撤销")
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "视频会议"
    fixed = await bot.said("李娜", "上一条跟进改成电话")
    assert "视频会议 → 电话" in fixed and "联系人" not in fixed
    [note] = await _notes_of(bot, "独特报价")
    assert note.kind == "电话"
