"""Corrections of what was just logged, in plain words: `刚才北欧暖通那条不是视频会议 是电话`, `上一条跟进改成电话`.

Pure. The message changes the kind of the person's last follow-up (of the customer it names); it is never saved
as a follow-up of its own. Date corrections (`刚才那条下次跟进应该是周四`) are task commands (task_commands.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.nlu.intents import Intent
from core.nlu.normalize import normalize

# The words a rep writes for each kind of follow-up, the stored kind first.
_KIND_WORDS = {
    "电话": ("电话", "打电话", "通电话", "通话", "call"),
    "拜访": ("拜访", "上门", "见面", "面谈", "visit"),
    "邮件": ("邮件", "email", "e-mail"),
    "视频会议": ("视频会议", "视频会", "视频", "腾讯会议", "zoom", "teams"),
    "微信": ("微信", "wechat"),
    "展会": ("展会",),
    "其他": ("其他",),
}
_KIND_OF = {word: kind for kind, words in _KIND_WORDS.items() for word in words}
_KIND = "|".join(sorted(map(re.escape, _KIND_OF), key=len, reverse=True))
_CORRECTION = re.compile(
    r"^(?:(?:不对|错了|说错了|搞错了|更正|纠正)[\s,，。!！:：]*)?(?:刚才|刚刚|上一条|上条|上面|最后一条)"
    r"(?P<who>[^,，。;；\s]*?)(?:那条|那个|这条|这个|的)?(?:跟进|记录)?(?:的?(?:类型|方式))?"
    rf"[\s,，]*(?:不是(?P<old>{_KIND})(?:跟进)?)?[\s,，。;；]*"
    rf"(?:应该是|应是|其实是|改成|改为|换成|是)\s*(?P<new>{_KIND})(?:跟进)?[。!！]*$",
    re.I,
)


@dataclass(frozen=True)
class KindCorrection:
    kind: str  # the kind it should be
    customer: str | None = None  # the customer's words (刚才北欧暖通那条): its last follow-up, not the last of all
    said_old: str | None = None  # the kind the rep says it is not (不是视频会议)

    @property
    def intent(self) -> Intent:
        return Intent.CORRECT_KIND


def parse_kind_correction(text: str) -> KindCorrection | None:
    """The correction in `text`, or None when the message is something else."""
    m = _CORRECTION.match(normalize(text).strip())
    if m is None:
        return None
    who = m["who"].strip() or None
    old = _KIND_OF[m["old"].lower()] if m["old"] else None
    return KindCorrection(_KIND_OF[m["new"].lower()], customer=who, said_old=old)
