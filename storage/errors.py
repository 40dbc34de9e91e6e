"""Domain errors raised by storage; the conversation edge turns them into a translated message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused an action. `code` names the rule; `params` fill the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params
