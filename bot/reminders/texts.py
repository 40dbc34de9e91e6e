"""What each reminder says, in the recipient's language: polite, short, and exact about what is missing."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Translator
from bot.messages import Button
from storage.indicators import INDICATORS, short_label
from storage.reminders import CUSTOM, KINDS, WEEKLY_KINDS, Slot
from storage.vocab import ROLES

MAX_NAMES = 20  # villages or communes listed by name in one message; the rest are counted


def names_list(tr: Translator, names: list[str], limit: int = MAX_NAMES) -> str:
    """ "Thôn 1, Thôn 3 và 4 thôn khác" style: at most `limit` names, the rest counted."""
    _ = tr.gettext
    if len(names) <= limit:
        return ", ".join(names)
    return _("{names} và {n} nơi khác").format(names=", ".join(names[:limit]), n=tr.number(len(names) - limit))


def go_button(tr: Translator, label: str, command: str) -> Button:
    """A button that runs a command (handled by handlers.common's `c:-:go:<command>`)."""
    return Button(label, f"c:-:go:{command}")


def weekly_session(
    tr: Translator, *, name: str, village: str, monday: dt.date, sunday: dt.date, nth: int
) -> tuple[str, list[list[Button]]]:
    """To a village team with no session logged this week."""
    _ = tr.gettext
    lines = [
        _("🔔 Chào {name},").format(name=name),
        _("Tuần này ({start} – {end}) {village} chưa ghi buổi sinh hoạt cộng đồng nào.").format(
            start=tr.short_date(monday), end=tr.date(sunday), village=village
        ),
        _("Mỗi thôn cần ít nhất một buổi sinh hoạt mỗi tuần, buổi tối hoặc cuối tuần."),
        _("Nếu tổ đã tổ chức, bạn gõ /ghibuoi để ghi lại giúp nhé. Xin cảm ơn!"),
    ]
    if nth > 1:
        lines[0] = _("🔔 Nhắc lại: chào {name},").format(name=name)
    buttons = [
        [go_button(tr, _("📝 Ghi buổi sinh hoạt"), "ghibuoi")],
        [go_button(tr, _("🔕 Tạm dừng nhắc việc"), "nhacnho")],
    ]
    return "\n".join(lines), buttons


def group_weekly_session(
    tr: Translator,
    *,
    village: str,
    leads: list[str],
    mention: str,
    monday: dt.date,
    sunday: dt.date,
    nth: int,
) -> tuple[str, list[list[Button]]]:
    """To a village's group chat, in Vietnamese (a group has no one language): the week has no session logged
    yet; the team lead is named, and anyone in the team may log right there in the group."""
    _ = tr.gettext
    lines = [
        (_("🔔 Nhắc lại: chào cả tổ {village},") if nth > 1 else _("🔔 Chào cả tổ {village},")).format(village=village),
        _("Tuần này ({start} – {end}) {village} chưa ghi buổi sinh hoạt cộng đồng nào.").format(
            start=tr.short_date(monday), end=tr.date(sunday), village=village
        ),
    ]
    if leads:
        lines.append(
            _("Nhờ tổ trưởng {leads} cùng cả tổ sắp xếp ít nhất một buổi, buổi tối hoặc cuối tuần.").format(
                leads=", ".join(leads)
            )
        )
    else:
        lines.append(_("Mỗi thôn cần ít nhất một buổi sinh hoạt mỗi tuần, buổi tối hoặc cuối tuần."))
    lines.append(
        _(
            "Nếu tổ đã tổ chức, ai trong tổ cũng ghi được ngay trong nhóm này: gõ /ghibuoi, hoặc nhắc tên tôi "
            "kèm một dòng, ví dụ «{mention} hôm nay học cài VNeID 12 người». Xin cảm ơn!"
        ).format(mention=mention)
    )
    return "\n".join(lines), []


def group_weekly_summary(
    tr: Translator,
    *,
    commune: str,
    monday: dt.date,
    sunday: dt.date,
    villages: int,
    held: list[str],
    missing: list[str],
    sessions: int,
    attendees: int,
    helped: int,
) -> tuple[str, list[list[Button]]]:
    """To a commune's group chat on Sunday evening, in Vietnamese: the week's totals, thanks to the villages that
    held a session (by name), and the villages that have none yet."""
    _ = tr.gettext
    lines = [
        _("📊 Tổng kết tuần {start} – {end} của {commune}:").format(
            start=tr.short_date(monday), end=tr.date(sunday), commune=commune
        ),
        _("• {sessions} buổi sinh hoạt, {attendees} người tham dự, {helped} lượt người được hỗ trợ.").format(
            sessions=tr.number(sessions), attendees=tr.number(attendees), helped=tr.number(helped)
        ),
    ]
    if held:
        thanks = (
            _("🙏 Cảm ơn tổ {villages} đã tổ chức buổi sinh hoạt tuần này!")
            if len(held) == 1
            else _("🙏 Cảm ơn các tổ {villages} đã tổ chức buổi sinh hoạt tuần này!")
        )
        lines.append(thanks.format(villages=names_list(tr, held)))
    if missing and held:
        lines.append(
            _("• {n}/{total} thôn chưa có buổi sinh hoạt: {villages}. Tuần tới các tổ cố gắng tổ chức nhé.").format(
                n=tr.number(len(missing)), total=tr.number(villages), villages=names_list(tr, missing)
            )
        )
    elif missing:
        lines.append(_("• Tuần này chưa thôn nào ghi buổi sinh hoạt. Tuần tới các tổ cố gắng tổ chức nhé."))
    else:
        lines.append(_("• ✅ Cả {total} thôn đều đã có buổi sinh hoạt.").format(total=tr.number(villages)))
    return "\n".join(lines), []


def weekly_summary(
    tr: Translator,
    *,
    name: str,
    commune: str,
    monday: dt.date,
    sunday: dt.date,
    villages: int,
    missing: list[str],
    sessions: int,
    attendees: int,
    helped: int,
) -> tuple[str, list[list[Button]]]:
    """To the commune admin and leaders on Sunday evening: the week's totals and the villages with no session."""
    _ = tr.gettext
    lines = [
        _("📊 Chào {name}, tổng kết tuần {start} – {end} của {commune}:").format(
            name=name, start=tr.short_date(monday), end=tr.date(sunday), commune=commune
        ),
        _("• {sessions} buổi sinh hoạt, {attendees} người tham dự, {helped} lượt người được hỗ trợ.").format(
            sessions=tr.number(sessions), attendees=tr.number(attendees), helped=tr.number(helped)
        ),
    ]
    if missing:
        lines.append(
            _("• {n}/{total} thôn chưa có buổi sinh hoạt: {villages}.").format(
                n=tr.number(len(missing)), total=tr.number(villages), villages=names_list(tr, missing)
            )
        )
        lines.append(_("Anh/chị nhắc giúp các thôn này tổ chức và ghi lại buổi sinh hoạt nhé."))
    else:
        lines.append(
            _("• ✅ Cả {total} thôn đều đã có buổi sinh hoạt. Cảm ơn các tổ!").format(total=tr.number(villages))
        )
    return "\n".join(lines), [[go_button(tr, _("📊 Xem chi tiết tuần này"), "tuannay")]]


def monthly_report(
    tr: Translator,
    *,
    name: str,
    commune: str,
    month: dt.date,
    due: dt.date,
    today: dt.date,
    sessions: int,
    attendees: int,
    helped: int,
    missing_indicators: list[str],
    villages_with_gaps: list[str],
    nth: int,
    missing_own: list[str] | None = None,
    missing_programmes: list[str] | None = None,
) -> tuple[str, list[list[Button]]]:
    """To the commune admin before the monthly deadline: the draft month, the missing figures (national, and
    by name the province's own indicators and the programmes' monthly figures the commune enters) and gaps."""
    _ = tr.gettext
    label = f"{month.month:02d}/{month.year}"
    days_left = (due - today).days
    if days_left > 0:
        when = _("hạn nộp là {date} (còn {n} ngày)").format(date=tr.date(due), n=tr.number(days_left))
    elif days_left == 0:
        when = _("hạn nộp là hôm nay, {date}").format(date=tr.date(due))
    else:
        when = _("đã quá hạn {date}").format(date=tr.date(due))
    lines = [
        (_("🔔 Nhắc lại: chào {name},") if nth > 1 else _("🗓️ Chào {name},")).format(name=name),
        _("Báo cáo tháng {month} của {commune} chưa nộp; {when}.").format(month=label, commune=commune, when=when),
        _(
            "Số liệu tạm tính của tháng: {sessions} buổi sinh hoạt, {attendees} người tham dự, "
            "{helped} lượt người được hỗ trợ."
        ).format(sessions=tr.number(sessions), attendees=tr.number(attendees), helped=tr.number(helped)),
    ]
    if missing_indicators:
        labels = [tr.gettext(short_label(i)) for i in missing_indicators if i in INDICATORS]
        lines.append(_("• Chỉ tiêu chưa nhập số liệu: {indicators}.").format(indicators=", ".join(labels)))
    if missing_own:
        lines.append(_("• Chỉ số riêng của tỉnh chưa nhập (/chiso): {names}.").format(names=", ".join(missing_own)))
    if missing_programmes:
        lines.append(
            _("• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): {names}.").format(
                names=", ".join(missing_programmes)
            )
        )
    if not missing_indicators and not missing_own and not missing_programmes:
        lines.append(_("• ✅ Đã nhập đủ số liệu các chỉ tiêu."))
    if villages_with_gaps:
        lines.append(
            _("• Thôn có tuần chưa sinh hoạt: {villages}.").format(villages=names_list(tr, villages_with_gaps))
        )
    lines.append(_("Anh/chị kiểm tra và nộp báo cáo trước hạn giúp nhé."))
    return "\n".join(lines), []


def monthly_escalation(
    tr: Translator, *, name: str, commune: str, month: dt.date, due: dt.date
) -> tuple[str, list[list[Button]]]:
    """To the commune leaders when the month is still not submitted after the deadline."""
    _ = tr.gettext
    lines = [
        _("⚠️ Kính gửi {name},").format(name=name),
        _("Báo cáo tháng {month} của {commune} đến nay vẫn chưa nộp (hạn {date}).").format(
            month=f"{month.month:02d}/{month.year}", commune=commune, date=tr.date(due)
        ),
        _("Đề nghị lãnh đạo xã đôn đốc cán bộ phụ trách hoàn thiện và nộp báo cáo sớm."),
    ]
    return "\n".join(lines), []


def province_consolidation(
    tr: Translator,
    *,
    name: str,
    province: str,
    month: dt.date,
    expected: int,
    submitted: int,
    on_time: int,
    missing: list[str],
    deadline: dt.date,
) -> tuple[str, list[list[Button]]]:
    """To province viewers: who reported the month, how many on time, which communes have not."""
    _ = tr.gettext
    lines = [
        _("🗂️ Chào {name}, báo cáo tháng {month} của các xã thuộc {province}:").format(
            name=name, month=f"{month.month:02d}/{month.year}", province=province
        ),
        _("• Đã nộp: {submitted}/{expected} xã, trong đó {on_time} xã đúng hạn.").format(
            submitted=tr.number(submitted), expected=tr.number(expected), on_time=tr.number(on_time)
        ),
    ]
    if missing:
        lines.append(
            _("• Chưa nộp ({n}): {communes}.").format(n=tr.number(len(missing)), communes=names_list(tr, missing))
        )
    else:
        lines.append(_("• ✅ Tất cả các xã đã nộp."))
    lines.append(_("Sở tổng hợp báo cáo toàn tỉnh trước ngày {date}.").format(date=tr.date(deadline)))
    return "\n".join(lines), []


def custom_deadline(
    tr: Translator, *, name: str, title: str, due: dt.date, today: dt.date
) -> tuple[str, list[list[Button]]]:
    """To the people a one-off deadline concerns, some days before it."""
    _ = tr.gettext
    days = (due - today).days
    if days > 1:
        when = _("còn {n} ngày").format(n=tr.number(days))
    elif days == 1:
        when = _("ngày mai là hạn chót")
    else:
        when = _("hôm nay là hạn chót")
    lines = [
        _("📌 Chào {name}, nhắc hạn chót:").format(name=name),
        _("«{title}» — hạn {date} ({when}).").format(title=title, date=tr.date(due), when=when),
        _("Nếu đã xong, anh/chị bỏ qua tin nhắn này nhé."),
    ]
    return "\n".join(lines), []


def unreachable_notice(tr: Translator, *, name: str, role: str, area: str) -> str:
    """To the commune admin, once, when the bot can no longer reach a member."""
    _ = tr.gettext
    return "\n".join(
        [
            _("⚠️ Bot không gửi được tin nhắn cho {name} ({role}, {area}).").format(
                name=name, role=tr.gettext(ROLES.get(role, role)), area=area
            ),
            _("Có thể người này đã chặn bot hoặc xoá cuộc trò chuyện, nên sẽ không nhận được nhắc việc."),
            _(
                "Anh/chị liên hệ giúp để họ mở lại bot và nhắn một tin bất kỳ (ví dụ /start); "
                "bot sẽ nhắn lại bình thường."
            ),
        ]
    )


def slot_label(tr: Translator, kind: str, slot: Slot) -> str:
    """A rule's firing as people say it: "Thứ Năm 19:00", "ngày 15 lúc 08:00", "7 ngày trước, 08:00"."""
    _ = tr.gettext
    clock = f"{slot.at.hour:02d}:{slot.at.minute:02d}"
    if kind in WEEKLY_KINDS:
        # 2026-11-23 is a Monday: any week gives the weekday's name in the person's language.
        return _("{weekday} {time}").format(
            weekday=tr.weekday(dt.date(2026, 11, 23) + dt.timedelta(days=slot.day)), time=clock
        )
    if kind == CUSTOM:
        return _("{n} ngày trước, lúc {time}").format(n=tr.number(slot.day), time=clock)
    return _("ngày {day} lúc {time}").format(day=slot.day, time=clock)


def kind_label(tr: Translator, kind: str) -> str:
    return tr.gettext(KINDS[kind])


def weekday_name(tr: Translator, index: int) -> str:
    return tr.weekday(dt.date(2026, 11, 23) + dt.timedelta(days=index))
