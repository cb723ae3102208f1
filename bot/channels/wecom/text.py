"""Splitting long replies for WeCom, whose text/markdown content is capped at 2048 UTF-8 *bytes*.

Why bytes, not characters: one Chinese character is 3 bytes, so a 1000-character reply is already over
the limit, and WeCom truncates silently instead of failing.
"""

from __future__ import annotations

TEXT_LIMIT_BYTES = 2048


def _hard_split(line: str, limit: int) -> list[str]:
    """Cut one over-long line into pieces of at most `limit` bytes, only between characters."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit_bytes: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split into chunks of at most `limit_bytes` UTF-8 bytes, preferring line boundaries.

    A newline at which a chunk ends is dropped (the message boundary replaces it), so for text whose
    lines all fit, `"\\n".join(split_text(t)) == t`. Lines longer than the limit are cut between
    characters, never inside a UTF-8 sequence. Empty text gives `[]`.
    """
    if limit_bytes < 4:
        raise ValueError("limit_bytes must fit at least one UTF-8 character")
    if len(text.encode("utf-8")) <= limit_bytes:
        return [text] if text else []
    chunks: list[str] = []
    current: str | None = None  # None = nothing pending; "" = a pending empty line
    current_size = 0
    for line in text.split("\n"):
        line_size = len(line.encode("utf-8"))
        if current is not None and current_size + 1 + line_size <= limit_bytes:
            current, current_size = current + "\n" + line, current_size + 1 + line_size
            continue
        if current:  # a lone pending empty line is not worth a message of its own
            chunks.append(current)
        if line_size <= limit_bytes:
            current, current_size = line, line_size
        else:
            *full, current = _hard_split(line, limit_bytes)
            chunks.extend(full)
            current_size = len(current.encode("utf-8"))
    if current:
        chunks.append(current)
    return chunks
