"""Supervision in words, shared by the leaders' pages and the chat (`/kiemtra`): each flag says why an entry
stands out, in neutral words, never an accusation; the honour roll's lines.
"""

from __future__ import annotations

from bot.i18n import Translator
from storage.supervision import (
    CAPACITY_FACTOR,
    CROWD_FACTOR,
    CROWD_WEEKS,
    LATE_DAYS,
    NO_PHOTO_MIN,
    REPEAT_RUN,
    RULE_BURST,
    RULE_CAPACITY,
    RULE_CROWD,
    RULE_LATE,
    RULE_NO_PHOTO,
    RULE_REPEATED,
    RULE_RUSH,
    RUSH_BACKDATED,
    RUSH_DAYS,
    Flag,
)
from storage.supervision.honour import Standing
from storage.vocab import N_

FLAG_WORDS: dict[str, str] = {
    RULE_CROWD: N_(
        "{village}, ngày {date}: {attendees} người dự, hơn {factor} lần mức thường của thôn "
        "(trung vị {median} người các buổi {weeks} tuần trước). Người ghi: {who}."
    ),
    RULE_BURST: N_("{who} ghi {n} buổi của {villages} thôn trong ngày {day}: {entries}."),
    RULE_LATE: N_("{village}, ngày {date}: ghi sau {days} ngày (ngày ghi {day}). Người ghi: {who}."),
    RULE_CAPACITY: N_(
        "{village}, ngày {date}: {attendees} người dự, hơn {factor} lần số hộ của thôn ({households} hộ). "
        "Người ghi: {who}."
    ),
    RULE_REPEATED: N_(
        "{village}: {n} buổi liền nhau, mỗi tuần một buổi, từ {first} đến {last}, cùng {attendees} người dự "
        "và {helped} lượt hỗ trợ."
    ),
    RULE_RUSH: N_(
        "{n} buổi được ghi trong {days} ngày trước hạn báo cáo {deadline}, cho các ngày đã qua từ {weeks} tuần "
        "trở lên: {entries}."
    ),
    RULE_NO_PHOTO: N_("{village}: {n} buổi trong kỳ, chưa buổi nào có ảnh minh chứng."),
}
ENTRY_WORDS = N_("{village} ngày {date}")
RULE_NAMES: dict[str, str] = {
    RULE_CROWD: N_("đông bất thường"),
    RULE_CAPACITY: N_("vượt số hộ"),
    RULE_REPEATED: N_("số liệu lặp lại"),
    RULE_BURST: N_("một người ghi nhiều thôn"),
    RULE_RUSH: N_("ghi dồn trước hạn"),
    RULE_LATE: N_("ghi muộn"),
    RULE_NO_PHOTO: N_("chưa có ảnh"),
}
HINT = N_(
    "Để kiểm tra lại cho chắc, không phải kết luận sai phạm: số người dự vượt xa mức thường của thôn hoặc "
    "quá {capacity} lần số hộ, cùng số liệu {run} tuần liền, nhiều buổi của nhiều thôn do một người ghi trong "
    "một ngày, nhiều buổi ghi dồn trước hạn báo cáo, buổi ghi muộn quá {days} ngày, thôn có từ {photos} buổi "
    "mà chưa có ảnh."
)
NO_FLAGS = N_("Không có mục nào cần xem lại trong kỳ này.")
HONOUR_VILLAGE = N_("{name}: {weeks}/{total} tuần có buổi sinh hoạt, {attendees} người dự")
HONOUR_COMMUNE = N_("{name}: {share} số tuần của các thôn có buổi sinh hoạt, {attendees} người dự")


def _entries(tr: Translator, flag: Flag) -> str:
    return ", ".join(tr.gettext(ENTRY_WORDS).format(village=e.village, date=tr.date(e.day)) for e in flag.entries)


def flag_text(tr: Translator, flag: Flag) -> str:
    """A flag in words: the entry (village, day, who entered it) and why it stands out."""
    words = tr.gettext(FLAG_WORDS[flag.rule])
    first, last = flag.first, flag.entries[-1]
    if flag.rule == RULE_CROWD:
        return words.format(
            village=first.village,
            date=tr.date(first.day),
            attendees=tr.number(first.attendees),
            factor=tr.number(CROWD_FACTOR),
            median=tr.number(flag.median or 0),
            weeks=tr.number(CROWD_WEEKS),
            who=first.logged_by,
        )
    if flag.rule == RULE_BURST:
        return words.format(
            who=first.logged_by,
            n=tr.number(len(flag.entries)),
            villages=tr.number(len({e.village_id for e in flag.entries})),
            day=tr.date(first.logged_on),
            entries=_entries(tr, flag),
        )
    if flag.rule == RULE_CAPACITY:
        return words.format(
            village=first.village,
            date=tr.date(first.day),
            attendees=tr.number(first.attendees),
            factor=tr.number(CAPACITY_FACTOR),
            households=tr.number(first.households or 0),
            who=first.logged_by,
        )
    if flag.rule == RULE_REPEATED:
        return words.format(
            village=first.village,
            n=tr.number(len(flag.entries)),
            first=tr.date(first.day),
            last=tr.date(last.day),
            attendees=tr.number(first.attendees),
            helped=tr.number(first.helped),
        )
    if flag.rule == RULE_RUSH:
        return words.format(
            n=tr.number(len(flag.entries)),
            days=tr.number(RUSH_DAYS),
            deadline=tr.date(flag.deadline) if flag.deadline else "",
            weeks=tr.number(RUSH_BACKDATED // 7),
            entries=_entries(tr, flag),
        )
    if flag.rule == RULE_NO_PHOTO:
        return words.format(village=first.village, n=tr.number(len(flag.entries)))
    return words.format(
        village=first.village,
        date=tr.date(first.day),
        days=tr.number(flag.days_late or 0),
        day=tr.date(first.logged_on),
        who=first.logged_by,
    )


def hint(tr: Translator) -> str:
    """What the flags look at, and that they accuse no one."""
    return tr.gettext(HINT).format(
        capacity=tr.number(CAPACITY_FACTOR),
        run=tr.number(REPEAT_RUN),
        days=tr.number(LATE_DAYS),
        photos=tr.number(NO_PHOTO_MIN),
    )


def honour_line(tr: Translator, standing: Standing, commune: bool = False) -> str:
    """One line of the honour roll: a village's weeks with a session out of the period's (a commune's share of
    its villages' weeks), and the people who came."""
    if commune:
        return tr.gettext(HONOUR_COMMUNE).format(
            name=standing.name, share=tr.percent(standing.share), attendees=tr.number(standing.attendees)
        )
    return tr.gettext(HONOUR_VILLAGE).format(
        name=standing.name,
        weeks=tr.number(standing.weeks_with_session),
        total=tr.number(standing.weeks),
        attendees=tr.number(standing.attendees),
    )
