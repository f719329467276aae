"""Schools as support nearby, OSM places of worship that are schools, and names by type."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.school_assets import drop_worship_at_schools, school_assets, school_phase
from sna.answers.support import display_name, nearby, support_points


def test_state_funded_schools_of_the_west_midlands(wm_store):
    gias = wm_store.read("schools")
    assert len(gias) == 1_236
    assets = wm_store.read("assets")
    schools = assets[assets["asset_type"] == "school"]
    # open state-funded schools only: every one is an academy, free school or maintained
    by_urn = gias.set_index("urn")
    groups = by_urn.loc[schools["asset_id"].str.removeprefix("gias:").astype(int)]
    assert set(groups["establishment_type_group"]) == {
        "Academies",
        "Free Schools",
        "Local authority maintained schools",
        "Special schools",
    }
    special = groups[groups["establishment_type_group"] == "Special schools"]
    assert set(special["establishment_type"]) <= {
        "Community special school",
        "Foundation special school",
    }
    independent = gias[gias["establishment_type_group"] == "Independent schools"]
    assert len(independent) == 70
    assert not set(independent["urn"]) & set(groups.index)
    assert 1_090 <= len(schools) <= 1_103  # 1,103 state-funded; a few on a region edge
    assert set(schools["source"]) == {"gias_schools"}
    assert schools["name"].notna().all()
    phases = schools["subtype"].value_counts()
    assert phases["Primary"] > 700 and phases["Secondary"] > 150 and phases["Special"] > 50
    assert "Not applicable" not in phases.index


def test_an_osm_academy_is_no_longer_a_place_of_worship(wm_store):
    assets = wm_store.read("assets")
    worship = assets[assets["asset_type"] == "place_of_worship"]
    assert "Hawkesley Academy" not in set(worship["name"])  # OSM way 788222380
    assert "osm:way/788222380" not in set(assets["asset_id"])
    # the school it is appears as a school
    assert "Hawkesley Church Primary Academy" in set(
        assets.loc[assets["asset_type"] == "school", "name"]
    )
    # churches beside their church schools keep their record
    assert "Our Lady of the Wayside Catholic Church" in set(worship["name"])
    load = wm_store.manifest()["tables"]["assets"]["load"]
    pow_report = next(r for r in load if "places_of_worship" in r["source"])
    assert pow_report["rejected"]["a GIAS school, not a place of worship"] == 1
    assert any("Hawkesley Academy" in n for n in pow_report["notes"])


def test_drop_worship_at_schools_rule():
    def frame(rows, cols):
        df = pd.DataFrame(rows, columns=cols)
        return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.easting, df.northing), crs=27700)

    worship = frame(
        [
            ("osm:1", "St Mary's Church", 100.0, 0.0),  # next to its school: a church
            ("osm:2", "Hawkesley Academy", 0.0, 0.0),  # is the school
            ("osm:3", "Green Oak Academy", 5_000.0, 0.0),  # no school near: kept
            ("osm:4", None, 0.0, 10.0),
        ],
        ["asset_id", "name", "easting", "northing"],
    ).assign(source="osm_places_of_worship", asset_type="place_of_worship")
    schools = pd.DataFrame(
        {
            "establishment_name": [
                "St Mary's CofE Primary School",
                "Hawkesley Church Primary Academy",
            ],
            "easting": [120.0, 30.0],
            "northing": [0.0, 0.0],
        }
    )
    kept, dropped = drop_worship_at_schools(worship, schools)
    assert kept["asset_id"].tolist() == ["osm:1", "osm:3", "osm:4"]
    assert dropped.to_dict("records") == [
        {
            "asset_id": "osm:2",
            "name": "Hawkesley Academy",
            "school_name": "Hawkesley Church Primary Academy",
            "distance_m": 30,
        }
    ]


def test_school_assets_leave_out_independent_and_unlocated():
    gias = pd.DataFrame(
        {
            "urn": [1, 2, 3, 4],
            "establishment_name": ["A Primary", "B School", "C Special", "D Academy"],
            "establishment_type": [
                "Academy converter",
                "Other independent school",
                "Community special school",
                "Academy sponsor led",
            ],
            "establishment_type_group": [
                "Academies",
                "Independent schools",
                "Special schools",
                "Academies",
            ],
            "education_phase": ["Primary", "Not applicable", "Not applicable", "Secondary"],
            "easting": [1.0, 2.0, 3.0, np.nan],
            "northing": [1.0, 2.0, 3.0, np.nan],
            "has_coordinates": [True, True, True, False],
        }
    )
    loaded = school_assets(gias)
    assert loaded.data["asset_id"].tolist() == ["gias:1", "gias:3"]
    assert loaded.data["subtype"].tolist() == ["Primary", "Special"]
    assert loaded.report.rejected == {
        "not state-funded (Independent schools)": 1,
        "no grid reference": 1,
    }
    assert school_phase("Not applicable", "Pupil referral unit") == "Alternative provision"


def test_no_unnamed_entries_in_real_support_nearby(wm_store):
    assets = wm_store.read("assets")
    points = support_points(assets)
    names = [e["name"] for e in points.entries]
    assert all(names) and not [n for n in names if n.lower().startswith("unnamed")]
    unnamed = assets[assets["name"].isna() & (assets["asset_type"] == "place_of_worship")]
    assert len(unnamed) > 50  # OSM records without a name tag ...
    labels = {display_name(None, "place_of_worship", f) for f in unnamed["subtype"]}
    assert "Place of worship (Christian)" in labels  # ... shown by their type and faith
    assert set(labels) <= set(names)
    # every live postcode's list, as the postcode answer would give it
    pcs = wm_store.read("postcodes")
    pcs = pcs[(pcs["status"] == "live") & pcs["easting"].notna()]
    found = nearby(
        points, pcs["easting"].to_numpy(), pcs["northing"].to_numpy(), radius=1000, limit=10
    )
    listed = {points.entries[j]["name"] for picks in found.picks for j, _ in picks}
    assert "Place of worship (Christian)" in listed
    assert not [n for n in listed if "unnamed" in n.lower()]
    types = {points.entries[j]["type"] for picks in found.picks for j, _ in picks}
    assert {"school", "place_of_worship", "library"} <= types


@pytest.mark.parametrize(
    ("name", "kind", "sub", "shown"),
    [
        (None, "place_of_worship", "Muslim", "Place of worship (Muslim)"),
        ("  ", "sports_centre", None, "Sports centre"),
        (None, "library_building", "building", "Library building"),
        (np.nan, "youth_club", None, "Youth club"),
        ("St Chad's", "place_of_worship", "Christian", "St Chad's"),
    ],
)
def test_display_name(name, kind, sub, shown):
    assert display_name(name, kind, sub) == shown
