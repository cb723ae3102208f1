"""Text from outside (chat messages, imported files) made safe to store, show and export.

Control characters are dropped where text comes in: NUL is refused by PostgreSQL, most C0 characters by the
XLSX format, and an escape sequence typed into a message would otherwise reach a terminal that shows it later.
Line breaks and tabs are kept (a tab becomes a space). The same function cleans what was stored before this
existed, wherever it is written out (the terminal, the quotation sheet).

    clean_text("艾克美\\x00\\x1b[31m工业\\u202e")  # -> "艾克美工业"
"""

from __future__ import annotations

import re

MAX_MESSAGE_CHARS = 2000  # longer messages are answered with a notice, not read (README: Configuration)
MAX_NAME_CHARS = 100  # a customer's or contact's name

# An escape sequence whole (CSI "ESC [ … final", OSC "ESC ] … BEL/ST", or ESC and one character), then any
# remaining C0/C1 control character except tab and line breaks. DEL (0x7f) is a control character too.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b.?")
# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) too: they turn how a note or name reads
# on screen around ("Trojan Source"); right-to-left scripts display right without them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """`text` without escape sequences and control characters; `\\r\\n` and `\\r` become `\\n`, tabs spaces."""
    if text.isprintable():  # the common case: nothing to do
        return text
    text = _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return _CONTROLS.sub("", text)
