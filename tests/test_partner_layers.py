"""Which partner layers a build scores: awaiting data, interim open data, suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from sna.config.region import LayerSpec, load_region
from sna.needs.partner_layers import AWAITING, REPLACED, plan_layers
from sna.needs.scoring import effective_weights


def _wm():
    return load_region("west-midlands")


def test_partner_layers_without_an_extract_await_data():
    cfg = _wm()
    tables = {t: pd.DataFrame() for t in ("iod2025", "assets", "exclusions_district")}
    active, held = plan_layers(cfg.layers, tables)
    status = {d["id"]: d["status"] for d in held}
    assert status == {"hospital_assault_u25": AWAITING, "school_exclusions": AWAITING}
    assert all(d["effective_weight"] == 0.0 and "weight 0" in d["note"] for d in held)
    assert "school_exclusions_district" in {s.id for s in active}
    # the held-back weight is redistributed: risk weights still sum to 1
    w = effective_weights(active, cfg.scoring.level_weights)
    assert sum(v for s in active for k, v in w.items() if k == s.id and s.kind == "risk") == (
        pytest.approx(1.0)
    )


def test_interim_layer_is_replaced_once_the_extract_exists():
    cfg = _wm()
    tables = {t: pd.DataFrame() for t in ("iod2025", "assets", "pupil_exclusions")}
    active, held = plan_layers(cfg.layers, tables)
    status = {d["id"]: d["status"] for d in held}
    assert status["school_exclusions_district"] == REPLACED
    assert "school_exclusions" in {s.id for s in active}


def test_default_config_asks_for_no_synthetic_data():
    for region in ("west-midlands", "bedfordshire"):
        assert load_region(region).synthetic.partner_data is False


def test_interim_for_must_name_a_partner_layer():
    from pydantic import ValidationError

    cfg = _wm()
    bad = LayerSpec(
        id="x",
        title="X",
        kind="risk",
        level="individual",
        table="iod2025",
        measure="column",
        column="c",
        interim_for="child_poverty",
    )
    with pytest.raises(ValidationError, match="is not a partner layer"):
        type(cfg).model_validate({**cfg.model_dump(), "layers": [*cfg.layers, bad]})


def test_a_partner_layer_published_by_district_becomes_context():
    from sna.needs.layers import LayerData
    from sna.needs.partner_layers import layer_status, protect_layers

    areas = pd.DataFrame(
        {
            "lsoa21_code": [f"E0100000{i}" for i in range(8)],
            "msoa21_name": [f"M {i}" for i in range(8)],
            "ward_code": [f"W{i % 4}" for i in range(8)],
            "district_code": ["D1"] * 4 + ["D2"] * 4,
        }
    )
    spec = LayerSpec(
        id="hosp",
        title="Hospital admissions",
        kind="risk",
        level="individual",
        table="h",
        measure="count",
        denominator="pop",
        partner=True,
    )
    counts = pd.Series([3.0, 2, 2, 2, 1, 4, 3, 1], index=areas["lsoa21_code"])  # wards < 8
    d = LayerData(spec, counts / 1000 * 1000, counts, pd.Series(1000.0, index=counts.index))
    (out,), units, suppressed = protect_layers([d], areas, threshold=8)
    assert units["hosp"].level == "district" and not suppressed
    assert out.spec.geography == "district" and out.spec.context_only
    assert "context only (one value per district" in layer_status(out.spec, False)
