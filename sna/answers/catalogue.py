"""The build's catalogue and provenance: layers with sources, licences and vintages, the
shared answer tail (vintages, synthetic flags, attribution) and the vector-tile attributes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sna.answers._json import inner, num, to_int, to_str
from sna.config.region import ATTRIBUTION
from sna.needs.scoring import INDICES

if TYPE_CHECKING:
    from sna.answers.context import BuildContext

__all__ = [
    "SYNTHETIC_NOTICE",
    "ATTRIBUTION",
    "layer_vintages",
    "source_vintages",
    "tail_fragment",
    "layers",
    "tile_properties",
]

SYNTHETIC_NOTICE = (
    "Illustrative data: this layer is built from synthetic (made-up) records standing in for "
    "partner data that is not open. Do not use it to judge a real place."
)


def _joined(sources: list[dict[str, Any]], key: str, *, ordered: bool) -> str | None:
    vals = [s.get(key, "") for s in sources if s.get(key)]
    return "; ".join(dict.fromkeys(vals) if ordered else sorted(set(vals))) or None


def layer_vintages(
    manifest: dict[str, Any], layer_meta: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per layer: period, vintage, licence and attribution of the store tables it read."""
    inputs = manifest.get("store", {}).get("inputs", {})
    out = {}
    for d in layer_meta:
        sources = inputs.get(d.get("table", ""), [])
        out[d["id"]] = {
            "period": d.get("period") or None,
            "vintage": _joined(sources, "vintage", ordered=True),
            "licence": _joined(sources, "licence", ordered=False),
            "attribution": _joined(sources, "attribution", ordered=False),
        }
    return out


def source_vintages(manifest: dict[str, Any]) -> dict[str, str | None]:
    """One vintage string per source (each named once, however many tables use it)."""
    out: dict[str, str | None] = {}
    for items in manifest.get("store", {}).get("inputs", {}).values():
        for s in items:
            name = s.get("source")
            if name and name not in out:
                out[str(name)] = s.get("vintage") or None
    return dict(sorted(out.items()))


def tail_fragment(
    manifest: dict[str, Any],
    vintages: dict[str, dict[str, Any]],
    what_to_do: dict[str, Any] | None = None,
) -> bytes:
    """The part every postcode and area answer ends with, pre-serialised without braces."""
    synthetic = sorted(manifest.get("synthetic_layers", []))
    tail = {
        "vintages": source_vintages(manifest),
        "periods": {lid: v["period"] for lid, v in vintages.items()},
        "synthetic": bool(synthetic),
        "synthetic_layers": synthetic,
        "notice": SYNTHETIC_NOTICE if synthetic else None,
        "attribution": list(ATTRIBUTION),
        "build_id": str(manifest["build_id"]),
        "region": str(manifest.get("region", "")),
        "what_to_do": what_to_do,
    }
    return inner(tail)


def layers(ctx: BuildContext) -> list[dict[str, Any]]:
    """Every layer: titles, level, sources, licences, vintages, flags and map styling.

    A surface's ``surface`` carries its public style; the API adds the tile URL.
    """
    out = []
    for d in ctx.layer_meta:
        lid = d["id"]
        partner = bool(d.get("partner"))
        style = ctx.surfaces.get(lid)
        v = ctx.vintages.get(lid, {})
        spec = ctx.spec_by_id[lid]
        lo, hi = spec.bounds
        out.append(
            {
                "id": lid,
                "title": d.get("title", lid),
                "description": d.get("description") or None,
                "kind": d.get("kind"),
                "level": d.get("level"),
                "measure": d.get("measure"),
                "unit": spec.display_unit,
                "range": [None if math.isinf(x) else num(x) for x in (lo, hi)],
                "geography": spec.geography,
                "geography_note": spec.geography_words or None,
                "in_index": bool((d.get("effective_weight") or 0) > 0),
                "partner": partner,
                "synthetic": lid in ctx.synthetic,
                "notice": SYNTHETIC_NOTICE if lid in ctx.synthetic else None,
                "weight": num(d.get("effective_weight", d.get("weight")), 4),
                "period": d.get("period") or None,
                "vintage": v.get("vintage"),
                "licence": v.get("licence"),
                "attribution": v.get("attribution"),
                "national": bool(d.get("national")),
                "property": f"band_{lid}" if partner else f"s_{lid}",
                "display": "band" if partner else "score",
                "surface": None if style is None else style.public(),
                "status": d.get("status")
                or ("synthetic (illustrative)" if lid in ctx.synthetic else None),
                "disclosure_level": (d.get("disclosure") or {}).get("level"),
            }
        )
    for d in ctx.manifest.get("awaiting_layers", []):  # held back: weight 0, no values
        out.append(
            {
                "id": d["id"],
                "title": d.get("title", d["id"]),
                "description": d.get("description") or None,
                "kind": d.get("kind"),
                "level": d.get("level"),
                "measure": d.get("measure"),
                "partner": bool(d.get("partner")),
                "synthetic": False,
                "notice": d.get("note"),
                "weight": 0.0,
                "period": d.get("period") or None,
                "vintage": None,
                "licence": None,
                "attribution": None,
                "national": bool(d.get("national")),
                "property": None,
                "display": "none",
                "surface": None,
                "status": d.get("status"),
                "disclosure_level": None,
            }
        )
    return out


def tile_properties(ctx: BuildContext) -> list[dict[str, Any]]:
    """The public attributes of each LSOA in the vector tiles, in ``lsoa.parquet`` order."""
    import pandas as pd

    pub = pd.DataFrame(ctx.lsoa_public.drop(columns="geometry"))
    out = []
    for r in pub.to_dict("records"):
        p: dict[str, Any] = {
            "code": r["lsoa21_code"],
            "name": to_str(r.get("lsoa21_name")) or "",
            "ward": to_str(r.get("ward_name")) or "",
            "district": to_str(r.get("district_name")) or "",
        }
        for k in INDICES:
            p[k] = num(r.get(k), 3)
            p[f"{k}_band"] = to_str(r.get(f"{k}_band")) or ""
            p[f"{k}_decile"] = to_int(r.get(f"{k}_decile"))
        p["need_rank"] = to_int(r.get("need_rank"))
        if "violence_risk" in r:
            p["violence_risk"] = num(r.get("violence_risk"), 1)
            p["violence_risk_band"] = to_str(r.get("violence_risk_band")) or ""
            p["violence_risk_decile"] = to_int(r.get("violence_risk_decile"))
            p["violence_risk_rank"] = to_int(r.get("violence_risk_rank"))
        for s in ctx.specs:
            if s.partner:
                p[f"band_{s.id}"] = to_str(r.get(f"band_{s.id}")) or ""
            else:
                p[f"s_{s.id}"] = num(r.get(f"s_{s.id}"), 3)
        p["hotspot"] = to_str(r.get("gi_label")) or ""
        p["synthetic"] = bool(ctx.synthetic)
        out.append({k: v for k, v in p.items() if v is not None})
    return out
