"""A VRU as a view of a national build (sna.prepare.views): the same answers as a direct build."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TEST_DATA_DIR, built_once, file_lock

from sna.config.region import load_region
from sna.errors import ConfigError
from sna.prepare.pipeline import prepare_region
from sna.prepare.views import slice_table

# one worker builds and serves the test nation's views (README: the suite's groups)
pytestmark = pytest.mark.xdist_group("nation")

WM = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030", "E08000031"]
BEDS = ["E06000055", "E06000056", "E06000032"]


def _configs() -> tuple[Path, Path]:
    """A small "nation" (West Midlands + Bedfordshire districts) and a WM view of it."""
    folder = TEST_DATA_DIR / "configs"
    folder.mkdir(parents=True, exist_ok=True)
    wm = (Path(__file__).parents[1] / "geodata" / "regions" / "west-midlands.toml").read_text()
    nation = wm.replace('id = "west-midlands"', 'id = "test-nation"')
    nation = nation.replace('name = "West Midlands"', 'name = "Test nation"')
    nation = re.sub(r"districts = \[.*\]", f"districts = {WM + BEDS!r}".replace("'", '"'), nation)
    nation = re.sub(r"la_names = \[.*\]\n", "", nation)
    national = folder / "test-nation.toml"
    view = folder / "wm-view.toml"
    if not national.exists() or national.read_text() != nation:
        national.write_text(nation)
    text = (
        "[region]\n"
        'id = "wm-view"\nname = "West Midlands"\n'
        'vru = "West Midlands Violence Reduction Partnership"\n'
        'police_force = "West Midlands Police"\n'
        f'view_of = "{national}"\n'
        f"districts = {WM!r}\n".replace("'", '"')
        + 'la_names = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", '
        '"Wolverhampton"]\n'
    )
    if not view.exists() or view.read_text() != text:
        view.write_text(text)
    return national, view


@pytest.mark.slow  # loading a view checks the bundle's generated view ids
def test_view_inherits_everything_but_its_region():
    national, view = _configs()
    v, w = load_region(view), load_region("west-midlands")
    assert v.region.view_of == str(national)
    assert v.sources == w.sources and v.scoring == w.scoring and v.layers == w.layers
    assert v.violence_risk == w.violence_risk


def test_slice_rules_on_a_small_table():
    pts = pd.DataFrame(
        {
            "lsoa21_code": ["A", None, None, "Z"],
            "lsoa_code_file": ["A", "A", None, "Z"],
            "has_coordinates": [True, True, False, True],
            "force": ["F", "F", "F", "G"],
        }
    )
    got = slice_table(
        "crime_points", pts, lsoas={"A"}, districts=set(), wards=set(), police_force="F"
    )
    assert len(got) == 3  # placed in A; named A by police.uk; no coordinates, own force
    pcs = pd.DataFrame({"district_code_x": ["D1", "D2"], "lsoa21_code": ["A", "A"]})
    got = slice_table("postcodes", pcs, lsoas={"A"}, districts={"D1"}, wards=set(), police_force="")
    assert got["district_code_x"].tolist() == ["D1"]


@pytest.mark.slow
def test_view_build_equals_a_direct_build_of_the_same_districts(wm_build: Path):
    national, view = _configs()
    with file_lock("build-wm-view"):
        nation_path = built_once(national)
        view_path = built_once(view)
    store_manifest = (TEST_DATA_DIR / "wm-view" / "store" / "manifest.json").read_text()
    assert '"view_of": "test-nation"' in store_manifest
    direct = pd.read_parquet(wm_build / "lsoa.parquet")
    viewed = pd.read_parquet(view_path / "lsoa.parquet")
    national = [c for c in viewed.columns if "_national_" in c]
    assert list(direct.columns) == [c for c in viewed.columns if c not in national]
    assert len(direct) == 1719
    for c in direct.columns:
        if c == "geometry":
            continue
        a, b = direct[c], viewed[c]
        if pd.api.types.is_numeric_dtype(a):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, err_msg=c)
        else:
            assert (a.astype(str).to_numpy() == b.astype(str).to_numpy()).all(), c
    # national ranks beside the regional ones: the nation's own ranks of these LSOAs
    nat = pd.read_parquet(nation_path / "lsoa.parquet").set_index("lsoa21_code")
    for k in ("need", "violence_risk"):
        want = nat.loc[viewed["lsoa21_code"], f"{k}_rank"].to_numpy()
        assert (viewed[f"{k}_national_rank"].to_numpy() == want).all(), k
        assert viewed[f"{k}_national_rank"].max() > 1719  # ranked among the nation's LSOAs
    pa = pd.read_parquet(wm_build / "postcodes.parquet", columns=["postcode", "pc_need"])
    pb = pd.read_parquet(view_path / "postcodes.parquet", columns=["postcode", "pc_need"])
    pd.testing.assert_frame_equal(pa, pb)


@pytest.mark.slow
def test_view_of_districts_outside_its_nation_is_refused(tmp_path: Path):
    national, _ = _configs()
    bad = tmp_path / "bad-view.toml"
    bad.write_text(
        f'[region]\nid = "bad-view"\nname = "Bad"\nview_of = "{national}"\n'
        'districts = ["E08000025", "E09000001"]\n'
    )
    with file_lock("build-wm-view"):
        with pytest.raises(ConfigError, match=r"E09000001.*not districts of 'test-nation'"):
            prepare_region(load_region(bad), data_dir=TEST_DATA_DIR)


@pytest.mark.slow
def test_one_server_serves_several_regions(wm_build: Path, beds_build: Path):
    """The main region at /, another under /vru/<id>/, each from its own build."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    settings = ApiSettings(
        region="west-midlands", views=["bedfordshire"], data_dir=TEST_DATA_DIR, reload_interval=60
    )
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/v1/vrus").json()["result"]
        assert [(v["id"], v["path"], v["served"]) for v in listed] == [
            ("west-midlands", "/", True),
            ("bedfordshire", "/vru/bedfordshire/", True),
        ]
        assert client.get("/api/v1/areas/E08000025").status_code == 200
        assert client.get("/api/v1/areas/E06000055").status_code == 404
        beds = client.get("/vru/bedfordshire/api/v1/areas/E06000055")
        assert beds.status_code == 200 and beds.json()["result"]["region"] == "bedfordshire"
        assert client.get("/vru/bedfordshire/api/v1/areas/E08000025").status_code == 404
        trend = client.get("/vru/bedfordshire/api/v1/areas/E06000055/trend").json()["result"]
        assert trend["monthly"] is not None  # Bedfordshire has street-level files
    assert ApiSettings(views="a, b").views == ["a", "b"]


def _own_sources_view(folder: Path, national: Path, extract: Path, directory: Path) -> Path:
    view = folder / "wm-view-own.toml"
    text = (
        "[region]\n"
        'id = "wm-view-own"\nname = "West Midlands"\n'
        'police_force = "West Midlands Police"\n'
        f'view_of = "{national}"\n'
        f"districts = {WM!r}\n".replace("'", '"')
        + "\n[sources.hospital_admissions]\n"
        f'path = "{extract}"\nvintage = "test extract 2023"\nlicence = "restricted"\n'
        f'\n[services]\npath = "{directory}"\n'
    )
    view.write_text(text)
    return view


def _admissions(path: Path, postcodes: list[tuple[str, int]]) -> Path:
    rows = ["record_id,postcode,admission_date,age,sex,icd10_cause,mechanism"]
    k = 0
    for pc, n in postcodes:
        for _ in range(n):
            k += 1
            rows.append(f"T-{k:05d},{pc},2023-{k % 12 + 1:02d}-15,{16 + k % 8},M,Y04.0,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_view_prepares_its_own_sources_on_top_of_the_slice(tmp_path: Path):
    """A view's own partner extract and service directory are read and placed in the view's
    LSOAs over the sliced tables; changing them re-prepares the view, never the nation."""
    import json

    from sna.prepare.store import Store

    national, _ = _configs()
    with file_lock("build-wm-view"):
        prepare_region(load_region(national), data_dir=TEST_DATA_DIR)
    nation = Store("test-nation", TEST_DATA_DIR)
    nation_key = nation.manifest()["cache_key"]
    pcs = nation.read("postcodes")
    live = pcs[(pcs["status"] == "live") & pcs["easting"].notna()].sort_values("postcode")
    ons = "district_code_x" if "district_code_x" in live.columns else "district_code"
    wm = live[live[ons].isin(WM)]
    beds = live[live[ons].isin(BEDS)]
    a, b, out = wm["postcode"].iloc[10], wm["postcode"].iloc[2000], beds["postcode"].iloc[0]
    extract = _admissions(tmp_path / "admissions.csv", [(a, 12), (b, 9), (out, 5)])
    header = (Path(__file__).parents[1] / "docs/examples/service-directory.csv").read_text()
    directory = tmp_path / "services.csv"
    directory.write_text(
        header.splitlines()[0]
        + f"\nView Youth Club,youth_club,{a},,,,,11-18,,,\nView Mentoring,mentoring,{b},,,,,,,,\n"
    )
    view = _own_sources_view(tmp_path, national, extract, directory)
    with file_lock("build-wm-view-own"):
        first = prepare_region(load_region(view), data_dir=TEST_DATA_DIR)
        again = prepare_region(load_region(view), data_dir=TEST_DATA_DIR)
        store = Store("wm-view-own", TEST_DATA_DIR)
        admissions = store.read("hospital_admissions")
        assets = store.read("assets")
        manifest = store.manifest()
        _admissions(extract, [(a, 12), (b, 10)])  # a new extract
        third = prepare_region(load_region(view), data_dir=TEST_DATA_DIR)
        changed = len(Store("wm-view-own", TEST_DATA_DIR).read("hospital_admissions"))
    assert first.rebuilt and not again.rebuilt and third.rebuilt
    assert nation.manifest()["cache_key"] == nation_key  # the nation is not prepared again
    assert len(admissions) == 21 and changed == 22  # Bedfordshire's 5 are not the view's
    lsoa_of = wm.set_index("postcode")["lsoa21_code"]
    assert set(admissions["lsoa21_code"]) == {lsoa_of[a], lsoa_of[b]}
    services = assets[assets["source"] == "service_directory"]
    assert sorted(services["name"]) == ["View Mentoring", "View Youth Club"]
    inherited = nation.read("assets")
    inherited = inherited[inherited["lsoa21_code"].isin(store.read("lsoa21")["lsoa21_code"])]
    assert len(assets) == len(inherited) + 2  # the sliced assets, plus the view's services
    assert manifest["own_sources"] == ["hospital_admissions", "services"]
    used = [s["source"] for s in manifest["tables"]["assets"]["sources"]]
    assert "services" in used and "places_of_worship" in used
    assert json.dumps(manifest["tables"]["hospital_admissions"]["sources"]).count("sha256") == 1


@pytest.mark.slow
def test_every_view_of_a_nation_builds_in_workers_and_a_bad_one_fails_alone(
    wm_build: Path, tmp_path: Path
):
    """``sna build --views``: the views of a small nation built two at a time, each as a build
    of its own would be; a view that cannot be built is reported and the others still are."""
    from sna.build.views import build_views

    national, view = _configs()
    beds = tmp_path / "beds-view.toml"
    beds.write_text(
        f'[region]\nid = "beds-view"\nname = "Bedfordshire"\nview_of = "{national}"\n'
        f"districts = {BEDS!r}\n".replace("'", '"')
    )
    bad = tmp_path / "bad-view.toml"
    bad.write_text(
        f'[region]\nid = "bad-view"\nname = "Bad"\nview_of = "{national}"\n'
        'districts = ["E08000025", "E09000001"]\n'
    )
    with file_lock("build-wm-view"):
        built_once(national)
        results = build_views(
            load_region(national),
            views=[str(view), str(beds), str(bad)],
            data_dir=TEST_DATA_DIR,
            jobs=2,
        )
    by_id = {r.region: r for r in results}
    assert by_id["wm-view"].n_lsoa == 1719 and by_id["beds-view"].n_lsoa == 417
    assert not by_id["wm-view"].error and not by_id["beds-view"].error
    failed = [r for r in results if r.error]
    assert len(failed) == 1 and "E09000001" in failed[0].error
    built = TEST_DATA_DIR / "wm-view" / "builds" / by_id["wm-view"].build_id
    direct = pd.read_parquet(wm_build / "lsoa.parquet", columns=["lsoa21_code", "need_rank"])
    viewed = pd.read_parquet(built / "lsoa.parquet", columns=["lsoa21_code", "need_rank"])
    pd.testing.assert_frame_equal(direct, viewed)
