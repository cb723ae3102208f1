"""The rep-loop, quote and approval suites, unchanged, through the fake DingTalk.

Each test below is the console suite's own test function (but one, at the end, where DingTalk differs); only the
`bot` fixture differs (conftest.py here):
every message is a robot message pushed over the Stream connection, every tap a card callback, every answer a
sessionWebhook reply, a robot message, a template card or its update.
"""

from tests.bot.test_approvals import *  # noqa: F403
from tests.bot.test_approvals import SMALL, approvals_of
from tests.bot.test_quotes import *  # noqa: F403
from tests.bot.test_quotes_support import quote_and_submit
from tests.bot.test_rep_loop import *  # noqa: F403
from tests.fakes.ding_harness import DingHarness

# ---- where DingTalk differs ------------------------------------------------------------------------------------


async def test_a_replayed_click_decides_once(bot: DingHarness) -> None:  # type: ignore[no-redef]  # noqa: F811
    """The console suite's version expects "您已处理过" for the same button tapped again at once. A DingTalk tap
    carries no id of its own, so the same button of the same card pushed again within minutes cannot be told from
    DingTalk pushing a slowly acknowledged tap again: it is taken as that, and nothing is answered or updated twice
    (the card hides its buttons once decided, so a person cannot tap it again there). Later, it is a new tap."""
    number = await quote_and_submit(bot, SMALL)  # type: ignore[arg-type]
    await bot.flush("赵敏")
    action = bot.console.buttons["赵敏"][0]
    first = "\n".join(await bot.tap("赵敏", 1))
    bot.console.buttons["赵敏"] = [action]
    assert "已同意" in first and await bot.tap("赵敏", 1) == []
    told = "\n".join(await bot.flush("李娜"))
    assert told.count("报价已批准") == 1
    assert [a.decision for a in await approvals_of(bot, number)] == ["approved"]  # type: ignore[arg-type]
    bot.clock.advance(minutes=30)  # an old copy of the button, tapped much later: answered
    assert "您已处理过" in "\n".join(await bot.tap("赵敏", 1))
