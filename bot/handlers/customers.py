"""Customers: create (with a duplicate guard that protects other reps' data), update, aliases, transfers."""

from __future__ import annotations

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.resolve import customer_for
from bot.router import Router
from core.nlu.intents import Parsed
from core.nlu.names import normalize_name
from storage import audit
from storage.models import Customer, User
from storage.repo import customers

router = Router("customers")

FIELD_LABELS = {"tier": "等级", "country": "国家", "industry": "行业", "status": "状态", "source": "来源"}
UNDO_HINT = "说错了可发“撤销”。"


@router.intent("new_customer", help="新建客户", example="新客户 艾克美工业 德国 A级 行业阀门 来源展会")
async def create_customer(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.customer:
        return [TextReply("请写上客户名称。例如：新客户 艾克美工业 德国 A级 行业阀门 来源展会")]
    normalized = normalize_name(parsed.customer)
    existing = await customers.by_normalized(ctx.session, normalized, prefix=False)
    if existing:
        c = existing[0]
        if c.owner_id == ctx.user_id:
            return [TextReply(f"客户“{c.name}”已经在您名下了，发“查 {c.name}”查看。")]
        owner = await ctx.session.get(User, c.owner_id) if c.owner_id else None
        return [
            TextReply(
                f"客户“{c.name}”已存在，负责人是{owner.name if owner else '（公海）'}，未重复创建。"
                f"如需转给您，请发：申请转移 {c.name}"
            )
        ]
    now = ctx.clock.now()
    customer = Customer(
        name=parsed.customer,
        normalized_name=normalized,
        country=parsed.country,
        tier=(parsed.tier or "C").upper(),
        industry=parsed.industry,
        source=parsed.source,
        owner_id=ctx.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(customer)
    await ctx.session.flush()
    await ctx.record("create", "customers", customer.id, after=audit.snapshot(customer))
    facts = " · ".join(
        x
        for x in (
            customer.country,
            f"{customer.tier}级",
            customer.industry,
            f"来源{customer.source}" if customer.source else None,
        )
        if x
    )
    return [TextReply(f"已新建客户：{customer.name}（{facts}），负责人{ctx.user.name}。{UNDO_HINT}")]


@router.intent("update_customer", help="修改客户信息", example="客户 艾克美 等级 B")
async def update_customer(ctx: Context, parsed: Parsed) -> list[Reply]:
    changes = {
        k: v
        for k, v in (
            ("tier", parsed.tier and parsed.tier.upper()),
            ("country", parsed.country),
            ("industry", parsed.industry),
            ("status", parsed.status),
            ("source", parsed.source),
        )
        if v
    }
    if not changes:
        return [TextReply("要改哪一项？例如：客户 艾克美 等级 B（也可改 国家/行业/状态/来源）")]
    found = await customer_for(ctx, parsed, change=True)
    before = audit.snapshot(found)
    lines = [
        f"{FIELD_LABELS[k]} {getattr(found, k) or '空'} → {v}" for k, v in changes.items() if getattr(found, k) != v
    ]
    if not lines:
        return [TextReply(f"{found.name} 的信息本来就是这样，没有改动。")]
    for k, v in changes.items():
        setattr(found, k, v)
    found.updated_at = ctx.clock.now()
    ctx.session.add(found)
    await ctx.record("update", "customers", found.id, before=before, after=audit.snapshot(found))
    return [TextReply(f"已更新 {found.name}：" + "，".join(lines) + f"。{UNDO_HINT}")]


@router.intent("add_alias", help="给客户加别名", example="别名 艾克美 ACME")
async def add_alias(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.alias:
        return [TextReply("请写上别名。例如：别名 艾克美 ACME")]
    found = await customer_for(ctx, parsed, change=True)
    if parsed.alias in found.aliases:
        return [TextReply(f"{found.name} 已有别名“{parsed.alias}”。")]
    before = audit.snapshot(found)
    found.aliases = [*found.aliases, parsed.alias]
    found.updated_at = ctx.clock.now()
    ctx.session.add(found)
    await ctx.record("update", "customers", found.id, before=before, after=audit.snapshot(found))
    return [TextReply(f"已给 {found.name} 加上别名“{parsed.alias}”，以后说“{parsed.alias}”也能找到。{UNDO_HINT}")]


@router.intent("transfer_request", help="申请把别人的客户转给自己", example="申请转移 艾克森")
async def request_transfer(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.customer:
        return [TextReply("请写上客户名称。例如：申请转移 艾克森")]
    target = None
    if parsed.customer_id is not None:
        target = await customers.get(ctx.session, parsed.customer_id)
    if target is None:
        found = await customers.by_normalized(ctx.session, normalize_name(parsed.customer))
        target = found[0] if found else None
    if target is None:
        return [TextReply(f"没有找到客户“{parsed.customer}”。")]
    if target.owner_id == ctx.user_id:
        return [TextReply(f"{target.name} 已经是您的客户了。")]
    owner = await ctx.session.get(User, target.owner_id) if target.owner_id else None
    deciders = [
        u
        for u in (owner, await ctx.session.get(User, owner.manager_id) if owner and owner.manager_id else None)
        if u is not None
    ]
    await ctx.record("transfer_request", "customers", target.id, after={"requested_by": ctx.user.name})
    note = f"{ctx.user.name} 申请把客户“{target.name}”转给自己。请负责人与其经理商量后处理。"
    return [
        TextReply(f"已把转移申请发给 {'、'.join(u.name for u in deciders) or '管理员'}，请等待回复。"),
        *(TextReply(note, to_user_id=u.id) for u in deciders),
    ]
