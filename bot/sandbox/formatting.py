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
_CHAR_REFERENCE_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});")


def _unescape_html(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        return _NAMED_ENTITIES.get(body, match.group(0))

    return _CHAR_REFERENCE_RE.sub(repl, value)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML; raise EntityParseError with Telegram's wording."""
    return _HtmlParser(source).parse()


class _HtmlParser:
    """One pass over an HTML source: text and character references go out, tags open and close entities."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _Builder()
        self.stack: list[tuple[str, int, dict[str, Any]]] = []  # (tag, start offset, entity extras)

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        """Walk the source step by step, then insist every opened tag was closed."""
        i = 0
        while i < len(self.source):
            ch = self.source[i]
            if ch == "<":
                i = self._tag(i)
            elif ch == "&":
                i = self._char_reference(i)
            else:
                i = self._text(i)
        if self.stack:
            tag = self.stack[-1][0]
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return self.out.text(), self.out.entities

    def _error_at(self, message: str, index: int) -> EntityParseError:
        """An error whose message ends with the byte offset of source[index], as Telegram words it."""
        return EntityParseError(message.format(offset=_byte_offset(self.source, index)))

    def _tag(self, i: int) -> int:
        """Handle the start or end tag beginning at i; return the index just past its ">"."""
        end = self.source.find(">", i)
        if end == -1:
            raise self._error_at("Unclosed start tag at byte offset {offset}", i)
        inner = self.source[i + 1 : end].strip()
        if inner.startswith("/"):
            self._close_tag(i, inner[1:].strip().lower())
        else:
            self._open_tag(i, inner)
        return end + 1

    def _close_tag(self, i: int, name: str) -> None:
        """Close the innermost open tag, which must be `name`, and emit its entity."""
        if not self.stack:
            raise self._error_at("Unexpected end tag at byte offset {offset}", i)
        tag, start, closed_extra = self.stack.pop()
        if tag != name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(self.source, i)}, "
                f'expected "</{tag}>", found "</{name}>"'
            )
        closed_kind = closed_extra.pop("_kind")
        if closed_kind == "code" and self.stack and self.stack[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language
            language = closed_extra.get("language")
            if language:
                self.stack[-1][2]["language"] = language
        elif closed_kind:
            self.out.entity(closed_kind, start, **{k: v for k, v in closed_extra.items() if k != "language"})

    def _open_tag(self, i: int, inner: str) -> None:
        """Open the supported tag written as `inner` (name and attributes) at source index i."""
        match = re.match(r"([a-zA-Z][-a-zA-Z0-9]*)", inner)
        name = match.group(1).lower() if match else ""
        if name not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name or inner}" at byte offset {_byte_offset(self.source, i)}'
            )
        attrs = {
            m.group(1).lower(): _unescape_html(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(inner[len(name) :])
        }
        self.stack.append((name, self.out.pos, self._tag_extras(i, name, attrs)))

    def _tag_extras(self, i: int, name: str, attrs: dict[str, str]) -> dict[str, Any]:
        """The entity kind ("_kind", None to drop it) and fields a tag's attributes give its entity."""
        extra: dict[str, Any] = {"_kind": _HTML_TAGS[name]}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self._error_at('Tag "span" must have class "tg-spoiler" at byte offset {offset}', i)
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
        return extra

    def _char_reference(self, i: int) -> int:
        """Emit the character reference at i (a lone "&" stays as is); return the index after it."""
        match = _CHAR_REFERENCE_RE.match(self.source, i)
        if match:
            self.out.add(_unescape_html(match.group(0)))
            return i + len(match.group(0))
        self.out.add("&")
        return i + 1

    def _text(self, i: int) -> int:
        """Emit the plain text from i up to the next "<" or "&"; return where it stops."""
        j = i
        while j < len(self.source) and self.source[j] not in "<&":
            j += 1
        self.out.add(self.source[i:j])
        return j


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
    return _MarkdownParser(source, version).parse()


def _markdown_error(message: str) -> EntityParseError:
    """Telegram's Markdown error, message capitalised as Telegram writes it."""
    return EntityParseError(message[0].upper() + message[1:])


def _reserved_error(ch: str) -> EntityParseError:
    """The MarkdownV2 error for an unescaped reserved character."""
    return _markdown_error(f"character '{ch}' is reserved and must be escaped with the preceding '\\'")


class _MarkdownParser:
    """One pass over a Markdown source: escapes, code, links and emphasis markers open and close entities."""

    def __init__(self, source: str, version: int) -> None:
        self.source = source
        self.version = version
        self.out = _Builder()
        self.stack: list[tuple[str, str, int, int]] = []  # (marker, kind, start offset, source index)
        self.markers = _MARKERS_V2 if version == 2 else _MARKERS_V1

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        """Walk the source step by step, then insist every opened entity was closed."""
        i = 0
        while i < len(self.source):
            i = self._step(i)
        if self.stack:
            _, kind, _, index = self.stack[-1]
            raise self._unclosed(kind, index)
        return self.out.text(), self.out.entities

    def _unclosed(self, kind: str, index: int) -> EntityParseError:
        """The error for an entity of `kind` opened at source index and never closed."""
        offset = _byte_offset(self.source, index)
        return _markdown_error(f"can't find end of {_ENTITY_NAMES[kind]} entity at byte offset {offset}")

    def _step(self, i: int) -> int:
        """Handle whatever starts at source index i; return the index of the next step."""
        ch = self.source[i]
        if ch == "\\" and self.version == 2:
            return self._escape(i)
        if ch == "`":
            return self._code(i)
        if ch == "[":
            self.stack.append(("[", "text_link", self.out.pos, i))
            return i + 1
        if ch == "]" and self.stack and self.stack[-1][0] == "[":
            return self._link_end(i)
        after_marker = self._marker(i)
        if after_marker is not None:
            return after_marker
        if self.version == 2 and ch in _MDV2_RESERVED:
            raise _reserved_error(ch)
        self.out.add(ch)
        return i + 1

    def _escape(self, i: int) -> int:
        """Emit the ASCII character a MarkdownV2 backslash escapes; a backslash escaping nothing fails."""
        if i + 1 < len(self.source) and 0 < ord(self.source[i + 1]) < 127:
            self.out.add(self.source[i + 1])
            return i + 2
        raise _reserved_error("\\")

    def _read_until(self, j: int, stop: str) -> tuple[str, int]:
        """Read from j up to `stop` (or the end), undoing MarkdownV2 escapes; return the text and stop index."""
        chars: list[str] = []
        while j < len(self.source) and not self.source.startswith(stop, j):
            if self.version == 2 and self.source[j] == "\\" and j + 1 < len(self.source):
                chars.append(self.source[j + 1])
                j += 2
            else:
                chars.append(self.source[j])
                j += 1
        return "".join(chars), j

    def _code(self, i: int) -> int:
        """Emit the `code` or ```pre``` block starting at i as its entity; return the index after it."""
        fence = "```" if self.source.startswith("```", i) else "`"
        content, j = self._read_until(i + len(fence), fence)
        if j >= len(self.source):
            raise self._unclosed("pre" if fence == "```" else "code", i)
        start = self.out.pos
        if fence == "```":
            language = ""
            first, newline, rest = content.partition("\n")
            if newline and first and " " not in first:
                language, content = first, rest
            self.out.add(content)
            if language:
                self.out.entity("pre", start, language=language)
            else:
                self.out.entity("pre", start)
        else:
            self.out.add(content)
            self.out.entity("code", start)
        return j + len(fence)

    def _link_end(self, i: int) -> int:
        """Close the open [link text] at the "]" at i with its (url); return the index after it."""
        if i + 1 >= len(self.source) or self.source[i + 1] != "(":
            if self.version == 2:
                raise _reserved_error("]")
            # legacy Markdown: not a link after all; keep the text
            self.stack.pop()
            self.out.add("]")
            return i + 1
        url, j = self._read_until(i + 2, ")")
        if j >= len(self.source):
            raise _markdown_error(f"can't find end of a url at byte offset {_byte_offset(self.source, i + 1)}")
        _, _, start, _ = self.stack.pop()
        self.out.entity("text_link", start, url=url)
        return j + 1

    def _marker(self, i: int) -> int | None:
        """Open or close the emphasis marker at i; return the index after it, or None if there is none."""
        for marker, kind in self.markers:
            if self.source.startswith(marker, i):
                if self.stack and self.stack[-1][0] == marker:
                    _, opened_kind, start, _ = self.stack.pop()
                    self.out.entity(opened_kind, start)
                else:
                    self.stack.append((marker, kind, self.out.pos, i))
                return i + len(marker)
        return None


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
