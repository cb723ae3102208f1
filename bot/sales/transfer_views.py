"""What people are told when an account changes hands (outcomes of bot.sales.transfers)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.cards.actions import Answer, TransferDecision
from bot.cards.model import Button, Card
from bot.replies import CardReply, Reply, TextReply
from bot.sales import views
from bot.sales.cards import card_updates
from bot.sales.scope import Scope
from bot.sales.transfers import Offboarded, PendingRequest, Refused, Requested, Several, Transferred, Withdrawn
from core.countries import country_name


def _what(t: Transferred) -> str:
    m = t.moved
    parts = [
        f"待办 {len(m.task_ids)} 条" if m.task_ids else "",
        f"商机 {len(m.opportunity_ids)} 个" if m.opportunity_ids else "",
        f"报价 {len({*m.quote_ids})} 张（含各版本）" if m.quote_ids else "",
    ]
    moved = "、".join(p for p in parts if p)
    return f"，{moved}随客户转交" if moved else ""


def transferred(t: Transferred, scope: Scope) -> list[Reply]:
    name, to = t.customer.name, t.to_user
    was = f"（原负责人 {t.from_user.name}）" if t.from_user else "（原在公海）"
    out: list[Reply] = [TextReply(f"已把客户“{name}”转给 {to.name}{was}{_what(t)}。")]
    for uid in t.tell:
        if uid == to.id:
            text = f"{t.by} 把客户“{name}”{was}转给了您{_what(t)}。发“查 {name}”查看。"
        elif t.from_user is not None and uid == t.from_user.id:
            text = f"{t.by} 把您的客户“{name}”转给了 {to.name}，相关待办、商机和报价一并转交。"
        else:
            text = f"{t.by} 把客户“{name}”从 {t.from_user.name if t.from_user else '公海'} 转给了 {to.name}。"
        out.append(TextReply(text, to_user_id=uid))
    return out


def which(s: Several, written: str) -> str:
    lines = [
        f"{n}. {c.name}（{country_name(c.country) or '国家未填'}，负责人 {owner}）"
        for n, (c, owner) in enumerate(zip(s.accounts, s.owners, strict=True), 1)
    ]
    return f"“{written}”对应多个客户，要申请转移哪一个？回复编号：\n" + "\n".join(lines) + "\n回复“取消”不申请。"


def requested(r: Requested) -> list[Reply]:
    c = r.customer
    card = Card(
        template="transfer_request",
        title=f"客户转移申请 {c.name}",
        data={
            "requester": r.requester.name,
            "customer": " · ".join(x for x in (c.name, f"{c.tier}级", country_name(c.country)) if x),
            "owner": r.owner.name if r.owner else "公海",
        },
        buttons=(
            Button("同意", TransferDecision(r.request.id or 0, Answer.YES), "primary"),
            Button("拒绝", TransferDecision(r.request.id or 0, Answer.NO), "danger"),
        ),
        ref=r.request.card_id,
    )
    out: list[Reply] = [
        TextReply(f"已把转移申请发给 {r.decider.name}，有结果我会告诉您。"),
        CardReply(card, to_user_id=r.decider.id),
    ]
    if r.owner is not None and r.owner.id != r.decider.id:
        out.append(
            TextReply(
                f"{r.requester.name} 申请把您的客户“{c.name}”转给自己，已交 {r.decider.name} 决定。",
                to_user_id=r.owner.id,
            )
        )
    return out


def pending_list(items: Sequence[PendingRequest], tz: ZoneInfo) -> str:
    """The transfer requests waiting for this person, with the text commands that decide them."""
    if not items:
        return "目前没有等您处理的转移申请。"
    lines = [
        f"{n}. {it.customer.name} · {it.requester} 申请接手（现负责人 {it.owner}）"
        f" · {it.request.created_at.astimezone(tz):%m-%d %H:%M}申请"
        for n, it in enumerate(items, 1)
    ]
    first = items[0].customer.name
    return (
        f"等您处理的客户转移申请（{len(items)}）：\n"
        + "\n".join(lines)
        + f"\n回复“同意转移 {first}”或“拒绝转移 {first} 原因”，也可以点申请卡片上的按钮。"
    )


def withdrawn(w: Withdrawn) -> list[Reply]:
    said = f"{w.requester} 撤回了对客户“{w.customer.name}”的转移申请，不用再处理了。"
    out: list[Reply] = [
        TextReply(f"已撤回对客户“{w.customer.name}”的转移申请，已告诉处理人。"),
        *card_updates(w.finals),
        TextReply(said, to_user_id=w.decider_id),
    ]
    if w.owner is not None and w.owner.id != w.decider_id:
        out.append(TextReply(f"{w.requester} 撤回了对您的客户“{w.customer.name}”的转移申请。", to_user_id=w.owner.id))
    return out


def refused(r: Refused) -> list[Reply]:
    why = f"：{r.note}" if r.note else ""
    return [
        TextReply(f"已拒绝 {r.requester.name} 对“{r.customer.name}”的转移申请。"),
        TextReply(f"{r.by} 拒绝了您对客户“{r.customer.name}”的转移申请{why}。", to_user_id=r.requester.id),
    ]


def offboarded(o: Offboarded, scope: Scope) -> list[Reply]:
    names = "、".join(t.customer.name for t in o.accounts[:10]) + ("等" if len(o.accounts) > 10 else "")
    handed = f"；{o.person.name} 待处理的报价审批已转给 {o.approvals_to.name}" if o.approvals_to and o.cards else ""
    out: list[Reply] = [
        TextReply(
            f"已办理 {o.person.name} 的离职交接：{len(o.accounts)} 个客户（{names or '无'}）及其待办、商机、报价"
            f"已转给 {o.to_user.name}{handed}；{o.person.name} 的账号已停用。"
        ),
        *(CardReply(views.approval_card(b, c, scope.tz), to_user_id=c.approval.approver_id) for c, b in o.cards),
    ]
    told = {uid for t in o.accounts for uid in t.tell} | ({o.to_user.id} if o.to_user.id else set())
    for uid in told - {o.person.id, scope.actor.id if scope.actor else None}:
        head = f"{o.person.name} 已离职，{scope.name} 把其 {len(o.accounts)} 个客户转给了"
        if uid == o.to_user.id:
            text = f"{head}您：{names}。发“待办”看看接手的待办。"
        else:
            text = f"{head} {o.to_user.name}。"
        out.append(TextReply(text, to_user_id=uid))
    return out
