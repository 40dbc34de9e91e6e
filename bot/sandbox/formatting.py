"""Telegram's text formatting, as the fake Bot API needs it: parse_mode parsing into plain text
plus MessageEntity dicts, and the entities Telegram detects by itself (commands, links, mentions).

Why the fake parses at all: Telegram rejects a message whose HTML or MarkdownV2 is malformed
("can't parse entities"), and that is a real bug class (a village name with "<" or "." in it).
A fake that accepted anything would hide it. Offsets and lengths are in UTF-16 code units, as
in Telegram, so JavaScript can slice the text with them directly.
"""

from __future__ import annotations

import re
from typing import Any


class EntityParseError(ValueError):
    """The text does not parse in the requested parse_mode; str() follows "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units (how Telegram measures entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Builder:
    """Accumulates output text and entities with UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def text(self) -> str:
        return "".join(self.parts)


# ---------------------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only with class="tg-spoiler"
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _unescape_html(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        return _NAMED_ENTITIES.get(body, match.group(0))

    return re.sub(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});", repl, value)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML; raise EntityParseError with Telegram's wording."""
    out = _Builder()
    stack: list[tuple[str, int, dict[str, Any]]] = []  # (tag, start offset, entity extras)
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "<":
            end = source.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
            inner = source[i + 1 : end].strip()
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
                tag, start, closed_extra = stack.pop()
                if tag != name:
                    raise EntityParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected "</{tag}>", found "</{name}>"'
                    )
                closed_kind = closed_extra.pop("_kind")
                if closed_kind == "code" and stack and stack[-1][0] == "pre":
                    # <pre><code class="language-x"> is one pre entity with a language
                    language = closed_extra.get("language")
                    if language:
                        stack[-1][2]["language"] = language
                elif closed_kind:
                    out.entity(closed_kind, start, **{k: v for k, v in closed_extra.items() if k != "language"})
            else:
                match = re.match(r"([a-zA-Z][-a-zA-Z0-9]*)", inner)
                name = match.group(1).lower() if match else ""
                if name not in _HTML_TAGS:
                    raise EntityParseError(
                        f'Unsupported start tag "{name or inner}" at byte offset {_byte_offset(source, i)}'
                    )
                attrs = {
                    m.group(1).lower(): _unescape_html(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(inner[len(name) :])
                }
                kind: str | None = _HTML_TAGS[name]
                extra: dict[str, Any] = {"_kind": kind}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityParseError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, i)}'
                    )
                if name == "a":
                    href = attrs.get("href", "")
                    if not href:
                        extra["_kind"] = None  # Telegram drops a link without href
                    else:
                        extra["url"] = href
                if name == "code":
                    cls = attrs.get("class", "")
                    if cls.startswith("language-"):
                        extra["language"] = cls[len("language-") :]
                if name == "blockquote" and "expandable" in attrs:
                    extra["_kind"] = "expandable_blockquote"
                if name == "tg-emoji":
                    extra["custom_emoji_id"] = attrs.get("emoji-id", "")
                stack.append((name, out.pos, extra))
            i = end + 1
        elif ch == "&":
            match = re.match(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});", source[i:])
            if match:
                out.add(_unescape_html(match.group(0)))
                i += len(match.group(0))
            else:
                out.add("&")
                i += 1
        else:
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            out.add(source[i:j])
            i = j
    if stack:
        tag = stack[-1][0]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    return out.text(), out.entities


# ------------------------------------------------------------------------------------ Markdown

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MARKERS_V2 = [("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"), ("~", "strikethrough")]
_MARKERS_V1 = [("*", "bold"), ("_", "italic")]
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}


def parse_markdown(source: str, version: int = 2) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram Markdown (version 1 = legacy "Markdown", 2 = "MarkdownV2")."""
    out = _Builder()
    stack: list[tuple[str, str, int, int]] = []  # (marker, kind, start offset, source index)
    markers = _MARKERS_V2 if version == 2 else _MARKERS_V1
    i = 0
    n = len(source)

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message[0].upper() + message[1:])

    while i < n:
        ch = source[i]
        if ch == "\\" and version == 2:
            if i + 1 < n and 0 < ord(source[i + 1]) < 127:
                out.add(source[i + 1])
                i += 2
                continue
            raise fail("character '\\' is reserved and must be escaped with the preceding '\\'")
        if ch == "`":
            fence = "```" if source.startswith("```", i) else "`"
            j = i + len(fence)
            body: list[str] = []
            while j < n and not source.startswith(fence, j):
                if version == 2 and source[j] == "\\" and j + 1 < n:
                    body.append(source[j + 1])
                    j += 2
                else:
                    body.append(source[j])
                    j += 1
            if j >= n:
                kind = "pre" if fence == "```" else "code"
                raise fail(f"can't find end of {_ENTITY_NAMES[kind]} entity at byte offset {_byte_offset(source, i)}")
            content = "".join(body)
            start = out.pos
            if fence == "```":
                language = ""
                first, newline, rest = content.partition("\n")
                if newline and first and " " not in first:
                    language, content = first, rest
                out.add(content)
                if language:
                    out.entity("pre", start, language=language)
                else:
                    out.entity("pre", start)
            else:
                out.add(content)
                out.entity("code", start)
            i = j + len(fence)
            continue
        if ch == "[":
            stack.append(("[", "text_link", out.pos, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            if i + 1 >= n or source[i + 1] != "(":
                if version == 2:
                    raise fail("character ']' is reserved and must be escaped with the preceding '\\'")
                # legacy Markdown: not a link after all; keep the text
                stack.pop()
                out.add("]")
                i += 1
                continue
            j = i + 2
            url: list[str] = []
            while j < n and source[j] != ")":
                if version == 2 and source[j] == "\\" and j + 1 < n:
                    url.append(source[j + 1])
                    j += 2
                else:
                    url.append(source[j])
                    j += 1
            if j >= n:
                raise fail(f"can't find end of a url at byte offset {_byte_offset(source, i + 1)}")
            _, _, start, _ = stack.pop()
            out.entity("text_link", start, url="".join(url))
            i = j + 1
            continue
        matched = False
        for marker, kind in markers:
            if source.startswith(marker, i):
                if stack and stack[-1][0] == marker:
                    _, kind, start, _ = stack.pop()
                    out.entity(kind, start)
                else:
                    stack.append((marker, kind, out.pos, i))
                i += len(marker)
                matched = True
                break
        if matched:
            continue
        if version == 2 and ch in _MDV2_RESERVED:
            raise fail(f"character '{ch}' is reserved and must be escaped with the preceding '\\'")
        out.add(ch)
        i += 1
    if stack:
        _, kind, _, index = stack[-1]
        raise fail(f"can't find end of {_ENTITY_NAMES[kind]} entity at byte offset {_byte_offset(source, index)}")
    return out.text(), out.entities


# ----------------------------------------------------------------------------- auto entities

_AUTO_PATTERNS = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?(?![\w/])")),
    ("url", re.compile(r"(?<![\w@])(?:https?://|www\.|t\.me/)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
]


def detect_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities Telegram adds by itself to any text: /commands, links, @mentions, #hashtags."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in ("code", "pre", "text_link")]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            length = utf16_len(match.group(0))
            end = start + length
            spans = taken + [(f["offset"], f["offset"] + f["length"]) for f in found]
            if any(a < end and start < b for a, b in spans):
                continue
            found.append({"type": kind, "offset": start, "length": length})
    return found


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims leading and trailing whitespace, moving and clipping entities with it."""
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


def format_text(
    text: str, parse_mode: str | None = None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Turn a sent text into (plain text, entities) as Telegram stores it."""
    mode = (parse_mode or "").lower()
    if entities:
        parsed_text, parsed = text, [dict(e) for e in entities]
    elif mode == "html":
        parsed_text, parsed = parse_html(text)
    elif mode == "markdownv2":
        parsed_text, parsed = parse_markdown(text, 2)
    elif mode == "markdown":
        parsed_text, parsed = parse_markdown(text, 1)
    elif mode:
        raise EntityParseError("Unsupported parse_mode")
    else:
        parsed_text, parsed = text, []
    parsed_text, parsed = _strip(parsed_text, parsed)
    combined = parsed + detect_entities(parsed_text, parsed)
    combined.sort(key=lambda e: (e["offset"], -e["length"]))
    return parsed_text, combined
