"""Questions (a phone number, whom I followed up, my quotes) are answered, never saved as follow-ups."""

from __future__ import annotations

from bot.answers import answer
from bot.context import Context
from bot.replies import Reply, TextReply
from bot.router import Router
from core.nlu.questions import Question

router = Router("questions")


@router.intent(
    "question", help="问我：联系人电话、上周跟进了哪些客户、我的客户、我的报价", example="艾克美张总电话多少"
)
async def answer_question(ctx: Context, question: Question) -> list[Reply]:
    return [TextReply(await answer(ctx, question))]
