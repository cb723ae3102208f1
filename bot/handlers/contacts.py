"""Contacts and their place in the decision chain (决策者 / 技术影响者 / 使用者 / 商务对接人)."""

from __future__ import annotations

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.resolve import customer_for, fit_name
from bot.router import Router
from core.decision_chain import parse_decision_role
from core.nlu.intents import Intent, Parsed
from storage import audit
from storage.models import Contact

router = Router("contacts")


@router.intent(
    Intent.NEW_CONTACT,
    help="添加联系人（决策链）",
    example="联系人 艾克美 张伟 采购总监 决策者 电话13800001111 邮箱 zw@acme.de",
)
async def create_contact(ctx: Context, parsed: Parsed) -> list[Reply]:
    if not parsed.contact_name:
        return [TextReply("请写上联系人姓名。例如：联系人 艾克美 张伟 采购总监 决策者 电话13800001111")]
    fit_name(parsed.contact_name, "联系人姓名", "联系人 艾克美 张伟 采购总监 决策者 电话13800001111")
    found = await customer_for(ctx, parsed, change=True)
    now = ctx.clock.now()
    role = parse_decision_role(parsed.decision_role).value
    contact = Contact(
        customer_id=found.id or 0,
        name=parsed.contact_name,
        title=parsed.title,
        decision_role=role,
        phone=parsed.phone,
        email=parsed.email,
        wechat=parsed.wechat,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(contact)
    await ctx.session.flush()
    await ctx.record("create", "contacts", contact.id, after=audit.snapshot(contact))
    facts = " · ".join(x for x in (contact.title, role, contact.phone, contact.email, contact.wechat) if x)
    hint = "" if parsed.decision_role else "（没写角色，先记为“其他”，可补充：决策者/技术影响者/使用者/商务对接人）"
    return [TextReply(f"已添加联系人：{contact.name}（{facts}）→ {found.name}。{hint}说错了可发“撤销”。")]
