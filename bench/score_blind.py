"""Per-field accuracy of the parser on a blind, labelled message set (issue 8, "Measuring it honestly").

Run: .venv/bin/python bench/score_blind.py bench/blind/setA.jsonl [--json out.json] [--misses]

Each JSONL line: {"id", "sender", "text", "expect": {"kind", "customers": [full names], "dates": [ISO],
"money": [{"amount", "currency"}], "stage"}}. Messages are read the way bot/understand.py reads them (quote,
transfer and task commands, questions, then parse_message) at now = 2026-12-02 10:00 Asia/Shanghai, with a name index of the
demo company's customers (bot/demo.py CUSTOMERS; every rep sees all of them here, so ownership is not scored).

Customer outcomes: correct (exactly the labelled customers resolved), asked (the bot would ask: a list to pick
from, "create this new customer?", or — for a note naming no customer it knows — "which customer is it?", the
note kept until the rep answers; a 新客户 command creating the labelled name is correct), wrong-silent (a customer that was not meant is filed without asking,
the worst case), missed (a labelled customer that nothing keeps). Dates are the days to act on (next steps,
the customer's promises, close dates, new due dates): the labels list no past day (昨天, 上周 are when something
happened, kept as the follow-up's time), so the scorer compares only those. Data loss: a message the bot would drop
(not understood, or answered as a question, while the label says it carries content) or one whose labelled
customer is not kept (questions and task commands save nothing, so a customer they do not resolve loses nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bot.demo import CUSTOMERS, PEOPLE  # noqa: E402
from core.nlu.corrections import parse_kind_correction  # noqa: E402
from core.nlu.intents import Intent, Parsed, parse_message  # noqa: E402
from core.nlu.names import NameIndex  # noqa: E402
from core.nlu.questions import Ask, asks, parse_question  # noqa: E402
from core.nlu.quote_commands import QuoteCommand, parse_quote_command  # noqa: E402
from core.nlu.task_commands import TaskCommand, parse_task_command  # noqa: E402
from core.nlu.transfer_commands import TransferCommand, might_be_transfer, parse_transfer_command  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)

# The parser's intents → the blind set's label kinds; one table, so a new intent shows up as unmapped.
KIND_OF: dict[Intent, str] = {
    Intent.NEW_CUSTOMER: "new_customer",
    Intent.UPDATE_CUSTOMER: "new_customer",
    Intent.ADD_ALIAS: "new_customer",
    Intent.NEW_CONTACT: "contact",
    Intent.NEW_OPPORTUNITY: "stage",
    Intent.ADVANCE_STAGE: "stage",
    Intent.WIN: "stage",
    Intent.LOSE: "stage",
    Intent.SET_AMOUNT: "stage",
    Intent.FOLLOW_UP: "followup",
    Intent.NOTE: "followup",
    Intent.PLAN: "task",
    Intent.COMPLETE_TASK: "task",
    Intent.POSTPONE_TASK: "task",
    Intent.LOOKUP: "question",
    Intent.LIST_TASKS: "question",
    Intent.FUNNEL: "question",
    Intent.HELP: "question",
    Intent.QUOTE_SHOW: "question",
    Intent.PENDING_APPROVALS: "question",
    Intent.FX_SHOW: "question",
    Intent.CONFIRM: "chitchat",
    Intent.CANCEL: "chitchat",
    Intent.CHOICE: "chitchat",
    Intent.QUOTE_CREATE: "quote",
    Intent.QUOTE_ADD_LINE: "quote",
    Intent.QUOTE_REVISE: "quote",
    Intent.QUOTE_SUBMIT: "quote",
    Intent.QUOTE_ACCEPT: "quote",
    Intent.APPROVE: "quote",
    Intent.REJECT: "quote",
    Intent.UNDO: "other",
    Intent.FX_SET: "other",
    Intent.FX_UNDO: "other",
    Intent.DELEGATE: "other",
    Intent.DELEGATE_CANCEL: "other",
    Intent.TRANSFER_REQUEST: "other",
    Intent.TRANSFER_ACCOUNT: "other",
    Intent.TRANSFER_DECIDE: "other",
    Intent.OFFBOARD: "other",
    Intent.QUESTION: "question",
    Intent.TASK_COMMAND: "task",
    Intent.CORRECT_KIND: "other",
    Intent.UNKNOWN: "unknown",
}
# Label kinds that carry nothing to save: not understanding them loses no data.
NOTHING_TO_SAVE = frozenset({"question", "chitchat", "other"})


# Label words that other labellers used for the same kind (set C says "chat").
LABEL_ALIASES = {"chat": "chitchat"}


def label_kind(kind: str | None) -> str:
    word = (kind or "unknown").strip().lower()
    return LABEL_ALIASES.get(word, word)


@dataclass
class Reading:
    """What the bot would do with one message, reduced to the labelled fields."""

    intent: Intent
    resolved: list[str] = field(default_factory=list)  # customer full names filed without asking
    created: list[str] = field(default_factory=list)  # new customers created as written (新客户 …)
    asked: bool = False  # a customer question would be put to the rep
    dates: set[str] = field(default_factory=set)  # ISO dates (YYYY-MM-DD)
    money: set[tuple[Decimal, str]] = field(default_factory=set)
    stage: str | None = None


def demo_names() -> NameIndex:
    """The demo company's customers (bot/demo.py), numbered in order."""
    return NameIndex([(i, name, list(aliases)) for i, (name, aliases, *_rest) in enumerate(CUSTOMERS, 1)])


def _customer_by_text(written: str | None, names: NameIndex, reading: Reading) -> None:
    """Quote / transfer commands carry the name as written; the services resolve it with NameIndex.decide."""
    if not written:
        return
    decision = names.decide(written)
    if decision.best is not None:
        reading.resolved.append(decision.best.name)
    else:
        reading.asked = True


def _parsed_reading(parsed: Parsed, names: NameIndex) -> Reading:
    reading = Reading(parsed.intent)
    for part in (parsed, *parsed.also):
        if part.intent is Intent.NEW_CUSTOMER and part.customer:
            reading.created.append(part.customer)
        elif part.customer_id is not None:
            reading.resolved.append(names.name(part.customer_id))
        elif part.customer_candidates or part.customer:
            reading.asked = True
        elif part.intent in (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN):
            reading.asked = True  # "是哪个客户的？": the note waits for the name (bot/resolve.py NAME_CUSTOMER)
        for value in (part.next_due, part.close_date, *(s.due for s in part.next_steps)):
            if value is not None:
                reading.dates.add(value.astimezone(TZ).date().isoformat())
        if part.amount is not None:
            reading.money.add((part.amount, part.currency or "?"))
            if part.amount_high is not None:
                reading.money.add((part.amount_high, part.currency or "?"))
        if part.stage is not None and reading.stage is None:
            reading.stage = str(part.stage)
    return reading


def _quote_reading(cmd: QuoteCommand, names: NameIndex) -> Reading:
    reading = Reading(cmd.intent)
    _customer_by_text(cmd.customer, names, reading)
    for line in cmd.lines:
        if line.unit_price is not None:
            reading.money.add((line.unit_price, line.currency or "?"))
        if line.unit_cost is not None:
            reading.money.add((line.unit_cost, line.cost_currency or line.currency or "?"))
    if cmd.until is not None:
        reading.dates.add(cmd.until.astimezone(TZ).date().isoformat())
    return reading


def _transfer_reading(cmd: TransferCommand, names: NameIndex) -> Reading:
    reading = Reading(cmd.intent)
    _customer_by_text(cmd.customer, names, reading)
    return reading


def read(text: str, names: NameIndex) -> Reading:
    """The same order as bot/understand.py: quote grammar, transfer grammar, task commands, questions, then the CRM
    parser (a question kabot cannot answer yet wins only over a follow-up, an unknown or an unresolved name)."""
    quote = parse_quote_command(text, now=NOW, tz=TZ)
    if quote is not None:
        return _quote_reading(quote, names)
    if might_be_transfer(text):
        transfer = parse_transfer_command(text, people={p[0] for p in PEOPLE})
        if transfer is not None:
            return _transfer_reading(transfer, names)
    if parse_kind_correction(text) is not None:
        return Reading(Intent.CORRECT_KIND)
    task = parse_task_command(text, now=NOW, tz=TZ)
    if task is not None:
        return _task_reading(task)
    question = parse_question(text)
    parsed = parse_message(text, now=NOW, tz=TZ, names=names)
    if question is not None and (
        question.ask is not Ask.OTHER
        or parsed.intent in (Intent.FOLLOW_UP, Intent.UNKNOWN)
        or (parsed.customer_id is None and not parsed.customer_candidates)
    ):
        asked = _parsed_reading(parsed, names)  # the customers the answer looks up; nothing is saved
        return Reading(Intent.QUESTION, resolved=asked.resolved, asked=asked.asked)
    if parsed.intent is Intent.LOOKUP and parsed.customer_id is None and parsed.customer in {p[0] for p in PEOPLE}:
        return Reading(Intent.QUESTION)  # 李娜最近怎么样: a colleague, no customer
    unnamed = parsed.customer_id is None and not parsed.customer and not parsed.customer_candidates
    if parsed.intent in (Intent.FOLLOW_UP, Intent.NOTE, Intent.PLAN) and unnamed and asks(text):
        return Reading(Intent.QUESTION)  # asks, names no customer: never a note waiting for its customer
    return _parsed_reading(parsed, names)


def _task_reading(cmd: TaskCommand) -> Reading:
    reading = Reading(Intent.TASK_COMMAND)
    if cmd.due is not None:
        reading.dates.add(cmd.due.astimezone(TZ).date().isoformat())
    return reading


def _money(items: list[dict[str, Any]]) -> set[tuple[Decimal, str]]:
    out = set()
    for item in items or []:
        try:
            amount = Decimal(str(item["amount"]))
        except (InvalidOperation, KeyError):
            continue
        out.add((amount.normalize(), str(item.get("currency") or "?").upper()))
    return out


def _stage(value: Any) -> str | None:
    if value in (None, "", "none"):
        return None
    v = str(value).strip()
    return {"赢单": "won", "输单": "lost", "WON": "won", "LOST": "lost"}.get(v, v.upper() if v[:1] in "sS" else v)


@dataclass
class Score:
    """Per-message verdicts, per field."""

    id: str
    text: str
    kind: bool
    customer: str  # correct / asked / wrong_silent / missed
    dates: bool
    money: bool
    stage: bool
    data_loss: bool
    got: dict[str, Any]
    expect: dict[str, Any]


def score(case: dict[str, Any], names: NameIndex) -> Score:
    expect = case["expect"]
    r = read(case["text"], names)
    want_kind = label_kind(expect.get("kind"))
    got_kind = KIND_OF.get(Intent(r.intent), "unknown")
    kind_ok = got_kind == want_kind
    want_customers = set(expect.get("customers") or [])
    resolved = set(r.resolved) | {name for name in r.created if name in want_customers}
    if any(name not in want_customers for name in r.created):
        r.asked = True  # a new customer under another name: the rep sees the name in the reply
    if resolved - want_customers:
        customer = "wrong_silent"
    elif resolved == want_customers:
        customer = "correct"
    elif r.asked:
        customer = "asked"
    else:
        customer = "missed"
    want_dates = {d[:10] for d in expect.get("dates") or []}
    want_money = _money(expect.get("money") or [])
    got_money = {(a.normalize(), c) for a, c in r.money}
    want_stage = _stage(expect.get("stage"))
    dropped = got_kind in ("unknown", "question") and want_kind not in NOTHING_TO_SAVE
    return Score(
        id=str(case.get("id")),
        text=case["text"],
        kind=kind_ok,
        customer=customer,
        dates=r.dates == want_dates,
        money=got_money == want_money,
        stage=_stage(r.stage) == want_stage,
        # a task named by its words (完成 寄样品给北风) is found by them: no customer is filed, none is lost
        data_loss=dropped or (customer == "missed" and want_kind not in NOTHING_TO_SAVE and got_kind != "task"),
        got={
            "kind": got_kind,
            "intent": str(r.intent),
            "customers": sorted(resolved),
            "asked": r.asked,
            "dates": sorted(r.dates),
            "money": sorted(f"{a} {c}" for a, c in got_money),
            "stage": r.stage,
        },
        expect={
            "kind": want_kind,
            "customers": sorted(want_customers),
            "dates": sorted(want_dates),
            "money": sorted(f"{a} {c}" for a, c in want_money),
            "stage": want_stage,
        },
    )


def summarize(scores: list[Score]) -> dict[str, Any]:
    n = len(scores)
    outcomes = Counter(s.customer for s in scores)
    return {
        "messages": n,
        "kind": sum(s.kind for s in scores) / n,
        "customer": outcomes["correct"] / n,
        "customer_outcomes": {k: outcomes[k] for k in ("correct", "asked", "wrong_silent", "missed")},
        "dates": sum(s.dates for s in scores) / n,
        "money": sum(s.money for s in scores) / n,
        "stage": sum(s.stage for s in scores) / n,
        "data_loss": sum(s.data_loss for s in scores),
        # the same fields over only the messages whose label has a value (the harder figure)
        "labelled": {
            field: _share([getattr(s, field) for s in scores if s.expect[field]])
            for field in ("dates", "money", "stage")
        },
    }


def _share(values: list[bool]) -> tuple[float, int]:
    return (sum(values) / len(values) if values else 1.0), len(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--json", type=Path, help="write the summary and every verdict here")
    ap.add_argument("--misses", action="store_true", help="list every message with a wrong field")
    args = ap.parse_args()
    cases = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = demo_names()
    scores = [score(case, names) for case in cases]
    summary = summarize(scores)
    print(f"blind set {args.path} — {summary['messages']} messages, now {NOW.isoformat()}")
    for key in ("kind", "customer", "dates", "money", "stage"):
        print(f"  {key:9} {summary[key]:6.1%}")
    o = summary["customer_outcomes"]
    print(
        f"  customer outcomes: correct {o['correct']}, asked {o['asked']}, "
        f"wrong-silent {o['wrong_silent']}, missed {o['missed']}"
    )
    print(f"  data loss {summary['data_loss']} messages")
    for key, (share, count) in summary["labelled"].items():
        print(f"  {key} where the label has one: {share:6.1%} of {count}")
    if args.misses:
        print("\nmisses:")
        for s in scores:
            wrong = [f for f in ("kind", "dates", "money", "stage") if not getattr(s, f)]
            if s.customer != "correct":
                wrong.insert(1, f"customer:{s.customer}")
            if s.data_loss:
                wrong.append("DATA LOSS")
            if wrong:
                print(f"- [{s.id}] {s.text}")
                print(f"    wrong: {', '.join(wrong)}")
                print(f"    got    {json.dumps(s.got, ensure_ascii=False)}")
                print(f"    expect {json.dumps(s.expect, ensure_ascii=False)}")
    if args.json:
        payload = {"summary": summary, "verdicts": [s.__dict__ for s in scores]}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
