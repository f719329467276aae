"""Tests for geodata.assets: places of worship, libraries, OS library buildings, combining."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geodata.assets import (
    ASSET_COLUMNS,
    DETAIL_COLUMNS,
    SOURCE_LIBRARIES,
    SOURCE_LIBRARY_BUILDINGS,
    combine_assets,
    normalise_postcode,
    read_libraries,
    read_library_buildings,
)
from geodata.errors import (
    CorruptArchiveError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)
from geodata.places_of_worship import read_places_of_worship

WM = [f"E080000{i}" for i in range(25, 32)]
WM_NAMES = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
WM_BBOX = (385_000.0, 270_000.0, 440_000.0, 310_000.0)
POW_HEADER = "area_code,area_name,faith,osm_type,osm_id,name,denomination,lon,lat,source_tier"
POW_ROW = "E08000025,Birmingham,Muslim,way,103044268,Masjid,,-1.84815,52.42285,osm"
BLD_HEADER = "WKT,fid,id,building_theme,classification,distinctive_name,feature_code"


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    """Real library postcodes (some in untidy forms) with made-up but plausible coordinates.

    B1 2ND (Library of Birmingham) is put 20 m from the OS building of that library, so that
    combining the two sources must drop the building.
    """
    return pd.DataFrame(
        {
            "postcode": ["b12nd", "WV1  3AX", "CV1 1FY", "DY1 1HR", "B91 3RG", "B3 3HQ"],
            "easting": [406_320.0, 391_400.0, 433_300.0, 394_300.0, 415_500.0, 406_500.0],
            "northing": [286_882.0, 298_700.0, 278_900.0, 290_300.0, 279_700.0, 287_200.0],
        }
    )


@pytest.fixture(scope="module")
def worship(shared_data):
    path = shared_data / "assets" / "places_of_worship_osm_england_wales.csv.gz"
    return read_places_of_worship(path, districts=WM)


@pytest.fixture(scope="module")
def libraries(shared_data, postcodes):
    path = shared_data / "assets" / "libraries_uk_schema.csv.gz"
    return read_libraries(path, postcodes, local_authorities=WM_NAMES)


@pytest.fixture(scope="module")
def buildings(shared_data):
    return read_library_buildings(
        shared_data / "assets" / "os_library_buildings.csv.gz", bbox=WM_BBOX
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


# --- places of worship, real ---------------------------------------------------------------


def test_places_of_worship_west_midlands(worship):
    data = worship.data
    assert list(data.columns[: len(ASSET_COLUMNS)]) == ASSET_COLUMNS
    assert len(data) == 1_300
    assert data.crs.to_epsg() == 27700
    assert data["asset_id"].is_unique
    assert set(data["asset_type"]) == {"place_of_worship"}
    assert set(data["district_code"]) == set(WM)
    assert data["subtype"].value_counts().to_dict() == {
        "Christian": 1_079,
        "Muslim": 137,
        "Sikh": 48,
        "Hindu": 25,
        "Buddhist": 7,
        "Jewish": 4,
    }
    assert data["easting"].between(385_000, 440_000).all()
    assert data["northing"].between(270_000, 310_000).all()
    np.testing.assert_allclose(data.geometry.x, data["easting"])
    # one OSM way is tagged as both a mosque and a church: kept once per faith
    shared = data[data["osm_id"] == "103044268"]
    assert sorted(shared["asset_id"]) == [
        "osm:way/103044268#christian",
        "osm:way/103044268#muslim",
    ]
    assert worship.report.rejected == {"outside the requested districts": 37_757 - 1_300}


def test_places_of_worship_all(shared_data):
    path = shared_data / "assets" / "places_of_worship_osm_england_wales.csv.gz"
    loaded = read_places_of_worship(path)
    assert len(loaded.data) == 37_757
    assert loaded.report.flagged == {
        "OSM feature listed under more than one faith (kept once per faith)": 8
    }


# --- libraries, real -----------------------------------------------------------------------


def test_libraries_west_midlands(libraries):
    data = libraries.data
    assert list(data.columns[: len(ASSET_COLUMNS)]) == ASSET_COLUMNS
    assert data.crs.to_epsg() == 27700
    assert sorted(data["name"]) == [
        "Coventry Central Library",
        "Dudley",
        "Library of Birmingham",
        "The Core Library",
        "Wolverhampton Central Library",
    ]
    assert set(data["asset_type"]) == {"library"}
    assert data["statutory"].all()
    lob = data.set_index("name").loc["Library of Birmingham"]
    assert (lob["easting"], lob["northing"]) == (406_320.0, 286_882.0)
    assert lob["postcode"] == "B1 2ND"
    wolves = data.set_index("name").loc["Wolverhampton Central Library"]
    assert wolves["uprn"] == "100071555374"
    assert wolves["asset_id"].startswith("library:") and len(wolves["asset_id"]) == 20
    report = libraries.report
    assert report.rows_read == 4_231
    assert report.rejected["outside the requested local authorities"] == 4_231 - 156
    assert report.rejected["closed (Year closed given)"] == 31  # incl. Birmingham Central
    assert (
        report.rejected["postcode not in the postcode table (outside the region, or retired)"]
        == 125 - 5
    )
    assert report.rows_kept == 5


def test_libraries_without_authority_filter(shared_data, postcodes):
    loaded = read_libraries(shared_data / "assets" / "libraries_uk_schema.csv.gz", postcodes)
    assert len(loaded.data) == 5
    assert loaded.report.rejected["closed (Year closed given)"] == 478


def test_normalise_postcode():
    raw = pd.Series(["b1 2nd", " B12ND ", "WV1  3AX", "sw1a1aa", "", None, "B1"])
    assert normalise_postcode(raw).tolist()[:4] == ["B1 2ND", "B1 2ND", "WV1 3AX", "SW1A 1AA"]
    assert normalise_postcode(raw).isna().tolist()[4:] == [True, True, True]


# --- library buildings, real ---------------------------------------------------------------


def test_library_buildings_all(shared_data):
    loaded = read_library_buildings(shared_data / "assets" / "os_library_buildings.csv.gz")
    assert loaded.report.rows_read == 3_469
    assert len(loaded.data) == 3_341
    merged = "part of a building already counted (same name, within 50 m)"
    assert loaded.report.rejected == {merged: 128}
    assert loaded.data["n_parts"].sum() == 3_469
    assert loaded.data["asset_id"].is_unique


def test_library_buildings_west_midlands(buildings):
    data = buildings.data
    assert len(data) == 142
    assert set(data["subtype"]) == {"building"}
    lob = data.set_index("name").loc["Library of Birmingham"]
    assert lob["easting"] == pytest.approx(406_308.3, abs=0.5)
    assert lob["northing"] == pytest.approx(286_866.2, abs=0.5)
    assert data["easting"].between(WM_BBOX[0], WM_BBOX[2]).all()


def test_library_buildings_no_merge(shared_data):
    loaded = read_library_buildings(
        shared_data / "assets" / "os_library_buildings.csv.gz", merge_within=0
    )
    assert len(loaded.data) == 3_469


# --- combine -------------------------------------------------------------------------------


def test_combine_real(worship, libraries, buildings):
    combined = combine_assets(worship.data, libraries.data, buildings.data)
    assert list(combined.columns) == ASSET_COLUMNS + DETAIL_COLUMNS
    assert combined[DETAIL_COLUMNS].isna().all().all()  # no open source has them
    assert combined.crs.to_epsg() == 27700
    assert combined["asset_id"].is_unique
    # the OS building of the Library of Birmingham lies 20 m from the listed library
    dropped = combined.attrs["duplicates_dropped"]
    assert dropped >= 1
    assert len(combined) == 1_300 + 5 + 142 - dropped
    lob = combined[combined["name"] == "Library of Birmingham"]
    assert lob["source"].tolist() == [SOURCE_LIBRARIES]
    # ... and the listed library now sits on its building, not on its postcode
    building = buildings.data[buildings.data["name"] == "Library of Birmingham"]
    assert lob.geometry.iloc[0].distance(building.geometry.iloc[0]) < 1
    assert set(combined.geom_type) == {"Point"}
    # buildings that match no listed library do not count as open public libraries
    other = combined[combined["source"] == SOURCE_LIBRARY_BUILDINGS]
    assert len(other) == 142 - dropped and set(other["asset_type"]) == {"library_building"}


def _assets(source, points, prefix):
    return gpd.GeoDataFrame(
        {
            "asset_id": [f"{prefix}{i}" for i in range(len(points))],
            "asset_type": "library",
            "name": "x",
            "subtype": "LAL",
            "source": source,
            "easting": [p[0] for p in points],
            "northing": [p[1] for p in points],
        },
        geometry=[Point(p) for p in points],
        crs="EPSG:27700",
    )


def test_combine_dedupe_distance():
    listed = _assets(SOURCE_LIBRARIES, [(400_000, 300_000)], "lib")
    built = _assets(
        SOURCE_LIBRARY_BUILDINGS, [(400_030, 300_040), (400_040, 300_040)], "os"
    )  # 50.0 m and 56.6 m away
    combined = combine_assets(built, listed, dedupe_within=55)
    assert combined["asset_id"].tolist() == ["lib0", "os1"]
    assert combined.attrs["duplicates_dropped"] == 1
    # the library moved onto the matched building; the other building is not a library
    assert (combined.loc[0, "easting"], combined.loc[0, "northing"]) == (400_030, 300_040)
    assert combined.loc[1, "asset_type"] == "library_building"
    assert combine_assets(built, listed).attrs["duplicates_dropped"] == 2  # 300 m default
    assert len(combine_assets(built, listed, dedupe_within=0)) == 3


def test_combine_errors():
    listed = _assets(SOURCE_LIBRARIES, [(400_000, 300_000)], "lib")
    with pytest.raises(InvalidValueError, match=r"asset_id 'lib0' appears twice"):
        combine_assets(listed, listed)
    with pytest.raises(
        MissingColumnsError, match=r"asset table 2: missing column\(s\) \['subtype'\]"
    ):
        combine_assets(listed, listed.drop(columns="subtype"))
    with pytest.raises(InvalidValueError, match=r"asset table 1.*EPSG:4326.*expected EPSG:27700"):
        combine_assets(listed.to_crs("EPSG:4326"))
    empty = combine_assets()
    assert list(empty.columns) == ASSET_COLUMNS + DETAIL_COLUMNS and len(empty) == 0


# --- crafted bad files ---------------------------------------------------------------------


def test_pow_missing_column(tmp_path):
    header = POW_HEADER.replace("faith,", "")
    row = POW_ROW.replace("Muslim,", "")
    with pytest.raises(MissingColumnsError, match=r"pow\.csv\.gz: missing column\(s\) \['faith'\]"):
        read_places_of_worship(_write(tmp_path / "pow.csv.gz", [header, row]))


@pytest.mark.parametrize(
    ("old", "new", "column", "problem"),
    [
        ("-1.84815", "west", "lon", "'west' is not a longitude"),
        ("52.42285", "152.4", "lat", "'152.4' is not a latitude"),
        ("E08000025", "Birmingham", "area_code", "'Birmingham' is not a valid code"),
        (",way,", ",street,", "osm_type", "OSM type 'street' is not one of"),
        ("103044268", "10304426x", "osm_id", "'10304426x' is not an OSM id"),
    ],
    ids=["lon", "lat", "code", "osm_type", "osm_id"],
)
def test_pow_bad_values(tmp_path, old, new, column, problem):
    rows = [POW_ROW, POW_ROW.replace("103044268", "1"), POW_ROW.replace(old, new)]
    with pytest.raises(InvalidValueError) as err:
        read_places_of_worship(_write(tmp_path / "pow.csv.gz", [POW_HEADER, *rows]))
    msg = str(err.value)
    assert f"pow.csv.gz, line 4, column '{column}'" in msg
    assert problem in msg


def test_pow_no_coordinates_and_repeats(tmp_path):
    rows = [POW_ROW, POW_ROW, POW_ROW.replace("-1.84815,52.42285", ",").replace("268", "269")]
    loaded = read_places_of_worship(_write(tmp_path / "pow.csv.gz", [POW_HEADER, *rows]))
    assert len(loaded.data) == 1
    assert loaded.report.rejected == {
        "no coordinates": 1,
        "repeated OSM feature and faith": 1,
    }


def test_pow_bad_district_argument(tmp_path):
    path = _write(tmp_path / "pow.csv.gz", [POW_HEADER, POW_ROW])
    with pytest.raises(InvalidValueError, match=r"districts argument.*'Birmingham'"):
        read_places_of_worship(path, districts=["Birmingham"])


def test_pow_empty_and_corrupt(tmp_path):
    with pytest.raises(EmptyFileError, match=r"pow\.csv\.gz.*no data rows"):
        read_places_of_worship(_write(tmp_path / "pow.csv.gz", [POW_HEADER]))
    corrupt = tmp_path / "bad.csv.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CorruptArchiveError, match=r"bad\.csv\.gz: corrupt gzip"):
        read_places_of_worship(corrupt)


LIB_HEADER = (
    "Local authority,Library name,Postcode,Statutory,Type of library,Year opened,Year closed,"
    "Unique property reference number"
)


def test_libraries_bad_values(tmp_path, postcodes):
    ok = "Birmingham City Council,Library of Birmingham,B1 2ND,Yes,LAL,2013,,"
    rows = [ok, ok.replace(",2013,,", ",2013,soon,")]
    with pytest.raises(InvalidValueError, match=r"lib\.csv\.gz, line 3, column 'Year closed'"):
        read_libraries(_write(tmp_path / "lib.csv.gz", [LIB_HEADER, *rows]), postcodes)
    rows = [ok.replace(",Yes,", ",Maybe,")]
    with pytest.raises(InvalidValueError, match=r"line 2, column 'Statutory'.*'Maybe' is not Yes"):
        read_libraries(_write(tmp_path / "lib2.csv.gz", [LIB_HEADER, *rows]), postcodes)


def test_libraries_missing_column_and_postcodes(tmp_path, postcodes):
    header = LIB_HEADER.replace("Postcode,", "")
    row = "Birmingham City Council,Library of Birmingham,Yes,LAL,2013,,"
    with pytest.raises(MissingColumnsError, match=r"lib\.csv\.gz.*\['Postcode'\]"):
        read_libraries(_write(tmp_path / "lib.csv.gz", [header, row]), postcodes)
    ok = _write(
        tmp_path / "ok.csv.gz",
        [LIB_HEADER, "Birmingham City Council,Library of Birmingham,B1 2ND,Yes,LAL,2013,,"],
    )
    with pytest.raises(MissingColumnsError, match=r"postcodes table.*\['northing'\]"):
        read_libraries(ok, postcodes.drop(columns="northing"))
    bad = postcodes.assign(easting=postcodes["easting"].astype(str))
    bad.loc[2, "easting"] = "east"
    with pytest.raises(InvalidValueError, match=r"postcodes table, row 3, column 'easting'"):
        read_libraries(ok, bad)


def test_libraries_unknown_authority(shared_data, postcodes):
    with pytest.raises(InvalidValueError, match=r"'Gotham' matches no local authority"):
        read_libraries(
            shared_data / "assets" / "libraries_uk_schema.csv.gz",
            postcodes,
            local_authorities=["Birmingham", "Gotham"],
        )


def test_libraries_authority_whole_words(shared_data):
    path = shared_data / "assets" / "libraries_uk_schema.csv.gz"
    pcs = pd.DataFrame({"postcode": ["MK40 1PG"], "easting": [505_000.0], "northing": [249_700.0]})
    loaded = read_libraries(path, pcs, local_authorities=["Bedford"])
    raw = pd.read_csv(path, usecols=["Local authority"])["Local authority"]
    assert (raw == "Central Bedfordshire Council").sum() > 0
    outside = loaded.report.rejected["outside the requested local authorities"]
    # "Bedford" selects Bedford Borough Council only, not Central Bedfordshire
    assert 4_231 - outside == (raw == "Bedford Borough Council").sum()


def test_library_buildings_bad_wkt(tmp_path):
    good = '"POLYGON ((400000 300000,400010 300000,400010 300010,400000 300000))"'
    rows = [
        f"{good},1,A,Cultural Facility,Library,One,15024",
        '"POLYGON ((400000 300000, 4000"' + ",2,B,Cultural Facility,Library,Two,15024",
    ]
    with pytest.raises(InvalidValueError, match=r"b\.csv\.gz, line 3, column 'WKT'.*cannot read"):
        read_library_buildings(_write(tmp_path / "b.csv.gz", [BLD_HEADER, *rows]))


def test_library_buildings_degrees_and_bbox(tmp_path):
    deg = '"POLYGON ((-1.9 52.4,-1.89 52.4,-1.89 52.41,-1.9 52.4))"'
    path = _write(tmp_path / "deg.csv.gz", [BLD_HEADER, f"{deg},1,A,Cultural Facility,Library,,1"])
    with pytest.raises(InvalidValueError, match=r"deg\.csv\.gz, column 'WKT'.*longitude/latitude"):
        read_library_buildings(path)
    with pytest.raises(InvalidValueError, match=r"bbox argument"):
        read_library_buildings(path, bbox=(10, 10, 0, 0))


def test_library_buildings_missing_column_and_class(tmp_path):
    good = '"POLYGON ((400000 300000,400010 300000,400010 300010,400000 300000))"'
    header = BLD_HEADER.replace(",distinctive_name", "")
    path = _write(tmp_path / "m.csv.gz", [header, f"{good},1,A,Cultural Facility,Library,1"])
    with pytest.raises(MissingColumnsError, match=r"m\.csv\.gz.*\['distinctive_name'\]"):
        read_library_buildings(path)
    rows = [
        f"{good},1,A,Cultural Facility,Library,One,1",
        f"{good},2,B,Cultural Facility,Museum,Two,1",
    ]
    loaded = read_library_buildings(_write(tmp_path / "c.csv.gz", [BLD_HEADER, *rows]))
    assert loaded.data["asset_id"].tolist() == ["os:A"]
    assert loaded.report.rejected == {"not classified as Library": 1}
