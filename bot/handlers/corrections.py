"""刚才北欧暖通那条不是视频会议 是电话: the kind of the person's last follow-up is corrected, never logged anew."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.errors import NotFound
from bot.replies import Reply, TextReply
from bot.router import Router
from bot.understand import name_index
from core.nlu.corrections import KindCorrection
from core.nlu.intents import Intent
from core.timefmt import format_day
from storage import audit
from storage.models import Customer
from storage.repo import follow_ups

router = Router("corrections")

_PREVIEW = 30
RECENT = timedelta(days=1)  # a follow-up logged longer ago is not what 刚才那条 means


@router.intent(Intent.CORRECT_KIND)
async def correct_kind(ctx: Context, correction: KindCorrection) -> list[Reply]:
    customer_id = None
    if correction.customer:
        decision = (await name_index(ctx, correction.customer, [correction.customer])).decide(correction.customer)
        if decision.best is None:
            raise NotFound(f"没找到您的客户“{correction.customer}”，什么都没有改。")
        customer_id = decision.best.customer_id
    follow_up = await follow_ups.latest_by(ctx.session, ctx.user_id, customer_id)
    if follow_up is None:
        return [TextReply("您还没有记录过跟进，什么都没有改。")]
    customer = await ctx.session.get(Customer, follow_up.customer_id)
    name = customer.name if customer else "客户"
    day = format_day(follow_up.happened_at.astimezone(ctx.tz))
    words = follow_up.content if len(follow_up.content) <= _PREVIEW else follow_up.content[:_PREVIEW] + "…"
    record = f"{name} {day}的跟进（{words}）"
    if follow_up.created_at < ctx.clock.now() - RECENT:  # 刚才 is not three weeks ago: that one stays as it is
        return [TextReply(f"您最近记的一条是 {record}，不是刚才记的，没有改。")]
    if follow_up.kind == correction.kind:
        return [TextReply(f"{record}已经是{correction.kind}，没有改。")]
    before, old = audit.snapshot(follow_up), follow_up.kind
    follow_up.kind = correction.kind
    ctx.session.add(follow_up)
    await ctx.record("update", "follow_ups", follow_up.id, before=before, after=audit.snapshot(follow_up))
    return [TextReply(f"已改：{record}类型 {old} → {correction.kind}。说错了可发“撤销”。")]
