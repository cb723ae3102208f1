"""A Latin-script name written close to, but not as, a customer's name: `Hamburg Valves` or `Hamburg Valve Ltd`
for `Hamburg Valve GmbH` may be another company (a plural, another legal form), so the rep is asked rather than the
message filed silently. Case and punctuation alone (`HAMBURG-VALVE gmbh`) and leaving the legal form out
(`Hamburg Valve`) are the same name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.nlu.names import normalize_name

_TOKEN = re.compile(r"[A-Za-z0-9]+\.?")
_JOINER = re.compile(r"[\s\-&,.]*")  # between words of one name: spaces, hyphens, 'Co.,' …
LEGAL_FORMS = frozenset(
    "gmbh ag kg mbh ltd limited inc incorporated llc corp corporation co company plc sa srl spa bv nv pte pty "
    "pvt sas sarl oy ab as".split()
)


def _plural_of(a: str, b: str) -> bool:
    return a in (b + "s", b + "es") or b in (a + "s", a + "es")


def latin_near_name(text: str, name: str, aliases: list[str]) -> str | None:
    """What `text` writes for the customer `name` when it is a near name worth asking about, else None (also when
    it is one of the customer's `aliases`: the rep said so before)."""
    core = normalize_name(name).split()
    if not core or not all(w.isascii() and w.isalnum() for w in core):
        return None
    legal = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w in LEGAL_FORMS]
    tokens = list(_TOKEN.finditer(text))
    for i, first in enumerate(tokens):
        if first[0].rstrip(".").lower() not in (core[0], core[0] + "s", core[0] + "es"):
            continue
        end, near, k = first, False, i
        for want in core:
            if k >= len(tokens) or (k > i and not _JOINER.fullmatch(text, tokens[k - 1].end(), tokens[k].start())):
                break
            got = tokens[k][0].rstrip(".").lower()
            if got != want and not _plural_of(got, want):
                break
            near = near or got != want
            end, k = tokens[k], k + 1
        else:
            if k < len(tokens) and _JOINER.fullmatch(text, end.end(), tokens[k].start()):
                form = tokens[k][0].rstrip(".").lower()
                if form in LEGAL_FORMS:
                    near = near or form not in legal
                    end = tokens[k]
            written = text[first.start() : end.end()]
            if near and written.lower() not in {a.lower() for a in aliases}:
                return written
    return None


_HOMOPHONE_FROM = 8  # a homophone is looked for among the first characters of a run
_ANYWHERE = 3  # shorter than this, only at the start of a run, and never a word of time (今天 ~ 金田 is no typo)
_TIME_WORD = re.compile(r"今天|明天|昨天|前天|后天|刚才|刚刚|上午|下午|中午|晚上|早上|本周|这周|下周|上周|月底|月初")


@lru_cache(maxsize=4096)
def _readings(ch: str) -> frozenset[str]:
    from pypinyin import Style, pinyin  # loaded only once a homophone is looked for

    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def _sounds_alike(a: str, b: str) -> bool:
    return len(a) == len(b) and all(x == y or _readings(x) & _readings(y) for x, y in zip(a, b, strict=True))


def homophone_in(run: str, name: str) -> str | None:
    """Characters of a Chinese `run` that sound like `name` (or its first two characters or more) in some reading
    and are written otherwise: 穆乐机械 for 穆勒机械 (勒 is le or lei). A typo to ask about; None for anything else."""
    for length in range(len(name), 1, -1):
        for i in range(min(len(run) - length + 1, _HOMOPHONE_FROM) if length >= _ANYWHERE else min(len(run) - 1, 1)):
            written = run[i : i + length]
            if length < _ANYWHERE and _TIME_WORD.fullmatch(written):
                continue
            if written != name[:length] and _sounds_alike(written, name[:length]):
                return written
    return None
