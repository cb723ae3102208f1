"""Which quote cards to finalise, for whom, and with what text: the only place that knows.

Services call `close(...)` when a question a card asked is settled (a step decided, a revision made, a quote
submitted); it marks the cards in storage and returns `CardFinal`s. Handlers turn those into replies with
`card_updates(finals)`; each channel resolves a card reference to its own card.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.replies import CardUpdate, Reply
from bot.sales.scope import Scope
from storage.repo import quote_cards

SUBMIT, APPROVAL, CONDITION = "submit", "approval", "condition"


@dataclass(frozen=True)
class CardFinal:
    """A card already sent that now shows `text` and no buttons."""

    card_id: str
    to_user_id: int
    text: str


def new_card_id(prefix: str) -> str:
    """Unique forever ([0-9A-Za-z_-]): WeCom refuses a task_id it has seen before."""
    return f"{prefix}x{uuid.uuid4().hex[:12]}"


async def sent(
    scope: Scope, *, card_id: str, kind: str, quote_id: int, to_user_id: int, approval_id: int | None = None
) -> None:
    await quote_cards.add(
        scope.session,
        card_id=card_id,
        kind=kind,
        quote_id=quote_id,
        to_user_id=to_user_id,
        approval_id=approval_id,
        now=scope.clock.now(),
    )


async def close(
    scope: Scope,
    text_for: Callable[[int], str],
    *,
    approval_ids: Iterable[int] = (),
    quote_ids: Iterable[int] = (),
    kinds: Iterable[str] = (),
) -> list[CardFinal]:
    """Finalise the open cards of these approvals (and of these quotes, of these kinds): `text_for(recipient)`."""
    out: list[CardFinal] = []
    now = scope.clock.now()
    for card in await quote_cards.open_cards(
        scope.session, approval_ids=approval_ids, quote_ids=quote_ids, kinds=kinds
    ):
        text = text_for(card.to_user_id)
        if await quote_cards.close(scope.session, card, text=text, now=now):
            out.append(CardFinal(card.card_id, card.to_user_id, text))
    return out


def card_updates(finals: Sequence[CardFinal]) -> list[Reply]:
    """Each settled card is updated for its recipient; the channel resolves the reference to its own card."""
    return [CardUpdate(f.card_id, f.text, to_user_id=f.to_user_id) for f in finals]
