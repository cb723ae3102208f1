"""Contacts and their place in the decision chain (决策者 / 技术影响者 / 使用者 / 商务对接人)."""

from __future__ import annotations

import re
from typing import Any

from bot.access import can_change
from bot.context import Context
from bot.replies import Reply, TextReply
from bot.resolve import customer_for, fit_name
from bot.router import Router
from bot.sales.contacts import ContactDetails, save_contact
from bot.sales.scope import Scope
from bot.sales.views import contact_saved
from core.nlu.intents import Intent, Parsed
from storage.repo import customers

router = Router("contacts")
ADD_CONTACT = "add_contact"  # a person a follow-up introduced (采购经理 Mehmet 电话…), offered as a contact
_AT_WORD = re.compile(r"[^\s@,，;；]+@[^\s@,，;；]*")


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
    details = ContactDetails(
        parsed.contact_name, parsed.title, parsed.decision_role, parsed.phone, parsed.email, parsed.wechat
    )
    outcome = await save_contact(Scope.of(ctx), found, details)
    return [TextReply(contact_saved(outcome, found.name) + _unread_email(parsed))]


def _unread_email(parsed: Parsed) -> str:
    """`邮箱 anna@hft`: an address kabot could not read is said, not dropped without a word."""
    if parsed.email or not (m := _AT_WORD.search(parsed.text)):
        return ""
    return f"\n邮箱“{m[0]}”不完整，没有保存；补上请再发：联系人 {{客户}} {{姓名}} 邮箱 name@example.com"


@router.state(ADD_CONTACT)
async def add_introduced(ctx: Context, data: dict[str, Any], parsed: Parsed) -> list[Reply] | None:
    """是 to "要把 Mehmet（采购经理，+90…）加为 X 的联系人吗？": added as with 联系人; the note is saved already."""
    if parsed.intent is Intent.CANCEL:
        return [TextReply(f"好的，没有添加{data['name']}（跟进已保存）。")]
    if parsed.intent is not Intent.CONFIRM:
        return None
    customer = await customers.get(ctx.session, data["customer_id"])
    if customer is None or not await can_change(ctx, customer):
        return [TextReply("这个客户已不存在或不再归您负责，联系人没有添加。")]
    details = ContactDetails(data["name"], data.get("title"), None, data.get("phone"), data.get("email"))
    outcome = await save_contact(Scope.of(ctx), customer, details)
    return [TextReply(contact_saved(outcome, customer.name))]
