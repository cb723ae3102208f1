"""A reply saying the next step needs no task of the rep's: 不用 / 不需要待办 / 这是客户的要求 / 没有下一步.

Asked "下一步“要CE证书”是哪天？", a rep who wrote down what the customer wants answers that it is no task; the
answer closes the question instead of being read as a new message.
"""

from __future__ import annotations

import re

from core.nlu.normalize import normalize

MAX_CHARS = 20  # a short answer; anything longer is a message of its own
_NO_TASK = re.compile(
    r"^(?:不用|不需要|无需|不必|没必要)"
    r"|没有?下一步|不是(?:我的|我们的)?(?:待办|下一步|任务)|(?:不用|不需要|无需|不必)(?:建|加|设|记)?(?:待办|提醒)"
    r"|(?:是|这是|那是)?客户(?:的)?(?:要求|需求)|客户要求的|(?<![A-Za-z])(?:no task|not a task|no need)(?![A-Za-z])",
    re.I,
)


def no_task_needed(text: str) -> bool:
    """Whether a short reply says the step asked about is no task (不用 这是客户的要求)."""
    flat = normalize(text).strip()
    return 0 < len(flat) <= MAX_CHARS and _NO_TASK.search(flat) is not None
