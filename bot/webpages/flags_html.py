"""The supervision section of a page: entries worth a second look, each saying why, never an accusation."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import Translator
from bot.webpages.html import WORDS
from storage.supervision import CROWD_FACTOR, CROWD_WEEKS, LATE_DAYS, RULE_BURST, RULE_CROWD, Flag


def _flag_text(tr: Translator, flag: Flag) -> str:
    """A flag in words: the entry (village, day, who entered it) and why it stands out."""
    _ = tr.gettext
    first = flag.first
    if flag.rule == RULE_CROWD:
        return _(WORDS["flag_crowd"]).format(
            village=first.village,
            date=tr.date(first.day),
            attendees=tr.number(first.attendees),
            factor=tr.number(CROWD_FACTOR),
            median=tr.number(flag.median or 0),
            weeks=tr.number(CROWD_WEEKS),
            who=first.logged_by,
        )
    if flag.rule == RULE_BURST:
        entries = ", ".join(
            _(WORDS["flag_burst_entry"]).format(village=e.village, date=tr.date(e.day)) for e in flag.entries
        )
        return _(WORDS["flag_burst"]).format(
            who=first.logged_by,
            n=tr.number(len(flag.entries)),
            villages=tr.number(len({e.village_id for e in flag.entries})),
            day=tr.date(first.logged_on),
            entries=entries,
        )
    return _(WORDS["flag_late"]).format(
        village=first.village,
        date=tr.date(first.day),
        days=tr.number(flag.days_late or 0),
        day=tr.date(first.logged_on),
        who=first.logged_by,
    )


def flags_section(tr: Translator, flags: Sequence[Flag]) -> str:
    """The commune's entries worth a second look, each saying why; never an accusation."""
    _ = tr.gettext
    lines = "".join(
        f'<li data-rule="{flag.rule}" data-sessions="{" ".join(str(e.id) for e in flag.entries)}">'
        f"{escape(_flag_text(tr, flag))}</li>"
        for flag in flags
    )
    body = f"<ul>{lines}</ul>" if flags else f"<p>{escape(_(WORDS['no_flags']))}</p>"
    hint = _(WORDS["flags_hint"]).format(days=tr.number(LATE_DAYS))
    return (
        f'<section data-testid="flags"><h2>{escape(_(WORDS["flags"]))}</h2>'
        f'<p class="legend">{escape(hint)}</p>{body}</section>'
    )
