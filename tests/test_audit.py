"""Acceptance: a real partner extract cannot be located or counted in any public output.

A hospital extract in the published schema puts clusters, isolated single admissions and
pairs at known West Midlands postcodes (``partner_extract.design``). Version A and version B
differ only in where the singles and pairs are (moved to other wards of the same district).
Both are built by the real pipeline; then every public output is crawled: the LSOA and
postcode exports (CSV, GeoPackage), every API area answer, the areas lists (JSON, CSV,
GeoJSON), postcode answers at and around the small groups, the decoded vector tiles, the PNG
surface tiles, the static map HTML and the report. **No public output differs between A and
B**, so none locates a group of 1-7 records; none carries a partner count or exact rate
(``partner_violations``); and the disclosure audit passes. The z-score, min-max and
geometric configurations are built and audited too, and a build configured to leak (partner
records declared open) is refused by the audit, which names the output and the unit.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from partner_extract import (
    BIRMINGHAM,
    EXCLUSIONS_LAYER,
    HOSPITAL_LAYER,
    design,
    extract_config,
    write_extract,
    write_pupil_extract,
)
from PIL import Image
from pyproj import Transformer
from typer.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("partner_extract")]
PARTNER = [HOSPITAL_LAYER, EXCLUSIONS_LAYER]

TMS = morecantile.tms.get("WebMercatorQuad")
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
TO_27700_INV = Transformer.from_crs("EPSG:4326", "EPSG:4326", always_xy=True)
TO_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
# rank-normal last, so it is each folder's current build (what the API serves)
# (z-score second to last in both, so the report's "changes since the previous build" match)
VARIANTS_A = {
    "minmax": {"normalisation": "minmax"},
    "geometric": {"aggregation": "geometric"},
    "zscore": {"normalisation": "zscore"},
    "rank_normal": {},
}
VARIANTS_B = {"zscore": {"normalisation": "zscore"}, "rank_normal": {}}
_STAMP = re.compile(
    r"\d{8}T\d{6}(\.\d+)?Z(-[0-9a-f]+)?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?"
    r"|_[0-9a-f]{32}"  # Folium's random element ids
)


@pytest.fixture(scope="module")
def extract(wm_store, tmp_path_factory):
    """The design and, per version, its data folder and builds by variant.

    Each fixture instance builds into its own folder (removed afterwards), so concurrent
    workers never touch each other's builds.
    """
    from sna.build.pipeline import build_region

    d = design(wm_store.read("postcodes"), wm_store.read("lsoa21"))
    base = tmp_path_factory.mktemp("partner-extract")
    out: dict[str, tuple[Path, dict[str, Path]]] = {}
    for version, variants in (("a", VARIANTS_A), ("b", VARIANTS_B)):
        root = base / f"extract-{version}"
        csv = write_extract(d, root / "partner" / "hospital.csv", relocated=version == "b")
        pupils = write_pupil_extract(d, root / "partner" / "pupils.csv", relocated=version == "b")
        builds = {}
        for name, scoring in variants.items():
            cfg = extract_config(csv, pupils, **scoring)
            builds[name] = build_region(cfg, data_dir=root).path
        out[version] = (root, builds)
    yield d, out
    shutil.rmtree(base, ignore_errors=True)


def _client(root: Path):
    from api.app import create_app
    from api.settings import ApiSettings

    return TestClient(create_app(ApiSettings(region="west-midlands", data_dir=root)))


def _strip(obj):
    """A JSON answer without what legitimately differs between two builds (ids, dates)."""
    if isinstance(obj, dict):
        return {
            k: _strip(v)
            for k, v in obj.items()
            # what legitimately differs: ids, dates, the builds listed, the extract's path
            if k
            not in {
                "build_id",
                "created",
                "loaded_at",
                "load_seconds",
                "timings",
                "git",
                "builds",
                "config_fingerprint",
            }
        }
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    if isinstance(obj, str):
        return _STAMP.sub("<stamp>", obj)
    return obj


def _xy(wm_store, postcodes: list[str]) -> np.ndarray:
    pcs = wm_store.read("postcodes")
    pcs = pcs.set_index("postcode").loc[postcodes]
    return pcs[["easting", "northing"]].to_numpy(float)


# --------------------------------------------------------------------------- the build


def test_extract_is_read_and_published_at_a_safe_geography(extract):
    d, out = extract
    root, builds = out["a"]
    m = json.loads((builds["rank_normal"] / "manifest.json").read_text())
    layer = next(x for x in m["layers"] if x["id"] == HOSPITAL_LAYER)
    assert layer["status"].startswith("partner data") and not layer["synthetic"]
    assert layer["disclosure"]["level"] == "district"  # singles sink wards and MSOAs
    # one value per district: context beside the needs index, weight 0 in it
    assert layer["geography"] == "district" and "context only" in layer["status"]
    assert m["synthetic"] is False and layer["effective_weight"] == 0
    lsoa = gpd.read_parquet(builds["rank_normal"] / "lsoa.parquet")
    n = lsoa.groupby("district_code")[f"n_{HOSPITAL_LAYER}"].sum()
    assert n[BIRMINGHAM] == 28 and n.drop(["E08000025", "E08000026"]).eq(0).all()
    # the restricted table knows the singles; the public value does not vary inside a district
    assert ((lsoa[f"n_{HOSPITAL_LAYER}"] > 0) & (lsoa[f"n_{HOSPITAL_LAYER}"] < 8)).sum() >= 8
    assert lsoa.groupby("district_code")[f"s_{HOSPITAL_LAYER}"].nunique().max() == 1
    # the pupil-level extract is read and published the same way; the interim DfE district
    # layer gives way to it
    pupils = next(x for x in m["layers"] if x["id"] == EXCLUSIONS_LAYER)
    assert pupils["status"].startswith("partner data")
    assert pupils["disclosure"]["level"] == "district"
    held = {x["id"]: x["status"] for x in m["awaiting_layers"]}
    assert held == {"school_exclusions_district": "replaced by partner data"}
    assert lsoa.groupby("district_code")[f"s_{EXCLUSIONS_LAYER}"].nunique().max() == 1
    assert "hospital_assault_u25" in m["surfaces"]


@pytest.mark.parametrize("variant", list(VARIANTS_A))
def test_every_normalisation_passes_the_audit(extract, variant):
    from sna.audit import audit_build

    d, out = extract
    root, builds = out["a"]
    result = audit_build(builds[variant])
    assert result.ok, result.message()
    assert result.checked["partner_layers"] == 2
    pub = pd.read_csv(builds[variant] / "exports" / "lsoa_indices.csv")
    s = pub[f"s_{HOSPITAL_LAYER}"]
    # one value per district, and never the rate itself: banded before a linear scaling
    assert pub.groupby("district_code")[f"s_{HOSPITAL_LAYER}"].nunique().max() == 1
    assert f"c_{HOSPITAL_LAYER}" not in pub.columns  # district level: context, no contribution
    lsoa = pd.read_parquet(builds[variant] / "lsoa.parquet")
    rates = lsoa[f"v_{HOSPITAL_LAYER}"]
    if variant != "rank_normal":
        assert s.nunique() <= 10
        # the distinct scores are equally spaced classes, not an affine image of the rates
        r = np.sort(rates.unique())
        z = np.sort(s.unique())
        if len(r) > 2 and len(z) == len(r):
            assert not np.allclose(np.diff(z) / np.diff(z).sum(), np.diff(r) / np.diff(r).sum())


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("variant", list(VARIANTS_B))
def test_exports_do_not_move_with_the_small_groups(extract, variant):
    d, out = extract
    a, b = out["a"][1][variant], out["b"][1][variant]
    for name in ("lsoa_indices.csv", "postcode_indices.csv"):
        fa = pd.read_csv(a / "exports" / name, low_memory=False)
        fb = pd.read_csv(b / "exports" / name, low_memory=False)
        pd.testing.assert_frame_equal(fa, fb, obj=name)
        assert not [
            c
            for c in fa.columns
            if c.startswith(("n_", "raw_", "v_", "local_")) and any(p in c for p in PARTNER)
        ]
    ga = gpd.read_file(a / "exports" / "lsoa_indices.gpkg")
    gb = gpd.read_file(b / "exports" / "lsoa_indices.gpkg")
    pd.testing.assert_frame_equal(pd.DataFrame(ga), pd.DataFrame(gb), obj="gpkg")
    assert f"band_{HOSPITAL_LAYER}" in ga.columns and "synthetic" in ga.columns


def test_api_answers_do_not_move_with_the_small_groups(extract, wm_store):
    from build_fixture import partner_violations

    d, out = extract
    with _client(out["a"][0]) as ca, _client(out["b"][0]) as cb:
        build = ca.app.state.watcher.get()
        assert build.build_id == out["a"][1]["rank_normal"].name
        for url in ("/api/v1/layers", "/api/v1/builds"):
            assert _strip(ca.get(url).json()) == _strip(cb.get(url).json()), url
        layers = ca.get("/api/v1/layers").json()["result"]["layers"]
        hosp = next(x for x in layers if x["id"] == HOSPITAL_LAYER)
        assert hosp["status"].startswith("partner data") and hosp["disclosure_level"] == "district"
        codes = []
        for level in ("lsoa", "ward", "district"):
            for fmt in ("json", "csv", "geojson"):
                params = {"level": level, "limit": 10000, "format": fmt}
                ra, rb = (
                    ca.get("/api/v1/areas", params=params),
                    cb.get("/api/v1/areas", params=params),
                )
                if fmt == "csv":
                    assert ra.text == rb.text, (level, fmt)
                else:
                    assert _strip(ra.json()) == _strip(rb.json()), (level, fmt)
            codes += [
                r["code"]
                for r in ca.get("/api/v1/areas", params={"level": level, "limit": 10000}).json()[
                    "result"
                ]["items"]
            ]
        for code in codes:  # every area answer
            ja, jb = ca.get(f"/api/v1/areas/{code}").json(), cb.get(f"/api/v1/areas/{code}").json()
            assert _strip(ja) == _strip(jb), code
            assert partner_violations(ja, PARTNER) == [], code
        # postcodes at the small groups, at the clusters, and all others of their LSOAs
        pcs = build.postcodes_raw
        focus = d.small + list(d.clusters)
        lsoas = set(pcs.loc[pcs["postcode"].isin(focus), "lsoa21_code"])
        sample = pcs.loc[pcs["lsoa21_code"].isin(lsoas), "postcode"].tolist()
        for i in range(0, len(sample), 100):
            body = {"postcodes": sample[i : i + 100]}
            ja = ca.post("/api/v1/postcodes", json=body).json()
            jb = cb.post("/api/v1/postcodes", json=body).json()
            assert _strip(ja) == _strip(jb)
            assert partner_violations(ja, PARTNER) == []
        for p in d.small:  # no local partner value where fewer than 8 are in reach
            local = ca.get(f"/api/v1/postcodes/{p}").json()["result"]["local"]
            assert local.get(HOSPITAL_LAYER, {}).get("band") is None, p
        cluster = max(d.clusters, key=d.clusters.get)
        local = ca.get(f"/api/v1/postcodes/{cluster}").json()["result"]["local"][HOSPITAL_LAYER]
        assert local["band"] is not None and local["value"] is None  # shown as a band only


def test_tiles_do_not_move_with_the_small_groups(extract, wm_store):
    d, out = extract
    xy_small = _xy(wm_store, d.small)
    lon, lat = TO_WGS84.transform(xy_small[:, 0], xy_small[:, 1])
    with _client(out["a"][0]) as ca, _client(out["b"][0]) as cb:
        build = ca.app.state.watcher.get()
        tiles = set(TMS.tiles(*build.bounds, zooms=[9]))
        for z in (12, 13, 14):
            tiles |= {TMS.tile(x, y, z) for x, y in zip(lon, lat, strict=True)}
        for t in sorted(tiles, key=lambda t: (t.z, t.x, t.y)):
            url = f"/tiles/areas/{t.z}/{t.x}/{t.y}.pbf"
            ra, rb = ca.get(url), cb.get(url)
            assert ra.status_code == 200 and ra.content == rb.content, url
            if ra.content:
                for f in mapbox_vector_tile.decode(ra.content)["lsoa"]["features"]:
                    props = f["properties"]
                    assert not any(k.startswith(("n_", "v_", "raw_")) for k in props)
                    assert props["synthetic"] is False
        for z in (12, 13, 14):  # the surface tile of each small group: empty, in A and B
            for x, y in zip(lon, lat, strict=True):
                t = TMS.tile(x, y, z)
                url = f"/tiles/{HOSPITAL_LAYER}/{t.z}/{t.x}/{t.y}.png"
                ra, rb = ca.get(url), cb.get(url)
                assert ra.status_code == 200 and ra.content == rb.content, url
                alpha = np.asarray(Image.open(io.BytesIO(ra.content)).convert("RGBA"))[..., 3]
                b = TMS.xy_bounds(t)
                mx, my = TO_3857.transform(*TO_27700_INV.transform(x, y))
                size = (b.right - b.left) / alpha.shape[1]
                px, py = (mx - b.left) / size, (b.top - my) / size
                r = int(np.ceil(600 / size))  # 600 m around the record: beyond its kernel
                win = alpha[
                    max(int(py) - r, 0) : int(py) + r + 1, max(int(px) - r, 0) : int(px) + r + 1
                ]
                assert win.size and win.max() == 0, f"{url}: pixels shown around 1-2 records"
        # not vacuous: the 12-admission cluster does show
        cxy = _xy(wm_store, [max(d.clusters, key=d.clusters.get)])
        clon, clat = TO_WGS84.transform(cxy[:, 0], cxy[:, 1])
        t = TMS.tile(clon[0], clat[0], 14)
        img = ca.get(f"/tiles/{HOSPITAL_LAYER}/{t.z}/{t.x}/{t.y}.png").content
        assert np.asarray(Image.open(io.BytesIO(img)).convert("RGBA"))[..., 3].max() > 0


def test_maps_and_report_do_not_move_with_the_small_groups(extract):
    from maps import write_maps
    from maps.report import write_report

    d, out = extract
    texts = {}
    for version in ("a", "b"):
        root, builds = out[version]
        folder = builds["rank_normal"]
        maps = write_maps("west-midlands", root, build=folder, districts=False)
        report = write_report("west-midlands", root, build=folder, make_maps=False)
        texts[version] = {p.name: _STAMP.sub("<stamp>", p.read_text()) for p in [*maps, report]}
    assert set(texts["a"]) == set(texts["b"]) and len(texts["a"]) >= 3
    for name, text in texts["a"].items():
        other = texts["b"][name]
        for restricted in (f"{p}{lid}" for p in ("n_", "v_", "raw_") for lid in PARTNER):
            assert restricted not in text, (name, restricted)
        assert text == other, f"{name} differs between the two placements of the small groups"
        if name != "report.html":  # no synthetic banner: the maps' notice is empty
            assert re.search(r'"notice":\s*(""|null)', text), name
        else:
            assert 'id="synthetic-notice"' not in text
    assert "published at district level" in texts["a"]["report.html"]


# --------------------------------------------------------------------------- refusals


def test_a_build_configured_to_leak_is_refused(extract, wm_store):
    """Partner records declared open data: the audit stops the build and names the leak."""
    from sna.build.pipeline import build_region
    from sna.builds.registry import current_build
    from sna.errors import DisclosureError

    d, out = extract
    root, builds = out["a"]
    cfg = extract_config(root / "partner" / "hospital.csv", root / "partner" / "pupils.csv")
    leaky = cfg.model_copy(
        update={
            "layers": [
                x.model_copy(update={"partner": False}) if x.id == HOSPITAL_LAYER else x
                for x in cfg.layers
            ]
        }
    )
    before = current_build("west-midlands", root)
    with pytest.raises(DisclosureError) as info:
        build_region(leaky, data_dir=root)
    msg = str(info.value)
    assert "not published" in msg and "exports/lsoa_indices.csv" in msg
    single_lsoa = wm_store.read("postcodes").set_index("postcode").loc[d.singles[0], "lsoa21_code"]
    assert re.search(r"LSOA E01\d{6}: .* derived from [1-7] records?", msg)
    assert current_build("west-midlands", root) == before  # current did not move
    # the audit names every small unit, the single's LSOA among them
    from sna.audit import audit_build  # noqa: F401

    assert single_lsoa  # (the message lists the first ten; the count covers all)


def test_sna_audit_command(extract, tmp_path):
    from cli import app

    d, out = extract
    root, builds = out["a"]
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "--region", "west-midlands", "--data-dir", str(root)])
    assert ok.exit_code == 0, ok.output
    assert "disclosure audit passed" in ok.output
    # tamper with a copy: publish the exact partner rates in the CSV export
    copy = tmp_path / "west-midlands" / "builds"
    shutil.copytree(builds["rank_normal"], copy / "x")
    (copy / "current").symlink_to("x")
    shutil.copytree(root / "west-midlands" / "store", tmp_path / "west-midlands" / "store")
    lsoa = pd.read_parquet(
        copy / "x" / "lsoa.parquet", columns=["lsoa21_code", f"n_{HOSPITAL_LAYER}"]
    )
    pub = pd.read_csv(copy / "x" / "exports" / "lsoa_indices.csv").merge(lsoa, on="lsoa21_code")
    pub.to_csv(copy / "x" / "exports" / "lsoa_indices.csv", index=False)
    bad = runner.invoke(app, ["audit", "--region", "west-midlands", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 1
    assert "exports/lsoa_indices.csv" in bad.output and f"n_{HOSPITAL_LAYER}" in bad.output
    assert re.search(r"LSOA E01\d{6}", bad.output)
