"""Issue 8, new-user trial on the WeCom phone view (LOST): the date kabot asked for, sent after a 查, still makes
the task; the phone shows the reminder line under the 360° view, and 撤销 while a question is open withdraws it."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import FollowUp, Task
from tests.fakes.wecom_rig import Rig

AHMED = "Ahmed在WhatsApp上说他们老板下周到义乌 想顺便来我们工厂看看 我要安排接机和样品间"


async def _say(rig: Rig, who: str, text: str, msg_id: int) -> str:
    before = len(rig.texts(who))
    assert (await rig.post(rig.fake.callback_text(who, text, msg_id)))[0] == 200
    await rig.settle()
    return "\n".join(rig.texts(who)[before:])


async def test_the_date_after_a_lookup_completes_the_follow_up_on_the_phone(rig: Rig) -> None:
    assert "是哪个客户的" in await _say(rig, "chenjing", AHMED, 9101)
    assert "是哪天" in await _say(rig, "chenjing", "海湾贸易", 9102)
    looked = await _say(rig, "chenjing", "查 海湾贸易", 9103)
    assert "迪拜海湾贸易" in looked and "还在等您回复：下一步“要安排接机和样品间”是哪天？" in looked
    done = await _say(rig, "chenjing", "周五", 9104)
    assert "待办：要安排接机和样品间" in done and "没太明白" not in done
    async with rig.services.db.session() as s:
        assert (await s.exec(select(Task).where(col(Task.subject).contains("安排接机")))).first() is not None


async def test_undo_while_asked_for_the_customer_keeps_the_earlier_follow_up(rig: Rig) -> None:
    assert "已记录" in await _say(rig, "lina", "跟进 北风泵业 今天电话沟通了防爆认证 下周二再跟进", 9201)
    assert "是哪个客户的" in await _say(rig, "lina", "下午跟客户通了电话 说下周来验货", 9202)
    assert "刚才那条（下午跟客户通了电话 说下周来验货）没有保存" in await _say(rig, "lina", "撤销", 9203)
    async with rig.services.db.session() as s:
        assert (await s.exec(select(FollowUp).where(col(FollowUp.content).contains("防爆认证")))).first()
