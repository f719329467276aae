"""Two-tier areas: districts whose education authority is the county (Nottinghamshire)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_DATA_DIR, file_lock

from geodata.schools import exclusion_rates, read_la_exclusions
from sna.config.region import load_region
from sna.errors import ConfigError
from sna.prepare.schools import education_authorities, step_schools

ROOT = Path(__file__).resolve().parents[1]
NOTTINGHAM = "E06000018"
COUNTY_DISTRICTS = [f"E0700017{i}" for i in range(7)]  # Ashfield .. Rushcliffe
DISTRICTS = [NOTTINGHAM, *COUNTY_DISTRICTS]
LA_NAMES = ["Nottingham"] + ["Nottinghamshire"] * 7


def notts_toml(folder: Path, la_names: list[str] | None = LA_NAMES, rid="nottinghamshire") -> Path:
    """west-midlands.toml with only its [region] block changed."""
    text = (ROOT / "geodata/regions/west-midlands.toml").read_text()
    start = text.index("\n[region]\n") + 1
    end = text.index("\n[sources]\n") + 1
    quoted = ", ".join(f'"{d}"' for d in DISTRICTS)
    block = (
        f'[region]\nid = "{rid}"\nname = "Nottingham and Nottinghamshire"\n'
        f'police_force = "Nottinghamshire Police"\ndistricts = [{quoted}]\n'
    )
    if la_names is not None:
        block += "la_names = [" + ", ".join(f'"{n}"' for n in la_names) + "]\n"
    path = folder / f"{rid}.toml"
    path.write_text(text[:start] + block + "\n" + text[end:])
    return path


def test_only_the_region_block_differs(tmp_path):
    wm = (ROOT / "geodata/regions/west-midlands.toml").read_text()
    notts = notts_toml(tmp_path).read_text()
    assert wm.split("\n[sources]\n")[1] == notts.split("\n[sources]\n")[1]
    cfg = load_region(tmp_path / "nottinghamshire.toml")
    assert cfg.region.la_names == LA_NAMES  # the county's name repeats: allowed


def test_upper_tier_rates_apply_to_each_of_its_districts(shared_data):
    ex = read_la_exclusions(
        shared_data / "schools/exclusions_la/clean_la_data.csv.gz",
        la_names=sorted(set(LA_NAMES)),
    )
    rates = exclusion_rates(ex.data, list(zip(LA_NAMES, DISTRICTS, strict=True)))
    assert rates["district_code"].tolist() == DISTRICTS
    county = rates[rates["la_name"] == "Nottinghamshire"]
    assert len(county) == 7 and county["perm_rate"].nunique() == 1
    city = rates.set_index("district_code").loc[NOTTINGHAM]
    assert city["perm_rate"] != county["perm_rate"].iloc[0]


def test_authorities_are_read_from_gias_when_la_names_is_left_out(tmp_path):
    cfg = load_region(notts_toml(tmp_path, la_names=None))
    gias = pd.DataFrame(
        {
            "district_code": [NOTTINGHAM, NOTTINGHAM, *COUNTY_DISTRICTS, COUNTY_DISTRICTS[0]],
            # one school of the county district is misfiled: the majority decides
            "la_name": ["Nottingham", "Nottingham", *["Nottinghamshire"] * 7, "Nottingham"],
        }
    )
    gias.loc[len(gias)] = [COUNTY_DISTRICTS[0], "Nottinghamshire"]
    assert education_authorities(cfg, gias) == LA_NAMES
    with pytest.raises(ConfigError, match=r"region\.la_names: no GIAS school in district"):
        education_authorities(cfg, gias[gias["district_code"] != NOTTINGHAM])
    with pytest.raises(ConfigError, match=r"nottinghamshire\.toml: region\.la_names: needed"):
        education_authorities(cfg, None)


class _NoWriter:
    def write(self, *args, **kwargs):
        pass


@pytest.mark.slow
def test_an_unknown_authority_is_a_config_error_naming_the_key(tmp_path):
    bad = ["Nottingham"] + ["Notinghamshire"] * 7
    cfg = load_region(notts_toml(tmp_path, la_names=bad))
    cfg = cfg.model_copy(
        update={"sources": cfg.sources.model_copy(update={"schools": None})}
    )  # no GIAS read: this test is about the DfE names
    ctx = {"config": cfg, "lsoa21": pd.DataFrame({"lsoa21_code": [], "district_code": []})}
    with pytest.raises(ConfigError) as err:
        step_schools(ctx, _NoWriter())
    msg = str(err.value)
    assert str(tmp_path / "nottinghamshire.toml") in msg and "region.la_names" in msg
    assert "Notinghamshire" in msg and "Nottinghamshire" in msg  # closest name suggested
    assert "\n" not in msg


@pytest.mark.slow
def test_nottinghamshire_prepares_and_builds_with_every_layer(tmp_path):
    from sna.build.pipeline import build_region

    path = notts_toml(tmp_path)
    cfg = load_region(path)
    # synthetic partner stand-ins on request, so that every layer of the file, the two
    # partner layers included, is computed (by default they await partner data)
    with file_lock("prepare-nottinghamshire"):
        result = build_region(cfg, data_dir=TEST_DATA_DIR, mc_draws=40, synthetic_partner_data=True)
    lsoa = pd.read_parquet(result.path / "lsoa.parquet")
    assert set(lsoa["district_code"]) == set(DISTRICTS)
    wm = load_region("west-midlands")
    manifest = json.loads((result.path / "manifest.json").read_text())
    held = {d["id"]: d["status"] for d in manifest["awaiting_layers"]}
    # every layer of the file it was copied from: scored, or the interim district layer
    # standing down for the (synthetic) pupil-level one
    assert held == {"school_exclusions_district": "replaced by partner data"}
    for spec in wm.layers:
        if spec.id not in held:
            assert lsoa[f"s_{spec.id}"].notna().all(), spec.id
    # violence risk too: the IoD2025 crime counts with Bedfordshire's coefficients
    assert lsoa["violence_risk"].notna().all() and (lsoa["violence_risk"] > 0).all()
    assert lsoa["need"].notna().all() and result.checks["missing_index_values"] == 0
    # the county's exclusion rate reaches its districts' synthetic pupils
    assert lsoa.loc[lsoa["district_code"].isin(COUNTY_DISTRICTS), "n_school_exclusions"].sum() > 0
