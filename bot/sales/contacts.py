"""Adding a contact to a customer's decision chain: a person already on file is updated, never filed twice."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sales.scope import Scope
from core.decision_chain import parse_decision_role
from core.nlu.normalize import normalize
from storage import audit
from storage.models import Contact, Customer
from storage.repo import contacts

FIELDS = ("title", "decision_role", "phone", "email", "wechat")
KEPT = ("phone", "email")  # a person's earlier numbers and addresses are kept behind the new one
SEPARATOR, KEEP = " / ", 3
LABELS = {"title": "职位", "decision_role": "角色", "phone": "电话", "email": "邮箱", "wechat": "微信"}


@dataclass(frozen=True)
class ContactDetails:
    name: str
    title: str | None = None
    decision_role: str | None = None  # as the rep wrote it; None: not said
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None


@dataclass(frozen=True)
class ContactAdded:
    contact: Contact
    role_given: bool


@dataclass(frozen=True)
class ContactUpdated:
    contact: Contact
    changes: tuple[tuple[str, str | None, str], ...]  # (field, before, after); empty: nothing new was said


def _with_earlier(new: str, on_file: str | None) -> str:
    """`139… / 138…`: the new value first, then up to two earlier ones; one already on file changes nothing."""
    earlier = [v for v in (on_file or "").split(SEPARATOR) if v]
    if new in earlier:
        return on_file or new
    return SEPARATOR.join([new, *earlier][:KEEP])


def _key(name: str) -> str:
    return normalize(name).casefold().replace(" ", "")


async def save_contact(scope: Scope, customer: Customer, details: ContactDetails) -> ContactAdded | ContactUpdated:
    """The same name at the same customer is the same person: what the rep says now fills in or replaces."""
    existing = await contacts.of_customer(scope.session, customer.id or 0)
    same = next((c for c in existing if _key(c.name) == _key(details.name)), None)
    now = scope.clock.now()
    said = {
        "title": details.title,
        "decision_role": parse_decision_role(details.decision_role).value if details.decision_role else None,
        "phone": details.phone,
        "email": details.email,
        "wechat": details.wechat,
    }
    if same is None:
        contact = Contact(
            customer_id=customer.id or 0,
            name=details.name,
            title=details.title,
            decision_role=said["decision_role"] or parse_decision_role(None).value,
            phone=details.phone,
            email=details.email,
            wechat=details.wechat,
            created_at=now,
            updated_at=now,
        )
        scope.session.add(contact)
        await scope.session.flush()
        await scope.record("create", "contacts", contact.id, after=audit.snapshot(contact))
        return ContactAdded(contact, details.decision_role is not None)
    for f in KEPT:  # a new number goes first, the one on file stays behind it (换号了 is not always for good)
        if (v := said[f]) is not None:
            said[f] = _with_earlier(v, getattr(same, f))
    changes = tuple((f, getattr(same, f), v) for f in FIELDS if (v := said[f]) is not None and v != getattr(same, f))
    if changes:
        before = audit.snapshot(same)
        for f, _, new in changes:
            setattr(same, f, new)
        same.updated_at = now
        scope.session.add(same)
        await scope.session.flush()
        await scope.record("update", "contacts", same.id, before=before, after=audit.snapshot(same))
    return ContactUpdated(same, changes)
