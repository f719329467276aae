"""A VRU view configured with a 2024 district code builds from a national build, and the
per-VRU commands (report, priority, maps, evaluate) work on it.

The "nation" is Somerset's four 2022 districts (England's config otherwise); the view names
Somerset by its 2024 code, E06000066, as its council does since the 2023 merger.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_DATA_DIR, file_lock
from typer.testing import CliRunner

from cli import app
from sna.build.pipeline import build_region
from sna.config.region import load_region
from sna.config.regions import REGIONS_DIR

SOMERSET_2022 = ["E07000187", "E07000188", "E07000189", "E07000246"]


def _configs() -> tuple[Path, Path]:
    folder = TEST_DATA_DIR / "configs"
    folder.mkdir(parents=True, exist_ok=True)
    text = (REGIONS_DIR / "england.toml").read_text(encoding="utf-8")
    text = text.replace('id = "england"', 'id = "test-somerset-nation"')
    text = text.replace('name = "England"', 'name = "Somerset (test nation)"')
    text = re.sub(
        r"districts = \[.*?\]\n", f"districts = {json.dumps(SOMERSET_2022)}\n", text, flags=re.S
    )
    national, view = folder / "test-somerset-nation.toml", folder / "somerset-2024.toml"
    view_text = (
        '[region]\nid = "somerset-2024"\nname = "Somerset"\n'
        'police_force = "Avon and Somerset Constabulary"\n'
        f'view_of = "{national}"\ndistricts = ["E06000066"]\n'
    )
    for path, body in ((national, text), (view, view_text)):
        if not path.exists() or path.read_text() != body:
            path.write_text(body)
    return national, view


@pytest.fixture(scope="module")
def somerset_view(shared_data: Path) -> Path:
    """The Somerset view's current build, the nation built first."""
    from sna.build.pipeline import build_is_current
    from sna.builds.registry import current_build

    national, view = _configs()
    with file_lock("build-somerset-view"):
        for path in (national, view):  # rebuilt only when code, config or data change
            config = load_region(path)
            if not build_is_current(config, TEST_DATA_DIR):
                build_region(config, data_dir=TEST_DATA_DIR)
        return current_build(load_region(view).id, TEST_DATA_DIR)


def test_a_view_named_by_its_2024_code_builds_from_the_nation(somerset_view: Path):
    _, view = _configs()
    assert load_region(view).region.districts == SOMERSET_2022
    from sna.builds.registry import current_build

    nation = pd.read_parquet(
        current_build("test-somerset-nation", TEST_DATA_DIR) / "lsoa.parquet",
        columns=["lsoa21_code", "need_rank"],
    )
    lsoa = pd.read_parquet(somerset_view / "lsoa.parquet")
    assert sorted(lsoa["lsoa21_code"]) == sorted(nation["lsoa21_code"])
    assert set(lsoa["district_code"]) == set(SOMERSET_2022)
    manifest = json.loads((somerset_view / "manifest.json").read_text())
    assert manifest["national"]["national"] == "test-somerset-nation"


def test_the_per_vru_commands_work_on_the_view(somerset_view: Path, tmp_path: Path):
    _, view = _configs()
    runner = CliRunner()
    common = ["--region", str(view), "--data-dir", str(TEST_DATA_DIR)]
    report = runner.invoke(app, ["report", *common, "--out", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    html = (tmp_path / "r.html").read_text()
    assert 'id="data-status"' in html and "awaiting data" in html and "estimated" in html
    priority = runner.invoke(app, ["priority", *common])
    assert priority.exit_code == 0, priority.output
    maps = runner.invoke(app, ["maps", *common, "--format", "pdf", "--out-dir", str(tmp_path)])
    assert maps.exit_code == 0, maps.output
    assert any(p.suffix == ".pdf" and p.stat().st_size > 10_000 for p in tmp_path.iterdir())
    evaluate = runner.invoke(app, ["evaluate", *common, "--out-dir", str(tmp_path / "ev")])
    assert evaluate.exit_code == 0, evaluate.output
    assert "no police.uk street files" in evaluate.output  # no forward test without them
    assert (tmp_path / "ev" / "evaluation_iod_era.json").exists()
