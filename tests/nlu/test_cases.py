"""Runs the hand-labelled report corpus (cases.jsonl) through the parser.

Each line holds a realistic message, the day it was sent and the expected
``to_json()`` output written by a person, not copied from the parser.  The
test prints the exact-match accuracy and every mismatch, and fails below
95 %.  ``problems`` (and ``unreadable``) are compared only on the lines that
state them: the never-guess cases (impossible days, refused numbers).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bot.nlu.parser import parse_report

CASES = Path(__file__).with_name("cases.jsonl")
THRESHOLD = 0.95
BASE_KEYS = {"intent", "date", "village", "session", "help"}
OPTIONAL_KEYS = {"problems", "unreadable", "programmes", "priority_groups"}


def _load() -> list[dict[str, Any]]:
    rows = []
    with CASES.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def test_corpus_is_large_enough() -> None:
    rows = _load()
    assert len(rows) >= 230
    texts = [r["text"] + "|" + ",".join(r.get("villages", [])) for r in rows]
    assert len(set(texts)) == len(texts), "duplicate case"
    for r in rows:
        exp = r["expected"]
        assert BASE_KEYS <= set(exp) <= BASE_KEYS | OPTIONAL_KEYS


def test_exact_match_accuracy() -> None:
    rows = _load()
    ok = 0
    mismatches: list[str] = []
    for r in rows:
        today = dt.date.fromisoformat(r["today"])
        full = parse_report(r["text"], today, r.get("villages", ())).to_json()
        got = {key: full[key] for key in r["expected"]}
        if got == r["expected"]:
            ok += 1
        else:
            mismatches.append(
                f"  {r['text']!r}\n    expected {json.dumps(r['expected'], ensure_ascii=False)}"
                f"\n    got      {json.dumps(got, ensure_ascii=False)}"
            )
    n = len(rows)
    pct = ok / n
    print(f"exact match: {ok}/{n} = {pct:.1%}")
    if mismatches:
        print("mismatches:")
        print("\n".join(mismatches))
    assert pct >= THRESHOLD, f"exact match {pct:.1%} below {THRESHOLD:.0%}"
