"""Contacts and their place in the decision chain (决策者 / 技术影响者 / 使用者 / 商务对接人)."""

from __future__ import annotations

import re

from bot.context import Context
from bot.replies import Reply, TextReply
from bot.resolve import customer_for, fit_name
from bot.router import Router
from bot.sales.contacts import ContactDetails, save_contact
from bot.sales.scope import Scope
from bot.sales.views import contact_saved
from core.nlu.intents import Intent, Parsed

router = Router("contacts")
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
