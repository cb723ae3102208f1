"""Three quotes through rep, manager, director and finance: a comment, a condition, a rejection, a delegation
and a reassignment, as they were tried in the console before this was handed over."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Quote
from tests.bot.test_quotes_support import last_file
from tests.fakes.harness import ChatHarness


async def test_three_quotes_through_every_role(bot: ChatHarness) -> None:
    say = bot.said
    await say("李娜", "报价 艾克美 DN50球阀 1000件 单价80美元 成本 ¥500 FOB上海 付款方式 T/T 30%预付 70%见提单副本")
    assert "现在等 赵敏 审批" in await say("李娜", "提交")
    await say("李娜", "报价 北风泵业 离心泵 20台 单价1200欧元 成本 ¥6000")
    assert "已提交 Q-2026-0002" in await say("李娜", "提交刚才那个")
    await say("李娜", "报价 北欧暖通 风机盘管 50台 单价300美元 成本 ¥1500 CIF 斯德哥尔摩 运费 1200美元 保险0.3%")
    assert "已提交 Q-2026-0003" in await say("李娜", "提交")

    # The manager: a comment, a rejection, then away.
    assert "已同意 Q-2026-0001" in await say("赵敏", "同意 Q-2026-0001 老客户，可以")
    assert "已驳回（价格过低）" in await say("赵敏", "驳回 Q-2026-0002 价格太低，离心泵底价1300欧")
    assert "1 张待审批已转给对方" in await say("赵敏", "委托 刘洋 至 12-20")

    # The director sets a condition; the rep accepts it: only the price moves, the approvals so far stay.
    assert "前序审批附言 赵敏：老客户，可以" in "\n".join(await bot.flush("孙丽"))
    await say("孙丽", "有条件同意 Q-2026-0001 单价不低于82美元，预付30%")
    await bot.flush("李娜")
    accepted = "\n".join(await bot.tap("李娜", 1))
    assert "→ 单价不低于82美元：DN50球阀 单价 $80 → $82" in accepted and "✓ 预付30%：已满足" in accepted
    assert "1. 直属上级：赵敏" in accepted and "现在等 吴芳 审批" in accepted
    assert "已同意 Q-2026-0001 第2版（第3/3步 财务）" in await say("吴芳", "同意 0001")
    assert "报价已批准" in "\n".join(await bot.flush("李娜"))
    filename, _ = await last_file(bot.services, "李娜")
    assert filename == "Q-2026-0001-R2.xlsx"

    # The rejected one is revised and goes to the delegate.
    await say("李娜", "修改 Q-2026-0002 单价1350欧元")
    assert "1. 直属上级：刘洋" in await say("李娜", "提交 0002")
    assert "已同意" in await say("刘洋", "同意 Q-2026-0002")
    assert "已同意" in await say("刘洋", "同意 Q-2026-0003 交期按45天")

    # The third account changes hands mid-approval: the approval goes on, its news reach the new owner.
    assert "转给 王强（原负责人 李娜）" in await say("赵敏", "把北欧暖通转给王强")
    await say("孙丽", "同意 Q-2026-0003")
    await say("孙丽", "同意 Q-2026-0002")
    told = "\n".join(await bot.flush("王强"))
    assert "转给了您" in told and "Q-2026-0003 第1版 第2/2步 销售总监：孙丽 已同意" in told and "报价已批准" in told
    async with bot.services.db.session() as s:
        quotes = {(q.number, q.revision): q.status for q in (await s.exec(select(Quote))).all()}
    assert quotes == {
        ("Q-2026-0001", 1): "superseded",
        ("Q-2026-0001", 2): "approved",
        ("Q-2026-0002", 1): "superseded",  # rejected, then revised
        ("Q-2026-0002", 2): "approved",
        ("Q-2026-0003", 1): "approved",
    }
