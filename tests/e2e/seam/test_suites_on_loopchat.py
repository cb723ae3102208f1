"""The rep-loop, quote and approval suites, unchanged, through a channel written from the protocol alone.

Each test below is the console suite's own test function; only the `bot` fixture differs (conftest.py here): every
message is a signed Loopchat event into kabot's HTTP app, every answer goes out through the Loopchat API.
"""

from tests.bot.test_approvals import *  # noqa: F403
from tests.bot.test_quotes import *  # noqa: F403
from tests.bot.test_rep_loop import *  # noqa: F403
