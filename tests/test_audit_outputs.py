"""Acceptance: ``sna audit`` reads every public output of a build, and a leak planted in any of
them fails it with a line naming the output, the unit and the value.

One West Midlands build from a partner extract of clusters, singles and pairs
(``partner_extract``: the disclosure tests' design) gets its static and printed maps, its
priority lists and its report. The audit passes it, and says what it read. Then each output
in turn gets one leak in a copy of the build: a ward answer carrying a count, an LSOA
answer whose partner score differs inside its district, a vector-tile attribute holding a
restricted count, a raster-tile pixel shown around a single admission, a postcode's local
band where one record is in reach, a map feature's band varying inside a district, a printed
map and the report stating a count of 3 admissions, and a priority-list column of exact rates.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from partner_extract import (
    HOSPITAL_LAYER,
    design,
    extract_config,
    write_extract,
    write_pupil_extract,
)
from typer.testing import CliRunner

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("partner_extract")]


@pytest.fixture(scope="module")
def built(wm_store, tmp_path_factory):
    """``(design, data dir, build folder, audit seconds)`` with maps, lists and report."""
    from maps import write_maps
    from maps.printing import write_print_maps
    from maps.report import write_report
    from sna.build.pipeline import build_region
    from sna.priority.places import write_priority_places

    d = design(wm_store.read("postcodes"), wm_store.read("lsoa21"))
    root = tmp_path_factory.mktemp("audit-outputs")
    csv = write_extract(d, root / "partner" / "hospital.csv")
    pupils = write_pupil_extract(d, root / "partner" / "pupils.csv")
    result = build_region(extract_config(csv, pupils), data_dir=root)
    folder = result.path
    write_maps("west-midlands", root, build=folder, districts=False)
    write_print_maps("west-midlands", root, build=folder, fmt="pdf", districts=False)
    write_priority_places("west-midlands", root, build=folder)
    write_report("west-midlands", root, build=folder, make_maps=False)
    yield d, root, folder, result.timings
    shutil.rmtree(root, ignore_errors=True)


def _audit(folder: Path, root: Path):
    from sna.audit import audit_build

    return audit_build(folder, store=root / "west-midlands" / "store")


def test_the_audit_reads_every_output_and_passes(built):
    d, root, folder, timings = built
    t = time.perf_counter()
    result = _audit(folder, root)
    seconds = time.perf_counter() - t
    assert result.ok, result.message()
    read = set(result.checked)
    for name in (
        "exports/lsoa_indices.csv",
        "exports/postcode_indices.csv",
        f"surfaces/{HOSPITAL_LAYER}.tif",
        f"tiles/{HOSPITAL_LAYER}.tif",
        "answers.sqlite areas (lsoa)",
        "answers.sqlite areas (ward)",
        "answers.sqlite areas (district)",
        "answers.sqlite postcodes",
        "answers.sqlite fragments",
        "answers.sqlite area_list (lsoa)",
        "answers.sqlite outcodes",
        "vector tiles (answers.sqlite tile_shapes)",
        "maps/overview.html",
        "exports/priority_places.csv",
        "exports/priority_places.gpkg",
        "report.html",
    ):
        assert name in read, (name, sorted(read))
    assert result.checked["answers.sqlite postcodes"] > 50_000
    assert any(k.startswith("maps/") and k.endswith(".pdf") for k in read)
    assert "report.pdf" in result.absent and "report.html" not in result.absent
    # fast enough to run in every build: well under the build's own time
    print(f"audit {seconds:.1f} s; build steps {timings}")
    assert seconds < 60


def _copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / folder.name
    shutil.copytree(folder, out)
    return out


def _rewrite(db_path: Path, sql: str, key, change) -> None:
    db = sqlite3.connect(db_path)
    table, col, where = sql
    raw = db.execute(f"SELECT {col} FROM {table} WHERE {where} = ?", (key,)).fetchone()[0]
    db.execute(f"UPDATE {table} SET {col} = ? WHERE {where} = ?", (change(raw), key))
    db.commit()
    db.close()


def _json_change(fn):
    def change(raw: bytes) -> bytes:
        obj = json.loads(raw)
        fn(obj)
        return json.dumps(obj).encode()

    return change


def _partner_entry(obj: dict) -> dict:
    return next(x for x in obj["layers"] if x["id"] == HOSPITAL_LAYER)


def _lsoas(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "exports" / "lsoa_indices.csv")


def _plant_ward(folder, d, wm_store):
    ward = _lsoas(folder)["ward_code"].iloc[0]
    fn = _json_change(lambda o: _partner_entry(o).update(count=3))
    _rewrite(folder / "answers.sqlite", ("areas", "body", "code"), ward, fn)
    return "answers.sqlite areas (ward)", f"ward {ward}", "value 3"


def _plant_lsoa(folder, d, wm_store):
    code = _lsoas(folder)["lsoa21_code"].iloc[0]
    fn = _json_change(lambda o: _partner_entry(o).update(score=9.87))
    _rewrite(folder / "answers.sqlite", ("areas", "body", "code"), code, fn)
    return "answers.sqlite areas (lsoa)", "varies inside its disclosure unit", "9.87"


def _plant_vector_tile(folder, d, wm_store):
    fn = _json_change(lambda o: o.update({f"n_{HOSPITAL_LAYER}": 2}))
    with sqlite3.connect(folder / "answers.sqlite") as db:
        pos = db.execute("SELECT min(pos) FROM tile_shapes").fetchone()[0]
    _rewrite(folder / "answers.sqlite", ("tile_shapes", "props", "pos"), pos, fn)
    return "vector tiles (answers.sqlite tile_shapes)", f"restricted column n_{HOSPITAL_LAYER}", "2"


def _plant_raster_tile(folder, d, wm_store):
    import rasterio
    from pyproj import Transformer

    xy = wm_store.read("postcodes").set_index("postcode").loc[d.singles[0]]
    mx, my = Transformer.from_crs(27700, 3857, always_xy=True).transform(
        xy["easting"], xy["northing"]
    )
    with rasterio.open(folder / "tiles" / f"{HOSPITAL_LAYER}.tif", "r+") as src:
        r, c = src.index(mx, my)
        band = src.read(1)
        band[r - 1 : r + 2, c - 1 : c + 2] = 5.0
        src.write(band, 1)
    return f"tiles/{HOSPITAL_LAYER}.tif", "records in reach", "value 5.0"


def _plant_postcode(folder, d, wm_store):
    pc = d.singles[0]

    def change(raw: bytes) -> bytes:
        return raw.replace(
            f'"{HOSPITAL_LAYER}":{{"band":null'.encode(),
            f'"{HOSPITAL_LAYER}":{{"band":"High"'.encode(),
        )

    _rewrite(folder / "answers.sqlite", ("postcodes", "head", "code"), pc, change)
    return "answers.sqlite postcodes", f"postcode {pc}", "value High"


def _plant_map(folder, d, wm_store):
    page = folder / "maps" / "overview.html"
    text = page.read_text()
    n = 0

    def band(m):
        nonlocal n
        n += 1
        return f'{m.group(0)}"band_{HOSPITAL_LAYER}": "{"High" if n % 2 else "Low"}", '

    import re

    page.write_text(re.sub(r'"properties":\s*\{', band, text, count=40))
    return "maps/overview.html", "varies inside its disclosure unit", "High"


def _plant_print(folder, d, wm_store):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "Hospital admissions for assault: 3 admissions near B1 1AA")
    fig.savefig(folder / "maps" / "district-leak.pdf")
    plt.close(fig)
    return "maps/district-leak.pdf", "a count below 8", "3 admissions"


def _plant_priority(folder, d, wm_store):
    p = folder / "exports" / "priority_places_data.csv"
    frame = pd.read_csv(p)
    frame[f"v_{HOSPITAL_LAYER}"] = np.linspace(0.5, 1.5, len(frame))
    frame.to_csv(p, index=False)
    code = frame["lsoa21_code"].iloc[0]
    return "exports/priority_places_data.csv", f"LSOA {code}: restricted column", "value 0.5"


def _plant_readable_priority(folder, d, wm_store):
    """The list a navigator opens has headers in words: a rate column under a plain title."""
    p = folder / "exports" / "priority_places.csv"
    frame = pd.read_csv(p)
    frame["Hospital admissions for assault, rate"] = np.linspace(0.5, 1.5, len(frame))
    frame.to_csv(p, index=False)
    return "exports/priority_places.csv", "values in no audited column", "Hospital admissions"


def _plant_report(folder, d, wm_store):
    p = folder / "report.html"
    p.write_text(p.read_text().replace("</body>", "<p>7 records of assault here.</p></body>"))
    return "report.html", "a count below 8", "7 records"


PLANTS = {
    "answers ward row": _plant_ward,
    "answers LSOA row": _plant_lsoa,
    "answers postcode": _plant_postcode,
    "vector tiles": _plant_vector_tile,
    "raster tiles": _plant_raster_tile,
    "map html": _plant_map,
    "printed map": _plant_print,
    "priority csv": _plant_priority,
    "readable priority csv": _plant_readable_priority,
    "report": _plant_report,
}


@pytest.mark.parametrize("leak", list(PLANTS))
def test_a_planted_leak_fails_the_audit(built, wm_store, tmp_path, leak):
    d, root, folder, _ = built
    copy = _copy(folder, tmp_path)
    output, unit, value = PLANTS[leak](copy, d, wm_store)
    result = _audit(copy, root)
    assert not result.ok
    lines = [str(f) for f in result.findings]
    hit = [x for x in lines if x.startswith(output) and unit in x and value in x]
    assert hit, (output, unit, value, lines[:5])
    # every other output still passes: the leak is found where it is
    assert {f.output for f in result.findings} == {output}, lines[:5]
    assert "\n" not in result.headline() and output in result.headline()


def test_sna_audit_names_what_it_read_and_what_is_absent(built, tmp_path):
    from cli import app

    d, root, folder, _ = built
    data = tmp_path / "data"
    builds = data / "west-midlands" / "builds"
    copy = _copy(folder, builds)
    (builds / "current").symlink_to(copy.name)
    (data / "west-midlands" / "store").symlink_to((root / "west-midlands" / "store").resolve())
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "--region", "west-midlands", "--data-dir", str(data)])
    assert ok.exit_code == 0, ok.output
    assert "answers.sqlite postcodes" in ok.output and "absent: " in ok.output
    assert "report.pdf" in ok.output
    _plant_report(copy, d, None)
    bad = runner.invoke(app, ["audit", "--region", "west-midlands", "--data-dir", str(data)])
    assert bad.exit_code == 1
    first = bad.output.splitlines()[0]
    assert "report.html" in first and "7 records" in first
