"""``sna data prepare`` on the real bundle, and its behaviour on bad input."""

import json
import shutil
from pathlib import Path

import pytest

from geodata.errors import CorruptArchiveError, InputFileError, MissingColumnsError
from sna.config.region import load_region
from sna.prepare.pipeline import prepare_region
from sna.prepare.store import Store

WM_LSOA = 1719


def test_west_midlands_store_acceptance(wm_prepared, wm_store):
    m = wm_store.manifest()
    lsoa = wm_store.read("lsoa21")
    assert len(lsoa) == WM_LSOA and lsoa["lsoa21_code"].is_unique
    assert lsoa.crs.to_epsg() == 27700
    assert lsoa["pop_total"].sum() == 2_919_651
    pcs = wm_store.read("postcodes")
    assert len(pcs) >= 85_000
    assert pcs["lsoa21_code"].notna().all()
    assert set(pcs["lsoa21_code"]) <= set(lsoa["lsoa21_code"])
    assert {"live", "terminated"} == set(pcs["status"])
    assert pcs.loc[pcs["postcode"] == "B1 1AY", "lsoa21_code"].item() == "E01033625"
    placement = m["metrics"]["postcode_placement"]
    assert placement["assigned_agreement"] >= 0.995
    assert placement["pip_agreement"] < placement["assigned_agreement"]
    # every layer with its provenance
    for table in (
        "iod2025",
        "iod2019_lsoa21",
        "population",
        "schools",
        "exclusions_la",
        "exclusions_district",
        "assets",
        "crime_points_legacy",
        "wards",
        "districts",
    ):
        entry = m["tables"][table]
        assert entry["rows"] > 0, table
        for src in entry["sources"]:
            assert src["sha256"], table
            assert all(len(h) == 64 for h in src["sha256"].values())
        assert entry["load"], f"{table} has no load report"
    assert m["tables"]["iod2025"]["sources"][0]["licence"] == "OGL v3.0"
    assert "Open Government Licence" in m["tables"]["iod2025"]["sources"][0]["attribution"]
    assert "OpenStreetMap" in json.dumps(m["tables"]["assets"]["sources"])


def test_default_store_has_no_partner_or_synthetic_tables(wm_store):
    """No extract configured and no synthetic data asked for: the partner tables are absent."""
    m = wm_store.manifest()
    assert m["synthetic_tables"] == []
    assert not {"hospital_admissions", "pupil_exclusions"} & set(m["tables"])
    interim = wm_store.read("exclusions_district")
    assert len(interim) == WM_LSOA and (interim["level"] == "district").all()
    assert set(interim["years"]) == {"2014/15-2016/17"}
    assert interim.groupby("district_code")["exclusions_per_1000_pupils"].nunique().max() == 1


def test_synthetic_tables_are_flagged(wm_synthetic_store):
    wm_store = wm_synthetic_store
    m = wm_store.manifest()
    assert set(m["synthetic_tables"]) == {"hospital_admissions", "pupil_exclusions"}
    for name in m["synthetic_tables"]:
        assert wm_store.read(name)["synthetic"].all()
        assert "SYNTHETIC" in m["tables"][name]["description"]
    assert "synthetic" not in wm_store.read("iod2025").columns


def test_carried_iod2019_covers_the_region(wm_store):
    carried = wm_store.read("iod2019_lsoa21")
    assert len(carried) == WM_LSOA
    assert carried["imd_rank"].notna().mean() > 0.99


def test_rerun_with_unchanged_inputs_is_a_no_op(wm_prepared, test_data_dir):
    again = prepare_region("west-midlands", data_dir=test_data_dir)
    assert again.rebuilt is False
    assert again.path == wm_prepared.path


def test_bedfordshire_from_its_toml_alone(beds_store):
    m = beds_store.manifest()
    assert len(beds_store.read("lsoa21")) == m["tables"]["lsoa21"]["rows"] > 300
    crime = beds_store.read("crime_points")
    assert crime["month"].min() == "2021-05" and crime["month"].max() == "2024-04"
    load = m["tables"]["crime_points"]["load"][0]
    assert load["rejected"]["duplicate Crime ID"] > 0
    assert load["flagged"]  # rows without coordinates are kept and counted
    assert (~crime["has_coordinates"]).sum() > 0


# --- bad input: clear message, nothing written, previous store untouched ------------------


def _copy_region(tmp_path: Path, shared: Path, replace: dict[str, str]) -> Path:
    """A Bedfordshire config whose sources point at a copy of the bundle with some files bad."""
    root = tmp_path / "bundle"
    root.mkdir()
    for child in shared.iterdir():
        (root / child.name).symlink_to(child)
    text = (Path(__file__).resolve().parents[1] / "geodata/regions/bedfordshire.toml").read_text()
    text = text.replace('root = ""', f'root = "{root}"')
    for rel, content in replace.items():
        target = tmp_path / "bad" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        text = text.replace(f'path = "{rel}"', f'path = "{target}"')
    cfg = tmp_path / "beds-bad.toml"
    cfg.write_text(text)
    return cfg


@pytest.fixture()
def good_store(tmp_path, beds_prepared):
    """A copy of the prepared Bedfordshire store in a private data dir."""
    data = tmp_path / "data"
    src = beds_prepared.path
    dest = data / "bedfordshire" / src.name
    shutil.copytree(src, dest)
    (data / "bedfordshire" / "store").symlink_to(dest.name)
    return data


@pytest.mark.parametrize(
    ("rel", "content", "error", "message"),
    [
        (
            "population/census21_usual_residents_by_agegroup_lsoa21.csv.gz",
            "lsoa21_code,lsoa21_name,age_band,usual_residents\nE01000001,x,0-15,5\n",
            MissingColumnsError,
            r"census21.*missing column\(s\) \['age_group'\]",
        ),
        (
            "deprivation/iod2025/imd2025_england_lsoa21.csv.gz",
            b"\x1f\x8b\x08\x00corrupt",
            CorruptArchiveError,
            r"imd2025_england_lsoa21.csv.gz.*corrupt gzip",
        ),
        (
            "lookups/LSOA21_to_WD22_to_LAD22_EW_v3.csv.gz",
            "",
            InputFileError,
            r"LSOA21_to_WD22.*empty",
        ),
    ],
    ids=["wrong-columns", "corrupt-gzip", "empty-file"],
)
def test_bad_input_fails_clearly_and_keeps_the_store(
    tmp_path, shared_data, good_store, rel, content, error, message
):
    cfg = load_region(_copy_region(tmp_path, shared_data, {rel: content}))
    before = Store("bedfordshire", good_store)
    old_path, old_manifest = before.path, before.manifest()
    with pytest.raises(error, match=message):
        prepare_region(cfg, data_dir=good_store, force=True)
    after = Store("bedfordshire", good_store)
    assert after.path == old_path
    assert after.manifest() == old_manifest
    leftovers = [p.name for p in (good_store / "bedfordshire").iterdir() if "tmp" in p.name]
    assert leftovers == []


def test_missing_source_is_named_before_any_work(tmp_path, shared_data):
    text = (Path(__file__).resolve().parents[1] / "geodata/regions/bedfordshire.toml").read_text()
    text = text.replace("crime/bedfordshire", "crime/nowhere")
    cfg_path = tmp_path / "b.toml"
    cfg_path.write_text(text)
    with pytest.raises(InputFileError, match=r"crime/nowhere.*source 'police_uk' not found"):
        prepare_region(load_region(cfg_path), data_dir=tmp_path / "data")
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.parquet"))
