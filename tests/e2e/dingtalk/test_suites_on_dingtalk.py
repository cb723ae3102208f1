"""The rep-loop, quote and approval suites, unchanged, through the fake DingTalk.

Each test below is the console suite's own test function; only the `bot` fixture differs (conftest.py here):
every message is a robot message pushed over the Stream connection, every tap a card callback, every answer a
sessionWebhook reply, a robot message, a template card or its update.
"""

from tests.bot.test_approvals import *  # noqa: F403
from tests.bot.test_quotes import *  # noqa: F403
from tests.bot.test_rep_loop import *  # noqa: F403
