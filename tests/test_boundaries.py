"""Tests for geodata.boundaries: real bundle files and crafted bad files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from geodata.boundaries import (
    LOOKUP_COLUMNS,
    read_boundaries,
    read_lsoa21_lookup,
    region_lsoa21,
)
from geodata.errors import (
    CorruptArchiveError,
    CRSError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
    MissingFileError,
)

WM = [f"E080000{i}" for i in range(25, 32)]
ONS_HEADER = "LSOA21CD,LSOA21NM,LSOA21NMW,WD22CD,WD22NM,WD22NMW,LAD22CD,LAD22NM,LAD22NMW,ObjectId"


@pytest.fixture(scope="module")
def lookup22(shared_data):
    return read_lsoa21_lookup(shared_data / "lookups" / "LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz")


@pytest.fixture(scope="module")
def lookup24(shared_data):
    return read_lsoa21_lookup(shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz")


def _write_gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8-sig")))
    return path


def _squares(codes, names=None, crs="EPSG:27700", x0=400_000, y0=285_000):
    geoms = [box(x0 + 1000 * i, y0, x0 + 1000 * i + 900, y0 + 900) for i in range(len(codes))]
    names = names or [f"Area {i}" for i in range(len(codes))]
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=geoms, crs=crs)


# --- real data: lookups --------------------------------------------------------------------


def test_ons_lookup_real(lookup22):
    data = lookup22.data
    assert list(data.columns) == LOOKUP_COLUMNS
    assert len(data) == 35_672
    assert data["lsoa21_code"].is_unique
    assert set(data["ward_vintage"]) == {"WD22"}
    row = data.set_index("lsoa21_code").loc["E01009417"]
    assert row["lsoa21_name"] == "Birmingham 001A"
    assert row["msoa21_name"] == "Birmingham 001"
    assert row["ward_name"] == "Sutton Four Oaks"
    assert row["district_code"] == "E08000025"
    assert lookup22.report.rows_read == lookup22.report.rows_kept == 35_672


def test_ons_lookup_west_midlands(lookup22):
    region = region_lsoa21(lookup22.data, WM)
    assert len(region) == 1_719
    assert region["ward_code"].nunique() == 192
    assert region.groupby("district_code").size().to_dict() == {
        "E08000025": 659,
        "E08000026": 203,
        "E08000027": 203,
        "E08000028": 190,
        "E08000029": 134,
        "E08000030": 169,
        "E08000031": 161,
    }
    # the MSOA is a parent: every LSOA in one MSOA has the same district
    assert (region.groupby("msoa21_name")["district_code"].nunique() == 1).all()
    assert region["lsoa21_code"].is_monotonic_increasing


def test_snake_lookup_real_agrees_with_ons(lookup22, lookup24):
    data = lookup24.data
    assert list(data.columns) == LOOKUP_COLUMNS
    assert len(data) == 35_672
    assert set(data["ward_vintage"]) == {"WD24"}
    r22 = region_lsoa21(lookup22.data, WM)
    r24 = region_lsoa21(data, WM)
    assert len(r24) == 1_719
    assert r24["lsoa21_code"].tolist() == r22["lsoa21_code"].tolist()
    assert r24["msoa21_name"].tolist() == r22["msoa21_name"].tolist()


def test_region_unknown_district(lookup22):
    with pytest.raises(InvalidValueError, match=r"E08000099.*match no LSOA"):
        region_lsoa21(lookup22.data, ["E08000025", "E08000099"])
    with pytest.raises(InvalidValueError, match="no district codes"):
        region_lsoa21(lookup22.data, [])


# --- real data: boundaries -----------------------------------------------------------------


def test_lsoa21_region_polygons(shared_data, lookup22):
    region = region_lsoa21(lookup22.data, WM)
    loaded = read_boundaries(
        shared_data / "boundaries" / "lsoa21_england_wales.geoparquet",
        code_col="lsoa21_code",
        name_col="lsoa21_name",
        codes=region["lsoa21_code"],
    )
    gdf = loaded.data
    assert list(gdf.columns) == ["code", "name", "geometry"]
    assert gdf.crs.to_epsg() == 27700
    assert len(gdf) == 1_719
    assert gdf["code"].tolist() == region["lsoa21_code"].tolist()
    assert gdf.geometry.is_valid.all()
    # the seven metropolitan districts cover about 902 km2
    assert 880 < gdf.area.sum() / 1e6 < 920
    assert loaded.report.rows_read == 35_672
    assert loaded.report.rejected["not among the requested codes"] == 35_672 - 1_719
    assert "reprojected from EPSG:4326 to EPSG:27700" in loaded.report.notes


def test_lsoa11_invalid_geometry_repaired(shared_data):
    loaded = read_boundaries(
        shared_data / "boundaries" / "lsoa11_england_wales.geoparquet",
        code_col="lsoa11_code",
        name_col="lsoa11_name",
    )
    gdf = loaded.data
    assert len(gdf) == 34_753
    assert loaded.report.flagged["invalid geometry repaired (make_valid, structure method)"] == 1
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    fixed = gdf.set_index("code").loc["E01019828"]
    assert fixed["name"] == "North East Derbyshire 008C"
    assert fixed.geometry.area > 10_000


@pytest.mark.parametrize(
    ("file", "code_col", "name_col", "rows"),
    [
        ("lsoa11_west_midlands.gpkg", "lsoa11_code", "lsoa11_name", 1_680),
        ("lsoa21_west_midlands.gpkg", "lsoa21_code", "lsoa21_name", 1_719),
        ("wards22_west_midlands.gpkg", "ward22_code", "ward22_name", 192),
        ("pfa20_england_wales.geoparquet", "pfa20_code", "pfa20_name", 43),
        ("lad_west_midlands_from_lsoa21.gpkg", "ltla24_code", "ltla24_name", 7),
    ],
    ids=lambda v: str(v),
)
def test_real_boundary_files(shared_data, file, code_col, name_col, rows):
    loaded = read_boundaries(
        shared_data / "boundaries" / file, code_col=code_col, name_col=name_col
    )
    assert len(loaded.data) == rows
    assert loaded.data.crs.to_epsg() == 27700
    assert loaded.data["code"].is_unique
    assert loaded.data.geometry.is_valid.all()


def test_uk_wards_split_ward_dissolved(shared_data):
    """ONS Dec 2022 wards hold E05014284 as two touching polygons with the same name."""
    loaded = read_boundaries(
        shared_data / "boundaries" / "wards22_uk.geoparquet",
        code_col="ward22_code",
        name_col="ward22_name",
    )
    assert loaded.report.rows_read == 8_483
    assert len(loaded.data) == 8_482
    assert loaded.report.rejected == {
        "extra part of an area stored in several rows (dissolved into one)": 1
    }
    ward = loaded.data.set_index("code").loc["E05014284"]
    assert ward["name"] == "Hunmanby & Sherburn (part Scarborough)"
    assert 130 < ward.geometry.area / 1e6 < 145  # both halves (about 69 km2 each)
    assert loaded.data["code"].str.startswith("N08").sum() > 0  # Northern Ireland kept


def test_districts_filtered(shared_data):
    loaded = read_boundaries(
        shared_data / "boundaries" / "ltla24_uk.geoparquet",
        code_col="ltla24_code",
        name_col="ltla24_name",
        codes=WM,
    )
    assert loaded.data["code"].tolist() == WM
    assert loaded.data["name"].tolist()[:2] == ["Birmingham", "Coventry"]
    assert loaded.report.rows_read == 361


def test_geopackage_in_web_mercator_is_reprojected(shared_data, tmp_path):
    src = shared_data / "boundaries" / "lad_west_midlands_from_lsoa21.gpkg"
    original = read_boundaries(src, code_col="ltla24_code", name_col="ltla24_name").data
    gpd.read_file(src).to_crs("EPSG:3857").to_file(tmp_path / "lad_3857.gpkg")
    loaded = read_boundaries(
        tmp_path / "lad_3857.gpkg", code_col="ltla24_code", name_col="ltla24_name"
    )
    assert loaded.data.crs.to_epsg() == 27700
    assert "reprojected from EPSG:3857 to EPSG:27700" in loaded.report.notes
    np.testing.assert_allclose(loaded.data.total_bounds, original.total_bounds, atol=1.0)
    np.testing.assert_allclose(loaded.data.area, original.area, rtol=1e-6)


# --- crafted bad lookups -------------------------------------------------------------------


def _ons_lookup(tmp_path, rows, header=ONS_HEADER, name="lookup.csv.gz"):
    return _write_gz(tmp_path / name, "\n".join([header, *rows]) + "\n")


GOOD_ROW = "E01009417,Birmingham 001A,,E05011174,Sutton Four Oaks,,E08000025,Birmingham,,1"


def test_lookup_crafted_ok(tmp_path):
    path = _ons_lookup(tmp_path, [GOOD_ROW])
    data = read_lsoa21_lookup(path).data
    assert data.iloc[0]["msoa21_name"] == "Birmingham 001"


def test_lookup_missing_column(tmp_path):
    header = ONS_HEADER.replace("WD22NM,", "")
    row = GOOD_ROW.replace("Sutton Four Oaks,", "")
    path = _ons_lookup(tmp_path, [row], header=header)
    with pytest.raises(MissingColumnsError, match=r"lookup\.csv\.gz.*WD22NM"):
        read_lsoa21_lookup(path)


def test_lookup_unknown_layout(tmp_path):
    path = _write_gz(tmp_path / "other.csv.gz", "a,b\n1,2\n")
    with pytest.raises(MissingColumnsError, match=r"other\.csv\.gz.*not an LSOA21 lookup"):
        read_lsoa21_lookup(path)


def test_lookup_bad_gss_code(tmp_path):
    path = _ons_lookup(tmp_path, [GOOD_ROW, GOOD_ROW.replace("E01009417", "E0100941X")])
    with pytest.raises(InvalidValueError) as err:
        read_lsoa21_lookup(path)
    msg = str(err.value)
    assert "lookup.csv.gz" in msg and "line 3" in msg and "'LSOA21CD'" in msg
    assert "'E0100941X' is not a valid code" in msg


def test_lookup_bad_ward_code(tmp_path):
    path = _ons_lookup(tmp_path, [GOOD_ROW.replace("E05011174", "E08000025")])
    with pytest.raises(InvalidValueError, match=r"line 2, column 'WD22CD'.*not a valid code"):
        read_lsoa21_lookup(path)


def test_lookup_duplicate_lsoa(tmp_path):
    path = _ons_lookup(tmp_path, [GOOD_ROW, GOOD_ROW])
    with pytest.raises(InvalidValueError, match=r"line 3.*E01009417.*more than once"):
        read_lsoa21_lookup(path)


def test_lookup_name_without_msoa(tmp_path):
    path = _ons_lookup(tmp_path, [GOOD_ROW.replace("Birmingham 001A", "Birmingham")])
    with pytest.raises(InvalidValueError, match=r"line 2, column 'LSOA21NM'.*MSOA cannot"):
        read_lsoa21_lookup(path)


def test_lookup_snake_missing_ward_name(tmp_path):
    header = "lsoa21_code,lsoa21_name,ward24_code,ltla24_code,ltla24_name"
    path = _write_gz(
        tmp_path / "snake.csv.gz",
        f"{header}\nE01009417,Birmingham 001A,E05011174,E08000025,Birmingham\n",
    )
    with pytest.raises(MissingColumnsError, match=r"snake\.csv\.gz.*ward24_name"):
        read_lsoa21_lookup(path)


def test_lookup_empty_and_corrupt(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"empty\.csv: file is empty"):
        read_lsoa21_lookup(empty)
    header_only = _ons_lookup(tmp_path, [], name="header.csv.gz")
    with pytest.raises(EmptyFileError, match=r"header\.csv\.gz: .*no data rows"):
        read_lsoa21_lookup(header_only)
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress(b"LSOA21CD,LSOA21NM\n" * 100)[:40])
    with pytest.raises(CorruptArchiveError, match=r"corrupt\.csv\.gz: corrupt gzip"):
        read_lsoa21_lookup(corrupt)
    with pytest.raises(MissingFileError, match="nope.csv"):
        read_lsoa21_lookup(tmp_path / "nope.csv")


# --- crafted bad boundaries ----------------------------------------------------------------


def test_boundaries_crafted_ok_and_null_geometry(tmp_path):
    gdf = _squares(["E01000001", "E01000002", "E01000003"])
    gdf.loc[1, "geometry"] = None
    gdf.to_file(tmp_path / "b.gpkg")
    loaded = read_boundaries(tmp_path / "b.gpkg", code_col="code", name_col="name")
    assert loaded.data["code"].tolist() == ["E01000001", "E01000003"]
    assert loaded.report.rejected["no geometry"] == 1
    assert loaded.report.notes == []  # already EPSG:27700


def test_boundaries_bowtie_repaired(tmp_path):
    gdf = _squares(["E01000001", "E01000002"])
    x, y = 400_000, 285_000
    gdf.loc[0, "geometry"] = Polygon([(x, y), (x + 500, y + 500), (x + 500, y), (x, y + 500)])
    gdf.to_file(tmp_path / "bowtie.gpkg")
    loaded = read_boundaries(tmp_path / "bowtie.gpkg", code_col="code", name_col="name")
    assert loaded.report.flagged["invalid geometry repaired (make_valid, structure method)"] == 1
    assert loaded.data.geometry.is_valid.all()
    assert set(loaded.data.geom_type) <= {"Polygon", "MultiPolygon"}


def test_boundaries_duplicate_code(tmp_path):
    _squares(["E01000001", "E01000002", "E01000001"]).to_file(tmp_path / "dup.gpkg")
    with pytest.raises(InvalidValueError) as err:
        read_boundaries(tmp_path / "dup.gpkg", code_col="code", name_col="name")
    msg = str(err.value)
    assert "dup.gpkg" in msg and "row 1" in msg and "'code'" in msg
    assert "duplicate code 'E01000001' with different names (rows [1, 3])" in msg


def test_boundaries_same_code_and_name_dissolved(tmp_path):
    gdf = _squares(["E01000001", "E01000002", "E01000001"], names=["A", "B", "A"])
    gdf.to_file(tmp_path / "parts.gpkg")
    loaded = read_boundaries(tmp_path / "parts.gpkg", code_col="code", name_col="name")
    assert loaded.data["code"].tolist() == ["E01000001", "E01000002"]
    first = loaded.data.set_index("code").loc["E01000001"].geometry
    assert first.geom_type == "MultiPolygon"
    assert first.area == pytest.approx(2 * 900 * 900)
    assert sum(loaded.report.rejected.values()) == 1


def test_boundaries_bad_gss_code(tmp_path):
    _squares(["E01000001", "LSOA 2"]).to_file(tmp_path / "bad.gpkg")
    with pytest.raises(InvalidValueError, match=r"bad\.gpkg, row 2, column 'code'.*'LSOA 2'"):
        read_boundaries(tmp_path / "bad.gpkg", code_col="code", name_col="name")


def test_boundaries_requested_code_absent(tmp_path):
    _squares(["E01000001"]).to_file(tmp_path / "b.gpkg")
    with pytest.raises(InvalidValueError, match=r"1 requested code\(s\).*E01999999"):
        read_boundaries(tmp_path / "b.gpkg", code_col="code", name_col="name", codes=["E01999999"])


def test_boundaries_missing_column(tmp_path):
    _squares(["E01000001"]).to_file(tmp_path / "b.gpkg")
    with pytest.raises(MissingColumnsError, match=r"b\.gpkg.*lsoa21_code"):
        read_boundaries(tmp_path / "b.gpkg", code_col="lsoa21_code", name_col="name")


def test_boundaries_points_refused(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"code": ["E01000001"], "name": ["x"]}, geometry=[Point(400_000, 285_000)], crs=27700
    )
    gdf.to_file(tmp_path / "pts.gpkg")
    with pytest.raises(InvalidValueError, match=r"pts\.gpkg, row 1.*found a Point"):
        read_boundaries(tmp_path / "pts.gpkg", code_col="code", name_col="name")


def test_boundaries_no_crs_geoparquet(tmp_path):
    _squares(["E01000001"], crs=None).to_parquet(tmp_path / "nocrs.parquet")
    with pytest.raises(CRSError) as err:
        read_boundaries(tmp_path / "nocrs.parquet", code_col="code", name_col="name")
    msg = str(err.value)
    assert "nocrs.parquet" in msg and "no coordinate reference system" in msg
    assert "EPSG:27700" in msg and "EPSG:4326" in msg


def test_geojson_without_crs_in_metres(tmp_path):
    """A GeoJSON with British National Grid coordinates but no 'crs' member is refused."""
    fc = json.loads(_squares(["E01000001"]).to_json())
    fc.pop("crs", None)
    path = tmp_path / "bng_no_crs.geojson"
    path.write_text(json.dumps(fc))
    with pytest.raises(CRSError) as err:
        read_boundaries(path, code_col="code", name_col="name")
    msg = str(err.value)
    assert "bng_no_crs.geojson" in msg and "outside the UK" in msg
    assert "EPSG:4326" in msg and "EPSG:27700" in msg


def test_geojson_without_crs_in_degrees(tmp_path):
    """RFC 7946 GeoJSON (lon/lat, no 'crs' member) is read as EPSG:4326 and reprojected."""
    fc = json.loads(_squares(["E01000001"]).to_crs("EPSG:4326").to_json())
    fc.pop("crs", None)
    path = tmp_path / "wgs84.geojson"
    path.write_text(json.dumps(fc))
    loaded = read_boundaries(path, code_col="code", name_col="name")
    assert loaded.data.crs.to_epsg() == 27700
    np.testing.assert_allclose(loaded.data.total_bounds[:2], [400_000, 285_000], atol=1.0)


def test_degrees_declared_as_bng(tmp_path):
    gdf = _squares(["E01000001"]).to_crs("EPSG:4326").set_crs("EPSG:27700", allow_override=True)
    gdf.to_file(tmp_path / "mislabelled.gpkg")
    with pytest.raises(CRSError) as err:
        read_boundaries(tmp_path / "mislabelled.gpkg", code_col="code", name_col="name")
    msg = str(err.value)
    assert "mislabelled.gpkg" in msg and "declares EPSG:27700" in msg and "EPSG:4326" in msg


def test_boundaries_empty_corrupt_missing(tmp_path):
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFileError, match=r"empty\.gpkg: file is empty"):
        read_boundaries(empty, code_col="code", name_col="name")
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a geopackage" * 10)
    with pytest.raises(CorruptArchiveError, match=r"junk\.gpkg: not a readable vector file"):
        read_boundaries(junk, code_col="code", name_col="name")
    with pytest.raises(MissingFileError, match=r"absent\.gpkg: file not found"):
        read_boundaries(tmp_path / "absent.gpkg", code_col="code", name_col="name")
    _squares(["E01000001"]).iloc[0:0].to_file(tmp_path / "nofeatures.gpkg")
    with pytest.raises(EmptyFileError, match=r"nofeatures\.gpkg: no features"):
        read_boundaries(tmp_path / "nofeatures.gpkg", code_col="code", name_col="name")


def test_region_lsoa21_needs_district_column():
    with pytest.raises(MissingColumnsError, match="LSOA21 lookup.*district_code"):
        region_lsoa21(pd.DataFrame({"lsoa21_code": ["E01000001"]}), WM)


def test_districts_missing_from_the_boundary_file_are_dissolved_from_their_lsoas(tmp_path):
    """LAD 2022 districts merged since (Cumbria's, in 2023) get their LSOAs' union."""
    import geopandas as gpd
    from shapely.geometry import box

    from geodata.boundaries import read_boundaries
    from sna.prepare.areas import with_dissolved_districts

    path = tmp_path / "ltla.gpkg"
    gpd.GeoDataFrame(
        {"ltla24_code": ["E06000001"], "ltla24_name": ["Hartlepool"]},
        geometry=[box(445000, 530000, 450000, 535000)],
        crs="EPSG:27700",
    ).to_file(path)
    with pytest.raises(Exception, match="1 requested code"):
        read_boundaries(
            path, code_col="ltla24_code", name_col="ltla24_name", codes=["E06000001", "E07000026"]
        )
    dist = read_boundaries(
        path,
        code_col="ltla24_code",
        name_col="ltla24_name",
        codes=["E06000001", "E07000026"],
        allow_missing=True,
    )
    assert "E07000026" in " ".join(dist.report.notes)
    areas = gpd.GeoDataFrame(
        {
            "lsoa21_code": ["E01000001", "E01019000", "E01019001"],
            "district_code": ["E06000001", "E07000026", "E07000026"],
            "district_name": ["Hartlepool", "Allerdale", "Allerdale"],
        },
        geometry=[
            box(445000, 530000, 450000, 535000),
            box(300000, 530000, 301000, 531000),
            box(301000, 530000, 302000, 531000),
        ],
        crs="EPSG:27700",
    )
    out = with_dissolved_districts(dist, areas)
    assert out["district_code"].tolist() == ["E06000001", "E07000026"]
    assert out.loc[1, "district_name"] == "Allerdale"
    assert out.geometry.iloc[1].area == pytest.approx(2_000_000)


def test_a_region_of_only_districts_merged_since_dissolves_them_all(tmp_path):
    """Cumbria's six 2022 districts are all absent from the LTLA 2024 file: an empty set of
    boundaries (not an error), every district dissolved from its LSOAs."""
    import geopandas as gpd
    from shapely.geometry import box

    from geodata.boundaries import read_boundaries
    from sna.prepare.areas import with_dissolved_districts

    path = tmp_path / "ltla.gpkg"
    gpd.GeoDataFrame(
        {"ltla24_code": ["E06000001"], "ltla24_name": ["Hartlepool"]},
        geometry=[box(445000, 530000, 450000, 535000)],
        crs="EPSG:27700",
    ).to_file(path)
    dist = read_boundaries(
        path, code_col="ltla24_code", name_col="ltla24_name", codes=["E07000026"],
        allow_missing=True,
    )  # fmt: skip
    assert dist.data.empty and dist.data.crs.to_epsg() == 27700
    areas = gpd.GeoDataFrame(
        {"lsoa21_code": ["E01019000"], "district_code": ["E07000026"],
         "district_name": ["Allerdale"]},
        geometry=[box(300000, 530000, 301000, 531000)],
        crs="EPSG:27700",
    )  # fmt: skip
    out = with_dissolved_districts(dist, areas)
    assert out["district_code"].tolist() == ["E07000026"] and out.geometry.iloc[0].area == 1e6
    with pytest.raises(Exception, match="1 requested code"):  # unless they may be missing
        read_boundaries(path, code_col="ltla24_code", name_col="ltla24_name", codes=["E07000026"])
