"""Checking the shape of a messenger's update where it is read: a field of the wrong type is refused here.

An update that passed the webhook's secret can still be malformed (a forged or broken sender, a platform
bug): `"text": 5`, `"chat": "x"`, `"from": []`, a number where a string belongs. The channels read every field
they use through these helpers, which raise `MalformedUpdate`; the webhook answers 400 and polling skips the
update with one log line, so a malformed update never reaches a handler.

`null` is read as "absent": a missing optional field is fine, a missing required one is malformed. A string
must be real Unicode (JSON's `\ud800` escapes decode to lone surrogates no database can store) and loses any
NUL character (PostgreSQL's text refuses it; no person types one).
"""

from __future__ import annotations

from typing import Any, Literal, overload


class MalformedUpdate(ValueError):
    """An update whose fields do not have the platform's documented types; the message names the field."""


@overload
def mapping(parent: dict[str, Any], key: str, *, required: Literal[True]) -> dict[str, Any]: ...


@overload
def mapping(parent: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None: ...


def mapping(parent: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
    """An object field (JSON object), or None when absent."""
    value = parent.get(key)
    if value is None:
        if required:
            raise MalformedUpdate(f"{key} is missing")
        return None
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{key} must be an object, got {type(value).__name__}")
    return value


def text(parent: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field, or None when absent."""
    value = parent.get(key)
    if value is None:
        if required:
            raise MalformedUpdate(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise MalformedUpdate(f"{key} must be a string, got {type(value).__name__}")
    return _clean(key, value)


def integer(parent: dict[str, Any], key: str, *, required: bool = False) -> int | None:
    """A whole-number field (not a boolean, not a numeric string), or None when absent."""
    value = parent.get(key)
    if value is None:
        if required:
            raise MalformedUpdate(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedUpdate(f"{key} must be a whole number, got {type(value).__name__}")
    return value


def identifier(parent: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """An id given as a string or a whole number (platforms differ), as text; None when absent or empty."""
    value = parent.get(key)
    if value is None or value == "":
        if required:
            raise MalformedUpdate(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise MalformedUpdate(f"{key} must be a string or a whole number, got {type(value).__name__}")
    return _clean(key, value) if isinstance(value, str) else str(value)


def flag(parent: dict[str, Any], key: str) -> bool:
    """A true/false field; absent is false."""
    value = parent.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedUpdate(f"{key} must be true or false, got {type(value).__name__}")
    return value


def objects(parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """An array of objects (e.g. photo sizes); empty when absent."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedUpdate(f"{key} must be an array of objects")
    return value


def _clean(key: str, value: str) -> str:
    """The string as stored: refused if it is not valid Unicode, without NUL characters."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedUpdate(f"{key} is not valid Unicode (a lone surrogate)") from None
    return value.replace("\x00", "") if "\x00" in value else value
