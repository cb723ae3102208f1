"""Tasks by text: `完成 寄样品`, `完成 3 5`, `推迟 8 3天`, `寄样品那个推迟到下周三`.

Pure. A single number with a date (`完成 2`, `推迟 2 明天`) stays with the general parser; this module reads
the forms it does not: several numbers, a task named by its words, and a shift by a number of days.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from core.nlu.dates import resolve_dates
from core.nlu.intents import Intent, things_in
from core.nlu.names import NameIndex
from core.nlu.normalize import normalize

_NUMBERS = r"\d{1,3}(?:\s*[\s,，、和]\s*\d{1,3})*"
_DONE = re.compile(
    r"^(?:完成|已完成|做完了?|搞定了?|done|finished|completed)\s*[:：]?\s*(?P<rest>.+?)[了。!！]*$", re.I
)
# 第1条和第2条, 第1、2条: the numbers of the list, written as a person counts them.
_COUNTED = r"第?\s*\d{1,3}\s*(?:条|个|项|号)?(?:\s*(?:[\s,，、和及]|以及)\s*第?\s*\d{1,3}\s*(?:条|个|项|号)?)*"
# 1和2完成了, 1 2 完成, 第3条做完了: the numbers first, the verb after.
_DONE_AFTER = re.compile(
    rf"^(?P<nums>{_COUNTED})\s*(?:都|也)?\s*(?:已经|已)?\s*(?:完成|做完|搞定|弄完|done|finished)了?[。!！]*$", re.I
)
_DELETE = re.compile(
    r"^(?:删除|删掉|去掉|取消)\s*(?:(?:待办|任务)\s*(?P<rest>.+?)|(?P<that>\S+?那(?:个|条)\S+?))[。!！]*$"
)  # 删除待办 去穆勒机械开会, 删掉安第斯那个确认交期
_POSTPONE_NUMBERS = re.compile(rf"^(?:推迟|延后|延期|改期)\s*(?P<nums>{_NUMBERS})\s*(?:到|至)?\s*(?P<when>.+)$")
_POSTPONE_SHIFT = re.compile(rf"^(?:推迟|延后|延期|改期)\s*(?P<nums>{_NUMBERS})\s+(?P<n>\d{{1,3}})\s*(?:天|日)$")
_POSTPONE_NAMED = re.compile(
    r"^(?P<subject>[^\d\s].*?)\s*(?:(?:那个|那条|这个|这条|的待办)?\s*(?:推迟|延后|延期|改期|挪|改)|(?:那个|那条|这个|这条)\s*放)"
    r"(?:到|至)\s*(?P<when>.+)$"
)  # 发认证文件给艾克美那个放到下周一吧 周六不上班: the first day is the new one, the rest its reason
_POSTPONE_VERB_FIRST = re.compile(r"^(?:推迟|延后|改期)\s*(?P<subject>[^\d\s].*?)\s*(?:到|至)\s*(?P<when>.+)$")
_POSTPONE_EN = re.compile(
    r"^(?:postpone|snooze|delay|move)\s+(?P<subject>.+?)\s+(?:to|until|till)\s+(?P<when>.+)$", re.I
)
_POSTPONE_SPACED = re.compile(r"^(?:推迟|延后|改期)\s*(?P<subject>[^\d\s]\S*?)\s+(?P<when>\S.*)$")  # 推迟 寄样品 周五
# 不对 刚才那条下次跟进应该是周四 / 刚才那个日期错了，是周四: the date of what the last follow-up planned, corrected.
_CORRECTION = re.compile(
    r"^(?:(?:不对|错了|说错了|搞错了|更正|纠正)[\s,，。!！:：]*)?(?:刚才|刚刚|上一条|上条|上面)(?:那条|那个|这条|这个|的)?"
    r"(?P<what>[^,，。;；]*?)(?:的?(?:日期|时间|日子))?(?:错了|不对|写错了)?[\s,，。;；]*"
    r"(?:应该是|应该在|应是|改成|改为|改到|换成|是)\s*(?P<when>[^,，。;；]+?)[。!！]*$"
)
_SHIFT = re.compile(r"^(?P<n>\d{1,3})\s*(?:天|日)$")
_FILLER = re.compile(r"(?:那个|那条|这个|这条|待办)$")


@dataclass(frozen=True)
class TaskCommand:
    action: Literal["done", "postpone", "delete"]
    numbers: tuple[int, ...] = ()  # as shown by 待办
    subject: str | None = None  # words of the task's title
    due: datetime | None = None  # the new due time
    shift_days: int | None = None  # 推迟 N 天: from the task's own due time
    latest: bool = False  # 刚才那条…应该是周四: a task the person's last follow-up created (subject narrows it)

    @property
    def intent(self) -> Intent:
        return Intent.TASK_COMMAND


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _when(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime | None, int | None]:
    if m := _SHIFT.match(text.strip()):
        return None, int(m["n"])
    spans = [s for s in resolve_dates(text, now, tz) if not s.past]
    return (spans[0].value, None) if spans else (None, None)


# A task named by its words is a few words (寄样品, 海德堡寄样那个): a report that says something was put off
# (罗西管业黄勇说寄样品的事推迟到下个月, 他们的付款要推迟到一月中旬) is a follow-up for the parser, never a command.
_REPORT = re.compile(
    r"[，,。;；!?！？]|说|讲|告诉|表示|他们|他|她|对方|客户|电话|拜访|去了|聊|谈|的事|要推迟|(?<![A-Za-z])(?:said|they)(?![A-Za-z])",
    re.I,
)
_NOT_A_TITLE = re.compile(
    r"^了|[，,。;；!?！？]|说|讲|告诉|表示|他们|她们|对方|客户|(?<![A-Za-z])(?:said|they)(?![A-Za-z])", re.I
)
MAX_SUBJECT = 20


def _named(subject: str, *, command: bool = False) -> str | None:
    """A task's words; after 完成 / 删除待办 (`command`) they may name a call or a visit (完成 给安第斯回电话)."""
    subject = _FILLER.sub("", subject).strip()
    report = (_NOT_A_TITLE if command else _REPORT).search(subject)
    return subject if 2 <= len(subject) <= MAX_SUBJECT and not report else None


def parse_task_command(text: str, *, now: datetime, tz: ZoneInfo) -> TaskCommand | None:
    t = normalize(text).strip()
    if m := _DONE_AFTER.match(t):
        return TaskCommand("done", numbers=_numbers(m["nums"]))
    if m := _DONE.match(t):
        rest = m["rest"].strip()
        if re.fullmatch(_COUNTED, rest):
            numbers = _numbers(rest)
            return TaskCommand("done", numbers=numbers) if len(numbers) > 1 else None
        subject = _named(rest, command=True)
        return TaskCommand("done", subject=subject) if subject else None
    if m := _DELETE.match(t):
        rest = (m["rest"] or m["that"]).strip()
        if re.fullmatch(_NUMBERS, rest):
            return TaskCommand("delete", numbers=_numbers(rest))
        subject = _named(rest, command=True)
        return TaskCommand("delete", subject=subject) if subject else None
    m = _CORRECTION.match(t)
    if m and not _REPORT.search(m["what"]) and (due := _when(m["when"], now, tz)[0]) is not None:
        what = _FILLER.sub("", m["what"]).strip()
        return TaskCommand("postpone", subject=what if len(what) >= 2 else None, due=due, latest=True)
    if m := _POSTPONE_SHIFT.match(t):
        return TaskCommand("postpone", numbers=_numbers(m["nums"]), shift_days=int(m["n"]))
    if m := _POSTPONE_NUMBERS.match(t):
        numbers = _numbers(m["nums"])
        due, shift = _when(m["when"], now, tz)
        if len(numbers) == 1 and shift is None:
            return None
        return TaskCommand("postpone", numbers=numbers, due=due, shift_days=shift)
    named = _POSTPONE_VERB_FIRST.match(t) or _POSTPONE_NAMED.match(t) or _POSTPONE_EN.match(t)
    if m := named or _POSTPONE_SPACED.match(t):
        due, shift = _when(m["when"], now, tz)
        subject = _named(m["subject"])
        if subject and (due is not None or shift is not None):
            return TaskCommand("postpone", subject=subject, due=due, shift_days=shift)
    return None


_LINKS = re.compile(r"^[\s的给和跟那个这个条]+|[\s的给和跟那个这个条]+$")


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _like(words: str, subject: str) -> bool:
    """The words of a title, loosely: one inside the other, or most of their character pairs shared (寄样 / 寄样品)."""
    if words in subject or subject in words:
        return True
    pairs = _bigrams(words)
    return bool(pairs) and len(pairs & _bigrams(subject)) * 2 >= len(pairs)


def tasks_named(words: str, tasks: Sequence[tuple[int, str, int | None]], names: NameIndex) -> list[int]:
    """The ids of the tasks (id, title, customer id) that `words` names: the words are in the title; or they name a
    customer in any form the index knows (海德堡 for 海德堡泵阀, ACME for 艾克美) and the rest is like the title of
    one of that customer's tasks (海德堡寄样 → 安排寄样 on 海德堡泵阀; 海德堡那个 → its only task)."""
    found = [task_id for task_id, subject, _ in tasks if words in subject]
    if found:
        return found
    for mention in names.find_in(words):
        rest = _LINKS.sub("", words[: mention.start] + " " + words[mention.end :]).strip()
        found += [
            task_id
            for task_id, subject, customer_id in tasks
            if customer_id == mention.customer_id and task_id not in found and (not rest or _like(rest, subject))
        ]
    return found


# A note that reports a delivery as done (样品今天已经快递给北风了, 报价单发过去了, 对方说目录收到了) closes the rep's
# task to deliver the same thing; one that is still ahead or denied (还没寄, 下周寄) does not.
_DELIVERED = re.compile(
    r"(?:寄|发|快递|送|交|传|提交|报|给)(?:了|过去了|过去|出去了|出去|出了|出|到了|过了)|已(?:经)?(?:寄|发|快递|送|交|传|提交|报)"
    r"|收到了?|(?<![A-Za-z])(?:sent|shipped|delivered|received)(?![A-Za-z])",
    re.I,
)
_NOT_YET = re.compile(r"没|未|尚|待|准备|打算|要|明天|下周|下次")


def reports_delivery(note: str) -> bool:
    """Whether `note` says something was sent or received (not 还没寄, not 明天发)."""
    return any(not _NOT_YET.search(note, max(0, m.start() - 4), m.start()) for m in _DELIVERED.finditer(note))


def reported_done(note: str, subject: str) -> bool:
    """Whether `note` says the thing `subject` was to deliver (寄样品, 发报价单) has been delivered."""
    return reports_delivery(note) and bool(things_in(subject) & things_in(note))


_ASSIGN = re.compile(r"^(?:让|叫|请|安排|提醒)\s?(?P<who>[\u4e00-\u9fff]{2,4}?)\s?(?P<rest>\S.+)$")


def assignment(text: str, people: Collection[str]) -> tuple[str, str] | None:
    """(colleague, what they are to do) for 让李娜明天给张总回个电话; None unless a colleague's name follows 让."""
    t = normalize(text).strip()
    if (m := _ASSIGN.match(t)) is None:
        return None
    who = next((p for p in sorted(people, key=len, reverse=True) if t.startswith(p, m.start("who"))), None)
    if who is None:
        return None
    rest = t[m.start("who") + len(who) :].strip()
    return (who, rest) if rest else None


def might_assign(text: str) -> bool:
    """Cheap first look, so most messages need no list of people."""
    return _ASSIGN.match(normalize(text).strip()) is not None


_ASSIGN_AFTER = re.compile(r"(?<=[\s,，。;；])(?:让|叫|请|安排|提醒)\s?[\u4e00-\u9fff]{2}")


def report_then_assignment(text: str, people: Collection[str]) -> tuple[str, str, str] | None:
    """(report, colleague, what they are to do) for a manager's visit report ending on an instruction
    (今天陪李娜拜访了艾克美张芳 客户很在意交期 让李娜周五前给出交期承诺); None unless a clause opens with
    让 and a colleague's name."""
    t = normalize(text).strip()
    for m in reversed(list(_ASSIGN_AFTER.finditer(t))):
        report = t[: m.start()].strip(" ,，。;；")
        if report and (given := assignment(t[m.start() :], people)) is not None:
            return report, *given
    return None


def might_assign_after_report(text: str) -> bool:
    """Cheap first look for report_then_assignment."""
    return _ASSIGN_AFTER.search(normalize(text).strip()) is not None
