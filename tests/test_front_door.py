"""One server, one front door (api.front_door): a national build at / and its VRU views
under /vru/<id>/ in one process; each postcode answered under its own VRU.

The slow tests serve the small nation of tests/test_views.py with three views
(tests/front_door_fixture.py): two built, one (Luton) configured but not built.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from front_door_fixture import NATION, VIEW_POSTCODES, front_door_nation, view_configs

from api.front_door import district_views
from api.models import Envelope, PostcodeResult, VruEntry
from api.vru_catalogue import ViewInfo, view_catalogue
from sna.errors import ConfigError

# one worker builds and serves the test nation's views (README: the suite's groups)
pytestmark = pytest.mark.xdist_group("nation")


def _view(vid: str, districts: list[str]) -> ViewInfo:
    return ViewInfo(id=vid, name=vid.title(), vru="", districts=tuple(districts))


def test_district_views_take_2022_and_2024_codes(tmp_path: Path):
    """A view listing the 2024 code of a district merged in 2023 covers its 2022 parts."""
    lookup = tmp_path / "lookup.csv.gz"
    rows = [
        "lsoa21_name,lsoa21_code,ward24_name,ward24_code,ltla24_name,ltla24_code",
        "A 001A,E01000001,W,E05000001,Somerset,E06000066",
        "B 001A,E01000002,W,E05000002,Somerset,E06000066",
        "C 001A,E01000003,W,E05000003,Bristol,E06000023",
    ]
    with gzip.open(lookup, "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    lsoas = [("E01000001", "E07000187"), ("E01000002", "E07000188"), ("E01000003", "E06000023")]
    views = [_view("avon-and-somerset", ["E06000023", "E06000066"]), _view("other", ["X"])]
    got = district_views(lsoas, views, lookup)
    assert got == {
        "E06000023": "avon-and-somerset",
        "E07000187": "avon-and-somerset",  # Mendip, in Somerset since 2023
        "E07000188": "avon-and-somerset",  # Sedgemoor
    }
    # with 2022 codes the lookup is not needed (nor read)
    views = [_view("avon-and-somerset", ["E06000023", "E07000187", "E07000188"])]
    assert district_views(lsoas, views, tmp_path / "absent.csv.gz") == got


@pytest.mark.slow  # the generated views read the bundle's force-area lookup
def test_the_catalogue_lists_shipped_and_named_views_of_the_region():
    views = view_configs()
    got = view_catalogue(NATION, [str(p) for p in views.values()], generated=[])
    assert [v.id for v in got] == ["beds-view", "luton-view", "wm-view"]
    beds = got[0]
    assert beds.path == "/vru/beds-view/" and beds.districts == ("E06000055", "E06000056")
    assert beds.vru == "Bedfordshire Violence and Exploitation Reduction Unit"
    # the shipped West Midlands view is England's, not the test nation's
    assert "west-midlands-view" in [v.id for v in view_catalogue("england", generated=[])]
    assert view_catalogue("west-midlands", generated=[]) == []
    with pytest.raises(ConfigError, match=r"not a view of 'england'"):
        view_catalogue("england", [str(views["wm-view"])], generated=[])


@pytest.fixture(scope="module")
def nation() -> tuple[Path, dict[str, Path]]:
    return front_door_nation()


@pytest.fixture(scope="module")
def door(nation):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    data_dir, views = nation
    settings = ApiSettings(
        region=NATION,
        data_dir=data_dir,
        view_configs=[str(p) for p in views.values()],
        reload_interval=60,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield app, client


@pytest.mark.slow
def test_one_process_serves_the_nation_and_its_views(door):
    app, client = door
    front = app.state.front_door
    assert front.served == ["beds-view", "wm-view"]  # Luton has no build
    nation_n = client.get("/api/v1/builds").json()["result"]["n_lsoa"]  # waits for the load
    assert client.get("/ready").status_code == 200
    listed = client.get("/api/v1/vrus").json()["result"]
    assert [(v["id"], v["path"], v["served"]) for v in listed] == [
        (NATION, "/", True),
        ("beds-view", "/vru/beds-view/", True),
        ("luton-view", "/vru/luton-view/", False),
        ("wm-view", "/vru/wm-view/", True),
    ]
    assert listed[0]["main"] and listed[2]["build_id"] is None and listed[3]["build_id"]
    assert listed[3]["data"] == {
        "street_files": [],
        "trend_files": [],
        "partner_extracts": [],
        "directory": False,
    }
    Envelope[list[VruEntry]].model_validate(client.get("/api/v1/vrus").json())
    for vid in ("wm-view", "beds-view"):
        postcode, district = VIEW_POSTCODES[vid]
        national = client.get(f"/api/v1/postcodes/{postcode}").json()["result"]
        assert national["codes"]["admin_district"] == district
        assert national["vru"] == {
            "id": vid,
            "name": front.views[vid].name,
            "vru": front.views[vid].vru,
            "path": f"/vru/{vid}/",
            "served": True,
            "note": None,
        }
        own = client.get(f"/vru/{vid}/api/v1/postcodes/{postcode}").json()["result"]
        for answer in (national, own):  # as the API documents them
            PostcodeResult.model_validate(answer)
        n = client.get(f"/vru/{vid}/api/v1/builds").json()["result"]["n_lsoa"]
        assert own["region"] == vid and own["violence_risk"]["of"] == n < nation_n
        assert "vru" not in own
        # the national ranks beside the regional ones are the national answer's
        ranks = own["national"]
        assert ranks["region"] == NATION and ranks["violence_risk"]["of"] == nation_n
        for k in ("need", "risk", "protective"):
            want = {x: national["indices"][k][x] for x in ("rank", "of", "decile", "band")}
            assert ranks[k] == want, k
        assert ranks["violence_risk"]["rank"] == national["violence_risk"]["rank"]
        assert own["what_to_do"]["contacts"]  # the VRU's own contacts
        assert own["assets"]["count"] == national["assets"]["count"]  # support nearby
        assert client.get(f"/vru/{vid}/api/v1/areas/{district}").status_code == 200
    # a district outside a view's is not its
    beds_pc, _ = VIEW_POSTCODES["beds-view"]
    assert client.get(f"/vru/wm-view/api/v1/postcodes/{beds_pc}").status_code == 404


@pytest.mark.slow
def test_a_postcode_whose_view_is_not_built_answers_with_the_nation_and_a_note(door):
    _, client = door
    postcode, district = VIEW_POSTCODES["luton-view"]
    r = client.get(f"/api/v1/postcodes/{postcode}")
    assert r.status_code == 200
    got = r.json()["result"]
    assert got["region"] == NATION and got["codes"]["admin_district"] == district
    vru = got["vru"]
    assert (vru["id"], vru["served"], vru["path"]) == ("luton-view", False, "/vru/luton-view/")
    assert vru["note"].startswith("Luton's own view is not built on this server yet")
    assert "ranks among all Test nation's neighbourhoods" in vru["note"]
    missing = client.get(f"/vru/luton-view/api/v1/postcodes/{postcode}")
    assert missing.status_code == 404 and "/api/v1/vrus" in missing.json()["error"]
    bulk = client.post("/api/v1/postcodes", json={"postcodes": [postcode]}).json()
    assert bulk["result"][0]["result"]["vru"]["id"] == "luton-view"


@pytest.mark.slow
def test_views_are_opened_on_first_request_and_outlined(door):
    app, client = door
    front = app.state.front_door
    client.get("/vru/wm-view/api/v1/builds")
    assert "wm-view" in front._apps
    assert client.get("/vru/nope/api/v1/builds").status_code == 404
    assert "nope" not in front._apps
    body = client.get("/api/v1/vrus/outlines").json()["result"]
    props = {f["properties"]["id"]: f["properties"]["served"] for f in body["features"]}
    assert props == {"beds-view": True, "luton-view": False, "wm-view": True}
    for f in body["features"]:
        geom = f["geometry"]
        assert geom["type"] in ("Polygon", "MultiPolygon")
        ring = geom["coordinates"][0] if geom["type"] == "Polygon" else geom["coordinates"][0][0]
        lon, lat = ring[0]
        assert -3 < lon < 0.5 and 51.5 < lat < 53  # the Midlands and Bedfordshire
    page = client.get("/vru/wm-view/")
    assert page.status_code == 200 and "app.js" in page.text  # the VRU's own map


@pytest.mark.slow
def test_front_door_lookups_import_no_data_stack(nation):
    """National and VRU lookups load no pandas, pyarrow, rasterio or numpy: the memory of a
    server of all England's VRUs is its answers."""
    data_dir, views = nation
    configs = [str(p) for p in views.values()]
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from fastapi.testclient import TestClient
        from api.app import create_app
        from api.settings import ApiSettings
        s = ApiSettings(region={NATION!r}, data_dir=Path({str(data_dir)!r}),
                        view_configs={configs!r})
        with TestClient(create_app(s)) as c:
            for vid, (pc, _) in {VIEW_POSTCODES!r}.items():
                assert c.get("/api/v1/postcodes/" + pc).status_code == 200
                c.get("/vru/" + vid + "/api/v1/postcodes/" + pc)
            assert c.get("/api/v1/vrus").status_code == 200
        heavy = ("pandas", "pyarrow", "numpy", "rasterio", "shapely", "scipy")
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_a_views_requests_get_the_main_apps_middleware_once(nation, caplog):
    """Access log, CORS (never on analyst routes), methods, gzip and security headers apply
    to /vru/<id>/ as to /, judged by the path within the view's app."""
    import json
    import logging

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings

    data_dir, views = nation
    settings = ApiSettings(
        region=NATION,
        data_dir=data_dir,
        view_configs=[str(p) for p in views.values()],
        api_key="s3cret-key",
        cors_origins=["*"],
        reload_interval=60,
    )
    postcode, district = VIEW_POSTCODES["wm-view"]
    base = "/vru/wm-view/api/v1"
    origin = {"Origin": "https://example.org"}
    with (
        TestClient(create_app(settings)) as c,
        caplog.at_level(logging.INFO, logger="sna.api.access"),
    ):
        key = {"x-api-key": "s3cret-key", **origin}
        assert c.get(f"{base}/analyst/areas/{district}", headers=key).status_code == 200
        private = c.get(f"{base}/analyst/areas/{district}", headers=origin)
        assert private.status_code == 401 and "access-control-allow-origin" not in private.headers
        public = c.get(
            f"{base}/postcodes/{postcode}", headers={**origin, "Accept-Encoding": "gzip"}
        )
        assert public.headers["access-control-allow-origin"] == "*"
        assert public.headers["content-encoding"] == "gzip" and public.json()["status"] == 200
        assert public.headers["x-frame-options"] == "DENY"
        options = c.options(f"{base}/postcodes/{postcode}")
        assert options.status_code == 204 and "GET" in options.headers["allow"]
        head = c.head(f"{base}/postcodes/{postcode}")
        assert head.status_code == 200 and head.content == b""
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sna.api.access"]
    assert [(r["route"], r["status"]) for r in records] == [
        ("/vru/wm-view/api/v1/analyst/areas/{code}", 200),
        ("/vru/wm-view/api/v1/analyst/areas/{code}", 401),
    ]


@pytest.mark.slow
def test_a_view_says_which_vru_answers_a_postcode_outside_it(door):
    _, client = door
    beds, _ = VIEW_POSTCODES["beds-view"]
    luton, _ = VIEW_POSTCODES["luton-view"]
    r = client.get(f"/vru/wm-view/api/v1/postcodes/{beds}")
    assert r.status_code == 404
    assert r.json()["error"] == (
        f"{beds} is outside West Midlands: it is in Bedford and Central Bedfordshire's area, "
        "VRU view 'beds-view' here"
    )
    r = client.get(f"/vru/wm-view/api/v1/postcodes/{luton}")
    assert r.json()["error"].endswith(
        "in Luton's area, whose view is not served here (the map at / answers it)"
    )
    r = client.get("/vru/wm-view/api/v1/postcodes/ZZ99 9ZZ")
    assert r.status_code == 404 and "outside" not in r.json()["error"]


@pytest.mark.slow
def test_a_view_published_while_serving_is_served_without_a_restart(nation, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    from sna.builds.registry import current_target

    data_dir, views = nation
    for rid in (NATION, "wm-view"):  # a data directory of the nation and one view
        (tmp_path / rid / "builds").mkdir(parents=True)
        (tmp_path / rid / "builds" / "current").symlink_to(current_target(rid, data_dir))
    settings = ApiSettings(
        region=NATION,
        data_dir=tmp_path,
        view_configs=[str(p) for p in views.values()],
        reload_interval=0,
    )
    postcode, _ = VIEW_POSTCODES["beds-view"]
    with TestClient(create_app(settings)) as client:
        first = client.get(f"/api/v1/postcodes/{postcode}")
        before = first.json()["result"]["vru"]
        assert (before["id"], before["served"]) == ("beds-view", False)
        old_tag = {"If-None-Match": first.headers["etag"]}
        assert client.get(f"/api/v1/postcodes/{postcode}", headers=old_tag).status_code == 304
        assert client.get(f"/vru/beds-view/api/v1/postcodes/{postcode}").status_code == 404
        (tmp_path / "beds-view" / "builds").mkdir(parents=True)  # published now
        target = current_target("beds-view", data_dir)
        (tmp_path / "beds-view" / "builds" / "current").symlink_to(target)
        after = client.get(f"/api/v1/postcodes/{postcode}").json()["result"]["vru"]
        assert (after["served"], after["note"]) == (True, None)
        # a browser revalidating its old answer gets the new one, not 304
        again = client.get(f"/api/v1/postcodes/{postcode}", headers=old_tag)
        assert again.status_code == 200 and again.headers["etag"] != old_tag["If-None-Match"]
        assert again.json()["result"]["vru"]["served"] is True
        own = client.get(f"/vru/beds-view/api/v1/postcodes/{postcode}")
        assert own.status_code == 200 and own.json()["result"]["region"] == "beds-view"


@pytest.mark.slow
def test_a_views_tiles_are_its_own_cut_from_the_nations_polygons(door):
    """A view's LSOA tiles share the nation's projected polygons and carry the view's own
    attributes: the same tiles as its build makes alone, and none of another view's LSOAs."""
    import mapbox_vector_tile
    import morecantile

    from sna.builds.registry import current_target, open_build

    app, client = door
    alone = open_build(current_target("wm-view", app.state.settings.data_dir))
    tms = morecantile.tms.get("WebMercatorQuad")
    for z, (lon, lat) in ((12, (-1.90, 52.48)), (10, (-1.75, 52.45)), (14, (-1.4245, 52.43))):
        t = tms.tile(lon, lat, z)
        served = client.get(f"/vru/wm-view/tiles/areas/{z}/{t.x}/{t.y}.pbf")
        assert served.status_code == 200
        got = mapbox_vector_tile.decode(served.content)["lsoa"]["features"]
        want = mapbox_vector_tile.decode(alone.area_tiles.tile(z, t.x, t.y))["lsoa"]["features"]
        assert got and {f["properties"]["code"] for f in got} == {
            f["properties"]["code"] for f in want
        }
        by_code = {f["properties"]["code"]: f for f in want}
        for f in got:
            assert f["properties"] == by_code[f["properties"]["code"]]["properties"]
            assert f["geometry"] == by_code[f["properties"]["code"]]["geometry"]
    national = client.get(f"/tiles/areas/10/{t.x // 16}/{t.y // 16}.pbf")
    assert national.status_code == 200  # the nation's own tiles are unchanged beside them
    view = app.state.front_door._apps["wm-view"].state.watcher.build
    assert view.area_tiles._geo is client.app.state.watcher.build.area_tiles._geo


#: The Guildhall, in the City of London: London's trend is the City's files'
CITY_POSTCODE = "EC2V 7HH"


@pytest.mark.slow
def test_england_a_postcode_of_each_force_with_street_files_answers_under_its_vru():
    """Issue 23's acceptance on the real England build (``SNA_DATA_DIR``): a postcode from
    every VRU whose force has police.uk street files answers under its own VRU, with a
    monthly trend. Runs once England and those views are published. 17 forces in 17 views:
    London's view (the Met and the City together) takes the City's files for the trend of
    the City's LSOAs only (``trend_files``), so its postcode is one in the City."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    from api.vru_catalogue import view_catalogue
    from bench.bench_front_door import sample_postcodes
    from sna.builds.registry import current_target
    from sna.settings import data_dir

    root = data_dir()
    national = current_target("england", root)
    with_files = [v for v in view_catalogue("england") if v.street_files or v.trend_files]
    missing = [v.id for v in with_files if current_target(v.id, root) is None]
    if national is None or len(with_files) < 17 or missing:
        pytest.skip(
            f"needs England and its force-area views with street files published under {root} "
            f"(England: {'yes' if national else 'no'}; views with street files: "
            f"{len(with_files)}; not built: {', '.join(missing) or 'none'})"
        )
    picked = sample_postcodes(national / "answers.sqlite", with_files, 3000)
    settings = ApiSettings(region="england", data_dir=root, reload_interval=60)
    with TestClient(create_app(settings)) as client:
        for view in with_files:
            postcode = CITY_POSTCODE if view.trend_files else picked[view.id][0]
            got = client.get(f"/api/v1/postcodes/{postcode}").json()["result"]
            assert got["vru"]["id"] == view.id and got["vru"]["served"], (postcode, got["vru"])
            own = client.get(f"/vru/{view.id}/api/v1/postcodes/{postcode}").json()["result"]
            assert own["region"] == view.id and own["national"]["violence_risk"]["of"] > 30000
            lsoa = own["lsoa21"]["code"]
            trend = client.get(f"/vru/{view.id}/api/v1/areas/{lsoa}/trend").json()["result"]
            assert trend["monthly"] and trend["monthly"]["counts"], (view.id, lsoa)
