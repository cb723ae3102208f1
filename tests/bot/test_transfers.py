"""Accounts that change hands: a manager moves one, a leaver's book moves, a rep asks and the manager decides."""

from __future__ import annotations

import argparse

import pytest
from sqlmodel import select

from bot import cli_quotes
from bot.services import Services
from storage.models import AuditLog, Customer, Opportunity, Quote, Task, TransferRequest, User
from tests.bot.test_quotes_support import quote_and_submit
from tests.fakes.harness import ChatHarness


async def rows(bot: ChatHarness, model, *where):  # type: ignore[no-untyped-def]
    async with bot.services.db.session() as s:
        return list((await s.exec(select(model).where(*where))).all())


async def customer(bot: ChatHarness, name: str) -> Customer:
    [c] = await rows(bot, Customer, Customer.name == name)
    return c


async def uid(bot: ChatHarness, name: str) -> int:
    [u] = await rows(bot, User, User.name == name)
    return u.id or 0


async def test_a_manager_moves_an_account_with_its_open_work(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, "报价 北欧暖通 风机盘管 10台 单价500美元 成本 ¥2000")
    await bot.say("李娜", "跟进 北欧暖通 电话沟通了报价，下周二再跟进")
    nordic = await customer(bot, "北欧暖通")
    out = await bot.said("赵敏", "把北欧暖通转给王强")
    assert "已把客户“北欧暖通”转给 王强（原负责人 李娜）" in out and "待办 1 条、商机 1 个、报价 1 张" in out
    qiang = await uid(bot, "王强")
    assert (await customer(bot, "北欧暖通")).owner_id == qiang
    assert {t.owner_id for t in await rows(bot, Task, Task.customer_id == nordic.id, Task.status == "open")} == {qiang}
    opps = await rows(bot, Opportunity, Opportunity.customer_id == nordic.id)
    assert {(o.closed_at is None, o.owner_id == qiang) for o in opps} == {(True, True), (False, False)}  # won stays
    assert {q.owner_id for q in await rows(bot, Quote, Quote.number == number)} == {qiang}
    assert "转给了您" in "\n".join(await bot.flush("王强"))
    assert "把您的客户“北欧暖通”转给了 王强" in "\n".join(await bot.flush("李娜"))
    [audit] = await rows(bot, AuditLog, AuditLog.action == "transfer")
    assert audit.actor_id == await uid(bot, "赵敏") and audit.after and audit.after["owner_id"] == qiang
    assert "已修改" not in await bot.said("王强", f"修改 {number} 单价520美元")  # the new owner can work on it
    assert "不是您的报价" in await bot.said("李娜", f"修改 {number} 单价530美元")


async def test_a_director_moves_one_and_the_manager_is_told(bot: ChatHarness) -> None:
    out = await bot.said("孙丽", "把北欧暖通转给陈静")
    assert "转给 陈静" in out
    assert "从 李娜 转给了 陈静" in "\n".join(await bot.flush("赵敏"))
    assert "从 李娜 转给了 陈静" in "\n".join(await bot.flush("刘洋"))


async def test_who_may_move_what(bot: ChatHarness) -> None:
    assert "只有经理可以把客户转给别人" in await bot.said("李娜", "把北欧暖通转给王强")
    assert "不在您的团队" in await bot.said("刘洋", "把北欧暖通转给陈静")
    assert "陈静 不在您的团队里" in await bot.said("赵敏", "把北欧暖通转给陈静")
    assert "已经由 李娜 负责了" in await bot.said("赵敏", "把北欧暖通转给李娜")
    assert "没有找到同事“李那”" in await bot.said("赵敏", "转移 北欧暖通 给 李那")
    assert (await customer(bot, "北欧暖通")).owner_id == await uid(bot, "李娜")
    refused = await rows(bot, AuditLog, AuditLog.action == "refused")
    assert len(refused) == 3  # the two permission refusals of 李娜 and 刘洋, and 赵敏's outside her team


async def test_a_managers_transfer_is_no_longer_a_request_to_herself(bot: ChatHarness) -> None:
    out = await bot.said("赵敏", "转移 艾克森流体设备 给 李娜")
    assert "已把客户“艾克森流体设备”转给 李娜（原负责人 王强）" in out
    assert not await rows(bot, TransferRequest)


async def test_a_reps_request_is_decided_by_the_owners_manager_with_one_tap(bot: ChatHarness) -> None:
    asked = await bot.said("李娜", "申请转移 艾克森流体设备")
    assert "已把转移申请发给 赵敏" in asked
    card = "\n".join(await bot.flush("赵敏"))
    assert "客户转移申请 艾克森流体设备" in card and "李娜 申请接手客户" in card and "[1] 同意  [2] 拒绝" in card
    assert "申请把您的客户“艾克森流体设备”转给自己" in "\n".join(await bot.flush("王强"))
    assert "已有转移申请" in await bot.said("陈静", "申请转移 艾克森流体设备")
    card_buttons = list(bot.console.buttons["赵敏"])
    done = "\n".join(await bot.tap("赵敏", 1))
    assert "已同意 · 赵敏" in done and "已把客户“艾克森流体设备”转给 李娜" in done
    assert (await customer(bot, "艾克森流体设备")).owner_id == await uid(bot, "李娜")
    assert "转给了您" in "\n".join(await bot.flush("李娜"))
    [req] = await rows(bot, TransferRequest)
    assert (req.status, req.decided_by_id) == ("approved", await uid(bot, "赵敏"))
    bot.console.buttons["赵敏"] = card_buttons
    assert "已经处理过了" in "\n".join(await bot.tap("赵敏", 2))  # a second tap (拒绝) changes nothing
    assert (await customer(bot, "艾克森流体设备")).owner_id == await uid(bot, "李娜")


async def test_a_request_refused_in_words(bot: ChatHarness) -> None:
    await bot.say("李娜", "申请转移 艾克森流体设备")
    out = await bot.said("赵敏", "拒绝转移 艾克森流体设备 客户正在谈判，先不动")
    assert "已拒绝 李娜" in out
    assert "赵敏 拒绝了您对客户“艾克森流体设备”的转移申请：客户正在谈判,先不动" in "\n".join(await bot.flush("李娜"))
    assert (await customer(bot, "艾克森流体设备")).owner_id == await uid(bot, "王强")
    assert "没有“艾克森流体设备”的待处理转移申请" in await bot.said("赵敏", "同意转移 艾克森流体设备")


async def test_a_request_names_only_an_exact_account(bot: ChatHarness) -> None:
    assert "没有找到客户“%”" in await bot.said("李娜", "申请转移 %")
    assert "没有找到客户“艾克”" in await bot.said("李娜", "申请转移 艾克")
    assert not await rows(bot, TransferRequest)


async def test_a_leaver_s_book_moves_in_chat(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, "报价 艾克森 离心泵 10台 单价900美元 成本 ¥3000", who="王强")
    qiang_accounts = len(await rows(bot, Customer, Customer.owner_id == await uid(bot, "王强")))
    out = await bot.said("赵敏", "王强离职，客户转给李娜")
    assert f"已办理 王强 的离职交接：{qiang_accounts} 个客户" in out and "王强 的账号已停用" in out
    lina = await uid(bot, "李娜")
    assert not await rows(bot, Customer, Customer.owner_id == await uid(bot, "王强"))
    assert {q.owner_id for q in await rows(bot, Quote, Quote.number == number)} == {lina}
    [qiang] = await rows(bot, User, User.name == "王强")
    assert not qiang.active
    assert "转给了您" in "\n".join(await bot.flush("李娜"))
    assert "已同意" in await bot.said("赵敏", f"同意 {number}")  # the pending approval goes on
    assert "报价已批准" in "\n".join(await bot.flush("李娜"))  # and its news reach the new owner


@pytest.fixture
def use_services(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    async def same(_settings: object) -> Services:
        return services

    monkeypatch.setattr(cli_quotes, "_services", same)
    return services


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kabot")
    users = parser.add_subparsers(dest="command").add_parser("users").add_subparsers(dest="users_command")
    cli_quotes.register_users(users)
    return parser.parse_args(argv)


async def test_kabot_users_offboard(
    bot: ChatHarness, use_services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("users", "offboard", "王强", "--to", "陈静")
    assert await args.run(args, use_services.settings) == 0
    assert "已办理 王强 的离职交接" in capsys.readouterr().out
    assert not await rows(bot, Customer, Customer.owner_id == await uid(bot, "王强"))
    moves = await rows(bot, AuditLog, AuditLog.action == "transfer")
    assert moves and {(a.actor_id, a.channel) for a in moves} == {(None, "cli")}  # the system user
    assert "转给了您" in "\n".join(await bot.flush("陈静"))
    missing = parse("users", "offboard", "王强", "--to", "陈静")
    assert await missing.run(missing, use_services.settings) == 2  # 王强 is no longer active
    assert "没有找到在职同事“王强”" in capsys.readouterr().err


async def test_open_approvals_of_a_leaving_manager_go_up(bot: ChatHarness) -> None:
    number = await quote_and_submit(bot, "报价 艾克美 DN50球阀 100件 单价50美元 成本 ¥200 FOB上海")
    await bot.flush("赵敏")
    out = await bot.said("孙丽", "赵敏离职，客户转给刘洋")
    assert "待处理的报价审批已转给 刘洋" in out
    assert f"报价审批 {number}" in "\n".join(await bot.flush("刘洋"))
    assert "已同意" in await bot.said("刘洋", f"同意 {number}")


async def test_a_request_for_a_name_of_several_accounts_asks_which_and_goes_on(bot: ChatHarness) -> None:
    """Probe (issue 12): `申请转移 北风` picked one of 北风泵业 / 北风贸易 without asking."""
    assert "已新建客户：北风贸易" in await bot.said("王强", "新客户 北风贸易 德国 B级")
    asked = await bot.said("陈静", "申请转移 北风")
    assert "要申请转移哪一个" in asked and "北风泵业" in asked and "北风贸易" in asked
    assert not await rows(bot, TransferRequest)
    [number] = [line[0] for line in asked.splitlines() if "北风贸易" in line]
    done = await bot.said("陈静", number)
    assert "已把转移申请发给" in done
    [req] = await rows(bot, TransferRequest)
    assert req.customer_id == (await customer(bot, "北风贸易")).id
    assert req.to_user_id == await uid(bot, "陈静")


async def test_undoing_a_request_tells_the_manager_and_the_owner_and_closes_the_card(bot: ChatHarness) -> None:
    """Issue 8: 撤销 of a request that reached others must tell them, not leave a card that still asks."""
    await bot.say("李娜", "申请转移 艾克森流体设备")
    card_buttons = list(bot.console.buttons["赵敏"]) if "赵敏" in bot.console.buttons else []
    await bot.flush("赵敏")
    await bot.flush("王强")
    undone = await bot.said("李娜", "撤销")
    assert "已撤回对客户“艾克森流体设备”的转移申请" in undone
    told = "\n".join(await bot.flush("赵敏"))
    assert "李娜 撤回了对客户“艾克森流体设备”的转移申请" in told and "已撤回 · 李娜" in told
    assert "李娜 撤回了对您的客户“艾克森流体设备”的转移申请" in "\n".join(await bot.flush("王强"))
    [req] = await rows(bot, TransferRequest)
    assert req.status == "withdrawn"
    bot.console.buttons["赵敏"] = card_buttons
    assert "已经处理过了" in "\n".join(await bot.tap("赵敏", 1))  # the old card's 同意 moves nothing
    assert (await customer(bot, "艾克森流体设备")).owner_id == await uid(bot, "王强")
    assert "已有转移申请" not in await bot.said("陈静", "申请转移 艾克森流体设备")  # the account is free to ask for


async def test_undo_after_the_account_moved_on_is_refused(bot: ChatHarness) -> None:
    """Trial 2: 李娜 完成 a task, the account moved to 王强, 李娜 撤销 → the task reopened in 李娜's list (a done
    task stays with whoever did it; undo now says the account has changed since and leaves it done)."""
    await bot.said("李娜", "跟进 北风泵业 今天电话沟通，明天寄不锈钢样品")
    listed = await bot.said("李娜", "待办")
    number = next(line.split(".")[0] for line in listed.splitlines() if "寄不锈钢样品" in line)
    assert "已完成" in await bot.said("李娜", f"完成 {number}")
    await bot.said("赵敏", "把北风泵业转给王强")
    refused = await bot.said("李娜", "撤销")
    assert "没有撤销" in refused
    [task] = await rows(bot, Task, Task.subject == "寄不锈钢样品")
    assert task.status == "done"
    assert "寄不锈钢样品" not in await bot.said("李娜", "待办")


async def test_undo_of_a_postponement_still_works(bot: ChatHarness) -> None:
    """The check compares due times as instants: a task moved in Shanghai time is undone as before."""
    await bot.said("李娜", "跟进 北风泵业 今天电话沟通，明天寄不锈钢样品")
    [task] = await rows(bot, Task, Task.subject == "寄不锈钢样品")
    await bot.said("李娜", "寄不锈钢样品那个推迟到下周三")
    assert "已撤销" in await bot.said("李娜", "撤销")
    [back] = await rows(bot, Task, Task.subject == "寄不锈钢样品")
    assert back.due_at == task.due_at
