"""Which of a build's layers are recorded, estimated or awaiting data, for the report.

A generated VRU view has what the national bundle holds for it: some force areas have
police.uk street files, most do not, and no view has partner extracts until its VRU adds
them. The report says so in one place, from the build's manifest:

- *recorded*: counted or published by the source (Census, IoD2025 indicators and domains,
  DfE rates, asset lists, police.uk street files, a partner extract);
- *estimated*: made by this tool from other data (the at-risk population; last year's
  violence where the area has no street files: IoD2025 rates x the at-risk population);
- *forecast*: violence risk, the offences expected in the next 12 months;
- *awaiting data*: partner layers with no extract (weight 0, no values);
- *synthetic*: illustrative stand-ins, flagged everywhere.
"""

from __future__ import annotations

from typing import Any

from sna import PublicBuild

__all__ = ["data_status"]


def _layer_rows(build: PublicBuild) -> list[dict[str, str]]:
    m = build.manifest
    synthetic = set(build.synthetic_layers)
    rows = []
    for d in m.get("layers", []):
        title = d.get("title", d["id"])
        source = "partner extract" if d.get("partner") else f"open data ({d.get('table', '')})"
        if d["id"] in synthetic or d.get("synthetic"):
            rows.append({"status": "synthetic", "what": title, "how": "illustrative stand-in"})
        else:
            rows.append({"status": "recorded", "what": title, "how": source})
    for d in m.get("awaiting_layers", []):
        rows.append(
            {
                "status": "awaiting data",
                "what": d.get("title", d["id"]),
                "how": "no partner extract configured: weight 0, no values",
            }
        )
    return rows


def _violence_rows(build: PublicBuild) -> list[dict[str, str]]:
    vm = build.manifest.get("violence_model") or {}
    if not vm:
        return []
    rows = []
    window = vm.get("window") or []
    months = f" ({window[0]} to {window[1]})" if len(window) == 2 else ""
    if build.violence_estimated:
        rows.append(
            {
                "status": "estimated",
                "what": "Violence and sexual offences in the last year",
                "how": "IoD2025 police recorded crime rates x the at-risk population; the "
                f"model's coefficients carried over from {vm.get('carried_over_from')} "
                "(no police.uk street files for this area in the bundle)",
            }
        )
    else:
        rows.append(
            {
                "status": "recorded",
                "what": "Violence and sexual offences in the last year",
                "how": f"counted in police.uk street-level files{months}",
            }
        )
    exposure = vm.get("exposure") or {}
    if exposure:
        rows.append(
            {
                "status": str(exposure.get("provenance", "")),
                "what": str(exposure.get("title", "Population at risk")),
                "how": str(exposure.get("method", "")),
            }
        )
    rows.append(
        {
            "status": "forecast",
            "what": "Violence risk",
            "how": str(vm.get("unit", "offences expected in the next 12 months")),
        }
    )
    return rows


def data_status(build: PublicBuild) -> dict[str, Any]:
    """Rows of (status, what, how) and the count per status, for the report's table."""
    rows = _violence_rows(build) + _layer_rows(build)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"rows": rows, "counts": counts}
