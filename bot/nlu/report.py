"""What the one-line reader gives back: the parsed report, its session and help items, and what it refused."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NUMBER_PROBLEMS", "HelpItem", "ParsedReport", "SessionPart", "Unreadable"]


#: Problems of a number that was refused as a head-count (see module docstring).
NUMBER_PROBLEMS = ("negative_count", "not_a_whole_number", "scientific_number", "number_range")


@dataclass(slots=True)
class SessionPart:
    """A reported class/meeting: topic ids in order of mention, head count."""

    topics: list[str]
    attendees: int | None


@dataclass(slots=True)
class HelpItem:
    """People helped with one kind of task (see lexicon.HELP_KINDS); count None when the number was refused."""

    kind: str
    count: int | None


@dataclass(slots=True)
class Unreadable:
    """A day or number the parser refused, and the text it was about ("30/02", "-5")."""

    problem: str
    text: str


@dataclass(slots=True)
class ParsedReport:
    """Result of :func:`parse_report`."""

    intent: str  # "log" | "query" | "unknown"
    date: _dt.date | None
    date_named: bool
    village: str | None
    session: SessionPart | None
    help: list[HelpItem]
    problems: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (the contract other modules and tests rely on; keys are only ever added)."""
        return {
            "intent": self.intent,
            "date": self.date.isoformat() if self.date else None,
            "village": self.village,
            "session": None
            if self.session is None
            else {"topics": list(self.session.topics), "attendees": self.session.attendees},
            "help": [{"kind": h.kind, "count": h.count} for h in self.help],
            "problems": list(self.problems),
            "unreadable": [{"problem": u.problem, "text": u.text} for u in self.unreadable],
        }
