"""Programmes on top of the scripted October (tests/reports/conftest.py), with the figures worked out by hand.

Hà Tĩnh (42) turns on Gia đình số, Đại sứ số, Chợ số 4T, VNeID mức 2 and Mỗi công dân – Một định danh số;
targets of 2026: Đại sứ số 10 mentors, Chợ số 4T 40 traders, VNeID mức 2 80 %. October is month 10: the
straight path asks 10/12 of a yearly target.

Households (/thon): Thôn 1 200, Thôn 2 100, Thôn 3 not set; Thôn Trung 50.
Gia đình số (households): Thôn 1 20 on 05/09 and 30 on 10/10; Thôn 2 10 on 12/10; Thôn 3 5 on 14/10;
  Thôn 1 7 on 02/11 (outside); Thôn Trung 10 on 03/10.
  Sơn Kim 1: month 45; year 65; over the villages with a count 60 of 300 households = 20 %; target 100 %
  (the plan's), path 83,33 %: behind; 1 village without households.
  Sơn Kim 2: month 10, year 10, 10/50 = 20 %. Province: month 55, year 75, 70/350 = 20 %.
Đại sứ số (mentor ≥ 5 mentees): Sơn Kim 1: Lan 3 on 20/09 and 2 on 15/10 (5: reached), Minh 4 on 16/10,
  Hoa 6 on 02/11 (outside). Sơn Kim 2: Lan 5 on 07/10. Sơn Kim 1: month 6 people, 1 of 2 mentors reached
  = 50 %, people in the year 9; target 10, path 8,33: behind. Sơn Kim 2: month 5, 1 of 1 = 100 %.
  Province: month 11, 2 of 3 mentors = 66,67 %, people 14.
Chợ số 4T (count): Sơn Kim 1: 12 traders on 20/08, 22 traders and 1 market on 21/10: month 22, year 34
  against 40 (path 33,33): on track; markets 1. Province the same.
VNeID mức 2: the national indicator vneid_level2_activated: Sơn Kim 1 3000/5000 = 60 % against 80 %
  (path 66,67): behind; Sơn Kim 2 none. Province 3000/5000 = 60 %.
Mỗi công dân – Một định danh số: entered by the commune only, nothing enters it yet: no figure.
Own indicator «diem_wifi» (Điểm wifi công cộng, điểm, target 24): Sơn Kim 1 September 3, October 4
  (year 7, path 20: behind); Sơn Kim 2 October 2. Province: month 6, year 9.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage import province_indicators
from storage.activity import Bounds
from storage.areas import set_households
from storage.db import Database
from storage.models import Member, Village
from storage.programmes import provinces, records
from storage.programmes.records import ProgrammeFigure
from tests.reports.conftest import ADMIN_2, HA_TINH, MEMBER, OCTOBER, SON_KIM_1, SON_KIM_2, Month, at

PROGRAMMES = ("gia_dinh_so", "dai_su_so", "cho_so_4t", "vneid_muc_2", "moi_cong_dan_mot_dinh_danh_so")
TARGETS = {"dai_su_so": 10.0, "cho_so_4t": 40.0, "vneid_muc_2": 80.0}
NOW = at(dt.date(2026, 11, 5))
BOUNDS = Bounds(1000, 2000, 400)
HOUSEHOLDS = {"Thôn 1": 200, "Thôn 2": 100, "Thôn Trung": 50}
# (village, day, programme, count, unit, mentor)
RECORDS = [
    ("Thôn 1", dt.date(2026, 9, 5), "gia_dinh_so", 20, "households", None),
    ("Thôn 1", dt.date(2026, 10, 10), "gia_dinh_so", 30, "households", None),
    ("Thôn 2", dt.date(2026, 10, 12), "gia_dinh_so", 10, "households", None),
    ("Thôn 3", dt.date(2026, 10, 14), "gia_dinh_so", 5, "households", None),
    ("Thôn 1", dt.date(2026, 11, 2), "gia_dinh_so", 7, "households", None),
    ("Thôn Trung", dt.date(2026, 10, 3), "gia_dinh_so", 10, "households", None),
    ("Thôn 1", dt.date(2026, 9, 20), "dai_su_so", 3, "people", "Lan"),
    ("Thôn 2", dt.date(2026, 10, 15), "dai_su_so", 2, "people", "Lan"),
    ("Thôn 2", dt.date(2026, 10, 16), "dai_su_so", 4, "people", "Minh"),
    ("Thôn 2", dt.date(2026, 11, 2), "dai_su_so", 6, "people", "Hoa"),
    ("Thôn Trung", dt.date(2026, 10, 7), "dai_su_so", 5, "people", "Lan"),
    ("Thôn 1", dt.date(2026, 8, 20), "cho_so_4t", 12, "traders", None),
    ("Thôn 1", dt.date(2026, 10, 21), "cho_so_4t", 22, "traders", None),
    ("Thôn 1", dt.date(2026, 10, 21), "cho_so_4t", 1, "markets", None),
]
# (commune, month, value) of the own indicator «diem_wifi»
OWN_VALUES = [(SON_KIM_1, dt.date(2026, 9, 1), 3), (SON_KIM_1, OCTOBER, 4), (SON_KIM_2, OCTOBER, 2)]


def add_programmes(database: Database, script: Month) -> None:
    """Turn the programmes on and write the figures above (on top of `build_month`)."""
    with database.session() as session:
        for programme in PROGRAMMES:
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=NOW)
        for programme, value in TARGETS.items():
            provinces.set_target(
                session, actor=None, province_code=HA_TINH, programme_id=programme, year=2026, value=value, now=NOW
            )
        for name, households in HOUSEHOLDS.items():
            commune = SON_KIM_2 if name == "Thôn Trung" else SON_KIM_1
            set_households(session, commune, script.villages[name], households, now=NOW, actor_id=None)
        for name, day, programme, count, unit, mentor in RECORDS:
            _record(session, script, name, day, ProgrammeFigure(programme, count, unit, mentor))
        province_indicators.add_indicator(
            session,
            province_code=HA_TINH,
            indicator_id="diem_wifi",
            name="Điểm wifi công cộng",
            name_en="Public wifi points",
            unit="điểm",
            target=24,
            now=NOW,
        )
        for commune, month, value in OWN_VALUES:
            province_indicators.set_value(
                session, actor=None, commune_code=commune, month=month, indicator_id="diem_wifi", value=value, now=NOW
            )


def _record(session: Session, script: Month, name: str, day: dt.date, figure: ProgrammeFigure) -> None:
    village = session.get(Village, script.villages[name])
    who = script.members[ADMIN_2 if name == "Thôn Trung" else MEMBER]
    member = session.get(Member, who)
    assert village is not None and member is not None
    records.record_programmes(
        session,
        village=village,
        day=day,
        figures=[figure],
        member=member,
        author=member,
        source="text",
        now=at(day),
        today=day,
        bounds=BOUNDS,
    )
