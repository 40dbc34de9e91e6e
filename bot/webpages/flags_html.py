"""The supervision sections of the pages: a commune's entries worth a second look, each saying why (never an
accusation), a province's flags counted per commune, and the honour roll of the most regular villages and
communes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.i18n import Translator
from bot.reports.supervision import NO_FLAGS, RULE_NAMES, flag_text, hint, honour_line
from bot.webpages.views import period_query
from storage.periods import Period
from storage.progress import ProvinceRollup
from storage.supervision import RULES, Flag, province_flag_counts
from storage.supervision.honour import Standing, commune_roll, commune_roll_of
from storage.vocab import N_

WORDS = {
    "flags": N_("Mục nên xem lại"),
    "province_flags": N_("Mục nên xem lại ở các xã"),
    "province_flags_hint": N_("Số mục nên xem lại của mỗi xã trong kỳ; bấm tên xã để xem từng mục."),
    "no_province_flags": N_("Không xã nào có mục cần xem lại trong kỳ này."),
    "flag_count": N_("{name} ({n})"),
    "commune_flags": N_("{n} mục: {kinds}"),
    "honour": N_("Biểu dương: sinh hoạt đều đặn nhất"),
    "honour_villages_hint": N_(
        "Các thôn có nhiều tuần có buổi sinh hoạt nhất trong kỳ (bằng nhau thì nhiều người dự hơn xếp trước), "
        "để biểu dương hằng tháng và dịp Ngày Chuyển đổi số 10/10."
    ),
    "honour_communes_hint": N_(
        "Các xã có tỉ lệ tuần có buổi sinh hoạt của các thôn cao nhất trong kỳ (bằng nhau thì nhiều người dự "
        "hơn xếp trước), để biểu dương hằng tháng và dịp Ngày Chuyển đổi số 10/10."
    ),
    "no_honour": N_("Chưa có buổi sinh hoạt nào trong kỳ này."),
}


def flags_section(tr: Translator, flags: Sequence[Flag], extra: str = "") -> str:
    """The commune's entries worth a second look, each saying why; never an accusation."""
    _ = tr.gettext
    lines = "".join(
        f'<li data-rule="{flag.rule}" data-sessions="{" ".join(str(e.id) for e in flag.entries)}">'
        f"{escape(flag_text(tr, flag))}</li>"
        for flag in flags
    )
    body = f"<ul>{lines}</ul>" if flags else f"<p>{escape(_(NO_FLAGS))}</p>"
    return (
        f'<section id="flags" data-testid="flags"><h2>{escape(_(WORDS["flags"]))}</h2>'
        f'<p class="legend">{escape(hint(tr))}</p>{body}{extra}</section>'
    )


def kinds_text(tr: Translator, counts: Counter[str]) -> str:
    """«đông bất thường (1), chưa có ảnh (2)»: each rule's name and count, in the order of the rules."""
    return ", ".join(
        tr.gettext(WORDS["flag_count"]).format(name=tr.gettext(RULE_NAMES[rule]), n=tr.number(counts[rule]))
        for rule in RULES
        if counts.get(rule)
    )


def province_flags_section(
    tr: Translator, counts: Mapping[int, Counter[str]], names: Mapping[int, str], query: str
) -> str:
    """The province's communes with flags, most first, each linking to its page where they are named."""
    _ = tr.gettext
    order = sorted(counts, key=lambda code: (-sum(counts[code].values()), names.get(code, ""), code))
    items = []
    for code in order:
        n = sum(counts[code].values())
        text = _(WORDS["commune_flags"]).format(n=tr.number(n), kinds=kinds_text(tr, counts[code]))
        items.append(
            f'<li data-commune="{code}" data-flags="{n}"><a href="/web/commune/{code}?{query}#flags">'
            f"{escape(names.get(code, str(code)))}</a>: {escape(text)}</li>"
        )
    lines = "".join(items)
    body = f"<ul>{lines}</ul>" if lines else f"<p>{escape(_(WORDS['no_province_flags']))}</p>"
    return (
        f'<section data-testid="province-flags"><h2>{escape(_(WORDS["province_flags"]))}</h2>'
        f'<p class="legend">{escape(_(WORDS["province_flags_hint"]))}</p>{body}</section>'
    )


def honour_section(tr: Translator, standings: Sequence[Standing], communes: bool, query: str = "") -> str:
    """The honour roll: the most regular villages (of a commune) or communes (of a province), in order."""
    _ = tr.gettext
    lines = []
    for s in standings:
        text = escape(honour_line(tr, s, commune=communes))
        if communes:
            text = f'<a href="/web/commune/{s.code}?{query}">{text}</a>'
        lines.append(
            f'<li data-{"commune" if communes else "village"}="{s.code}" data-share="{s.share:.4f}">{text}</li>'
        )
    body = f"<ol>{''.join(lines)}</ol>" if lines else f"<p>{escape(_(WORDS['no_honour']))}</p>"
    why = WORDS["honour_communes_hint" if communes else "honour_villages_hint"]
    return (
        f'<section data-testid="honour"><h2>{escape(_(WORDS["honour"]))}</h2>'
        f'<p class="legend">{escape(_(why))}</p>{body}</section>'
    )


@dataclass(frozen=True)
class ProvinceSupervision:
    """A province's flags counted per commune and its honour roll of communes, over a month."""

    counts: dict[int, Counter[str]]
    honour: list[Standing]

    def html(self, tr: Translator, rollup: ProvinceRollup, period: Period) -> str:
        """The province page's two sections."""
        query = period_query(Period.month(rollup.period.start))
        names = {c.code: c.name for c in rollup.communes}
        return province_flags_section(tr, self.counts, names, query) + honour_section(tr, self.honour, True, query)


def province_supervision(
    session: Session, province_code: int, rollup: ProvinceRollup, today: dt.date, tz: ZoneInfo
) -> ProvinceSupervision:
    """What the province page shows of supervision, over the month its roll-up covers (a quarter's last month):
    the honour roll from the roll-up's own counts when the month is over (`commune_roll_of`)."""
    month = Period.month(rollup.period.start)
    honour = commune_roll_of(rollup.communes, month, today)
    if honour is None:
        honour = commune_roll(session, province_code, month, today)
    return ProvinceSupervision(province_flag_counts(session, province_code, month, tz), honour)
