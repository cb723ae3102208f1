"""Questions (a phone number, whom I followed up, my quotes) are answered, never saved as follow-ups."""

from __future__ import annotations

from bot.answers import answer
from bot.context import Context
from bot.replies import Reply, TextReply
from bot.router import Router
from core.nlu.intents import Intent
from core.nlu.questions import Question

router = Router("questions")


@router.intent(Intent.QUESTION)  # not in 帮助: one more entry makes the help text two WeCom messages
async def answer_question(ctx: Context, question: Question) -> list[Reply]:
    return [TextReply(await answer(ctx, question))]
