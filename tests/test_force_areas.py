"""A view of the England build per police force area (geodata.force_areas, sna.config.regions):
generated from the ONS lookup, London merged, every English LSOA in one view, district codes
of 2022 or 2024, shipped TOMLs extending a generated view, and ``sna regions``."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from geodata.force_areas import force_areas, force_slug, slug, street_months
from sna.config.region import force_area_views, load_region
from sna.config.region_list import month_span
from sna.config.regions import generated_ids, region_ids
from sna.errors import ConfigError

#: The force areas with a Home Office-funded VRU (PFA 2024 codes).
VRU_AREAS = {
    "E23000036", "E23000026", "E23000013", "E23000018", "E23000028", "E23000005", "E23000030",
    "E23000012", "E23000032", "E23000003", "E23000021", "E23000001", "E23000004", "E23000007",
    "E23000019", "E23000011", "E23000033", "E23000029", "E23000014", "E23000010",
}  # fmt: skip
#: The councils made in 2023 and their LAD 2022 districts.
MERGED = {
    "E06000063": ["E07000026", "E07000028", "E07000029"],  # Cumberland
    "E06000064": ["E07000027", "E07000030", "E07000031"],  # Westmorland and Furness
    "E06000065": ["E07000163", "E07000164", "E07000165", "E07000166", "E07000167",
                  "E07000168", "E07000169"],  # North Yorkshire
    "E06000066": ["E07000187", "E07000188", "E07000189", "E07000246"],  # Somerset
}  # fmt: skip


# ------------------------------------------------------------------ small fixtures, no bundle


def test_slugs_are_ids_and_police_uk_folder_names():
    assert slug("Devon & Cornwall") == "devon-and-cornwall"
    assert slug("London, City of") == "london-city-of"
    assert force_slug("Avon and Somerset Constabulary") == "avon-and-somerset"
    assert force_slug("Metropolitan Police Service") == "metropolitan"
    assert force_slug("City of London Police") == "city-of-london"


def test_months_are_read_from_file_names(tmp_path: Path):
    for m in ("2022-03", "2022-01", "2022-02"):
        (tmp_path / f"{m}-kent-street.csv.gz").write_bytes(b"")
    (tmp_path / "2022-04-kent-outcomes.csv.gz").write_bytes(b"")  # not a street file
    assert street_months(tmp_path) == ["2022-01", "2022-02", "2022-03"]
    assert month_span(["2022-01", "2022-02", "2022-03"]) == "2022-01..2022-03 (3 months)"
    assert month_span(["2022-05"]) == "2022-05 (1 month)" and month_span([]) == ""


def _mini_bundle(root: Path) -> Path:
    """A lookup of four force areas (London's two, Kent, and one named like a shipped
    region) and street files for the City of London and Kent only."""
    rows = [
        "ltla24_code,ltla24_name,csp24_code,csp24_name,pfa24_code,pfa24_name",
        'E09000001,City of London,E22000001,City,E23000034,"London, City of"',
        "E09000002,Barking and Dagenham,E22000002,Barking,E23000001,Metropolitan Police",
        "E09000003,Barnet,E22000003,Barnet,E23000001,Metropolitan Police",
        "E07000105,Ashford,E22000004,Ashford,E23000032,Kent",
        "E07000105,Ashford,E22000005,Ashford 2,E23000032,Kent",  # one district, two CSPs
        "E08000025,Birmingham,E22000006,Birmingham,E23000014,West Midlands",
        "W06000001,Isle of Anglesey,W22000001,Anglesey,W15000001,North Wales",
    ]
    (root / "lookups").mkdir(parents=True)
    with gzip.open(root / "lookups" / "lookup_ltla24_csp24_pfa24.csv.gz", "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    for force in ("city-of-london", "kent"):
        folder = root / "crime" / "police-uk-2022" / force
        folder.mkdir(parents=True)
        (folder / f"2022-01-{force}-street.csv.gz").write_bytes(b"")
    return root


def test_views_from_a_small_lookup(tmp_path: Path):
    vrus = tmp_path / "vrus.toml"
    vrus.write_text(
        '[E23000001]\nname = "London"\npolice_force = "Metropolitan Police Service"\n'
        'vru = "London Violence Reduction Unit"\n'
        '[E23000034]\njoins = "E23000001"\npolice_force = "City of London Police"\n'
        '[E23000032]\npolice_force = "Kent Police"\nvru = "Kent and Medway VRU"\n'
        '[E23000014]\npolice_force = "West Midlands Police"\n'
    )
    areas = force_areas(_mini_bundle(tmp_path / "b"), taken={"west-midlands"}, vrus=vrus)
    by_id = {a.id: a for a in areas}
    assert sorted(by_id) == ["kent", "london", "west-midlands-view"]  # Wales left out
    london = by_id["london"]
    assert london.pfa_codes == ["E23000001", "E23000034"]
    assert london.districts == ["E09000001", "E09000002", "E09000003"]
    assert london.street_files == []  # the City's files alone do not cover London
    assert london.trend_files == {"city-of-london": ["E09000001"]}  # its trend, the City's
    assert london.region_table()["region"]["trend_files"] == {"city-of-london": ["E09000001"]}
    assert by_id["kent"].trend_files == {} and "trend_files" not in str(
        by_id["kent"].region_table()
    )
    assert by_id["kent"].districts == ["E07000105"] and by_id["kent"].street_files == ["kent"]
    assert by_id["kent"].region_table()["region"]["view_of"] == "england"
    (tmp_path / "short.toml").write_text('[E23000032]\npolice_force = "Kent Police"\n')
    from geodata.errors import InputFileError

    with pytest.raises(InputFileError, match=r"no entry for the force area\(s\) \['E23000001'"):
        force_areas(tmp_path / "b", vrus=tmp_path / "short.toml")


# ------------------------------------------------------------------ the real lookup (slow)


def test_a_generated_view_for_every_english_force_area(shared_data: Path):
    views = force_area_views(shared_data)
    ids = [v.id for v in views]
    assert len(ids) == len(set(ids)) == 38
    assert {"merseyside", "london", "avon-and-somerset", "devon-and-cornwall"} <= set(ids)
    assert {"west-midlands-view", "bedfordshire-view"} <= set(ids)  # shipped regions' ids
    assert all(v.region.view_of == "england" for v in views)
    london = load_region("london")
    assert london.region.pfa_codes == ["E23000001", "E23000034"]
    assert len(london.region.districts) == 33 and "E09000001" in london.region.districts
    assert london.region.vru == "London Violence Reduction Unit"
    with_vru = {c for v in views if v.region.vru for c in v.region.pfa_codes}
    assert with_vru - {"E23000034"} == VRU_AREAS
    with_files = {v.id: v.region.street_files for v in views if v.region.street_files}
    assert len(with_files) == 16  # the 17 forces less the City of London (in London's view)
    assert with_files["merseyside"] == ["merseyside"]
    assert with_files["bedfordshire-view"] == ["bedfordshire"]
    trends = {v.id: v.region.trend_files for v in views if v.region.trend_files}
    assert trends == {"london": {"city-of-london": ["E09000001"]}}
    assert load_region("merseyside").contacts.vru_website == "https://merseysidevrp.com"


def test_police_force_names_are_those_of_the_street_files(shared_data: Path):
    """A view keeps the rows without coordinates of its ``police_force`` (sna.prepare.views): the
    name must be the files' own "Falls within"."""
    for view in force_area_views(shared_data):
        for force in view.region.street_files:
            folder = next(
                p for p in (shared_data / "crime" / "police-uk-2022" / force,
                            shared_data / "crime" / force) if p.is_dir()
            )  # fmt: skip
            first = sorted(folder.glob("*-street.csv.gz"))[0]
            falls = pd.read_csv(first, usecols=["Falls within"], nrows=50)["Falls within"]
            assert set(falls) == {view.region.police_force}, (view.id, first.name)


def test_every_english_lsoa_is_in_exactly_one_view(shared_data: Path):
    lookup = pd.read_csv(
        shared_data / "lookups" / "LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz",
        usecols=["LSOA21CD", "LAD22CD"],
        encoding="utf-8-sig",
    )
    england = lookup[lookup["LSOA21CD"].str.startswith("E")]
    owner = pd.concat(
        [pd.DataFrame({"LAD22CD": v.region.districts, "view": v.id}) for v in force_area_views()]
    )
    assert not owner["LAD22CD"].duplicated().any()
    placed = england.merge(owner, on="LAD22CD", how="left")
    assert len(placed) == 33_755 and placed["view"].notna().all()
    assert set(owner["LAD22CD"]) == set(load_region("england").region.districts)


@pytest.mark.parametrize("view_id", ["avon-and-somerset", "cumbria", "north-yorkshire"])
def test_merged_councils_build_from_2022_or_2024_codes(shared_data: Path, tmp_path, view_id):
    generated = load_region(view_id)
    lad22 = generated.region.districts
    lookup = pd.read_csv(shared_data / "lookups" / "lookup_ltla24_csp24_pfa24.csv.gz")
    pfa = generated.region.pfa_codes[0]
    ltla24 = list(dict.fromkeys(lookup.loc[lookup["pfa24_code"] == pfa, "ltla24_code"]))
    assert set(ltla24) & set(MERGED)  # a council made in 2023 is among today's codes
    loaded = {}
    for vintage, codes in (("2022", lad22), ("2024", ltla24)):
        path = tmp_path / f"{view_id}-{vintage}.toml"
        path.write_text(
            f'[region]\nid = "my-{view_id}"\nname = "x"\nview_of = "england"\n'
            f"districts = {json.dumps(codes)}\n"
        )
        loaded[vintage] = load_region(path).region.districts
    assert sorted(loaded["2022"]) == sorted(loaded["2024"]) == sorted(lad22)
    for new, old in MERGED.items():
        if new in ltla24:
            assert set(old) <= set(loaded["2024"]) and new not in loaded["2024"]


def test_a_code_of_neither_vintage_is_refused(shared_data: Path, tmp_path: Path):
    path = tmp_path / "typo.toml"
    path.write_text(
        '[region]\nid = "typo"\nname = "x"\nview_of = "england"\n'
        'districts = ["E06000066", "E06000099"]\nla_names = ["Somerset", "Nowhere"]\n'
    )
    with pytest.raises(ConfigError, match=r"typo\.toml: region\.districts: \['E06000099'\] are "
                       r"neither LAD 2022 .* nor LTLA 2024"):  # fmt: skip
        load_region(path)
    path.write_text(path.read_text().replace(', "E06000099"', "").replace(', "Nowhere"', ""))
    somerset = load_region(path).region
    assert somerset.districts == MERGED["E06000066"] and somerset.la_names == ["Somerset"] * 4


def test_a_shipped_toml_extends_the_generated_view(shared_data: Path, tmp_path: Path):
    wm = load_region("west-midlands-view")  # geodata/regions/west-midlands-view.toml
    assert wm.path is not None and wm.path.name == "west-midlands-view.toml"
    assert wm.region.pfa_codes == ["E23000014"]  # from the generated view
    assert wm.region.la_names[0] == "Birmingham"  # from the TOML
    directory = tmp_path / "services.csv"
    directory.write_text("name\n")
    mine = tmp_path / "merseyside.toml"
    mine.write_text(
        '[region]\nid = "merseyside"\nview_of = "england"\n'
        'vru = "Merseyside VRP"\n'
        '\n[contacts]\nvru_phone = "0151 000 0000"\n'
        f'\n[services]\npath = "{directory}"\n'
    )
    got, generated = load_region(mine), load_region("merseyside")
    assert got.region.districts == generated.region.districts  # not repeated in the TOML
    assert got.region.street_files == ["merseyside"] and got.region.vru == "Merseyside VRP"
    assert got.contacts.vru_phone == "0151 000 0000"
    assert got.contacts.vru_website == "https://merseysidevrp.com"  # kept, per key
    assert got.services is not None and got.services_path() == directory
    assert got.layers == load_region("england").layers


def test_every_id_resolves_and_an_unknown_one_lists_them(shared_data: Path):
    ids = region_ids()
    assert set(generated_ids()) <= set(ids) and "vrus" not in ids
    assert len(ids) == 41  # 4 shipped, 38 generated, west-midlands-view in both
    with pytest.raises(ConfigError, match=r"region config not found; regions: .*merseyside"):
        load_region("mersey")
    with pytest.raises(ConfigError, match="region config not found"):
        load_region("vrus")


def test_sna_regions_lists_every_view_with_its_data(shared_data: Path, monkeypatch):
    from cli._common import out

    monkeypatch.setattr(out, "width", 200)  # one line per table row
    runner = CliRunner()
    result = runner.invoke(app, ["regions"])
    assert result.exit_code == 0, result.output
    assert "merseyside 2022-01..2022-11 (11 months)" in result.output
    assert "thames-valley 2022-01..2022-11 (6 months)" in result.output
    assert "33: City of London, Barking and Dagenham," in result.output
    assert "41 regions, 38 of them views" in result.output
    rows = {r["id"]: r for r in json.loads(runner.invoke(app, ["regions", "--json"]).output)}
    assert rows["london"]["kind"] == "generated view"
    (city,) = rows["london"]["street_files"]  # the City's files: London's trend there only
    assert city["force"] == "city-of-london" and city["trend_only"] == ["E09000001"]
    assert len(city["months"]) == 10
    assert rows["west-midlands-view"]["kind"] == "generated view + TOML"
    assert rows["bedfordshire"]["street_files"][0]["months"][0] == "2021-05"
    assert rows["north-yorkshire"]["district_names"][:2] == ["York", "Craven"]


def test_a_copy_of_west_midlands_with_avon_and_somersets_codes_of_today(
    shared_data: Path, tmp_path: Path
):
    """The issue's case: a region of its own typed with today's codes (Somerset, E06000066,
    since 2023) used to stop with "match no LSOA in the lookup"."""
    from sna.config.regions import REGIONS_DIR

    today = ["E06000022", "E06000023", "E06000024", "E06000025", "E06000066"]
    text = (REGIONS_DIR / "west-midlands.toml").read_text(encoding="utf-8")
    text = text.replace('id = "west-midlands"', 'id = "avon-and-somerset-own"')
    text = re.sub(r"districts = \[.*\]", f"districts = {json.dumps(today)}", text)
    text = re.sub(r"la_names = \[.*\]\n", "", text)
    path = tmp_path / "avon-and-somerset-own.toml"
    path.write_text(text, encoding="utf-8")
    config = load_region(path)
    assert config.region.districts == today[:4] + MERGED["E06000066"]
    assert sorted(config.region.districts) == sorted(
        load_region("avon-and-somerset").region.districts
    )
