"""Helpers shared by the quote and approval scenarios (no tests here)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import col, select

from bot.services import Services
from storage.models import OutboxMessage
from tests.fakes.harness import ChatHarness


async def last_file(services: Services, target: str) -> tuple[str, bytes]:
    """The newest file pushed to `target` (the console renders files as a path; the outbox keeps the bytes)."""
    import base64

    async with services.db.session() as s:
        row = (
            await s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "file", OutboxMessage.target == target)
                .order_by(col(OutboxMessage.id).desc())
            )
        ).first()
    assert row is not None, f"no file sent to {target}"
    return row.payload["filename"], base64.b64decode(row.payload["content_b64"])


def sheet_values(data: bytes) -> set[object]:
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    return {c.value for row in ws.iter_rows() for c in row if c.value is not None}


async def quote_and_submit(bot_: ChatHarness, text: str, who: str = "李娜") -> str:
    """Quote in chat, tap 提交审批 on the card; returns the quote number."""
    import re

    await bot_.flush(who)  # earlier notices name other quotes
    created = "\n".join(await bot_.say(who, text))
    m = re.search(r"Q-\d{4}-\d{4}", created)
    assert m, created
    submitted = "\n".join(await bot_.say(who, f"提交 {m.group()}"))
    assert "已提交" in submitted, submitted
    return m.group()
