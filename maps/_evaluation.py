"""The report's evaluation section: the forward test of a view's forces with street files.

A view whose force area has police.uk street files fits violence risk on them (through the
archive's counts); its build stores that force's forward test as ``sna evaluate --forces``
computes it (``manifest["forward_test"]``, :func:`sna.build.violence.forward_test`). This
turns it into the rows the template shows; a build without one has no section.
"""

from __future__ import annotations

from typing import Any

from sna import PublicBuild
from sna.evaluation.forces import JUDGED_LSOAS, JUDGED_MONTHS, forward_passes

__all__ = ["forward_section"]

_METHODS = (
    ("vr", "Violence risk (fitted on the training months only)"),
    ("prior", "Last period's counts (the training months, unweighted)"),
    ("ewc", "Exponentially weighted counts of the training months"),
)


def forward_section(build: PublicBuild) -> dict[str, Any] | None:
    """The forward test's context for the template, or None when the build has none."""
    test = build.manifest.get("forward_test")
    if not test or not test.get("rows"):
        return None
    forces = []
    for r in test["rows"]:
        months = [m for m in str(r["test_months"]).split(",") if m]
        forces.append(
            {
                "force": r["force"],
                "lsoas": int(r["lsoas"]),
                "train": r["train"],
                "test": f"{months[0]}..{months[-1]}" if months else "",
                "test_months": len(months),
                "judged": bool(r["judged"]),
                "passes": bool(forward_passes(r)),
                "half_life": r.get("half_life"),
                "noise": _noise(r),
                "methods": [
                    {
                        "name": name,
                        "hit_rate": float(r[f"{key}_hit_rate"]),
                        "pei": float(r[f"{key}_pei"]),
                    }
                    for key, name in _METHODS
                ],
            }
        )
    return {
        "train": test["train"],
        "coverage": float(test.get("coverage", 0.1)),
        "computed_by": test.get("computed_by", ""),
        "forces": forces,
        "judged_months": JUDGED_MONTHS,
        "judged_lsoas": JUDGED_LSOAS,
    }


def _noise(row: dict[str, Any]) -> dict[str, float] | None:
    """Violence risk's PEI* minus the prior counts', and the test months' own noise in it
    (:mod:`sna.stats.redraws`); None for a build made before it was recorded."""
    if row.get("noise_sd") is None or row.get("vr_minus_prior_pei") is None:
        return None
    return {
        "difference": float(row["vr_minus_prior_pei"]),
        "sd": float(row["noise_sd"]),
        "below": float(row["redraws_below_prior"]),
    }
