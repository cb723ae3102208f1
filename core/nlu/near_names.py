"""A Latin-script name written close to, but not as, a customer's name: `Hamburg Valves` or `Hamburg Valve Ltd`
for `Hamburg Valve GmbH` may be another company (a plural, another legal form), so the rep is asked rather than the
message filed silently. Case and punctuation alone (`HAMBURG-VALVE gmbh`) and leaving the legal form out
(`Hamburg Valve`) are the same name.
"""

from __future__ import annotations

import re

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
