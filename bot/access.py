"""Who may see and change an account: a rep their own, a manager their team's, director/GM/admin everyone's."""

from __future__ import annotations

from bot.context import Context
from bot.errors import NotAllowed
from storage.models import Customer, User
from storage.repo import users


async def can_see(ctx: Context, customer: Customer) -> bool:
    """The public pool is open to every rep for looking; everything else follows ownership."""
    if customer.status == "pool" or customer.owner_id is None:
        return True
    return await can_change(ctx, customer)


async def can_change(ctx: Context, customer: Customer) -> bool:
    visible = await users.visible_owner_ids(ctx.session, ctx.user)
    return visible is None or customer.owner_id in visible


async def not_yours(ctx: Context, customer: Customer) -> str:
    """The refusal shows only that the account exists and whose it is — no details."""
    owner = await ctx.session.get(User, customer.owner_id) if customer.owner_id else None
    who = owner.name if owner else "其他同事"
    return (
        f"“{customer.name}”不是您的客户（负责人：{who}），无法查看或修改详情。"
        f"如需转给您，请发：申请转移 {customer.name}"
    )


async def colleague_in_view(ctx: Context, name: str, what: str) -> User | None:
    """The colleague called `name` whose `what` (跟进, 待办, 漏斗) the asker may see — themselves, or for a manager
    anyone in the team; None when nobody is called that (the name is a customer's, say)."""
    found = next((u for u in await users.all_users(ctx.session) if u.name == name), None)
    if found is None or found.id == ctx.user_id:
        return found
    visible = await users.visible_owner_ids(ctx.session, ctx.user)
    if visible is not None and found.id not in visible:
        raise NotAllowed(f"您不能查看{found.name}的{what}（只能看自己的，经理可看团队的）。", entity="users")
    return found
