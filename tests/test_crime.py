"""police.uk street-level crime: real Bedfordshire and 2011 West Midlands files, bad files."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from geodata.crime import (
    CRIME_TYPES,
    LEGACY_VIOLENCE_TYPES,
    OUTPUT_COLUMNS,
    VIOLENCE_TYPES,
    crime_counts_by_lsoa,
    read_police_uk,
)
from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
    MissingFileError,
)

BEDS_DISTRICTS = ["E06000055", "E06000056", "E06000032"]
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
LEGACY_HEADER = "Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context"


def _row(cid: str, month: str, ctype: str, lon: str = "-0.46", lat: str = "52.13") -> str:
    return (
        f"{cid},{month},Bedfordshire Police,Bedfordshire Police,{lon},{lat},On or near X,"
        f"E01017491,Bedford 007D,{ctype},Under investigation,"
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def beds_dir(shared_data: Path) -> Path:
    return shared_data / "crime" / "bedfordshire"


@pytest.fixture(scope="module")
def beds(beds_dir: Path):
    return read_police_uk(beds_dir)


@pytest.fixture(scope="module")
def legacy(shared_data: Path):
    return read_police_uk(shared_data / "crime" / "west-midlands-2011-02-legacy-format")


# ------------------------------------------------------------------------------ real data


def test_bedfordshire_counts_match_the_bundle(beds):
    rep = beds.report
    assert rep.notes[0] == "read 36 file(s): 36 current"
    assert rep.rows_read == 182_113
    assert dict(rep.rejected) == {"duplicate Crime ID": 184}
    assert rep.rows_kept == 182_113 - 184 == len(beds.data)
    no_xy = rep.flagged["no coordinates (kept, no geometry)"]
    assert no_xy == int((~beds.data["has_coordinates"]).sum())
    assert 0.03 < no_xy / rep.rows_read < 0.04  # about 3.5 %


def test_bedfordshire_frame_shape(beds):
    d = beds.data
    assert isinstance(d, gpd.GeoDataFrame)
    assert list(d.columns) == list(OUTPUT_COLUMNS)
    assert d.crs.to_epsg() == 27700
    assert d["month"].nunique() == 36
    assert d["month"].min() == "2021-05" and d["month"].max() == "2024-04"
    assert set(d["format"]) == {"current"}
    assert set(d["force"]) == {"Bedfordshire Police"}
    assert set(d["crime_type"]) == set(
        t for t in CRIME_TYPES if t not in ("Violent crime", "Public disorder and weapons")
    )
    assert d["source_file"].nunique() == 36
    assert d["source_file"].str.endswith("-bedfordshire-street.csv.gz").all()


def test_rows_without_coordinates_are_kept_without_geometry(beds):
    d = beds.data
    missing = ~d["has_coordinates"]
    assert d.loc[missing, "geometry"].isna().all()
    assert d.loc[missing, "easting"].isna().all()
    assert d.loc[~missing, "geometry"].notna().all()
    assert not d.loc[~missing, "geometry"].is_empty.any()


def test_duplicates_removed_but_asb_kept(beds):
    d = beds.data
    ids = d[d["crime_id"].notna()]
    assert not ids.duplicated(["crime_id", "month"]).any()
    asb = d[d["crime_type"] == "Anti-social behaviour"]
    assert len(asb) == 34_017  # every ASB row, none de-duplicated
    assert asb["crime_id"].isna().all()
    assert d["crime_id"].isna().sum() == 34_017


def test_projection_lands_in_bedfordshire(beds, shared_data):
    d = beds.data[beds.data["has_coordinates"]]
    back = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = back.transform(d["easting"].to_numpy()[:5], d["northing"].to_numpy()[:5])
    # first row of 2021-05: -0.472054, 52.301536 (Shelton Road, Bedford 001A)
    assert lon[0] == pytest.approx(-0.472054, abs=1e-6)
    assert lat[0] == pytest.approx(52.301536, abs=1e-6)
    pfa = gpd.read_parquet(shared_data / "boundaries" / "pfa20_england_wales.geoparquet")
    beds_area = pfa[pfa["pfa20_name"] == "Bedfordshire"].to_crs(27700).geometry.iloc[0]
    inside = d.geometry.within(beds_area.buffer(100)).mean()
    assert inside > 0.99


def test_legacy_format(legacy):
    d, rep = legacy.data, legacy.report
    assert rep.rows_read == 25_558 == len(d)
    assert rep.notes[0] == "read 1 file(s): 1 legacy"
    assert set(d["format"]) == {"legacy"}
    assert d["crime_id"].isna().all() and d["lsoa_code_file"].isna().all()
    assert d["last_outcome"].isna().all()
    # easting/northing are used as they are (first row: Alfred Road, Robbery)
    assert (d["easting"].iloc[0], d["northing"].iloc[0]) == (408811.0, 284398.0)
    assert d.geometry.iloc[0].x == 408811.0
    assert d["crime_type"].value_counts()["Violent crime"] == 3037
    assert set(d["month"]) == {"2011-02"}


def test_legacy_violence_selection(shared_data):
    out = read_police_uk(
        shared_data / "crime" / "west-midlands-2011-02-legacy-format",
        crime_types=LEGACY_VIOLENCE_TYPES,
    )
    assert len(out.data) == 3037 + 807
    assert out.report.rejected["crime type not requested"] == 25_558 - 3037 - 807


def test_type_and_month_filters(beds_dir):
    out = read_police_uk(beds_dir, crime_types=VIOLENCE_TYPES, months=("2023-05", "2024-04"))
    d, rep = out.data, out.report
    assert set(d["crime_type"]) == set(VIOLENCE_TYPES)
    assert d["month"].between("2023-05", "2024-04").all()
    assert d["month"].nunique() == 12
    assert rep.rows_read == rep.rows_kept + sum(rep.rejected.values())
    assert rep.rejected["outside the requested months"] > 0


def test_unknown_crime_type_lists_valid_ones(beds_dir):
    with pytest.raises(ValueError, match="unknown police.uk crime type") as exc:
        read_police_uk(beds_dir, crime_types=["Knife crime"])
    assert "Knife crime" in str(exc.value)
    assert "Violence and sexual offences" in str(exc.value)


def test_bad_months_argument(beds_dir):
    with pytest.raises(ValueError, match="YYYY-MM"):
        read_police_uk(beds_dir, months=("2023-5", "2024-04"))
    with pytest.raises(ValueError, match="after end"):
        read_police_uk(beds_dir, months=("2024-04", "2023-05"))


def test_counts_by_lsoa(beds, shared_data):
    lookup = pd.read_csv(shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz")
    codes = lookup.loc[lookup["ltla24_code"].isin(BEDS_DISTRICTS), "lsoa21_code"]
    polys = gpd.read_parquet(shared_data / "boundaries" / "lsoa21_england_wales.geoparquet")
    polys = polys[polys["lsoa21_code"].isin(codes)]
    pts = beds.data[beds.data["crime_type"].isin(VIOLENCE_TYPES)]
    out = crime_counts_by_lsoa(pts, polys, by_month=True)
    d, rep = out.data, out.report
    assert list(d.columns) == ["lsoa21_code", "crime_type", "month", "count"]
    assert len(d) == len(polys) * len(VIOLENCE_TYPES) * 36  # complete grid, zeros included
    assert d["count"].sum() + sum(rep.rejected.values()) == len(pts)
    assert rep.rejected["no coordinates"] == int((~pts["has_coordinates"]).sum())
    assert rep.rejected["outside all LSOA polygons"] < 0.01 * len(pts)
    # the counts agree with the LSOA code police.uk put in the file, where the code is current
    per_lsoa = d.groupby("lsoa21_code")["count"].sum()
    located = pts[pts["has_coordinates"]]
    in_file = located["lsoa_code_file"].value_counts().reindex(per_lsoa.index).fillna(0)
    assert np.corrcoef(per_lsoa.to_numpy(float), in_file.to_numpy(float))[0, 1] > 0.95


def test_counts_points_outside_and_unknown_type(tmp_path):
    f = _write(
        tmp_path / "2022-01-test-street.csv",
        [
            HEADER,
            _row("a", "2022-01", "Robbery", "-0.46", "52.13"),  # Bedford
            _row("b", "2022-01", "Robbery", "-0.12", "51.50"),  # London
            _row("c", "2022-01", "Robbery", "", ""),
        ],
    )
    pts = read_police_uk(f).data
    bedford = gpd.GeoDataFrame(
        {"lsoa21_code": ["E01017491"]},
        geometry=[box(500_000, 240_000, 510_000, 255_000)],
        crs=27700,
    )
    out = crime_counts_by_lsoa(pts, bedford)
    assert out.data["count"].tolist() == [1]
    assert out.report.rejected == {"outside all LSOA polygons": 1, "no coordinates": 1}
    with pytest.raises(ValueError, match="unknown police.uk crime type"):
        crime_counts_by_lsoa(pts, bedford, crime_types=["Knives"])
    with pytest.raises(MissingColumnsError, match="lsoa21_code"):
        crime_counts_by_lsoa(pts, bedford.rename(columns={"lsoa21_code": "code"}))


# ------------------------------------------------------------------------------ crafted files


def test_zip_with_two_months_and_outcomes(tmp_path):
    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "2022-01/2022-01-bedfordshire-street.csv",
            "\n".join([HEADER, _row("a", "2022-01", "Robbery"), _row("", "2022-01", "Drugs")]),
        )
        zf.writestr(
            "2022-02/2022-02-bedfordshire-street.csv",
            "\n".join([HEADER, _row("b", "2022-02", "Public order")]),
        )
        zf.writestr(
            "2022-01/2022-01-bedfordshire-outcomes.csv",
            "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Outcome type\na,2022-01,x,x,0,0,x,x,x,x\n",
        )
        zf.writestr("2022-01/2022-01-bedfordshire-stop-and-search.csv", "Type,Date\nx,y\n")
    out = read_police_uk(archive)
    d = out.data
    assert len(d) == 3
    assert sorted(d["month"].unique()) == ["2022-01", "2022-02"]
    assert d["source_file"].iloc[0] == "police.zip!2022-01/2022-01-bedfordshire-street.csv"
    assert any("ignored 2 non-street CSV(s)" in n for n in out.report.notes)


def test_folder_mixing_formats_and_gzip(tmp_path):
    (tmp_path / "a").mkdir()
    _write(tmp_path / "a" / "2022-01-x-street.csv", [HEADER, _row("a", "2022-01", "Robbery")])
    gz = tmp_path / "a" / "2011-02-x-street.csv.gz"
    gz.write_bytes(
        gzip.compress(
            (
                LEGACY_HEADER + "\n2011-02,P,P,408811.0,284398.0,On or near Y,Violent crime,\n"
            ).encode()
        )
    )
    _write(tmp_path / "a" / "2022-01-x-outcomes.csv", ["whatever"])
    out = read_police_uk(tmp_path / "a")
    assert sorted(out.data["format"]) == ["current", "legacy"]
    assert out.report.notes[-1] == "read 2 file(s): 1 current, 1 legacy"


def test_duplicate_ids_only_within_a_month(tmp_path):
    f = _write(
        tmp_path / "dups-street.csv",
        [
            HEADER,
            _row("a", "2022-01", "Robbery"),
            _row("a", "2022-01", "Robbery"),
            _row("a", "2022-02", "Robbery"),  # same ID, next month: kept
            _row("", "2022-01", "Anti-social behaviour"),
            _row("", "2022-01", "Anti-social behaviour"),  # identical ASB: kept
        ],
    )
    out = read_police_uk(f)
    assert len(out.data) == 4
    assert out.report.rejected == {"duplicate Crime ID": 1}


def test_corrupt_zip(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(CorruptArchiveError, match=r"broken\.zip: corrupt zip archive"):
        read_police_uk(bad)


def test_renamed_column(tmp_path):
    f = _write(
        tmp_path / "renamed-street.csv",
        [HEADER.replace("Crime type", "Crime category"), _row("a", "2022-01", "Robbery")],
    )
    with pytest.raises(MissingColumnsError) as exc:
        read_police_uk(f)
    msg = str(exc.value)
    assert "renamed-street.csv" in msg and "'Crime type'" in msg and "current" in msg


def test_empty_file(tmp_path):
    f = tmp_path / "2022-03-x-street.csv"
    f.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"2022-03-x-street\.csv: file is empty"):
        read_police_uk(f)


def test_missing_path(tmp_path):
    with pytest.raises(MissingFileError, match="nowhere"):
        read_police_uk(tmp_path / "nowhere")


def test_folder_without_street_files(tmp_path):
    _write(tmp_path / "2022-01-x-outcomes.csv", ["a,b", "1,2"])
    with pytest.raises(EmptyFileError, match="no street-level files"):
        read_police_uk(tmp_path)


def test_bad_month_value_names_the_row(tmp_path):
    f = _write(
        tmp_path / "badmonth-street.csv",
        [
            HEADER,
            _row("a", "2022-01", "Robbery"),
            _row("b", "2022-01", "Robbery"),
            _row("c", "Jan 2022", "Robbery"),
        ],
    )
    with pytest.raises(InvalidValueError) as exc:
        read_police_uk(f)
    msg = str(exc.value)
    assert "badmonth-street.csv" in msg and "line 4" in msg and "'Month'" in msg
    assert "'Jan 2022' is not a YYYY-MM month" in msg


def test_bad_coordinate_names_the_row(tmp_path):
    f = _write(
        tmp_path / "badxy-street.csv",
        [HEADER, _row("a", "2022-01", "Robbery", lon="west")],
    )
    with pytest.raises(InvalidValueError, match=r"line 2, column 'Longitude': 'west' is not"):
        read_police_uk(f)


def test_empty_and_missing_months_are_warned(tmp_path):
    from geodata.crime import missing_months

    folder = tmp_path / "force"
    folder.mkdir()
    _write(folder / "2022-01-x-street.csv", [HEADER, _row("a", "2022-01", "Robbery")])
    _write(folder / "2022-02-x-street.csv", [HEADER])  # header only
    _write(folder / "2022-04-x-street.csv", [HEADER, _row("b", "2022-04", "Robbery")])
    loaded = read_police_uk(folder)
    warnings = loaded.report.warnings
    assert any("2022-02-x-street.csv: header only" in w and "2022-02" in w for w in warnings)
    gap = [w for w in warnings if "missing inside" in w]
    assert gap == [
        "police.uk: 2 month(s) missing inside 2022-01..2022-04: 2022-02, 2022-03; "
        "rates use the 2 month(s) present"
    ]
    assert loaded.report.to_dict()["warnings"] == warnings  # into the manifest
    # a window reaching past the data: its missing months are named too
    windowed = read_police_uk(folder, months=("2021-12", "2022-04"))
    assert "3 month(s) missing inside 2021-12..2022-04" in " ".join(windowed.report.warnings)
    assert missing_months(["2022-01", "2022-03"]) == ["2022-02"]
    assert missing_months(["2022-01"], ("2021-11", "2022-01")) == ["2021-11", "2021-12"]


def test_consecutive_months_give_no_warning(tmp_path):
    f1 = _write(tmp_path / "2022-01-x-street.csv", [HEADER, _row("a", "2022-01", "Robbery")])
    f2 = _write(tmp_path / "2022-02-x-street.csv", [HEADER, _row("b", "2022-02", "Robbery")])
    assert read_police_uk([f1, f2]).report.warnings == []
