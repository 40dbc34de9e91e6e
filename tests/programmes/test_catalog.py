"""The programmes' catalog: the shipped files load, and each kind of malformed file is refused with one line
naming the file and the key (at start-up too)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from storage.indicators import INDICATORS
from storage.programmes import catalog
from storage.programmes.catalog import CatalogError, load_catalog, read_programme, shipped
from storage.text import fold

GOOD = """\
id = "gia_dinh_so"
entered_by = "village"

[name]
vi = "Gia đình số"
en = "Digital family"

[counted]
unit = "households"
vi = "Hộ có người đã học kỹ năng số"
en = "Households with a member who learned"

[denominator]
source = "village_households"
vi = "Số hộ của thôn"
en = "Households of the village"

[target]
rule = "percent"
percent = 100

[words]
vi = ["gia đình số", "hộ gia đình số"]
"""


def write(folder: Path, text: str, name: str = "gia_dinh_so") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str, name: str = "gia_dinh_so") -> str:
    folder = tmp_path / "programmes"
    write(folder, text, name)
    with pytest.raises(CatalogError) as refused:
        load_catalog(folder)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"programmes/{name}.toml: "), message
    return message


def test_the_shipped_catalog_loads_with_unique_ids_and_words() -> None:
    shipped_catalog = shipped()
    assert shipped_catalog.ids == tuple(sorted(shipped_catalog.ids))
    assert set(shipped_catalog.ids) == {
        "dai_su_so",
        "gia_dinh_so",
        "cho_so_4t",
        "moi_cong_dan_mot_dinh_danh_so",
        "dang_vien_so",
        "cho_khong_tien_mat",
        "vneid_muc_2",
    }
    words = [fold(w) for p in shipped_catalog for w in p.words]
    assert len(words) == len(set(words))
    files = sorted(p.stem for p in catalog.FOLDER.glob("*.toml"))
    assert list(shipped_catalog.ids) == files


def test_the_shipped_programmes_say_what_the_plans_say() -> None:
    programmes = shipped()
    mentors = programmes.get("dai_su_so")
    assert mentors is not None and mentors.target.rule == "per_mentor" and mentors.target.mentees == 5
    assert [m.unit for m in mentors.also_counted] == ["mentors"]
    family = programmes.get("gia_dinh_so")
    assert family is not None and family.target.percent == 100 and family.unit == "households"
    assert family.denominator is not None and family.denominator.source == "village_households"
    market = programmes.get("cho_so_4t")
    assert market is not None and market.unit == "traders" and [m.unit for m in market.also_counted] == ["markets"]
    identity = programmes.get("moi_cong_dan_mot_dinh_danh_so")
    assert identity is not None and identity.target.rule == "percent" and identity.target.percent == 100
    level_two = programmes.get("vneid_muc_2")
    assert level_two is not None and level_two.indicator == "vneid_level2_activated" in INDICATORS
    assert level_two.target.percent is None  # the plan gives no figure: none is invented
    cashless = programmes.get("cho_khong_tien_mat")
    assert cashless is not None and cashless.unit == "markets" and cashless.entered_by == "commune"
    assert programmes.by_word()["ho gia dinh so"] == "gia_dinh_so"
    assert family.name("en") == "Digital family" and family.name("vi") == "Gia đình số"


def test_a_good_file_loads(tmp_path: Path) -> None:
    programme = read_programme(write(tmp_path / "programmes", GOOD))
    assert programme.id == "gia_dinh_so" and programme.words == ("gia đình số", "hộ gia đình số")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("percent = 100", "percent = 120"), "target.percent must be a number between 0 and 100"),
        (GOOD.replace("percent = 100", 'percent = "all"'), "target.percent must be a number between 0 and 100"),
        (GOOD.replace("percent = 100", "percent = true"), "target.percent must be a number between 0 and 100"),
        (GOOD.replace('rule = "percent"', 'rule = "most"'), "target.rule must be one of percent, count, per_mentor"),
        (GOOD.replace('unit = "households"', 'unit = "goats"'), "counted.unit must be one of people, households"),
        (GOOD.replace('en = "Digital family"\n', ""), "name.en must be a non-empty text (missing)"),
        (GOOD.replace('vi = "Gia đình số"', 'vi = ""'), "name.vi must be a non-empty text"),
        (GOOD.replace('id = "gia_dinh_so"', 'id = "gia_dinh_khac"'), "id must be the file's name (gia_dinh_so)"),
        (GOOD.replace('entered_by = "village"', 'entered_by = "everyone"'), "entered_by must be one of village"),
        (GOOD.replace('entered_by = "village"\n', ""), "entered_by must be one of village, commune, both"),
        (GOOD.replace('vi = ["gia đình số", "hộ gia đình số"]', "vi = []"), "words.vi must be a non-empty list"),
        (GOOD.replace('"hộ gia đình số"]', '"Gia Dinh So"]'), "words.vi names «Gia Dinh So» twice"),
        (GOOD.replace('source = "village_households"', 'source = "guess"'), "denominator.source must be one of"),
        (GOOD + 'colour = "blue"\n', "colour is not a known key"),
        (GOOD.replace("percent = 100", "percent = 100\nmentees = 5"), "target.mentees is not a known key"),
        (GOOD.replace('rule = "percent"\npercent = 100', 'rule = "per_mentor"'), "target.mentees must be a whole"),
        (GOOD.replace("[target]", "[targets]"), "targets is not a known key"),
        (GOOD.replace("[denominator]", "[denominator_]"), "denominator_ is not a known key"),
        (GOOD.replace('entered_by = "village"', 'entered_by = "village"\nindicator = "nope"'), "indicator must be"),
        (
            GOOD.replace('[name]\nvi = "Gia đình số"\nen = "Digital family"', 'name = "Gia đình số"'),
            "name must be a table",
        ),
        (GOOD.replace("[name]", "[name"), "(the whole file) is not valid TOML"),
    ],
)
def test_each_kind_of_malformed_file_is_named_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refusal(tmp_path, text)


def test_a_percent_rule_needs_a_denominator(tmp_path: Path) -> None:
    without = re.sub(r"\[denominator\]\n(.*\n){3}", "", GOOD)
    assert "target.rule percent needs a [denominator] table" in refusal(tmp_path, without)


def test_a_word_of_two_programmes_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "programmes"
    write(folder, GOOD)
    other = GOOD.replace("gia_dinh_so", "gia_dinh_so_2").replace('"gia đình số", ', "")
    write(folder, other, "gia_dinh_so_2")
    with pytest.raises(CatalogError) as refused:
        load_catalog(folder)
    assert (
        str(refused.value)
        == "programmes/gia_dinh_so_2.toml: words.vi «hộ gia đình số» is already a word of gia_dinh_so"
    )


def test_a_malformed_catalog_stops_a_command_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "programmes"
    shutil.copytree(catalog.FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / "gia_dinh_so.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("percent = 100", "percent = 150"), encoding="utf-8")
    monkeypatch.setattr(catalog, "FOLDER", folder)
    monkeypatch.setenv("BDHVS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    shipped.cache_clear()
    try:
        for argv in (["programme", "list", "--province", "42"], ["run"]):
            assert main(argv) == 2
            err = capsys.readouterr().err
            line = "programmes/gia_dinh_so.toml: target.percent must be a number between 0 and 100"
            assert err.splitlines() == [f"Programme catalog error: {line}"]
    finally:
        shipped.cache_clear()
