"""The names the one-line reader matches a message against: a commune's villages, as `villages_of` has them."""

from __future__ import annotations

import datetime as dt

from storage.areas import add_villages, village_names, villages_of
from storage.db import Database

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
SON_KIM_1, SON_KIM_2 = 18196, 18199


def test_a_communes_village_names_in_the_order_they_were_added(database: Database) -> None:
    with database.session() as session:
        add_villages(session, SON_KIM_1, ["Thôn 2", "Bản Nà Sang", "Thôn 1"], now=NOW, actor_id=None)
        add_villages(session, SON_KIM_2, ["Thôn 9"], now=NOW, actor_id=None)
        add_villages(session, SON_KIM_1, ["Tổ dân phố 5"], now=NOW, actor_id=None)
    with database.session() as session:
        assert village_names(session, SON_KIM_1) == ["Thôn 2", "Bản Nà Sang", "Thôn 1", "Tổ dân phố 5"]
        assert village_names(session, SON_KIM_1) == [village.name for village in villages_of(session, SON_KIM_1)]
        assert village_names(session, SON_KIM_2) == ["Thôn 9"]
        assert village_names(session, 99999) == []
