"""Keywords: topics, help kinds, session words, units and question words.

Every phrase is written once, properly accented; matching is done on the
folded form (no diacritics, i/y unified) so "hỗ trợ", "ho tro" and "hổ trợ"
all match.  One-word phrases (and those marked ``!`` in the table) are
*strict*: an accented token must carry the listed marks (tone position may
vary), an unaccented token is always accepted.  This keeps "họp" apart from
"hợp", "cài" from "cái", "bạn" from "bản", "tải" from "tại".

Roles (``Entry.role``):

``helpverb``     giúp, hỗ trợ, làm hộ ... - the clause reports help.
``action``       an act done for a person (kích hoạt, mức 2, nộp hồ sơ, mở
                 tài khoản, xác nhận, tích hợp BHXH, cài, đăng ký ...).
``session``      strong session word (học, lớp, buổi, tập huấn, tuyên
                 truyền, sinh hoạt, họp, dạy, tham gia ...).
``session_weak`` hướng dẫn, hd, tổ chức, giới thiệu, tư vấn ...
``object``       names a topic and/or a help kind (VNeID, DVC, lừa đảo,
                 ngân hàng số, sổ sức khỏe điện tử, chữ ký số ...).
``unit``         the counted unit after a number (người, ng, lượt, bà con,
                 hộ, học viên, hồ sơ, tài khoản ...).
``query``        a question/reporting word (bao nhiêu, thôn nào, tiến độ,
                 xuất, thống kê ...).
``query_lead``   "báo cáo"/"bc": a request only as the first word or the
                 very last one ("bc tuần", not "em sẽ báo cáo sau").
``query_weak``   ai, gì, chưa, không, đạt ...: a question only with "?" or
                 as the last word ("thôn 5 học VNeID chưa").
``filler``       consumed so that its words are not misread (một số, vài
                 chục, ban ngày, cơ bản, tổ công nghệ số).

How a clause with a count is read (see parser._classify), first rule wins:

1. a help verb -> help;  2. a strong session word -> session;
3. an action of a specific kind (kích hoạt, nộp, mở tài khoản...) -> help;
4. a weak session word -> session, unless the clause also has an install
   action *and* an object of a specific kind ("hướng dẫn 6 người lập tài
   khoản ngân hàng" -> help cashless_account);
5. an install/registration action (cài, tải, đăng ký) -> help;
6. a topic object -> session ("lừa đảo 40 người"), except right after a
   help clause, where a verb-less list continues the help ("giúp kích hoạt
   mức 2 được 14, DVC 3" -> public_service_filing 3);
7. a help-only object (chữ ký số, BHXH, sổ sức khỏe) -> help.

Help-kind strength: 2 = specific, 1 = generic.  In a help clause every
specific kind is reported with the clause's count; otherwise the first
generic kind that is not ``other`` wins; with no kind at all it is ``other``.

Decisions worth knowing (they are part of the behaviour):

* ``kích hoạt``, ``định danh``, ``tài khoản VNeID`` are generic
  ``vneid_level2``; ``mức 2`` / ``mức độ 2`` / ``level 2`` are specific.
  So "kích hoạt tài khoản ngân hàng" is ``cashless_account`` only.
* ``cài`` / ``cài đặt`` / ``tải`` / ``đăng ký`` are generic ``other``:
  "giúp 8 người cài VNeID" is ``other``; with ``kích hoạt``/``định danh``/
  ``mức 2`` in the same clause it is ``vneid_level2``.  In a session clause
  ("học cài VNeID", "hướng dẫn bà con cài đặt VNeID 21 người") it only
  gives the topic ``vneid``.
* A bare "VNeID" names the topic only; in a help clause it yields ``other``.
* ``mở tài khoản`` is generic ``cashless_account`` (so "mở tài khoản dịch vụ
  công" is ``public_service_filing``).
* ``xác nhận`` (phổ cập kỹ năng số) -> ``vneid_skill_confirmed``.
* BHXH / BHYT / an sinh xã hội / VssID -> ``social_security_vneid``.
* ``học (khóa / trên nền tảng) Bình dân học vụ số``, ``đăng ký học``,
  ``khóa học`` -> ``bdhvs_course`` as an action (help); "lớp Bình dân học
  vụ số" stays a session (lớp is a strong session word) with no topic.
* Session topics come from the phrase's topic; help-only phrases map to a
  topic when taught (mức 2 -> vneid, an sinh xã hội -> vneid, nộp hồ sơ ->
  public_services, chữ ký số -> public_services, mở tài khoản ->
  online_payment, sổ sức khỏe điện tử -> other_platforms).  "AI" written
  in capitals is ``other_platforms``.  Smartphone basics, "kỹ năng số",
  "chuyển đổi số", "Bình dân học vụ số" give no topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.normalize import Token, fold, tone_sig, word_list

__all__ = [
    "COUNT_CONTEXT_PREV",
    "HELP_KINDS",
    "NONCOUNT_NEXT",
    "ORDINAL_PREV",
    "TOPICS",
    "Entry",
    "PhraseMatch",
    "key_of",
    "match_at",
]

TOPICS: tuple[str, ...] = (
    "public_services",
    "online_shopping",
    "online_payment",
    "online_safety",
    "vneid",
    "other_platforms",
)

HELP_KINDS: tuple[str, ...] = (
    "vneid_level2",
    "vneid_skill_confirmed",
    "public_service_filing",
    "cashless_account",
    "digital_signature",
    "social_security_vneid",
    "e_health",
    "bdhvs_course",
    "other",
)


@dataclass(slots=True, frozen=True)
class Entry:
    """One phrase of the lexicon (see module docstring for ``role``)."""

    text: str
    words: tuple[str, ...]  # accented, lower-case
    sigs: tuple[str, ...]  # tone signatures of ``words`` (see normalize.tone_sig)
    key: tuple[str, ...]  # matching keys (folded, i/y unified)
    role: str
    topic: str | None = None
    kind: str | None = None
    strength: int = 0
    strict: bool = False
    unit_kind: str | None = None  # for units: "people"; hộ doubles as help verb


@dataclass(slots=True)
class PhraseMatch:
    """A lexicon entry found at ``tokens[start:end]``."""

    entry: Entry
    start: int
    end: int


# Words whose i/y spelling varies ("kí"/"ký", "lí"/"lý", "tỉ"/"tỷ").
_IY = {"ki": "ky", "li": "ly", "ti": "ty", "mi": "my", "si": "sy", "hi": "hy"}


def key_of(folded_word: str) -> str:
    """Matching key of a folded word (unifies i/y spellings)."""
    return _IY.get(folded_word, folded_word)


# --------------------------------------------------------------------------
# The table.  Format per line:  phrase[; phrase...] | role | topic | kind | strength
# A leading "!" on a phrase makes it strict (see module docstring).
# --------------------------------------------------------------------------

_PS, _SH, _PAY, _SAFE, _VN, _OTH = TOPICS
_L2, _CONF, _FILE, _CASH, _SIGN, _SOC, _HEALTH, _COURSE, _OTHER = HELP_KINDS

# The table is laid out by hand, a phrase list with its role, topic, kind and strength on one line each.
# fmt: off
_TABLE: list[tuple[str, str, str | None, str | None, int]] = [
    # ---- help verbs -------------------------------------------------------
    (("giúp; giúp đỡ; giup do; giúp cho; giúp với; làm giúp; làm !hộ; làm cho; làm trực tiếp; "
     "hỗ trợ; hổ trợ; hỗ chợ; htro; ht; hỗ trợ trực tiếp; trực tiếp hỗ trợ; hỗ trợ cho; "
     "cầm tay chỉ việc; cài giúp; cài !hộ; đăng ký giúp; đăng ký !hộ; nộp !hộ; nộp giúp; "
     "giúp đỡ cho; hướng dẫn và hỗ trợ"), "helpverb", None, None, 0),
    # ---- strong session words ---------------------------------------------
    (("học; lớp; lớp học; buổi; buổi học; buổi sinh hoạt; sinh hoạt; tập huấn; lớp tập huấn; "
     "!dạy; dạy học; tuyên truyền; tuyên chuyền; tuyên truyền về; tt tuyên truyền; !họp; cuộc họp; "
     "họp dân; tham gia; tham dự; !dự; dự học; phổ biến; bồi dưỡng; truyền thông; hội nghị; "
     "tọa đàm; đào tạo; học tập; mở lớp; tổ chức lớp; ôn tập; có mặt; ngồi học; "
     "sinh hoạt chuyên đề; chuyên đề; sinh hoạt cộng đồng; thực hành; học viên tham gia"),
     "session", None, None, 0),
    (("hướng dẫn; hd; hdsd; hướng dẫn sử dụng; tổ chức; giới thiệu; chia sẻ; nói chuyện; "
     "trao đổi; phổ cập; lồng ghép; tư vấn"), "session_weak", None, None, 0),
    # ---- public services ----------------------------------------------------
    (("dịch vụ công; dịch vụ công trực tuyến; dịch vụ công online; dvc; dvctt; dvcqg; "
     "dvc trực tuyến; dvc online; cổng dịch vụ công; cổng dvc; dịch vụ công quốc gia; "
     "dịch vụ hành chính công; thủ tục hành chính; tthc; thủ tục; thủ tục trực tuyến; "
     "hồ sơ trực tuyến; hồ sơ online; hồ sơ dvc; khai sinh; khai tử; "
     "kết hôn; tạm trú; thường trú; tạm vắng; cư trú; lý lịch tư pháp; "
     "giấy khai sinh; thuế điện tử"),
     "object", _PS, _FILE, 2),
    (("đăng ký khai sinh; đăng ký kết hôn; đăng ký khai tử; đăng ký tạm trú; "
     "đăng ký thường trú; cấp đổi; cấp lại; chứng thực; kê khai thuế; nộp thuế; "
     "đổi giấy phép lái xe; làm căn cước"), "action", _PS, _FILE, 2),
    (("nộp hồ sơ; nộp hs; nộp; nộp trực tuyến; nộp online; làm hồ sơ; lập hồ sơ; "
     "làm thủ tục; nộp hồ sơ trực tuyến; nộp hồ sơ online; làm dvc; nộp dvc; "
     "làm dịch vụ công; nộp thủ tục"), "action", _PS, _FILE, 2),
    # ---- online shopping ------------------------------------------------------
    (("mua sắm trực tuyến; mua sắm online; mua sắm qua mạng; mua sắm; mua hàng online; "
     "mua hàng trực tuyến; mua hàng qua mạng; mua bán online; mua bán trực tuyến; "
     "mua bán qua mạng; bán hàng online; bán hàng trực tuyến; bán hàng qua mạng; bán hàng; "
     "thương mại điện tử; tmđt; sàn tmđt; sàn thương mại điện tử; sàn; shopee; shoppe; "
     "lazada; tiki; tiktok shop; sendo; postmart; voso; livestream; livestream bán hàng; "
     "đặt hàng online; đặt hàng trực tuyến; quảng bá sản phẩm; ocop; sản phẩm ocop; "
     "kinh doanh online; mua online; bán online"), "object", _SH, None, 0),
    # ---- online payment / cashless ---------------------------------------------
    (("thanh toán không dùng tiền mặt; không dùng tiền mặt; ttkdtm; tt không dùng tiền mặt; "
     "thanh toán ko dùng tiền mặt; thanh toán k dùng tiền mặt; thanh toán trực tuyến; "
     "thanh toán online; thanh toán điện tử; thanh toán qua mạng; thanh toán qua điện thoại; "
     "ngân hàng số; ngân hàng điện tử; ngân hàng; app ngân hàng; ứng dụng ngân hàng; "
     "mobile banking; internet banking; banking; smart banking; agribank; vietinbank; "
     "bidv; vietcombank; mb bank; mbbank; techcombank; sacombank; vpbank; "
     "ngân hàng chính sách; tài khoản ngân hàng; tk ngân hàng; tk nh; tknh; "
     "chuyển khoản; chuyển tiền; mã qr; qr; qr code; quét mã; quét mã qr; quét qr; "
     "ví điện tử; momo; zalopay; zalo pay; vnpay; viettel money; viettelpay; viettel pay; "
     "vnpt money; vnpt pay; shopeepay; thanh toán tiền điện; thanh toán hóa đơn"),
     "object", _PAY, _CASH, 2),
    (("mở ví; mở ví điện tử; tạo tài khoản ngân hàng; mở tài khoản ngân hàng; "
     "mở tk ngân hàng; cài app ngân hàng; cài ứng dụng ngân hàng; "
     "cài đặt ứng dụng ngân hàng; tạo mã qr; tạo qr"), "action", _PAY, _CASH, 2),
    ("thanh toán", "object", _PAY, _CASH, 1),
    ("mở tài khoản; mở tk; mở thẻ; mở thẻ atm", "action", _PAY, _CASH, 1),
    # ---- online safety ------------------------------------------------------------
    (("lừa đảo; chống lừa đảo; phòng chống lừa đảo; phòng lừa đảo; lừa đảo trực tuyến; "
     "lừa đảo qua mạng; lừa đảo online; lừa đảo công nghệ cao; nhận diện lừa đảo; "
     "thủ đoạn lừa đảo; cảnh báo lừa đảo; an toàn mạng; an toàn trên mạng; "
     "an toàn trên không gian mạng; an toàn thông tin; an toàn số; an ninh mạng; an toàn; "
     "bảo vệ bản thân; bảo vệ bản thân trên mạng; bảo vệ thông tin cá nhân; "
     "bảo vệ dữ liệu cá nhân; bảo vệ trẻ em trên mạng; bảo mật; bảo mật thông tin; "
     "mật khẩu; tin giả; tin xấu độc; cảnh giác; không gian mạng; deepfake; mạo danh; "
     "link lạ; đường link lạ; cuộc gọi lạ; app lạ; lừa đảo qua điện thoại; "
     "lừa đảo trên mạng; chiêu trò lừa đảo; an ninh trật tự trên mạng"),
     "object", _SAFE, None, 0),
    # ---- VNeID ----------------------------------------------------------------------
    (("vneid; vnied; vneld; vneiid; vnied; vneid app; vn eid; app vneid; ứng dụng vneid; "
     "căn cước điện tử; căn cước; cccd; thẻ căn cước; cccd gắn chip"),
     "object", _VN, None, 0),
    (("định danh; định danh điện tử; tài khoản định danh; tài khoản định danh điện tử; "
     "tk định danh; đdđt; ddđt; đddt; dddt; ứng dụng định danh; định danh đt; "
     "tài khoản vneid; tk vneid; tài khoản định danh vneid"),
     "object", None, _L2, 1),
    (("kích hoạt; kick hoạt; kích hoạt tài khoản; kích hoạt tk; xác thực; "
     "đăng ký tài khoản định danh; đăng ký định danh; làm định danh; cấp tài khoản định danh; "
     "kh vneid; kh tk; kh tài khoản; kh định danh"), "action", _VN, _L2, 1),
    (("mức 2; mức hai; muc2; mức độ 2; mức độ hai; cấp độ 2; cấp độ hai; level 2; lv2; lv 2; "
     "lever 2; mức ii; mức độ ii; tk mức 2; tài khoản mức 2; định danh mức 2; "
     "định danh điện tử mức 2; đăng ký mức 2; làm mức 2; lên mức 2; nâng mức 2; kh mức 2"),
     "action", _VN, _L2, 2),
    ("mức 1; mức một; mức độ 1; level 1", "object", _VN, _OTHER, 1),
    # ---- skill confirmation --------------------------------------------------------
    (("xác nhận; xác nhận phổ cập kỹ năng số; xác nhận kỹ năng số; xác nhận phổ cập; "
     "xác nhận hoàn thành; xác nhận pckns; pckns; xác nhận trên vneid; "
     "xác nhận phổ cập kỹ năng số trên vneid; xác nhận đã học"), "action", _VN, _CONF, 2),
    ("phổ cập kỹ năng số; phổ cập kns", "object", None, _CONF, 2),
    # ---- social security ------------------------------------------------------------
    (("an sinh xã hội; tài khoản an sinh; tài khoản an sinh xã hội; tk an sinh; "
     "tk an sinh xã hội; asxh; tk asxh; tài khoản asxh"), "object", None, _SOC, 2),
    ("bhxh; bảo hiểm xã hội; bhyt; bảo hiểm y tế; thẻ bhyt; vssid; bhxh số",
     "object", None, _SOC, 2),
    (("tích hợp bhxh; tích hợp bhyt; tích hợp thẻ bhyt; tích hợp bảo hiểm; "
     "tích hợp bảo hiểm y tế; tích hợp bảo hiểm xã hội; tích hợp an sinh"),
     "action", _VN, _SOC, 2),
    (("tích hợp sổ sức khỏe; tích hợp sổ sức khỏe điện tử; tích hợp ssk; lập sổ sức khỏe; "
     "tạo sổ sức khỏe; làm sổ sức khỏe; cài sổ sức khỏe; cài sổ sức khỏe điện tử"),
     "action", _OTH, _HEALTH, 2),
    ("tích hợp; tích hợp giấy tờ; tích hợp thông tin", "action", _VN, _OTHER, 1),
    # ---- e-health ---------------------------------------------------------------------
    (("sổ sức khỏe điện tử; sổ sức khỏe; sổ sk điện tử; sổ sk; ssk; ssk điện tử; sskđt; "
     "sskdt; hồ sơ sức khỏe điện tử; hồ sơ sức khỏe; sức khỏe điện tử; sổ sức khỏe đt"),
     "object", None, _HEALTH, 2),
    # ---- digital signature ---------------------------------------------------------------
    ("chữ ký số; ký số; cks; chữ ký điện tử; sim ký số; chứng thư số; chữ ký số cá nhân",
     "object", None, _SIGN, 2),
    # ---- BDHVS course --------------------------------------------------------------------
    (("bình dân học vụ số; bình dân học vụ; bdhvs; nền tảng bình dân học vụ số; "
     "nền tảng bdhvs; binhdanhocvuso"), "object", None, _COURSE, 2),
    (("khóa học; học khóa; học trên nền tảng; học online; đăng ký học; tài khoản học; "
     "đăng ký tài khoản học; hoàn thành khóa học; học bình dân học vụ số; học bdhvs; "
     "học khóa bình dân học vụ số; tham gia khóa học; học trên app; "
     "học bình dân học vụ; hoàn thành khóa"), "action", None, _COURSE, 2),
    # ---- other platforms ---------------------------------------------------------------
    (("zalo; facebook; fb; youtube; tiktok; gmail; email; google; google maps; bản đồ số; "
     "chatgpt; chat gpt; trí tuệ nhân tạo; gemini; mạng xã hội; messenger; viber; "
     "telegram; công cụ ai; ứng dụng ai; sổ tay đảng viên; etax; etaxmobile; "
     "nền tảng khác; nền tảng số; ứng dụng số; zoom; google meet; canva; capcut"),
     "object", _OTH, None, 0),
    # ---- generic installs / registrations (help kind "other") -------------------------
    (("!cài; cài đặt; cài app; cài ứng dụng; tải; tải app; tải ứng dụng; cài đặt ứng dụng; "
     "tải về; cập nhật; đăng ký; đăng kí; dk; đk; đăng ký sim; sim chính chủ; "
     "chuẩn hóa thông tin thuê bao; chuẩn hóa thuê bao; tạo tài khoản; lập tài khoản; "
     "tạo email; tạo gmail"), "action", None, _OTHER, 1),
    # ---- people units (the counted thing) ----------------------------------------------
    (("người; ng; ngừoi; người dân; ng dân; lượt; lượt người; bà con; bà con nhân dân; "
     "hộ dân; hộ gia đình; hộ kinh doanh; hộ nghèo; hộ sản xuất; học viên; hv; "
     "thành viên; công dân; đồng chí; đoàn viên; hội viên; đảng viên; chị em; cụ; "
     "người cao tuổi; em; cháu; học sinh; hs; tài khoản; tk; trường hợp; !ca; bạn; "
     "phụ nữ; thanh niên; nông dân; cán bộ; cb; ông bà; cựu chiến binh; ccb; "
     "người lao động; công nhân; tiểu thương; người dùng; thuê bao; gia đình; nhân khẩu; "
     "người già; cô chú; anh chị; anh chị em; bác; chú; cụ già; hội viên phụ nữ; "
     "lượt người dân; người tham dự; nhân dân; thanh thiếu niên; người khuyết tật"),
     "unit", None, None, 0),
    ("!hộ", "unit", None, None, 0),
    ("hồ sơ; hs dvc; bộ hồ sơ", "unit", _PS, _FILE, 1),
    # ---- question / reporting words ----------------------------------------------------
    (("bao nhiêu; bn; bnh; bao nhieu; !mấy; nào; xem; cho xem; xem báo cáo; "
     "tiến độ; xuất; xuất file; xuất excel; thống kê; tổng hợp; tổng số; tổng cộng; "
     "danh sách; ds; kết quả; kq; tỉ lệ; tỷ lệ; phần trăm; cho biết; liệt kê; tra cứu; "
     "thế nào; ra sao; chỉ tiêu; còn thiếu; còn lại; ở đâu; "
     "có không; được không; chưa ạ; không ạ; nhiêu; bảng; excel; file; tổng kết; so sánh; "
     "xếp hạng; đứng đầu; nhiều nhất; ít nhất; mấy người; thôn nào; ai chưa; số liệu; "
     "tình hình; bao giờ; khi nào; hỏi; cho hỏi; có ai; đã đủ; biểu đồ; đồ thị"),
     "query", None, None, 0),
    # "báo cáo" asks for a report only when it opens or closes the message
    # ("bc tuần", "thôn 5 đã báo cáo?"), not in "em sẽ báo cáo sau"
    ("báo cáo; bc; báo cáo tuần; báo cáo tháng", "query_lead", None, None, 0),
    # weak question words: a question only with "?" or as the last word
    ("!ai; !gì; j; !đâu; !sao; !hả; !nhỉ; !chưa; !đạt; !à; !không; ko; k; !chứ",
     "query_weak", None, None, 0),
    # ---- fillers: consumed so their words are not misread ------------------------------
    (("một số; một vài; vài; một chút; vài chục; mấy chục; hàng chục; vài trăm; mấy trăm; "
     "hàng trăm; một cửa; ban ngày; ban đêm; ban quản lý; ban chỉ đạo; "
     "ban công tác mặt trận; ban điều hành; tổ công nghệ số; tổ công nghệ số cộng đồng; "
     "tổ cnscđ; tổ cns; tổ cnsđ; tcns; công nghệ số; chuyển đổi số; kỹ năng số; cđs; "
     "điện thoại thông minh; smartphone; cơ bản; văn bản; phiên bản; năm nay; năm 2026; tuần này; tuần qua; "
     "tuần trước; tháng này; tháng trước; trong tuần; hàng tuần; lần đầu; "
     "áp dụng; sau khi; sau đó; nhiều người"),
     "filler", None, None, 0),
]
# fmt: on

#: Folded words after a number that make it something other than a head
#: count ("2 buổi", "3 lớp", "50k", "80 phần trăm", "4 nội dung").
NONCOUNT_NEXT: frozenset[str] = frozenset(
    word_list(
        """buoi lop lan dot noi chuyen gio tieng phut ngay tuan thang nam may cai chiec
    thon xom ban to xa nhom tin bai video clip dong d k nghin ngan trieu ty ti phan diem
    km m ha kg tan lo tuoi cau tiet phien khoa muc cap trang slide poster pano
    bang ron to roi khau hieu loa dien thoai smartphone chu so lan thu kenh group nhom
    tieu chi noi dung chuyen de thiet bi"""
    )
)

#: Folded words before a number that make it an ordinal/label, not a count
#: ("mức 2", "lần 2", "đợt 3", "tuần 47", "lớp 9", "số 5").
ORDINAL_PREV: frozenset[str] = frozenset(
    word_list(
        """muc cap level lv lan dot tuan thang nam so phong tang bai tiet khoa nhom phan
    buoi lop chuong cau loai hang top ma version khu to thu giai doan
    ngay trang de gio luc tu den"""
    )
)

#: Folded words before a number that mark a following bare number as a count
#: even when it is a one-word ambiguous number ("được sáu", "là tám").
COUNT_CONTEXT_PREV: frozenset[str] = frozenset(word_list("duoc dc đc la co gom dat tong :"))


def _build() -> dict[str, list[Entry]]:
    """Index the phrase table by the key of each phrase's first word."""
    index: dict[str, list[Entry]] = {}
    for phrases, role, topic, kind, strength in _TABLE:
        for phrase in phrases.split(";"):
            phrase = phrase.strip()
            if not phrase:
                continue
            # single words are always strict: accents that are present must match
            strict = len(phrase.split()) == 1
            words: list[str] = []
            for w in phrase.split():
                if w.startswith("!"):
                    strict = True
                    w = w[1:]
                words.append(w.lower())
            key = tuple(key_of(fold(w)) for w in words)
            entry = Entry(
                text=" ".join(words),
                words=tuple(words),
                sigs=tuple(tone_sig(w) for w in words),
                key=key,
                role=role,
                topic=topic,
                kind=kind,
                strength=strength,
                strict=strict,
                unit_kind="people" if role == "unit" else None,
            )
            index.setdefault(key[0], []).append(entry)
    for lst in index.values():
        # longest first; among equals keep table order (strict first if listed first)
        lst.sort(key=lambda e: -len(e.key))
    return index


_INDEX: dict[str, list[Entry]] = _build()


def _token_key(tok: Token) -> str | None:
    """The lookup key of a token (its folded form with i/y spellings made one)."""
    if tok.kind == "word" or tok.kind == "num":
        return key_of(tok.fold)
    return None


def match_at(
    tokens: Sequence[Token],
    i: int,
    *,
    free_only: bool = True,
    roles: frozenset[str] | None = None,
) -> PhraseMatch | None:
    """Longest lexicon phrase starting at ``tokens[i]``, or None.

    Tokens already claimed by an earlier stage (``role`` set) are skipped
    when ``free_only``.  Numbers glued to letters ("muc2", "lv2") match the
    same as spaced ones.  Strict entries require the exact accents when the
    token is accented.
    """
    tok = tokens[i]
    if free_only and tok.role is not None:
        return None
    k = _token_key(tok)
    if k is None:
        return None
    cands = _INDEX.get(k)
    if not cands:
        return None
    n = len(tokens)
    for entry in cands:
        L = len(entry.key)
        if i + L > n:
            continue
        ok = True
        for off in range(L):
            t = tokens[i + off]
            if free_only and t.role is not None:
                ok = False
                break
            if _token_key(t) != entry.key[off]:
                ok = False
                break
            if entry.strict and not t.plain and t.sig != entry.sigs[off]:
                ok = False
                break
        if ok and roles is not None and entry.role not in roles:
            continue
        if ok:
            return PhraseMatch(entry, i, i + L)
    return None


def entries() -> list[Entry]:
    """All lexicon entries (for tests and documentation)."""
    out: list[Entry] = []
    for lst in _INDEX.values():
        out.extend(lst)
    return out
