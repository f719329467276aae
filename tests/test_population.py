"""Tests for geodata.population: Census 2021 usual residents by age band."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from geodata.boundaries import read_lsoa21_lookup, region_lsoa21
from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)
from geodata.population import AGE_BANDS, POPULATION_COLUMNS, read_census_population

WM = [f"E080000{i}" for i in range(25, 32)]
FILE = "census21_usual_residents_by_agegroup_lsoa21.csv.gz"
HEADER = "lsoa21_code,lsoa21_name,age_group,usual_residents"


@pytest.fixture(scope="module")
def region_codes(shared_data):
    lookup = read_lsoa21_lookup(shared_data / "lookups" / "LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz")
    return region_lsoa21(lookup.data, WM)["lsoa21_code"].tolist()


@pytest.fixture(scope="module")
def england_wales(shared_data):
    return read_census_population(shared_data / "population" / FILE)


def _lsoa_rows(code="E01000001", name="City of London 001A", counts=(1, 2, 3, 4, 5, 6)):
    return [f"{code},{name},{label},{n}" for label, n in zip(AGE_BANDS, counts, strict=True)]


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_bytes(gzip.compress(("\n".join([header, *rows]) + "\n").encode()))
    return path


# --- real data -----------------------------------------------------------------------------


def test_england_and_wales(england_wales):
    data = england_wales.data
    assert list(data.columns) == ["lsoa21_code", "lsoa21_name", *POPULATION_COLUMNS]
    assert len(data) == 35_672
    assert data["lsoa21_code"].is_unique
    assert england_wales.report.rows_read == 214_032
    assert data["pop_total"].sum() == 59_597_114
    first = data.iloc[0].to_dict()
    assert first == {
        "lsoa21_code": "E01000001",
        "lsoa21_name": "City of London 001A",
        "pop_0_15": 125,
        "pop_16_24": 110,
        "pop_25_34": 291,
        "pop_35_49": 336,
        "pop_50_64": 245,
        "pop_65_plus": 370,
        "pop_total": 1_477,
        "pop_0_24": 235,
    }
    for col in POPULATION_COLUMNS:
        assert str(data[col].dtype) == "int64"
        assert (data[col] >= 0).all()


def test_west_midlands_total(shared_data, region_codes):
    loaded = read_census_population(shared_data / "population" / FILE, lsoa21_codes=region_codes)
    data = loaded.data
    assert len(data) == 1_719
    assert data["pop_total"].sum() == 2_919_651
    assert data["pop_0_24"].sum() == 981_654
    assert data["pop_0_15"].sum() == 618_614
    assert data["pop_65_plus"].sum() == 454_920
    bands = data[list(AGE_BANDS.values())].sum(axis=1)
    assert (bands == data["pop_total"]).all()
    assert (data["pop_0_24"] == data["pop_0_15"] + data["pop_16_24"]).all()
    assert loaded.report.rows_kept == 1_719 * 6
    assert loaded.report.rejected["not among the requested LSOAs"] == (35_672 - 1_719) * 6


# --- crafted bad files ---------------------------------------------------------------------


def test_crafted_ok_with_spaces_and_order(tmp_path):
    rows = _lsoa_rows()[::-1] + _lsoa_rows("E01000002", "City of London 001B", (0,) * 6)
    loaded = read_census_population(_write(tmp_path / "p.csv.gz", rows))
    assert loaded.data["pop_total"].tolist() == [21, 0]
    assert loaded.data["pop_65_plus"].tolist() == [6, 0]


def test_unknown_age_band(tmp_path):
    rows = _lsoa_rows()
    rows[3] = "E01000001,City of London 001A,Aged 35 to 44 years,4"
    with pytest.raises(InvalidValueError) as err:
        read_census_population(_write(tmp_path / "bands.csv.gz", rows))
    msg = str(err.value)
    assert "bands.csv.gz, line 5, column 'age_group'" in msg
    assert "unknown age band 'Aged 35 to 44 years'" in msg


def test_negative_count(tmp_path):
    rows = _lsoa_rows(counts=(1, 2, -3, 4, 5, 6))
    with pytest.raises(InvalidValueError, match=r"line 4, column 'usual_residents'.*'-3'.*>= 0"):
        read_census_population(_write(tmp_path / "neg.csv.gz", rows))


@pytest.mark.parametrize("value", ["12.5", "many", ""], ids=["fraction", "text", "empty"])
def test_non_numeric_count(tmp_path, value):
    rows = _lsoa_rows()
    rows[1] = f"E01000001,City of London 001A,Aged 16 to 24 years,{value}"
    with pytest.raises(InvalidValueError) as err:
        read_census_population(_write(tmp_path / "nn.csv.gz", rows))
    msg = str(err.value)
    assert "nn.csv.gz, line 3, column 'usual_residents'" in msg
    assert ("missing count" if value == "" else f"'{value}' is not a whole number") in msg


def test_duplicate_band(tmp_path):
    rows = [*_lsoa_rows(), _lsoa_rows()[0]]
    with pytest.raises(InvalidValueError, match=r"line 8.*'Aged 15 years and under' more than"):
        read_census_population(_write(tmp_path / "dup.csv.gz", rows))


def test_missing_band(tmp_path):
    rows = _lsoa_rows() + _lsoa_rows("E01000002", "City of London 001B")[:-1]
    with pytest.raises(InvalidValueError, match=r"E01000002 lacks age band\(s\) \['Aged 65"):
        read_census_population(_write(tmp_path / "gap.csv.gz", rows))


def test_bad_code(tmp_path):
    rows = _lsoa_rows(code="E02000001")
    with pytest.raises(InvalidValueError, match=r"line 2, column 'lsoa21_code'.*'E02000001'"):
        read_census_population(_write(tmp_path / "code.csv.gz", rows))


def test_missing_column(tmp_path):
    rows = [r.rsplit(",", 1)[0] for r in _lsoa_rows()]
    path = _write(tmp_path / "cols.csv.gz", rows, header="lsoa21_code,lsoa21_name,age_group")
    with pytest.raises(MissingColumnsError, match=r"cols\.csv\.gz.*\['usual_residents'\]"):
        read_census_population(path)


def test_requested_lsoa_absent(tmp_path):
    path = _write(tmp_path / "p.csv.gz", _lsoa_rows())
    with pytest.raises(InvalidValueError, match=r"1 requested LSOA\(s\).*E01999999"):
        read_census_population(path, lsoa21_codes=["E01000001", "E01999999"])


def test_empty_and_corrupt(tmp_path):
    with pytest.raises(EmptyFileError, match=r"head\.csv\.gz.*no data rows"):
        read_census_population(_write(tmp_path / "head.csv.gz", []))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(EmptyFileError, match=r"empty\.csv: file is empty"):
        read_census_population(empty)
    corrupt = tmp_path / "bad.csv.gz"
    corrupt.write_bytes(gzip.compress(("\n".join(_lsoa_rows() * 20)).encode())[:-12])
    with pytest.raises(CorruptArchiveError, match=r"bad\.csv\.gz: corrupt gzip"):
        read_census_population(corrupt)
