"""Clauses re-cut into report items: split before a new item, merge count-less parts, split several counts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.nlu.elements import Element

_CONTENT_ROLES = frozenset({"object", "action"})


def clause_type(elems: Sequence[Element]) -> str | None:
    """'help', 'session' or None, from verbs only (used for merging)."""
    roles = {e.role for e in elems if e.phrase is not None}
    if "helpverb" in roles:
        return "help"
    if "session" in roles:
        return "session"
    actions = [e.phrase.entry for e in elems if e.phrase is not None and e.role == "action"]
    if any(a.kind != "other" for a in actions):
        return "help"
    if "session_weak" in roles:
        objs = [e.phrase.entry for e in elems if e.phrase is not None and e.role == "object"]
        if actions and any(o.kind not in (None, "other") and o.strength >= 2 for o in objs):
            return "help"
        return "session"
    if actions:
        return "help"
    return None


def _has_count(elems: Sequence[Element]) -> bool:
    """Whether a part holds a count."""
    return any(e.count is not None for e in elems)


def _compatible(a: Sequence[Element], b: Sequence[Element]) -> bool:
    """Whether two parts may join: same type, or one with no verb."""
    ta, tb = clause_type(a), clause_type(b)
    return ta is None or tb is None or ta == tb


def _kind_after_last_count(elems: Sequence[Element]) -> bool:
    """Whether an object or action follows the last count ("10 người cài VNeID")."""
    last = max((k for k, e in enumerate(elems) if e.count is not None), default=-1)
    if last < 0:
        return False
    return any(e.role in _CONTENT_ROLES for e in elems[last + 1 :])


def _presplit(clause: list[Element]) -> list[list[Element]]:
    """Cut before a help verb / session word once the part is a full item."""
    parts: list[list[Element]] = [[]]
    has_count = False
    has_content = False
    for e in clause:
        if e.role in ("helpverb", "session", "session_weak") and has_count and has_content:
            parts.append([])
            has_count = has_content = False
        parts[-1].append(e)
        if e.count is not None:
            has_count = True
        elif e.role in ("object", "action", "session", "session_weak") or (
            e.phrase is not None and e.phrase.entry.kind is not None
        ):
            has_content = True
    return [p for p in parts if p]


def _merge(clauses: list[list[Element]]) -> list[list[Element]]:
    """Attach count-less parts to a neighbour (see module docstring)."""
    out: list[list[Element]] = []
    pending: list[list[Element]] = []
    for c in clauses:
        if _has_count(c):
            merged = [e for p in pending if _compatible(p, c) for e in p]
            standalone = [p for p in pending if not _compatible(p, c)]
            out.extend(standalone)
            out.append(merged + c)
            pending = []
            continue
        if out and not pending and _has_count(out[-1]) and _kind_after_last_count(out[-1]) and _compatible(out[-1], c):
            # "giúp 10 người cài VNeID | và kích hoạt mức 2": the count came
            # first, so the trailing words still describe it
            out[-1] = out[-1] + c
            continue
        pending.append(c)
    if pending:
        if out and _has_count(out[-1]):
            for p in pending:
                if _compatible(out[-1], p):
                    out[-1] = out[-1] + p
                else:
                    out.append(p)
        else:
            flat = [e for p in pending for e in p]
            out.append(flat)
    return out


def _split_counts(clause: list[Element]) -> list[list[Element]]:
    """Split a part holding several counts by word order."""
    idx = [k for k, e in enumerate(clause) if e.count is not None]
    if len(idx) < 2:
        return [clause]
    first_content = next((k for k, e in enumerate(clause) if e.role in _CONTENT_ROLES), None)
    parts: list[list[Element]] = []
    if first_content is not None and first_content < idx[0]:
        # kind ... N, kind ... M: each count closes its part
        start = 0
        for k in idx:
            parts.append(clause[start : k + 1])
            start = k + 1
        if start < len(clause):
            parts[-1].extend(clause[start:])
    else:
        # N kind ..., M kind ...: each count opens its part
        bounds = [0, *idx[1:], len(clause)]
        for a, b in itertools.pairwise(bounds):
            parts.append(clause[a:b])
    return parts


def segment(clauses: list[list[Element]]) -> list[list[Element]]:
    """Stage 6: pre-split, merge count-less parts, split multi-count parts."""
    parts: list[list[Element]] = []
    for c in clauses:
        parts.extend(_presplit(c))
    final: list[list[Element]] = []
    for p in _merge(parts):
        final.extend(_split_counts(p))
    return final
