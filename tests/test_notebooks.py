"""The analyst and navigator notebooks run top to bottom (nbclient) on a build."""

from __future__ import annotations

from pathlib import Path

import ipykernel  # noqa: E402, F401
import nbclient  # noqa: E402
import nbformat  # noqa: E402
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(name: str, monkeypatch, **env: str):
    """Execute ``notebooks/<name>.ipynb`` with ``env`` set; return the executed notebook."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return nb


def text(nb) -> str:
    """Every text output of the notebook, joined."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                out.append(o.text)
            elif "data" in o:
                out.append(o.data.get("text/plain", ""))
    return "\n".join(out)


def images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def test_notebooks_are_stored_without_outputs():
    for name in ("analyst", "navigator"):
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].metadata.get("tags") == ["parameters"]
        assert "SNA_DATA_DIR" in code[0].source
        assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.fixture(scope="module")
def wm_data_dir(wm_build, test_data_dir) -> Path:
    """The data directory holding the current West Midlands build."""
    return test_data_dir


@pytest.fixture(scope="module")
def place(wm_data_dir):
    """(data dir, region, a postcode, its LSOA code) on the real West Midlands build."""
    import pandas as pd

    data_dir = wm_data_dir
    region = "west-midlands"
    build = data_dir / region / "builds" / "current"
    pcs = pd.read_parquet(build / "postcodes.parquet", columns=["postcode", "lsoa21_code"])
    lsoa = pd.read_parquet(build / "lsoa.parquet", columns=["lsoa21_code", "need_rank"])
    # a postcode in the LSOA ranked 20th, so the notebook does not just take the top place
    code = lsoa.sort_values("need_rank")["lsoa21_code"].iloc[19]
    postcode = pcs.loc[pcs["lsoa21_code"] == code, "postcode"].iloc[0]
    return data_dir, region, postcode.lower(), code


@pytest.mark.slow
def test_navigator_profiles_a_place_found_by_postcode(place, monkeypatch):
    data_dir, region, postcode, code = place
    nb = run(
        "navigator",
        monkeypatch,
        SNA_DATA_DIR=str(data_dir),
        SNA_REGION=region,
        SNA_POSTCODE=postcode,
    )
    out = text(nb)
    assert f"({code})" in out.splitlines()[0]
    assert "Need rank" in out and "20 of " in out
    assert "Top drivers: " in out
    assert "lsoa21_name" in out and "distance" in out  # the peers table
    assert "IoD2019 decile" in out and "IoD2025 decile" in out  # the trends table
    assert "No police.uk street-level points" in out  # none for the West Midlands
    assert images(nb) == 1  # the contributions chart
    # partner layers appear as bands, never as counts
    assert "n_hospital_assault_u25" not in out


@pytest.mark.slow
def test_analyst_regenerates_and_explores_the_west_midlands_build(wm_data_dir, monkeypatch):
    nb = run("analyst", monkeypatch, SNA_DATA_DIR=str(wm_data_dir), SNA_REGION="west-midlands")
    out = text(nb)
    assert "West Midlands: build" in out and "1,719 LSOAs" in out
    assert "largest difference from the published need index" in out
    for scenario in ("individual x2", "community x2", "lambda = 1"):
        assert scenario in out
    assert "builds:" in out
    assert images(nb) >= 1  # the sensitivity chart
