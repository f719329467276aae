"""``sna build`` end to end on the real bundle: the acceptance invariants and publication."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

from sna.build.pipeline import build_region
from sna.builds.registry import current_build, list_builds
from sna.config.region import load_region
from sna.errors import BuildNotFound, LayerNotFound


def test_west_midlands_build_acceptance(wm_build):
    m = json.loads((wm_build / "manifest.json").read_text())
    lsoa = gpd.read_parquet(wm_build / "lsoa.parquet")
    pcs = gpd.read_parquet(wm_build / "postcodes.parquet")
    assert len(lsoa) == 1719 and m["n_lsoa"] == 1719
    assert len(pcs) >= 85_000 and pcs["postcode"].is_unique
    for k in ("risk", "protective", "need"):
        assert lsoa[k].notna().all(), k
        assert lsoa[f"{k}_rank"].between(1, 1719).all()
        inside = (lsoa[f"{k}_rank_lo"] <= lsoa[f"{k}_rank"]) & (
            lsoa[f"{k}_rank"] <= lsoa[f"{k}_rank_hi"]
        )
        assert inside.all(), k
        assert lsoa[f"{k}_p_top_decile"].between(0, 1).all()
    assert pcs["pc_need"].notna().all()
    # drivers sum to each index within 1e-9, for LSOAs and postcodes
    # one contribution per layer that moves need: weight > 0 (not the district-level context
    # layer) and not protective while lambda is 0
    c_cols = [c for c in lsoa.columns if c.startswith("c_")]
    moving = [
        d["id"]
        for d in m["layers"]
        if d["effective_weight"] > 0
        and (d["kind"] == "risk" or m["config"]["scoring"]["need_lambda"] > 0)
    ]
    assert sorted(c_cols) == sorted(f"c_{lid}" for lid in moving)
    assert np.abs(lsoa[c_cols].sum(axis=1) - lsoa["need"]).max() < 1e-9
    pc_cols = [c for c in pcs.columns if c.startswith("pc_c_")]
    assert np.abs(pcs[pc_cols].sum(axis=1) - pcs["pc_need"]).max() < 1e-9
    level_cols = [c for c in lsoa.columns if c.startswith("level_")]
    assert np.abs(lsoa[level_cols].sum(axis=1) - lsoa["risk"]).max() < 1e-9
    # at least 500 Monte Carlo draws by default
    assert m["config"]["scoring"]["mc_draws"] >= 500
    assert all(v is True for k, v in m["checks"].items() if k.endswith("contain_rank"))
    assert m["checks"]["max_driver_sum_error"] < 1e-9
    # one sentence per place, naming layers by title
    assert lsoa["explanation"].str.startswith("Ranked in the ").all()
    # hotspots are FDR-controlled
    hot = lsoa["gi_label"] == "hot"
    assert hot.any() and (lsoa.loc[hot, "gi_p_fdr"] <= 0.05).all()


def test_default_build_holds_no_synthetic_data(wm_build):
    """Partner layers with no extract await data: weight 0, listed, nothing synthetic."""
    m = json.loads((wm_build / "manifest.json").read_text())
    assert m["synthetic"] is False and m["synthetic_layers"] == []
    assert not any(layer["synthetic"] for layer in m["layers"])
    held = {d["id"]: d for d in m["awaiting_layers"]}
    assert {"hospital_assault_u25", "school_exclusions"} <= set(held)
    for lid in ("hospital_assault_u25", "school_exclusions"):
        assert held[lid]["status"] == "awaiting partner data"
        assert held[lid]["effective_weight"] == 0.0
    # their weight is redistributed: the scored risk layers still sum to 1
    risk = [layer["effective_weight"] for layer in m["layers"] if layer["kind"] == "risk"]
    assert sum(risk) == pytest.approx(1.0)
    # the interim open layer stands in for pupil exclusions, labelled with level and years;
    # one value per district, it is context beside the needs index (weight 0), not in it
    interim = next(x for x in m["layers"] if x["id"] == "school_exclusions_district")
    assert interim["effective_weight"] == 0 and interim["geography"] == "district"
    assert "2014/15-2016/17" in interim["period"] and "context only" in interim["status"]
    lsoa = gpd.read_parquet(wm_build / "lsoa.parquet")
    per_district = lsoa.groupby("district_code")["v_school_exclusions_district"].nunique()
    assert (per_district == 1).all() and lsoa["v_school_exclusions_district"].notna().all()
    assert not any("hospital" in c for c in lsoa.columns)
    assert m["surfaces"] == ["faith_access"]
    exported = pd.read_csv(wm_build / "exports" / "lsoa_indices.csv")
    assert "synthetic" in exported.columns and not exported["synthetic"].any()
    assert not exported["explanation"].str.contains("illustrative").any()
    store = json.loads((wm_build.parent.parent / "store" / "manifest.json").read_text())
    assert store["synthetic_tables"] == []


def test_synthetic_flags_travel_into_the_build(wm_synthetic_build):
    m = json.loads((wm_synthetic_build / "manifest.json").read_text())
    assert set(m["synthetic_layers"]) == {"hospital_assault_u25", "school_exclusions"}
    assert m["synthetic"] is True
    flagged = {layer["id"] for layer in m["layers"] if layer["synthetic"]}
    assert flagged == set(m["synthetic_layers"])
    # with the pupil-level layer present the interim district layer is not used
    held = {d["id"]: d["status"] for d in m["awaiting_layers"]}
    assert held == {"school_exclusions_district": "replaced by partner data"}


def test_public_exports_hold_no_partner_counts(wm_synthetic_build):
    wm_build = wm_synthetic_build
    m = json.loads((wm_build / "manifest.json").read_text())
    partner = [layer["id"] for layer in m["layers"] if layer["partner"]]
    exported = pd.read_csv(wm_build / "exports" / "lsoa_indices.csv")
    for lid in partner:
        assert f"n_{lid}" not in exported.columns and f"v_{lid}" not in exported.columns
        assert set(exported[f"band_{lid}"].dropna()) <= {
            "Highest",
            "High",
            "Medium",
            "Low",
            "Lowest",
        }
    # the restricted analyst table does keep them
    lsoa = pd.read_parquet(wm_build / "lsoa.parquet", columns=[f"n_{partner[0]}"])
    assert (lsoa[f"n_{partner[0]}"] > 0).any()
    gpkg = gpd.read_file(wm_build / "exports" / "lsoa_indices.gpkg")
    assert len(gpkg) == 1719 and not any(c.startswith("n_hospital") for c in gpkg.columns)


def test_surfaces_are_geotiffs_in_british_national_grid(wm_build):
    m = json.loads((wm_build / "manifest.json").read_text())
    assert m["surfaces"]
    for lid in m["surfaces"]:
        with rasterio.open(wm_build / "surfaces" / f"{lid}.tif") as src:
            assert src.crs.to_epsg() == 27700
            assert src.res == (100.0, 100.0)
            assert src.nodata is not None


def test_sensitivity_report(wm_build):
    sens = pd.read_csv(wm_build / "sensitivity.csv")
    assert {"z-scores", "min-max", "geometric aggregation"} <= set(sens["alternative"])
    assert sens["spearman_need"].between(-1, 1).all()
    # the index is robust to the choice of normalisation
    assert sens.set_index("alternative").loc["z-scores", "spearman_need"] > 0.9


def test_bedfordshire_builds_with_real_crime_points(beds_build):
    m = json.loads((beds_build / "manifest.json").read_text())
    assert "violence_sexual_offences" in m["surfaces"]
    lsoa = gpd.read_parquet(beds_build / "lsoa.parquet")
    assert (lsoa["n_violence_sexual_offences"] > 0).mean() > 0.9
    assert lsoa["need"].notna().all()
    with rasterio.open(beds_build / "surfaces" / "violence_sexual_offences.tif") as src:
        band = src.read(1, masked=True)
        assert band.max() > 50  # town-centre violence: events per km2 per year


def test_build_is_reproducible_and_publication_is_atomic(beds_prepared, tmp_path, test_data_dir):
    """Same inputs and config give identical tables; a failed build leaves `current` alone."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(test_data_dir / "bedfordshire", data / "bedfordshire", symlinks=True)
    shutil.rmtree(data / "bedfordshire" / "builds", ignore_errors=True)
    with pytest.raises(BuildNotFound):
        current_build("bedfordshire", data)
    cfg = load_region("bedfordshire")
    first = build_region(cfg, data_dir=data, mc_draws=40)
    # the leftovers of a build killed with kill -9 (its process is gone)
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = data / "bedfordshire" / "builds" / f".build.tmp-{dead.stdout.strip()}-x"
    leftover.mkdir()
    (leftover / "lsoa.parquet").write_bytes(b"partial")
    second = build_region(cfg, data_dir=data, mc_draws=40)
    assert first.build_id != second.build_id and first.path.exists()
    assert first.path != second.path  # two folders: the comparison below is not a file with itself
    assert not leftover.exists()
    a = pd.read_parquet(first.path / "lsoa.parquet")
    b = pd.read_parquet(second.path / "lsoa.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert current_build("bedfordshire", data) == second.path
    assert len(list_builds("bedfordshire", data)) == 2  # both builds stay
    # a build that fails leaves the current pointer where it was
    broken = cfg.model_copy(
        update={
            "layers": [
                *cfg.layers,
                next(x for x in cfg.layers if not x.partner).model_copy(
                    update={"id": "x", "table": "nope"}
                ),
            ]
        }
    )
    with pytest.raises(LayerNotFound, match="table 'nope' is not in the store"):
        build_region(broken, data_dir=data, mc_draws=20)
    assert current_build("bedfordshire", data) == second.path
