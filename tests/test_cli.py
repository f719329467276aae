"""The ``sna`` command line: thin commands, clear errors, non-zero exits."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sna.cli import app

runner = CliRunner()


def test_regions_lists_shipped_configs():
    result = runner.invoke(app, ["regions"])
    assert result.exit_code == 0
    assert "west-midlands" in result.output and "bedfordshire" in result.output


def test_prepare_reports_up_to_date_store(wm_prepared, test_data_dir):
    result = runner.invoke(
        app, ["data", "prepare", "--region", "west-midlands", "--data-dir", str(test_data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    assert "postcodes" in result.output and "85,847" in result.output


def test_data_info_shows_provenance(wm_prepared, wm_synthetic_store, test_data_dir):
    result = runner.invoke(
        app, ["data", "info", "--region", "west-midlands", "--data-dir", str(test_data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "IoD2025" in result.output and "yes" not in result.output  # nothing synthetic
    data_dir = wm_synthetic_store.link.parents[1]
    result = runner.invoke(
        app, ["data", "info", "--region", "west-midlands", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "yes" in result.output  # a synthetic table, asked for


def test_unknown_region_exits_non_zero_with_a_message(tmp_path):
    result = runner.invoke(
        app, ["data", "prepare", "--region", "atlantis", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "atlantis.toml" in result.output and "not found" in result.output
    assert "Traceback" not in result.output


def test_bad_config_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[region]\nid = "Bad Id"\nname = "x"\ndistricts = []\n')
    result = runner.invoke(app, ["build", "--region", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "region.id" in result.output


def test_builds_lists_the_current_build(wm_build, test_data_dir):
    result = runner.invoke(
        app, ["builds", "--region", "west-midlands", "--data-dir", str(test_data_dir)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((wm_build / "manifest.json").read_text())
    assert manifest["build_id"] in result.output and "*" in result.output


def _prepare_with_population(tmp_path, population_file):
    """Run `sna data prepare` on Bedfordshire with its population file swapped for another."""
    root = Path(__file__).resolve().parents[1]
    text = (
        (root / "geodata/regions/bedfordshire.toml")
        .read_text()
        .replace(
            'path = "population/census21_usual_residents_by_agegroup_lsoa21.csv.gz"',
            f'path = "{population_file}"',
        )
    )
    cfg = tmp_path / "beds.toml"
    cfg.write_text(text)
    return runner.invoke(
        app, ["data", "prepare", "--region", str(cfg), "--data-dir", str(tmp_path / "data")]
    )


def test_bad_data_file_exits_non_zero_naming_the_file(tmp_path, shared_data):
    """A corrupt input stops `sna data prepare` with one line naming the file and problem."""
    bad = tmp_path / "population.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    result = _prepare_with_population(tmp_path, bad)
    assert result.exit_code == 1
    assert "population.csv.gz" in result.output and "corrupt gzip" in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "data").rglob("*.parquet"))


def test_error_text_is_printed_literally(tmp_path):
    """Brackets in a message (column lists) are not eaten as markup, and lines do not wrap."""
    folder = tmp_path / ("a-rather-long-folder-name-" * 4)
    folder.mkdir()
    bad = folder / "population.csv"
    bad.write_text("lsoa21_code,lsoa21_name,age_band,usual_residents\nE01000001,x,0-15,5\n")
    result = _prepare_with_population(tmp_path, bad)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("error:"))
    assert str(bad) in line
    assert "missing column(s) ['age_group']" in line


@pytest.mark.slow
def test_build_flags_and_audit(wm_prepared, test_data_dir, tmp_path):
    """`sna build` lists layers awaiting data; `--synthetic-partner-data` asks for stand-ins."""
    import shutil

    store = (test_data_dir / "west-midlands" / "store").resolve()
    shutil.copytree(store, tmp_path / "west-midlands" / store.name)
    (tmp_path / "west-midlands" / "store").symlink_to(store.name)
    args = ["--region", "west-midlands", "--data-dir", str(tmp_path)]
    result = runner.invoke(app, ["build", *args, "--draws", "20"])
    assert result.exit_code == 0, result.output
    assert "hospital_assault_u25: awaiting partner data (weight 0)" in result.output
    audit = runner.invoke(app, ["audit", *args])
    assert audit.exit_code == 0 and "disclosure audit passed" in audit.output
    result = runner.invoke(app, ["build", *args, "--draws", "20", "--synthetic-partner-data"])
    assert result.exit_code == 0, result.output
    current = tmp_path / "west-midlands" / "builds" / "current"
    m = json.loads((current / "manifest.json").read_text())
    assert m["synthetic"] is True and m["config"]["synthetic"]["partner_data"] is True
    audit = runner.invoke(app, ["audit", *args])
    assert audit.exit_code == 0, audit.output
    assert "surfaces/hospital_assault_u25.tif" in audit.output
