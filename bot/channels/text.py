"""Cutting a long text into messages that fit a platform's limit, at line breaks."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript-based platforms count it (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Messages of at most `limit` units: whole lines packed together; a line is cut only when it alone is
    longer than the limit (then at a space where possible)."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current is not None and current.strip():
            parts.append(current)
        current = None
        while utf16_len(line) > limit:
            cut = _cut_point(line, limit)
            parts.append(line[:cut].rstrip())
            line = line[cut:].lstrip(" ")
        current = line
    if current is not None and current.strip():
        parts.append(current)
    return [part.strip("\n") for part in parts if part.strip()] or [text[:limit]]


def _cut_point(line: str, limit: int) -> int:
    """Where to cut a line longer than the limit: at a space in its second half, else at the limit."""
    end = limit
    while end > 0 and utf16_len(line[:end]) > limit:
        end -= 1
    space = line.rfind(" ", 0, end)
    return space if space > end // 2 else max(1, end)
