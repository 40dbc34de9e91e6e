"""What the one-line reader gives back: the parsed report, its session and help items, and what it refused."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NUMBER_PROBLEMS", "HelpItem", "ParsedReport", "ProgrammeItem", "SessionPart", "Unreadable"]


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
class ProgrammeItem:
    """A province programme's figure (see storage/programmes): its id, the count (None when refused), its unit,
    and the mentor's name when one was named ("đại sứ số Lan")."""

    id: str
    count: int | None
    unit: str
    mentor: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "count": self.count, "unit": self.unit}
        if self.mentor is not None:
            out["mentor"] = self.mentor
        return out


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
    programmes: list[ProgrammeItem] = field(default_factory=list)
    #: attendees by priority group (elderly, disabled, ethnic_minority), in order of mention
    priority_groups: dict[str, int | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (the contract other modules and tests rely on; keys are only ever added)."""
        out: dict[str, Any] = {
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
        # only when read, so the output of a message without them is what it always was
        if self.programmes:
            out["programmes"] = [p.to_json() for p in self.programmes]
        if self.priority_groups:
            out["priority_groups"] = dict(self.priority_groups)
        return out
