"""Which partner layers a build can use, and the disclosure-safe form of those it uses.

A partner layer (hospital admissions, pupil exclusions) needs a partner's extract. Without
one, and unless synthetic stand-ins were asked for, the layer is **awaiting partner data**:
it is left out of the scoring, so its weight is 0 and the other layers of its
socio-ecological level share the level's weight (a level left with no layer passes its
weight to the other levels, :func:`sna.needs.scoring.effective_weights`). An open-data layer
declared ``interim_for`` a partner layer (the DfE district exclusion rates) is used only
while that layer is awaiting data.

A partner layer that has data is published at the finest geography where every unit holds
0 or at least the disclosure threshold of records
(:func:`sna.disclosure.control.disclosure_geography`);
when even districts fail, it is suppressed and treated like an awaiting layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from sna.config.region import LayerSpec
from sna.disclosure.control import DisclosureUnits, aggregate_layer, disclosure_geography
from sna.needs.layers import LayerData, compute_layer

__all__ = [
    "AWAITING",
    "SUPPRESSED_LAYER",
    "REPLACED",
    "plan_layers",
    "protect_layers",
    "scored_layers",
    "layer_status",
]

AWAITING = "awaiting partner data"
SUPPRESSED_LAYER = "suppressed (too few records in every geography)"
REPLACED = "replaced by partner data"


def _held(spec: LayerSpec, status: str, note: str) -> dict[str, Any]:
    return {
        **spec.model_dump(mode="json"),
        "status": status,
        "synthetic": False,
        "effective_weight": 0.0,
        "note": note,
    }


def plan_layers(
    specs: list[LayerSpec], tables: Mapping[str, pd.DataFrame]
) -> tuple[list[LayerSpec], list[dict[str, Any]]]:
    """Split declared layers into those to score and those held back (with their status).

    A partner layer whose table is not in the store is awaiting partner data; an interim
    layer is held back when the partner layer it stands in for has data.
    """
    awaiting = {s.id for s in specs if s.partner and s.table not in tables}
    active: list[LayerSpec] = []
    held: list[dict[str, Any]] = []
    for s in specs:
        if s.id in awaiting:
            held.append(
                _held(
                    s,
                    AWAITING,
                    "No partner extract is configured (sources."
                    f"{s.table}); the layer has weight 0 and its level's weight goes to the "
                    "other layers. See docs/partner-data-schemas.md.",
                )
            )
        elif s.interim_for and s.interim_for not in awaiting:
            held.append(
                _held(s, REPLACED, f"Interim open data; {s.interim_for!r} has partner data.")
            )
        else:
            active.append(s)
    return active, held


def protect_layers(
    layers: list[LayerData], areas: pd.DataFrame, threshold: int
) -> tuple[list[LayerData], dict[str, DisclosureUnits], list[dict[str, Any]]]:
    """Aggregate each partner count layer to its disclosure geography.

    Returns the layers (partner ones now carrying their unit's rate, with no per-LSOA count,
    so no shrinkage or count noise reads below the unit), the units per partner layer, and
    the layers suppressed because no geography passes (to be held back like awaiting ones).
    """
    out: list[LayerData] = []
    units: dict[str, DisclosureUnits] = {}
    suppressed: list[dict[str, Any]] = []
    for d in layers:
        if not d.spec.partner or d.count is None:
            out.append(d)
            continue
        u = disclosure_geography(areas, d.count.to_numpy(float), threshold)
        units[d.spec.id] = u
        if u.suppressed:
            suppressed.append(
                _held(
                    d.spec,
                    SUPPRESSED_LAYER,
                    f"Some district holds 1-{threshold - 1} records: nothing of this layer is "
                    "published.",
                )
            )
            continue
        rate = aggregate_layer(u, d.count, d.denominator, d.spec.per)
        # published at a coarser geography, the layer says so; at the district it is context
        # only (weight 0, never a driver: sna.needs.scoring.effective_weights)
        spec = d.spec if u.level == "lsoa" else d.spec.model_copy(update={"geography": u.level})
        raw = pd.Series(rate, index=d.raw.index, name=d.spec.id)
        out.append(replace(d, spec=spec, raw=raw, count=None))
    return out, units, suppressed


def scored_layers(
    specs: list[LayerSpec],
    tables: Mapping[str, pd.DataFrame],
    areas: pd.DataFrame,
    postcodes: pd.DataFrame | None,
    threshold: int,
) -> tuple[list[LayerData], dict[str, DisclosureUnits], list[dict[str, Any]]]:
    """The layers a build scores, computed and made disclosure-safe, as :mod:`sna.build.pipeline`
    does.

    Returns ``(layers, units, held)``: the layer data (partner layers at their unit's rate),
    the disclosure units of each partner layer (with the per-LSOA counts they were built from
    as ``units[id].lsoa_counts``), and the layers held back (awaiting, replaced, suppressed).
    """
    active, held = plan_layers(specs, tables)
    layers = [compute_layer(s, tables, areas, postcodes) for s in active]
    counts = {d.spec.id: d.count for d in layers if d.spec.partner and d.count is not None}
    layers, units, suppressed = protect_layers(layers, areas, threshold)
    units = {lid: replace(u, lsoa_counts=counts[lid]) for lid, u in units.items()}
    return layers, units, held + suppressed


def layer_status(spec: LayerSpec, synthetic: bool) -> str:
    """The status of a scored layer as layers, manifest, API, map and report show it."""
    if synthetic:
        return "synthetic (illustrative)"
    status = "partner data" if spec.partner else "open data"
    if spec.context_only:  # shown beside the index, not in it
        status += f"; context only ({spec.geography_words}): weight 0 in the needs index"
    return status
