"""Customers: create (with a duplicate guard that protects other reps' data), update, aliases."""

from __future__ import annotations

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.resolve import customer_for, fit_name
from bot.router import Router
from bot.sales import customers
from bot.sales.customers import CustomerFields
from bot.sales.scope import Scope
from core.countries import country_code, country_name
from core.nlu.intents import Intent, Parsed
from storage import audit

router = Router("customers")

FIELD_LABELS = {"tier": "等级", "country": "国家", "industry": "行业", "status": "状态", "source": "来源"}
UNDO_HINT = "说错了可发“撤销”。"


@router.intent(Intent.NEW_CUSTOMER, help="新建客户", example="新客户 艾克美工业 德国 A级 行业阀门 来源展会")
async def create_customer(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.customer:
        return [TextReply("请写上客户名称。例如：新客户 艾克美工业 德国 A级 行业阀门 来源展会")]
    name = fit_name(parsed.customer, "客户名称", "新客户 艾克美工业 德国 A级 行业阀门 来源展会")
    fields = CustomerFields(
        country_code(parsed.country) or parsed.country, parsed.tier or "C", parsed.industry, parsed.source
    )
    customer = await customers.create(Scope.of(ctx), name, fields)
    if isinstance(customer, customers.AlreadyYours):
        return [TextReply(f"客户“{customer.customer.name}”已经在您名下了，发“查 {customer.customer.name}”查看。")]
    facts = " · ".join(
        x
        for x in (
            country_name(customer.country),
            f"{customer.tier}级",
            customer.industry,
            f"来源{customer.source}" if customer.source else None,
        )
        if x
    )
    return [TextReply(f"已新建客户：{customer.name}（{facts}），负责人{ctx.user.name}。{UNDO_HINT}")]


@router.intent(Intent.UPDATE_CUSTOMER, help="修改客户信息", example="客户 艾克美 等级 B")
async def update_customer(ctx: Context, parsed: Parsed) -> list[Reply]:
    changes = {
        k: v
        for k, v in (
            ("tier", parsed.tier and parsed.tier.upper()),
            ("country", country_code(parsed.country) or parsed.country),
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
        f"{FIELD_LABELS[k]} {_shown(k, getattr(found, k)) or '空'} → {_shown(k, v)}"
        for k, v in changes.items()
        if getattr(found, k) != v
    ]
    if not lines:
        return [TextReply(f"{found.name} 的信息本来就是这样，没有改动。")]
    for k, v in changes.items():
        setattr(found, k, v)
    found.updated_at = ctx.clock.now()
    ctx.session.add(found)
    await ctx.record("update", "customers", found.id, before=before, after=audit.snapshot(found))
    return [TextReply(f"已更新 {found.name}：" + "，".join(lines) + f"。{UNDO_HINT}")]


def _shown(field: str, value: str | None) -> str | None:
    """Countries are stored as ISO codes and shown in Chinese."""
    return country_name(value) if field == "country" else value


@router.intent(Intent.ADD_ALIAS, help="给客户加别名", example="别名 艾克美 ACME")
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
