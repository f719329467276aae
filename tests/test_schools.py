"""Schools (GIAS), DfE LA-level exclusions and the pupil-level exclusions partner schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geodata.errors import InvalidValueError, MissingColumnsError
from geodata.gias import read_gias
from geodata.schools import (
    PUPIL_EXCLUSION_COLUMNS,
    exclusion_rates,
    normalise_exclusion_category,
    normalise_exclusion_reason,
    read_la_exclusions,
    read_pupil_exclusions,
)

WM_LAS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
WM_DISTRICTS = [f"E0800002{i}" for i in range(5, 10)] + ["E08000030", "E08000031"]
BEDS = {"Bedford": "E06000055", "Central Bedfordshire": "E06000056", "Luton": "E06000032"}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def gias_path(shared_data: Path) -> Path:
    return shared_data / "schools" / "gias_open_state_and_independent_20250524_england.csv.gz"


@pytest.fixture(scope="module")
def gias(gias_path: Path):
    return read_gias(gias_path)


@pytest.fixture(scope="module")
def lookup(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(
        shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz",
        usecols=["lsoa21_code", "ltla24_code"],
    )


@pytest.fixture(scope="module")
def excl_paths(shared_data: Path) -> tuple[Path, Path]:
    folder = shared_data / "schools" / "exclusions_la"
    return folder / "clean_la_data.csv.gz", folder / "clean_la_exclusions_reasons_data.csv.gz"


@pytest.fixture(scope="module")
def wm_excl(excl_paths):
    return read_la_exclusions(excl_paths[0], la_names=WM_LAS, reasons_path=excl_paths[1])


# ------------------------------------------------------------------------------ GIAS


def test_gias_whole_file(gias):
    d, rep = gias.data, gias.report
    assert rep.rows_read == 27_153 == len(d)
    assert rep.flagged["no coordinates (kept, no geometry)"] == 531
    assert rep.flagged["placeholder coordinates 0,0 (kept, no geometry)"] == 88
    assert int((~d["has_coordinates"]).sum()) == 531 + 88
    assert d.loc[~d["has_coordinates"], "geometry"].isna().all()
    assert d.crs.to_epsg() == 27700
    assert d["urn"].dtype == "int64" and d["urn"].iloc[0] == 100000
    assert d["number_of_pupils"].dtype == "Int64"
    assert d["lsoa_code"].dropna().str.match(r"^[EWS]01\d{6}$").all()  # placeholders nulled
    first = d.iloc[0]
    assert first["establishment_name"] == "The Aldgate School"
    assert (first.geometry.x, first.geometry.y) == (533498.0, 181201.0)


def test_gias_filters(gias_path, lookup):
    brum = read_gias(gias_path, la_names=["Birmingham"])
    assert len(brum.data) == 512
    assert set(brum.data["la_code"]) == {"330"}
    beds = read_gias(gias_path, districts=list(BEDS.values()), lsoa_lookup=lookup)
    d = beds.data
    assert set(d["district_code"]) == set(BEDS.values())
    by_la = read_gias(gias_path, la_names=list(BEDS))
    # schools placed by LSOA and schools run by the LA nearly coincide
    assert abs(len(d) - len(by_la.data)) <= 5
    assert beds.report.rejected["outside the requested districts"] == 27_153 - len(d)


def test_gias_bad_filters(gias_path):
    with pytest.raises(ValueError, match="Birmingam") as exc:
        read_gias(gias_path, la_names=["Birmingam"])
    assert "Birmingham" in str(exc.value)  # the closest name is suggested
    with pytest.raises(ValueError, match="needs lsoa_lookup"):
        read_gias(gias_path, districts=["E08000025"])


def test_gias_crafted_errors(tmp_path):
    header = (
        "urn,la_code,la_name,establishment_name,establishment_type,establishment_type_group,"
        "education_phase,number_of_pupils,percentage_fsm,easting,northing,lsoa_code,"
        "longitude,latitude"
    )
    row = "100000.0,201,City,School,T,G,Primary,244.0,21.7,533498.0,181201.0,E01032739,-0.07,51.5"
    f = _write(tmp_path / "gias.csv", [header.replace(",lsoa_code", ",lsoa"), row])
    with pytest.raises(
        MissingColumnsError, match=r"gias\.csv: missing column\(s\) \['lsoa_code'\]"
    ):
        read_gias(f)
    f = _write(tmp_path / "gias2.csv", [header, row, row.replace("100000.0", "URN?")])
    with pytest.raises(InvalidValueError, match=r"gias2\.csv, line 3, column 'urn'"):
        read_gias(f)
    f = _write(tmp_path / "gias3.csv", [header, row.replace("533498.0", "east")])
    with pytest.raises(InvalidValueError, match=r"line 2, column 'easting': 'east' is not"):
        read_gias(f)


# ------------------------------------------------------------------------------ LA exclusions


def test_la_exclusions_whole_file(excl_paths):
    out = read_la_exclusions(excl_paths[0])
    d, rep = out.data, out.report
    assert rep.rows_read == 7122
    assert dict(rep.rejected) == {"no area name (NULL)": 2}
    assert rep.flagged["suppressed or unavailable perm_excl (set to NaN)"] == 858
    # 855 'x' and 18 '.' in the file, less the two rejected NULL rows (both '.')
    assert rep.flagged["suppressed or unavailable perm_excl_rate (set to NaN)"] == 855 + 18 - 2
    eng = d[(d["la_name"] == "England") & (d["year"] == "201617") & (d["school_type"] == "Total")]
    assert eng["perm_excl"].item() == 7720 and eng["headcount"].item() == 8_025_075
    assert eng["academic_year"].item() == "2016/17"
    assert d["year"].str.fullmatch(r"\d{6}").all()


def test_la_exclusions_with_reasons(wm_excl):
    d, rep = wm_excl.data, wm_excl.report
    assert set(d["la_name"]) == set(WM_LAS)
    assert set(d["level"]) == {"Local authority"}
    assert len(d) == 7 * 11 * 4  # 7 LAs, 11 years, 4 school types
    brum = d[(d["la_name"] == "Birmingham") & (d["year"] == "201617")].set_index("school_type")
    assert brum.loc["Total", "perm_excl"] == 256 and brum.loc["Total", "headcount"] == 198_136
    assert brum.loc["Total", "perm_physical_pupils"] == 35
    assert brum.loc["Secondary", "fixed_physical_adult"] == 167  # 'State-funded secondary'
    assert pd.isna(brum.loc["Primary", "perm_sexual_misconduct"])  # 'x' in the file
    assert rep.flagged["suppressed or unavailable perm_excl (set to NaN)"] == int(
        d["perm_excl"].isna().sum()
    )


def test_exclusion_rates(wm_excl):
    rates = exclusion_rates(wm_excl.data, dict(zip(WM_LAS, WM_DISTRICTS, strict=True)))
    assert list(rates["district_code"]) == WM_DISTRICTS
    brum = rates.iloc[0]
    assert brum["perm_rate"] == pytest.approx(256 / 198_136)
    assert brum["fixed_rate"] == pytest.approx(8503 / 198_136)
    assert rates["fixed_rate"].between(0.03, 0.07).all()
    with pytest.raises(ValueError, match="no Total exclusions row for 'Luton'"):
        exclusion_rates(wm_excl.data, {"Luton": "E06000032"})


def test_la_exclusions_crafted_errors(tmp_path, excl_paths):
    head = (
        "year,level,la_name,school_type,num_schools,headcount,perm_excl,perm_excl_rate,"
        "fixed_excl,fixed_excl_rate"
    )
    f = _write(tmp_path / "la.csv", [head, "201617,Local authority,A,Total,1,100,x,x,3,3"])
    assert read_la_exclusions(f).data["perm_excl"].isna().all()
    f = _write(tmp_path / "la2.csv", [head, "201617,Local authority,A,Total,1,100,two,x,3,3"])
    with pytest.raises(InvalidValueError) as exc:
        read_la_exclusions(f)
    assert "la2.csv, line 2, column 'perm_excl': 'two' is neither a number" in str(exc.value)
    f = _write(tmp_path / "la3.csv", [head, "2016/17,Local authority,A,Total,1,100,1,1,3,3"])
    with pytest.raises(InvalidValueError, match=r"la3\.csv, line 2, column 'year'"):
        read_la_exclusions(f)
    f = _write(tmp_path / "la4.csv", [head.replace(",headcount", ""), "201617,L,A,Total,1,1,1,3,3"])
    with pytest.raises(MissingColumnsError, match=r"la4\.csv.*\['headcount'\]"):
        read_la_exclusions(f)
    with pytest.raises(ValueError, match="Brum"):
        read_la_exclusions(excl_paths[0], la_names=["Brum"])


# ------------------------------------------------------------------------------ pupil extract


def test_category_and_reason_spellings():
    for text in ("Permanent exclusion", "PERMANENT", "perm", "Permanently excluded"):
        assert normalise_exclusion_category(text) == "permanent"
    for text in ("Fixed period", "Fixed-period exclusion", "Suspension", "fixed_term", "FTE"):
        assert normalise_exclusion_category(text) == "suspension"
    assert normalise_exclusion_category("Internal exclusion") is None
    assert normalise_exclusion_reason("PP") == "Physical assault against a pupil"
    assert normalise_exclusion_reason("physical assault against an ADULT") == (
        "Physical assault against an adult"
    )
    assert normalise_exclusion_reason("Being late") is None


PUPIL_HEADER = ",".join(PUPIL_EXCLUSION_COLUMNS)


def test_pupil_reader(tmp_path):
    rows = [
        "P1,B1 1AA,,2017-01-10,Fixed period,PP,13,103000",
        "P2,,E01009275,2017-01-11,Permanent exclusion,Physical assault against an adult,15,",
        "P3,b11aa,E01009275,2017-01-12,suspension,Persistent disruptive behaviour,40,103000.0",
        "P4,B1 1AA,,2017-01-13,permanent,Being late,12,",
        "P5,,,2017-01-13,permanent,PP,12,",  # no location
        "P6,B1 1AA,,2017-02-29,permanent,PP,12,",  # not a day
        "P7,B1 1AA,,13/01/2017,permanent,PP,12,",  # not ISO
        "P8,B1 1AA,,2017-01-13,Internal exclusion,PP,12,",
        "P1,B1 1AA,,2017-01-13,permanent,PP,12,",  # repeated record_id
    ]
    out = read_pupil_exclusions(_write(tmp_path / "excl.csv", [PUPIL_HEADER, *rows]))
    d, rep = out.data, out.report
    assert d["record_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert d["category"].tolist() == ["suspension", "permanent", "suspension", "permanent"]
    assert d["reason"].tolist() == [
        "Physical assault against a pupil",
        "Physical assault against an adult",
        "Persistent disruptive behaviour",
        "Being late",
    ]
    assert d["reason_recognised"].tolist() == [True, True, True, False]
    assert d["home_postcode"].iloc[2] == "B1 1AA"
    assert d["age"].tolist()[:2] == [13, 15] and pd.isna(d["age"].iloc[2])  # 40 is blanked
    assert d["school_urn"].iloc[2] == "103000"
    assert dict(rep.rejected) == {
        "no valid home postcode or LSOA": 1,
        "invalid date": 2,
        "unknown category": 1,
        "duplicate record_id": 1,
    }
    assert rep.flagged["age not a whole number in 2-25 (blanked)"] == 1
    assert rep.flagged["reason not a recognised DfE code or label (kept as given)"] == 1
    assert d.attrs["synthetic"] is False


def test_pupil_reader_missing_columns(tmp_path):
    f = _write(
        tmp_path / "nocat.csv", ["record_id,home_lsoa,date,reason", "A,E01009275,2017-01-01,PP"]
    )
    with pytest.raises(
        MissingColumnsError, match=r"nocat\.csv: missing column\(s\) \['category'\]"
    ):
        read_pupil_exclusions(f)
    f = _write(tmp_path / "noplace.csv", ["record_id,date,category,reason", "A,2017-01-01,p,PP"])
    with pytest.raises(MissingColumnsError) as exc:
        read_pupil_exclusions(f)
    assert "noplace.csv" in str(exc.value) and "['home_postcode', 'home_lsoa']" in str(exc.value)
    f = tmp_path / "pupils.xls"
    f.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidValueError, match=r"pupils\.xls: pupil exclusions must be a CSV"):
        read_pupil_exclusions(f)


def test_reorganised_authorities_map_to_the_exclusions_file_names():
    from geodata.schools import dfe_authority_names

    assert dfe_authority_names("Bournemouth, Christchurch and Poole") == ("Bournemouth", "Poole")
    assert dfe_authority_names("Cumberland") == ("Cumbria",)
    assert dfe_authority_names("Kingston upon Hull, City of") == ("Kingston upon Hull City of",)
    assert dfe_authority_names("Birmingham") == ("Birmingham",)


def test_suppressed_exclusion_counts_raise_or_are_skipped():
    import pandas as pd

    from geodata.schools import exclusion_rates

    frame = pd.DataFrame(
        {
            "year": ["201617"] * 2,
            "level": ["Local authority"] * 2,
            "la_name": ["A", "B"],
            "school_type": ["Total"] * 2,
            "headcount": [1000.0, 500.0],
            "perm_excl": [2.0, None],
            "fixed_excl": [30.0, None],
        }
    )
    with pytest.raises(ValueError, match="'B' in 201617 are suppressed"):
        exclusion_rates(frame, [("A", "E1"), ("B", "E2")])
    got = exclusion_rates(frame, [("A", "E1"), ("B", "E2")], suppressed="skip")
    assert got["la_name"].tolist() == ["A"] and got["perm_rate"].iloc[0] == pytest.approx(0.002)
