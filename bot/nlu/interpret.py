"""Report items read as a session, help items or a problem, and added up into one report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.nlu.elements import Element
from bot.nlu.lexicon import Entry
from bot.nlu.report import HelpItem, SessionPart
from bot.nlu.segments import clause_type

#: Topic of a help-only phrase when it is taught in a session.
_KIND_TOPIC: dict[str, str | None] = {
    "vneid_level2": "vneid",
    "vneid_skill_confirmed": "vneid",
    "social_security_vneid": "vneid",
    "public_service_filing": "public_services",
    "cashless_account": "online_payment",
    "digital_signature": "public_services",
    "e_health": "other_platforms",
    "bdhvs_course": None,
    "other": None,
}


def _classify(elems: Sequence[Element], prev: str | None = None) -> str | None:
    """'help', 'session' or None for one clause.

    ``prev`` is the type of the previous counted clause: a clause with no
    verb at all, only topic words ("..., DVC 3") continues a help list.
    """
    by_verb = clause_type(elems)  # a help verb, a session word or an action decides first
    if by_verb is not None:
        return by_verb
    phrases = [e.phrase.entry for e in elems if e.phrase is not None]
    if any(p.topic for p in phrases if p.role == "object"):
        return "help" if prev == "help" else "session"
    if any(p.kind for p in phrases if p.role in ("object", "unit")):
        return "help"
    for e in elems:  # a count whose unit names a kind ("5 hồ sơ")
        if e.count is not None and e.count.unit is not None and e.count.unit.kind:
            return "help"
    return None


def _entries(elems: Sequence[Element]) -> list[Entry]:
    """The lexicon entries of a clause: its phrases and its counts' units, in order."""
    out: list[Entry] = []
    for e in elems:
        if e.phrase is not None:
            out.append(e.phrase.entry)
        elif e.count is not None and e.count.unit is not None:
            out.append(e.count.unit)
    return out


def _topics(elems: Sequence[Element]) -> list[str]:
    """Session topics a clause names, in order of mention (a help kind brings its topic)."""
    topics: list[str] = []
    for ent in _entries(elems):
        if ent.role not in ("object", "action", "unit"):
            continue
        tp = ent.topic or (_KIND_TOPIC.get(ent.kind) if ent.kind else None)
        if tp and tp not in topics:
            topics.append(tp)
    return topics


def _kinds(elems: Sequence[Element]) -> list[str]:
    """Help kinds a clause names: the specific ones, else the first generic one, else "other"."""
    specific: list[str] = []
    generic: list[str] = []
    for ent in _entries(elems):
        if ent.kind is None or ent.role not in ("object", "action", "unit"):
            continue
        if ent.strength >= 2 and ent.kind != "other":
            if ent.kind not in specific:
                specific.append(ent.kind)
        elif ent.kind not in generic:
            generic.append(ent.kind)
    if specific:
        return specific
    for k in generic:
        if k != "other":
            return [k]
    return ["other"]


def _negated(elems: Sequence[Element]) -> bool:
    """A negation right before an action/kind phrase ("chưa kích hoạt")."""
    for k, e in enumerate(elems):
        if not e.neg:
            continue
        for f in elems[k + 1 : k + 3]:
            if f.phrase is not None and (f.role in ("action", "object", "session") or f.phrase.entry.kind):
                return True
    return False


@dataclass(slots=True)
class Outcome:
    sessions: list[SessionPart] = field(default_factory=list)
    help: list[HelpItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counted: bool = False
    refused_session: bool = False  # a session's count was refused: its total is unknown


def interpret(parts: Sequence[list[Element]], future_day: bool) -> Outcome:
    """Stage 7: each part becomes a session, help items, or a problem."""
    out = Outcome()
    prev_type: str | None = None
    for part in parts:
        cnts = [e.count for e in part if e.count is not None]
        kind = _classify(part, prev_type)
        if _negated(part):
            if cnts and kind is not None:
                out.problems.append("negated_item")
            continue
        if not cnts:
            if kind == "session":
                roles = {e.role for e in part}
                topics = _topics(part)
                # a session named with a topic but no head count ("tối qua thôn 3
                # học VNeID") is still a report; the caller asks for the count
                if "session" in roles and topics and not future_day:
                    out.sessions.append(SessionPart(topics, None))
                    out.problems.append("session_without_count")
            elif kind == "help" and any(e.role in ("action", "object") for e in part):
                out.problems.append("kind_without_count")
            continue
        if kind is None:
            out.problems.append("count_without_kind")
            continue
        count = cnts[0].value
        out.counted = True
        prev_type = kind
        if kind == "session":
            out.sessions.append(SessionPart(_topics(part), count))
            out.refused_session = out.refused_session or count is None
            continue
        _add_help(out.help, _kinds(part), count)
    return out


def _add_help(items: list[HelpItem], kinds: Sequence[str], count: int | None) -> None:
    """Add a count to each kind; a refused count (None) leaves that kind's total unknown."""
    for k in kinds:
        for h in items:
            if h.kind == k:
                h.count = None if h.count is None or count is None else h.count + count
                break
        else:
            items.append(HelpItem(k, count))


def combine_sessions(sessions: Sequence[SessionPart], problems: list[str]) -> SessionPart | None:
    """One SessionPart: topics in order of mention, attendee counts added."""
    if not sessions:
        return None
    topics: list[str] = []
    total: int | None = None
    for s in sessions:
        for tp in s.topics:
            if tp not in topics:
                topics.append(tp)
        if s.attendees is not None:
            total = (total or 0) + s.attendees
    if len(sessions) > 1:
        problems.append("multiple_sessions")
    return SessionPart(topics, total)
