"""Monthly platform quotas: which month a call counts in, when to warn the admin, and what may still be sent.

Why: DingTalk's standard edition allows 3,000 Webhook&Stream messages and 5,000 paid API calls per natural month
(KB:dingtalk-application-development-platform-billing-model, since 2025-11-19); over the limit robot messages arrive
without text (errorCode 20001) and API calls fail (90020). A chatty bot must spend what is left on what matters:
answers to people first, digests last. Pure rules only; the counting lives in storage/repo/quota.py.

    usage = Usage(QuotaKind.API, used=4_100, limit=5_000)
    warn_now(before=3_999, after=4_000, limit=5_000)            # True: the call that crossed 80%
    admit(Priority.DIGEST, usage)                               # Verdict.SEND (82% < 90%)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

BILLING_TZ = ZoneInfo("Asia/Shanghai")  # a "natural month" on a Chinese platform is one in China time
WARN_AT = 0.8


class QuotaKind(StrEnum):
    WEBHOOK_STREAM = "webhook_stream"  # robot messages pushed to us, and replies through a sessionWebhook
    API = "api"  # paid server API calls (robot send, cards)
    EXEMPT = "exempt"  # token and contacts APIs: counted to be visible, never limited
    WITHHELD = "withheld"  # messages DingTalk pushed without their text because its quota was used up


STANDARD_LIMITS: dict[QuotaKind, int] = {QuotaKind.WEBHOOK_STREAM: 3_000, QuotaKind.API: 5_000}


class Priority(IntEnum):
    """What a message is for; a higher priority keeps being sent longer as the quota runs out."""

    DIGEST = 1  # summaries and funnel posts nobody asked for just now
    REMINDER = 2  # reminders and escalations
    CARD = 3  # approval cards and their updates
    REPLY = 4  # the answer to something a person just said


class Verdict(StrEnum):
    SEND = "send"
    DEFER = "defer"  # try again later (the quota comes back next month)
    SKIP = "skip"  # not worth sending late


@dataclass(frozen=True)
class Rule:
    stop_at: float  # share of the monthly limit from which this priority is no longer sent
    then: Verdict


# Replies may use the whole quota; each lower priority stops earlier, so the last few percent stay for answers.
RULES: dict[Priority, Rule] = {
    Priority.REPLY: Rule(1.00, Verdict.DEFER),
    Priority.CARD: Rule(0.97, Verdict.DEFER),
    Priority.REMINDER: Rule(0.93, Verdict.DEFER),
    Priority.DIGEST: Rule(0.90, Verdict.SKIP),
}


@dataclass(frozen=True)
class Usage:
    kind: QuotaKind
    used: int
    limit: int | None  # None: not limited

    @property
    def share(self) -> float:
        return 0.0 if not self.limit else self.used / self.limit

    @property
    def warning(self) -> bool:
        return self.limit is not None and self.share >= WARN_AT

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    def describe(self) -> str:
        """One line for `kabot doctor` and /healthz, e.g. `钉钉 API 调用 4,100 / 5,000（82%）⚠ 已超过 80%`."""
        label = LABELS[self.kind]
        if self.kind is QuotaKind.WITHHELD:
            if not self.used:
                return f"{label} 0"
            return f"{label} {self.used:,} ✖ 钉钉机器人消息额度已用完，这些消息 kabot 读不到（已回复发送人）"
        if self.limit is None:
            return f"{label} {self.used:,}（不限）"
        line = f"{label} {self.used:,} / {self.limit:,}（{self.share:.0%}）"
        if self.exhausted:
            return line + " ✖ 本月额度已用完，只发送对消息的回复，其余顺延到下月"
        if self.warning:
            return line + f" ⚠ 已超过 {WARN_AT:.0%}，摘要类推送将先停发"
        return line


LABELS: dict[QuotaKind, str] = {
    QuotaKind.WEBHOOK_STREAM: "钉钉机器人消息（Webhook&Stream）",
    QuotaKind.API: "钉钉 API 调用",
    QuotaKind.EXEMPT: "钉钉免计费调用（令牌、通讯录）",
    QuotaKind.WITHHELD: "额度用完后钉钉未转来内容的消息",
}


def month_of(when: datetime) -> str:
    """The billing month a call made at `when` (aware) counts in, as `YYYY-MM` in China time."""
    if when.tzinfo is None:
        raise ValueError("month_of needs an aware datetime")
    return when.astimezone(BILLING_TZ).strftime("%Y-%m")


def warn_now(*, before: int, after: int, limit: int | None) -> bool:
    """True for exactly the increment that crosses 80%: counts are incremented atomically in the database, so one
    replica sees the crossing and the admin is warned once a month, however many replicas count."""
    if not limit:
        return False
    threshold = limit * WARN_AT
    return before < threshold <= after


def first_withheld(kind: QuotaKind, *, before: int) -> bool:
    """True for the first message of the month that DingTalk withheld: the admin is told once that the platform's
    quota is used up (its own count may differ from kabot's, which never sees other apps' use)."""
    return kind is QuotaKind.WITHHELD and before == 0


def admit(priority: Priority, usage: Usage) -> Verdict:
    """May a message of this priority be sent, given this month's use of the quota it would spend?"""
    if usage.limit is None:
        return Verdict.SEND
    rule = RULES[priority]
    # The next message must still fit under this priority's ceiling.
    return Verdict.SEND if usage.used + 1 <= usage.limit * rule.stop_at else rule.then
