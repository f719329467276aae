"""Tests for geodata.deprivation: IoD2025 and IoD2019 on the real files and crafted bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.boundaries import read_lsoa21_lookup, region_lsoa21
from geodata.deprivation import (
    CRIME_RATE_COLUMNS,
    DOMAINS,
    SUBDOMAINS,
    iod_column_catalogue,
    read_iod2019,
    read_iod2025,
)
from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)

WM = [f"E080000{i}" for i in range(25, 32)]
F1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
F2 = "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
F6 = "File_6_-_IoD2019_Population_Denominators.csv.gz"


@pytest.fixture(scope="module")
def d25(shared_data) -> Path:
    return shared_data / "deprivation" / "iod2025"


@pytest.fixture(scope="module")
def d19(shared_data) -> Path:
    return shared_data / "deprivation" / "iod2019"


@pytest.fixture(scope="module")
def iod25(d25):
    return read_iod2025(
        d25 / "imd2025_england_lsoa21.csv.gz",
        d25 / "imd2025_england_lsoa21_indicators.csv.gz",
        d25 / "imd2025_england_lsoa21_subdomains.csv.gz",
    )


@pytest.fixture(scope="module")
def iod19(d19):
    return read_iod2019(
        file1=d19 / F1,
        file2=d19 / F2,
        file6=d19 / F6,
        ranks=d19 / "imd2019_england_lsoa11.csv.gz",
        indicators=d19 / "imd2019_england_lsoa11_indicators.csv.gz",
        subdomains=d19 / "imd2019_england_lsoa11_subdomains.csv.gz",
    )


def _head(path: Path, n: int) -> list[str]:
    """Header plus the first ``n`` data lines of a real gzip CSV (BOM removed)."""
    with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
        return [next(fh).rstrip("\n") for _ in range(n + 1)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))
    return path


def _edit(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """Set one cell of a simple CSV (no quoted commas) given as lines; row is 1-based."""
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    out = list(lines)
    out[row] = ",".join(cells)
    return out


# --- IoD2025, real -------------------------------------------------------------------------


def test_iod2025_real_shape_and_names(iod25):
    data = iod25.data
    assert len(data) == 33_755
    assert data["lsoa21_code"].is_unique
    for key in DOMAINS:
        for kind in ("score", "rank", "decile"):
            assert f"{key}_{kind}" in data.columns
    for short in CRIME_RATE_COLUMNS.values():
        assert short in data.columns
        assert (data[short] >= 0).all()
    for key in SUBDOMAINS:
        assert f"{key}_score" in data.columns
    assert "mental_health_indicator" in data.columns  # other indicators are kept
    assert data["imd_rank"].dtype == np.int64
    assert data["imd_rank"].min() == 1 and data["imd_rank"].max() == 33_755
    assert iod25.report.rows_kept == 33_755
    assert not iod25.report.rejected and not iod25.report.flagged


def test_iod2025_real_values(iod25):
    row = iod25.data.set_index("lsoa21_code").loc["E01000001"]
    assert row["imd_score"] == pytest.approx(8.742)
    assert row["imd_rank"] == 26_525
    assert row["imd_decile"] == 8
    assert row["environment_rank"] == 244
    assert row["crime_violence_with_injury_rate"] == pytest.approx(0.4)
    assert row["crime_asb_rate"] == pytest.approx(2.2)
    assert row["children_and_young_people_score"] == pytest.approx(-2.902)
    # rank 1 = most deprived = highest score
    top = iod25.data.loc[iod25.data["imd_rank"] == 1, "imd_score"].iloc[0]
    assert top == iod25.data["imd_score"].max()


def test_iod2025_west_midlands(iod25, shared_data):
    lookup = read_lsoa21_lookup(shared_data / "lookups" / "LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz")
    region = region_lsoa21(lookup.data, WM)
    wm = iod25.data[iod25.data["lsoa21_code"].isin(region["lsoa21_code"])]
    assert len(wm) == 1_719
    assert (wm["imd_decile"] == 1).sum() == 466
    assert wm["crime_violence_with_injury_rate"].median() == pytest.approx(8.3)


def test_iod2025_scores_only(d25):
    loaded = read_iod2025(d25 / "imd2025_england_lsoa21.csv.gz")
    assert loaded.data.shape == (33_755, 25)


# --- IoD2019, real -------------------------------------------------------------------------


def test_iod2019_real_all_files(iod19):
    data = iod19.data
    assert len(data) == 32_844
    assert list(data.columns[:4]) == ["lsoa11_code", "lsoa11_name", "lad19_code", "lad19_name"]
    for key in DOMAINS:
        assert f"{key}_rank" in data.columns and f"{key}_decile" in data.columns
    for col in ("pop_total_2015", "pop_0_15_2015", "pop_16_59_2015", "pop_60_plus_2015"):
        assert data[col].dtype == np.int64
    assert "pop_working_age_2015" in data.columns
    assert "children_and_young_people_rank" in data.columns
    assert "air_quality_indicator" in data.columns
    row = data.set_index("lsoa11_code").loc["E01000001"]
    assert row["imd_rank"] == 29_199  # published as "29,199"
    assert row["pop_total_2015"] == 1_296  # published as "1,296"
    assert row["housing_and_services_rank"] == 7_319
    assert (
        data["pop_0_15_2015"] + data["pop_16_59_2015"] + data["pop_60_plus_2015"]
        == data["pop_total_2015"]
    ).all()
    assert not iod19.report.flagged


def test_iod2019_west_midlands(iod19, shared_data):
    lsoa11 = gpd.read_file(
        shared_data / "boundaries" / "lsoa11_west_midlands.gpkg", columns=["lsoa11_code"]
    )
    wm = iod19.data[iod19.data["lsoa11_code"].isin(lsoa11["lsoa11_code"])]
    assert len(wm) == 1_680
    assert wm["pop_total_2015"].sum() == 2_833_845
    assert (wm["imd_decile"] == 1).sum() == 444


def test_iod2019_file1_alone(d19):
    loaded = read_iod2019(file1=d19 / F1)
    assert list(loaded.data.columns) == [
        "lsoa11_code",
        "lsoa11_name",
        "lad19_code",
        "lad19_name",
        "imd_rank",
        "imd_decile",
    ]
    ranks = loaded.data["imd_rank"]
    assert ranks.min() == 1 and ranks.max() == 32_844
    assert ranks.nunique() > 32_800  # a few ties, as published


# --- catalogue -----------------------------------------------------------------------------


def test_catalogue_matches_loaders(iod25, iod19):
    cat = iod_column_catalogue()
    assert cat["column"].is_unique
    for col in cat.loc[cat["vintages"].str.contains("2025"), "column"]:
        assert col in iod25.data.columns, col
    for col in cat.loc[cat["vintages"].str.contains("2019"), "column"]:
        assert col in iod19.data.columns, col
    by = cat.set_index("column")
    assert by.loc["imd_score", "direction"] == "higher = more deprived"
    assert by.loc["imd_rank", "direction"] == "higher = less deprived"
    assert by.loc["imd_decile", "higher_is_more_deprived"] == False  # noqa: E712
    assert by.loc["crime_burglary_rate", "higher_is_more_deprived"]
    assert "properties" in by.loc["crime_burglary_rate", "title"]
    assert by.loc["pop_total_2015", "higher_is_more_deprived"] is None


def test_catalogue_directions_agree_with_data(iod25):
    """A 'more deprived' column correlates positively with the IMD score."""
    cat = iod_column_catalogue().set_index("column")
    data = iod25.data
    for col in ("imd_rank", "imd_decile", "income_score", "crime_score", "crime_theft_rate"):
        rho = data[col].rank().corr(data["imd_score"].rank())
        assert (rho > 0) == bool(cat.loc[col, "higher_is_more_deprived"]), col


# --- IoD2025, crafted bad files ------------------------------------------------------------


@pytest.fixture()
def scores_lines(d25):
    return _head(d25 / "imd2025_england_lsoa21.csv.gz", 5)


def test_iod2025_missing_column(tmp_path, scores_lines):
    frame = pd.DataFrame(
        [r.split(",") for r in scores_lines[1:]], columns=scores_lines[0].split(",")
    )
    path = tmp_path / "scores.csv"
    frame.drop(columns="Crime_rank").to_csv(path, index=False)
    with pytest.raises(
        MissingColumnsError, match=r"scores\.csv: missing column\(s\) \['Crime_rank'\]"
    ):
        read_iod2025(path)


def test_iod2025_non_numeric(tmp_path, scores_lines):
    path = _write(tmp_path / "scores.csv.gz", _edit(scores_lines, 2, "Income_score", "n/a"))
    with pytest.raises(InvalidValueError) as err:
        read_iod2025(path)
    assert str(err.value).endswith(
        "scores.csv.gz, line 3, column 'Income_score': 'n/a' is not a number"
    )


def test_iod2025_rank_out_of_range(tmp_path, scores_lines):
    path = _write(tmp_path / "scores.csv.gz", _edit(scores_lines, 3, "IMD_rank", "40000"))
    with pytest.raises(InvalidValueError, match=r"line 4, column 'IMD_rank'.*1\.\.33,755"):
        read_iod2025(path)


def test_iod2025_decile_out_of_range(tmp_path, scores_lines):
    path = _write(tmp_path / "scores.csv.gz", _edit(scores_lines, 1, "Crime_decile", "11"))
    with pytest.raises(InvalidValueError, match=r"line 2, column 'Crime_decile'.*1\.\.10"):
        read_iod2025(path)


def test_iod2025_reversed_ranks(tmp_path, scores_lines):
    header = scores_lines[0].split(",")
    rows = [line.split(",") for line in scores_lines[1:]]
    frame = pd.DataFrame(rows, columns=header)
    # rank 1 given to the *lowest* IMD score: ranks rise with scores
    order = frame["IMD_score"].astype(float).rank(method="first").astype(int)
    frame["IMD_rank"] = order.astype(str)
    frame["IMD_decile"] = "1"
    path = tmp_path / "reversed.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InvalidValueError, match=r"reversed\.csv, column 'IMD_rank': ranks rise"):
        read_iod2025(path)


def test_iod2025_deciles_against_ranks(tmp_path, scores_lines):
    lines = _edit(scores_lines, 1, "IMD_decile", "10")  # rank 26,525 in decile 10 ...
    lines = _edit(lines, 2, "IMD_decile", "1")  # ... and rank 31,203 in decile 1
    path = _write(tmp_path / "deciles.csv.gz", lines)
    with pytest.raises(InvalidValueError, match=r"column 'IMD_decile': decile falls"):
        read_iod2025(path)


def test_iod2025_bad_and_duplicate_code(tmp_path, scores_lines):
    path = _write(tmp_path / "bad.csv.gz", _edit(scores_lines, 4, "lsoa21_code", "W01000001"))
    with pytest.raises(InvalidValueError, match=r"line 5, column 'lsoa21_code'.*'W01000001'"):
        read_iod2025(path)
    dup = [*scores_lines, scores_lines[1]]
    path = _write(tmp_path / "dup.csv.gz", dup)
    with pytest.raises(InvalidValueError, match=r"dup\.csv\.gz, line 7.*E01000001.*more than once"):
        read_iod2025(path)


def test_iod2025_indicators_missing_crime_column(tmp_path, d25, scores_lines):
    scores = _write(tmp_path / "scores.csv.gz", scores_lines)
    lines = _head(d25 / "imd2025_england_lsoa21_indicators.csv.gz", 5)
    header = lines[0].replace("anti_social_behaviour_rate_per_1_000_at_risk_population", "asb_rate")
    ind = _write(tmp_path / "ind.csv.gz", [header, *lines[1:]])
    with pytest.raises(MissingColumnsError) as err:
        read_iod2025(scores, ind)
    assert "ind.csv.gz" in str(err.value)
    assert "anti_social_behaviour_rate_per_1_000_at_risk_population" in str(err.value)


def test_iod2025_indicators_negative_rate_and_text(tmp_path, d25, scores_lines):
    scores = _write(tmp_path / "scores.csv.gz", scores_lines)
    lines = _head(d25 / "imd2025_england_lsoa21_indicators.csv.gz", 5)
    col = "burglary_rate_per_1_000_at_risk_properties"
    ind = _write(tmp_path / "ind.csv.gz", _edit(lines, 2, col, "-1.5"))
    with pytest.raises(InvalidValueError, match=rf"line 3, column '{col}'.*cannot be negative"):
        read_iod2025(scores, ind)
    ind = _write(tmp_path / "ind2.csv.gz", _edit(lines, 5, "patient_to_gp_ratio", "many"))
    with pytest.raises(InvalidValueError, match=r"ind2\.csv\.gz, line 6, column 'patient_to_gp"):
        read_iod2025(scores, ind)


def test_iod2025_indicators_partial_coverage(tmp_path, d25, scores_lines):
    scores = _write(tmp_path / "scores.csv.gz", scores_lines)
    lines = _head(d25 / "imd2025_england_lsoa21_indicators.csv.gz", 6)
    ind = _write(tmp_path / "ind.csv.gz", [lines[0], *lines[2:]])  # drops E01000001, adds #6
    loaded = read_iod2025(scores, ind)
    assert len(loaded.data) == 5
    assert np.isnan(loaded.data.loc[0, "crime_theft_rate"])
    assert loaded.report.flagged == {"LSOA missing from ind.csv.gz": 1}
    assert loaded.report.rejected == {"LSOA not in scores.csv.gz": 1}


def test_iod2025_subdomains_rank_check(tmp_path, d25, scores_lines):
    scores = _write(tmp_path / "scores.csv.gz", scores_lines)
    lines = _head(d25 / "imd2025_england_lsoa21_subdomains.csv.gz", 5)
    sub = _write(tmp_path / "sub.csv.gz", _edit(lines, 1, "indoors_rank", "0"))
    with pytest.raises(InvalidValueError, match=r"sub\.csv\.gz, line 2, column 'indoors_rank'"):
        read_iod2025(scores, subdomains_path=sub)


def test_iod2025_empty_and_corrupt(tmp_path, scores_lines):
    header_only = _write(tmp_path / "header.csv.gz", scores_lines[:1])
    with pytest.raises(EmptyFileError, match=r"header\.csv\.gz.*no data rows"):
        read_iod2025(header_only)
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress("\n".join(scores_lines).encode())[:60])
    with pytest.raises(CorruptArchiveError, match=r"corrupt\.csv\.gz: corrupt gzip"):
        read_iod2025(corrupt)


# --- IoD2019, crafted bad files ------------------------------------------------------------


def test_iod2019_thousands_separator_and_bad_number(tmp_path, d19):
    lines = _head(d19 / F1, 3)
    assert '"29,199"' in lines[1]
    ok = read_iod2019(file1=_write(tmp_path / "f1.csv.gz", lines))
    assert ok.data["imd_rank"].tolist()[0] == 29_199
    bad = [lines[0], lines[1].replace('"29,199"', '"29,19x"'), *lines[2:]]
    with pytest.raises(InvalidValueError) as err:
        read_iod2019(file1=_write(tmp_path / "f1bad.csv.gz", bad))
    msg = str(err.value)
    assert "f1bad.csv.gz, line 2" in msg
    assert "'Index of Multiple Deprivation (IMD) Rank'" in msg
    assert "'29,19x' is not a number" in msg


def test_iod2019_file2_missing_domain(tmp_path, d19):
    frame = pd.read_csv(d19 / F2, nrows=5, dtype=str, encoding="utf-8-sig")
    path = tmp_path / "f2.csv"
    frame.drop(columns=[c for c in frame.columns if c.startswith("Crime Rank")]).to_csv(
        path, index=False
    )
    with pytest.raises(
        MissingColumnsError, match=r"f2\.csv: missing column\(s\) for \['crime_rank'\]"
    ):
        read_iod2019(file2=path)


def test_iod2019_file6_negative_population(tmp_path, d19):
    frame = pd.read_csv(d19 / F6, nrows=4, dtype=str, encoding="utf-8-sig")
    col = "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"
    frame.loc[2, col] = "-3"
    path = tmp_path / "f6.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InvalidValueError) as err:
        read_iod2019(file6=path)
    assert f"f6.csv, line 4, column '{col}': population must be a whole number" in str(err.value)


def test_iod2019_files_disagree(tmp_path, d19):
    f1 = _write(tmp_path / "f1.csv.gz", _head(d19 / F1, 4))
    lines = _head(d19 / "imd2019_england_lsoa11.csv.gz", 4)
    ranks = _write(tmp_path / "ranks.csv.gz", _edit(lines, 2, "IMD_rank", "30000.0"))
    with pytest.raises(InvalidValueError) as err:
        read_iod2019(file1=f1, ranks=ranks)
    msg = str(err.value)
    assert "ranks.csv.gz" in msg and "column 'imd_rank'" in msg
    assert "disagrees with f1.csv.gz for LSOA E01000002" in msg


def test_iod2019_ranks_missing_column(tmp_path, d19):
    lines = _head(d19 / "imd2019_england_lsoa11.csv.gz", 3)
    frame = pd.DataFrame([r.split(",") for r in lines[1:]], columns=lines[0].split(","))
    path = tmp_path / "ranks.csv"
    frame.drop(columns="Housing_and_Access_rank").to_csv(path, index=False)
    with pytest.raises(MissingColumnsError, match=r"housing_and_services_rank"):
        read_iod2019(ranks=path)


def test_iod2019_bad_code_and_rank(tmp_path, d19):
    lines = _head(d19 / "imd2019_england_lsoa11.csv.gz", 3)
    path = _write(tmp_path / "r.csv.gz", _edit(lines, 2, "lsoa11_code", "E0100000"))
    with pytest.raises(InvalidValueError, match=r"line 3, column 'lsoa11_code'.*'E0100000'"):
        read_iod2019(ranks=path)
    path = _write(tmp_path / "r2.csv.gz", _edit(lines, 1, "Crime_rank", "32845.0"))
    with pytest.raises(InvalidValueError, match=r"line 2, column 'Crime_rank'.*1\.\.32,844"):
        read_iod2019(ranks=path)


def test_iod2019_partial_files_union(tmp_path, d19):
    f1 = _write(tmp_path / "f1.csv.gz", _head(d19 / F1, 3))
    lines = _head(d19 / "imd2019_england_lsoa11_indicators.csv.gz", 5)
    ind = _write(tmp_path / "ind.csv.gz", [lines[0], *lines[3:]])
    loaded = read_iod2019(file1=f1, indicators=ind)
    assert len(loaded.data) == 5
    assert loaded.report.flagged == {
        "LSOA missing from f1.csv.gz": 2,
        "LSOA missing from ind.csv.gz": 2,
    }


def test_iod2019_nothing_given():
    with pytest.raises(InvalidValueError, match="no IoD2019 file given"):
        read_iod2019()
