"""漏斗 / 日报: the funnel for whoever asks — a rep their own, a manager their team, a director everyone."""

from __future__ import annotations

from bot.access import colleague_in_view
from bot.cards.model import Card
from bot.context import Context
from bot.replies import CardReply, Reply, TextReply
from bot.router import Router
from core.funnel import build_funnel_report, render_bar_chart, render_funnel_text
from core.nlu.intents import Intent, Parsed
from core.roles import Role
from storage.repo import funnel, users

router = Router("funnel")


@router.intent(Intent.FUNNEL, help="销售漏斗和日报（经理看团队，总监看全部）", example="漏斗")
async def show_funnel(ctx: Context, parsed: Parsed) -> list[Reply]:
    colleague = await colleague_in_view(ctx, parsed.person, "漏斗") if parsed.person else None
    # Finance has no deals of its own: an all-zero "吴芳的销售漏斗" would mislead.
    if ctx.role is Role.FINANCE and colleague is None:
        return [
            TextReply(
                "漏斗按销售人员统计：财务名下没有商机。全公司的漏斗请销售总监或总经理发“漏斗”；等您审批的报价请发“待审批”。"
            )
        ]
    owner_ids = [colleague.id or 0] if colleague else await users.visible_owner_ids(ctx.session, ctx.user)
    report = build_funnel_report(
        await funnel.funnel_input(
            ctx.session,
            owner_ids=owner_ids,
            now=ctx.clock.now(),
            tz=str(ctx.tz),
            base_currency=ctx.settings.base_currency,
        )
    )
    names = {u.id: u.name for u in await users.all_users(ctx.session)}
    scope = (
        f"{colleague.name}的"
        if colleague
        else "全公司"
        if owner_ids is None
        else (f"{ctx.user.team or ctx.user.name}团队" if ctx.role is Role.MANAGER else f"{ctx.user.name}的")
    )
    card = Card(
        template="funnel",
        title=f"{scope}销售漏斗 · {ctx.now:%m-%d}",
        data={"text": render_funnel_text(report, names), "chart": render_bar_chart(report)},
    )
    return [CardReply(card)]
