"""Tables. Every timestamp is an aware UTC datetime; money is Numeric with its currency beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

POOL = "status = 'pool' OR owner_id IS NULL"  # customers in the public pool
OPEN_TASK = "status = 'open'"
MOVE = ["from_stage", "to_stage"]  # what a stage change says, beside its opportunity and time


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _money() -> Any:
    return Field(default=None, sa_type=Numeric(18, 4))


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    role: str  # core.roles.Role
    manager_id: int | None = Field(default=None, foreign_key="users.id")
    team: str | None = None
    timezone: str = "Asia/Shanghai"
    active: bool = True
    created_at: datetime = _created()
    updated_at: datetime = _created()


class UserIdentity(SQLModel, table=True):
    """How one person is known to one chat app (at most one id per app; an id belongs to one person).

    Why a table and not a column per app: a new channel needs no migration, and the pipeline, the outbox and
    `kabot chat --as` look people up the same way for every app. Each channel stores ids the way it receives them
    (WeCom lower-cases its case-insensitive UserIDs).
    """

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    channel: str = Field(primary_key=True)
    external_id: str


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        # The name-index freshness check on every message reads only these two (index-only scans).
        Index("ix_customers_owner_updated", "owner_id", "updated_at"),
        Index("ix_customers_pool_updated", "updated_at", postgresql_where=text(POOL), sqlite_where=text(POOL)),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str
    normalized_name: str = Field(index=True)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    country: str | None = None
    region: str | None = None
    industry: str | None = None
    tier: str = "C"  # A/B/C
    source: str | None = None  # 展会/B2B平台/官网/社媒/代理商/转介绍/其他
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = "active"  # pool / active / dormant / lost
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    notes: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


class CustomerNameKey(SQLModel, table=True):
    """How a customer is found by name (core.nlu.names.name_keys: aliases, their pinyin, their grams), rewritten
    on every flush that creates, renames or re-aliases a customer, so any replica resolves a name with an index
    lookup instead of a per-process index of every name."""

    __tablename__ = "customer_name_keys"
    __table_args__ = (  # 艾克森 → 艾克森流体设备: a LIKE prefix needs the pattern operators on PostgreSQL
        Index("ix_customer_name_keys_prefix", "kind", "key", postgresql_ops={"key": "text_pattern_ops"}),
        # a rep's or a team's keys without a look at customers: visibility is checked inside the index
        Index("ix_customer_name_keys_visible", "kind", "key", "visible_to", "customer_id"),
    )
    kind: str = Field(primary_key=True)  # a: alias, p: pinyin, g: gram
    key: str = Field(primary_key=True)
    customer_id: int = Field(primary_key=True, foreign_key="customers.id", ondelete="CASCADE", index=True)
    visible_to: int  # the customer's owner, whose team may see it; 0 in the public pool (storage.repo.names.audience)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    name: str
    title: str | None = None
    decision_role: str = "其他"  # 决策者/技术影响者/使用者/商务对接人/其他
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    preferences: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_owner_stage", "owner_id", "stage"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    title: str
    amount: Decimal | None = _money()
    currency: str = "CNY"
    stage: str = "S1"  # core.stages.Stage
    probability: int | None = None
    expected_close: date | None = None
    owner_id: int = Field(foreign_key="users.id")
    stage_entered_at: datetime = _created()
    lost_reason: str | None = None
    closed_at: datetime | None = _ts()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class StageChange(SQLModel, table=True):
    """Stage history: the funnel's conversion and 'what moved yesterday' are read from here."""

    __tablename__ = "stage_changes"
    # The funnel's conversion window reads each opportunity's moves in order from this index alone.
    __table_args__ = (Index("ix_stage_changes_opportunity_at", "opportunity_id", "at", "id", postgresql_include=MOVE),)
    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunities.id")
    from_stage: str | None = None  # None: the opportunity was created
    to_stage: str
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_customer_time", "customer_id", "happened_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id")
    author_id: int = Field(foreign_key="users.id")
    kind: str = "其他"  # 电话/拜访/邮件/视频会议/微信/展会/其他
    content: str
    happened_at: datetime = _created()
    next_action: str | None = None
    next_due: datetime | None = _ts()
    created_at: datetime = _created()


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_owner_status_due", "owner_id", "status", "due_at"),
        # Everyone's overdue tasks (the director's funnel) without reading the done ones.
        Index(
            "ix_tasks_open_due",
            "due_at",
            postgresql_include=["owner_id"],
            postgresql_where=text(OPEN_TASK),
            sqlite_where=text(OPEN_TASK),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id")
    subject: str
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id")
    quote_id: int | None = Field(default=None, foreign_key="quotes.id")
    due_at: datetime | None = _ts()
    status: str = "open"  # open / done / cancelled
    source: str = "manual"  # manual / followup / approval / reminder
    source_id: int | None = None
    completed_at: datetime | None = _ts()
    reminded_at: datetime | None = _ts()
    escalated_at: datetime | None = _ts()
    created_at: datetime = _created()


class Quote(SQLModel, table=True):
    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True)  # Q-YYYY-NNNN
    revision: int = 1
    customer_id: int = Field(foreign_key="customers.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunities.id")
    owner_id: int = Field(foreign_key="users.id")
    currency: str = "USD"
    fx_rate: Decimal | None = Field(default=None, sa_type=Numeric(18, 6))
    fx_source: str | None = None
    fx_set_at: datetime | None = _ts()
    base_currency: str = "CNY"
    incoterm: str | None = None
    port: str | None = None
    validity_days: int = 30
    payment_terms: str | None = None
    lead_time_days: int | None = None
    freight: Decimal | None = _money()
    insurance_rate: Decimal | None = Field(default=None, sa_type=Numeric(8, 6))
    vat_rate: Decimal = Field(default=Decimal(0), sa_type=Numeric(5, 2))  # percent; 0 for an export quote
    tax_included: bool | None = None  # 含税 / 不含税 as the rep wrote it; None: not said
    total: Decimal | None = _money()
    total_base: Decimal | None = _money()
    margin_pct: Decimal | None = Field(default=None, sa_type=Numeric(8, 4))
    status: str = "draft"  # draft / pending / approved / rejected / superseded
    version: int = 1  # optimistic lock for decisions
    submitted_at: datetime | None = _ts()
    decided_at: datetime | None = _ts()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_lines"
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quotes.id", index=True)
    line_no: int
    product: str
    quantity: Decimal = Field(sa_type=Numeric(18, 4))
    unit: str = "件"
    unit_price: Decimal = Field(sa_type=Numeric(18, 4))
    unit_cost: Decimal | None = _money()
    cost_currency: str | None = None


class Approval(SQLModel, table=True):
    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_approver_decision", "approver_id", "decision"),)
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quotes.id", index=True)
    step_no: int
    step_name: str
    mode: str = "any"  # any (或签) / all (会签)
    reason: str | None = None  # why this step is needed
    approver_id: int = Field(foreign_key="users.id")
    decision: str = "pending"  # pending / approved / rejected / conditional / superseded
    reason_code: str | None = None
    comment: str | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = _ts()
    pending_since: datetime | None = _ts()  # when this step became the approver's to decide
    reminded_at: datetime | None = _ts()
    escalated_at: datetime | None = _ts()
    created_at: datetime = _created()


class QuoteCard(SQLModel, table=True):
    """An interactive card kabot sent about a quote (the rep's 提交审批, an approver's decision card, the rep's
    接受条件), so every one of them can be finalised when its question is settled, and only once."""

    __tablename__ = "quote_cards"
    __table_args__ = (Index("ix_quote_cards_open", "quote_id", "closed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    card_id: str = Field(unique=True)  # Card.card_id (WeCom's task_id)
    kind: str  # submit / approval / condition
    quote_id: int = Field(foreign_key="quotes.id")
    approval_id: int | None = Field(default=None, foreign_key="approvals.id", index=True)
    to_user_id: int = Field(foreign_key="users.id")
    sent_at: datetime = _created()
    closed_at: datetime | None = _ts()
    final_text: str | None = None


class TransferRequest(SQLModel, table=True):
    """申请转移: a rep asks for an account; the owner's manager decides with one tap."""

    __tablename__ = "transfer_requests"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    from_owner_id: int | None = Field(default=None, foreign_key="users.id")
    to_user_id: int = Field(foreign_key="users.id")  # who asked, and gets the account if approved
    decider_id: int = Field(foreign_key="users.id")  # the manager the request went to
    status: str = "pending"  # pending / approved / refused / withdrawn
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = _ts()
    card_id: str | None = None
    created_at: datetime = _created()


class FxRate(SQLModel, table=True):
    __tablename__ = "fx_rates"
    currency: str = Field(primary_key=True)
    rate_to_base: Decimal = Field(sa_type=Numeric(18, 6))
    source: str = "manual"
    set_by_id: int | None = Field(default=None, foreign_key="users.id")
    set_at: datetime = _created()


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_actor_at", "actor_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    channel: str | None = None
    action: str  # create / update / delete / undo / decide / ...
    entity: str  # table name
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    message: str | None = None  # the user's own words that caused the change
    inbound_id: int | None = Field(default=None, index=True)  # groups the changes one message made, for 撤销
    undone: bool = False


class InboundMessage(SQLModel, table=True):
    """Every message a channel received, once: the unique key recognises a redelivery."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "platform_msg_id", name="uq_inbound_channel_msg"),
        Index("ix_inbound_status_id", "status", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    platform_msg_id: str
    sender: str  # the platform's user id
    conversation: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # text or card action
    status: str = "new"  # new / done / failed
    error: str | None = None
    received_at: datetime = _created()
    processed_at: datetime | None = _ts()


OUTBOX_UNSENT = "status IN ('pending', 'sending')"


class OutboxMessage(SQLModel, table=True):
    """Replies and pushes waiting for delivery; the dispatcher marks them sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        # The lease's "an earlier row to this target is unsent" check, one index probe per candidate (migration
        # 0012): without it a backlog of n replies cost n scans of the unsent rows per lease.
        Index(
            "ix_outbox_target_unsent",
            "channel",
            "target",
            "id",
            postgresql_where=text(OUTBOX_UNSENT),
            sqlite_where=text(OUTBOX_UNSENT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str
    target: str  # the platform's user id (or a webhook / conversation id)
    kind: str  # text / card / card_update / file
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # What the channel needs to answer the message this replies to in place (a tapped card's one-shot code,
    # a DingTalk session webhook): the channel's own, copied from the inbound message, never read by handlers.
    reply_context: dict[str, str] | None = Field(default=None, sa_type=JSON)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_messages.id")
    status: str = "pending"  # pending / sending / sent / failed
    attempts: int = 0
    next_attempt_at: datetime = _created()
    lease_until: datetime | None = _ts()
    last_error: str | None = None
    created_at: datetime = _created()
    sent_at: datetime | None = _ts()


class ConversationState(SQLModel, table=True):
    """A pending question to a user ('which 艾克美? reply 1-3'), kept in the database for restarts and replicas."""

    __tablename__ = "conversation_state"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    expires_at: datetime = _created()


class Counter(SQLModel, table=True):
    """Named counters incremented in the database (quote numbers Q-YYYY-NNNN stay unique across replicas)."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True)
    value: int = 0


class Delegation(SQLModel, table=True):
    """委托: while it lasts, approvals routed to `from_user` go to `to_user`."""

    __tablename__ = "delegations"
    id: int | None = Field(default=None, primary_key=True)
    from_user_id: int = Field(foreign_key="users.id", index=True)
    to_user_id: int = Field(foreign_key="users.id")
    starts_at: datetime = _created()
    ends_at: datetime = Field(sa_type=UTCDateTime)
    cancelled: bool = False


class ShownList(SQLModel, table=True):
    """What the numbers meant in the last list shown to a user ('完成 2' means the second task shown)."""

    __tablename__ = "shown_lists"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str = Field(primary_key=True)
    ids: list[int] = Field(default_factory=list, sa_type=JSON)
    shown_at: datetime = _created()


class WeComCard(SQLModel, table=True):
    """An interactive WeCom card sent to one member: how kabot's card reference maps to WeCom's task_id, the
    one-shot response_code the send returned (so a later update can finalise every approver's card, not only the
    clicker's), and when it was finalised (so a redelivered update never spends a second code). A row is written
    before the send, which lets a retried send that answers 42014 (task_id exists) count as already sent."""

    __tablename__ = "wecom_cards"
    __table_args__ = (
        UniqueConstraint("task_id", "userid", name="uq_wecom_cards_task_user"),
        UniqueConstraint("outbox_id", name="uq_wecom_cards_outbox"),
        Index("ix_wecom_cards_ref_user", "card_ref", "userid"),
    )
    id: int | None = Field(default=None, primary_key=True)
    card_ref: str  # the reference the handler gave the card (bot.cards.model.Card.ref)
    task_id: str  # WeCom's id for this one send: unique per app, forever
    outbox_id: int | None = None  # the send (outbox row): a retry of it reuses the task_id
    userid: str  # lower-cased WeCom UserID
    response_code: str | None = None  # from message/send; None until a send answered
    sent_at: datetime | None = _ts()
    final_text: str | None = None
    finalised_at: datetime | None = _ts()
    created_at: datetime = _created()


class QuotaUsage(SQLModel, table=True):
    """Calls a channel made to its platform in one billing month, by quota kind (core.quotas.QuotaKind).

    Counted in the database, not in memory, so every replica adds to the same figure and the 80% warning
    is decided once (storage/repo/quota.py increments atomically and returns the new count)."""

    __tablename__ = "quota_usage"
    channel: str = Field(primary_key=True)
    month: str = Field(primary_key=True)  # YYYY-MM in the platform's billing time zone
    kind: str = Field(primary_key=True)
    count: int = 0
    updated_at: datetime = _created()


class MediaUpload(SQLModel, table=True):
    """The media id a file message was uploaded as, by outbox row (WeCom, DingTalk): a send retried after a crash
    reuses it instead of uploading again (bot/channels/uploads.py)."""

    __tablename__ = "media_uploads"
    outbox_id: int = Field(primary_key=True)  # no foreign key: like wecom_cards, the channel's own bookkeeping
    media_id: str
    uploaded_at: datetime = _created()
    sent_at: datetime | None = _ts()  # the file message went out (DingTalk, which has no duplicate check)
