"""The ``sna`` command line: thin commands, clear errors, non-zero exits."""

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


@pytest.mark.slow
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


@pytest.mark.slow  # an unknown id is looked for among the generated views
def test_unknown_region_exits_non_zero_with_a_message(tmp_path):
    result = runner.invoke(
        app, ["data", "prepare", "--region", "atlantis", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2  # a configuration error
    assert "atlantis.toml" in result.output and "not found" in result.output
    assert "Traceback" not in result.output


def test_bad_config_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[region]\nid = "Bad Id"\nname = "x"\ndistricts = []\n')
    result = runner.invoke(app, ["build", "--region", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
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


@pytest.mark.slow
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


# --- exit codes, one-line config errors, prune ---------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _error_lines(output: str) -> list[str]:
    return [x for x in output.splitlines() if x.strip()]


def test_config_errors_are_one_line_naming_file_and_key_and_exit_2(tmp_path):
    text = (ROOT / "geodata/regions/bedfordshire.toml").read_text()
    i = text.index('measure = "column"')
    j = text.index("column = ", i)
    bad = tmp_path / "nocolumn.toml"
    bad.write_text(text[:j] + text[text.index("\n", j) + 1 :] + "\n[builds]\nkepp = 3\n")
    result = runner.invoke(app, ["data", "prepare", "--region", str(bad)])
    assert result.exit_code == 2, result.output
    lines = _error_lines(result.output)
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert str(bad) in lines[0]
    assert "measure 'column' needs a column name" in lines[0]
    assert "builds.kepp: unknown key" in lines[0]
    assert "Traceback" not in result.output
    toml = tmp_path / "broken.toml"
    toml.write_text('[region]\nid = "x\n')
    result = runner.invoke(app, ["builds", "--region", str(toml)])
    assert result.exit_code == 2 and len(_error_lines(result.output)) == 1
    assert "broken.toml: invalid TOML" in result.output


def test_regions_with_a_broken_shipped_file_exits_2(tmp_path, monkeypatch):
    import sna.config.regions

    (tmp_path / "bad.toml").write_text('[region]\nid = "bad"\nname = "x"\ndistricts = ["X"]\n')
    monkeypatch.setattr(sna.config.regions, "REGIONS_DIR", tmp_path)
    result = runner.invoke(app, ["regions"])
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "region.districts" in result.output
    assert "Traceback" not in result.output and len(_error_lines(result.output)) == 1


def test_serve_with_bad_settings_exits_2_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SNA_API_MAX_BODY_BYTES", "lots")
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    lines = _error_lines(result.output)
    assert len(lines) == 1 and "SNA_API_MAX_BODY_BYTES" in lines[0]
    monkeypatch.delenv("SNA_API_MAX_BODY_BYTES")
    monkeypatch.setenv("SNA_API_KEY_FILE", str(tmp_path / "missing-key"))
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "cannot read the key file" in result.output
    monkeypatch.delenv("SNA_API_KEY_FILE")
    # no build is a data error
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no published build" in result.output


def test_builds_prune_keeps_n_and_current(tmp_path):
    from test_builds import _publish

    from sna.builds.registry import build_folders, current_target

    data = tmp_path / "data"
    cfg = tmp_path / "fixture.toml"
    text = (ROOT / "geodata/regions/bedfordshire.toml").read_text()
    text = text.replace('id = "bedfordshire"', 'id = "fixture"', 1)
    cfg.write_text(text + "\n[builds]\nkeep = 3\n")
    ids = [f"2026010{i}T000000.000000Z-00000{i}" for i in range(1, 6)]
    for build_id in ids:
        _publish(data, build_id)
    args = ["builds", "prune", "--region", str(cfg), "--data-dir", str(data)]
    result = runner.invoke(app, args)  # the config's default: keep 3
    assert result.exit_code == 0, result.output
    assert [f.name for f in build_folders("fixture", data)] == ids[2:]
    result = runner.invoke(app, [*args, "--keep", "1"])
    assert result.exit_code == 0 and "removed " + ids[2] in result.output
    assert [f.name for f in build_folders("fixture", data)] == ids[4:]
    assert current_target("fixture", data).name == ids[4]
    listing = runner.invoke(app, ["builds", "--region", str(cfg), "--data-dir", str(data)])
    assert listing.exit_code == 0 and ids[4] in listing.output
    assert runner.invoke(app, [*args, "--keep", "0"]).exit_code == 2  # usage error


@pytest.mark.slow
def test_prepare_warns_about_empty_and_missing_police_months(tmp_path, shared_data):
    crime = tmp_path / "crime"
    crime.mkdir()
    months = [f"2023-{m:02d}" for m in range(5, 13)] + [f"2024-{m:02d}" for m in range(1, 5)]
    for month in months:
        src = shared_data / "crime/bedfordshire" / f"{month}-bedfordshire-street.csv.gz"
        if month == "2023-08":
            continue  # missing
        if month == "2023-09":  # header only
            header = gzip.decompress(src.read_bytes()).splitlines()[0] + b"\n"
            (crime / f"{month}-bedfordshire-street.csv").write_bytes(header)
            continue
        (crime / src.name).symlink_to(src)
    text = (ROOT / "geodata/regions/bedfordshire.toml").read_text()
    text = text.replace(
        'police_uk = { path = ["crime/bedfordshire"]', f'police_uk = {{ path = ["{crime}"]'
    )
    cfg = tmp_path / "beds.toml"
    cfg.write_text(text)
    data = tmp_path / "data"
    result = runner.invoke(app, ["data", "prepare", "--region", str(cfg), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    warnings = [x for x in result.output.splitlines() if x.startswith("warning:")]
    assert any("2023-09-bedfordshire-street.csv: header only" in w for w in warnings)
    assert any(
        "2 month(s) missing inside 2023-05..2024-04: 2023-08, 2023-09" in w for w in warnings
    )
    manifest = json.loads((data / "bedfordshire" / "store" / "manifest.json").read_text())
    assert len(manifest["warnings"]) == 2
    assert manifest["tables"]["crime_points"]["load"][0]["warnings"] == manifest["warnings"]


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


def test_one_exit_code_table():
    from cli.main import EXIT_CODES, exit_code
    from geodata.errors import GeodataError
    from sna.errors import ConfigError, DisclosureError, StoreNotPrepared

    assert exit_code(ConfigError("x")) == 2
    assert exit_code(StoreNotPrepared("x")) == 1 and exit_code(DisclosureError("x")) == 1
    assert exit_code(GeodataError("x")) == 1
    assert EXIT_CODES[0] == (ConfigError, 2)  # the most specific first


@pytest.mark.slow
def test_build_views_of_a_region_without_views_says_so(tmp_path):
    wm = (Path(__file__).resolve().parents[1] / "geodata/regions/west-midlands.toml").read_text()
    lone = tmp_path / "lone.toml"
    lone.write_text(wm.replace('id = "west-midlands"', 'id = "lone"'))
    result = runner.invoke(
        app, ["build", "--region", str(lone), "--views", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no region declares view_of = 'lone'" in result.output
    assert not list(tmp_path.rglob("*.parquet"))  # nothing prepared for nothing to build


def test_evaluate_forces_prints_every_digit_to_a_log(monkeypatch):
    """Piped to a file, ``sna evaluate --forces`` prints its tables at full width: a rich
    table at a log's 80 columns had cut each figure to ``0.2…``."""
    import pandas as pd

    import sna.evaluation.forces as forces

    def table(prefix: str) -> pd.DataFrame:
        return pd.DataFrame(
            {"force": ["avon-and-somerset", "nottinghamshire"]}
            | {f"{prefix}_{i}_long_column_name": [0.123456, 0.987654] for i in range(12)}
        )

    result = forces.ForcesResult(
        exposure=table("exposure"),
        forward=table("forward").assign(
            test_months="2022-08",
            judged=True,
            vr_hit_rate=0.3201,
            vr_pei=0.9360,
            prior_hit_rate=0.3105,
            prior_pei=0.9078,
            ewc_hit_rate=0.3112,
            ewc_pei=0.9101,
        ),
        as_if=table("as_if").assign(
            judged=True,
            vr_hit_rate=0.3,
            res_hit_rate=0.2,
            vr_pei=0.9,
            res_pei=0.8,
            top10_median_rank_share=0.01,
        ),
    )
    monkeypatch.setattr(forces, "evaluate_forces", lambda *a, **k: result)
    printed = runner.invoke(app, ["evaluate", "--forces"])
    assert printed.exit_code == 0, printed.output
    assert "…" not in printed.output
    assert "0.987654" in printed.output and "as_if_11_long_column_name" in printed.output
    assert "avon-and-somerset" in printed.output and "0.936" in printed.output
