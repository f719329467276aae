"""The outcome series as matplotlib charts: one per measure, the VRU's force area against its
English region and England and Wales, per 100,000 residents, one point per year ending March.

Used by ``sna outcomes`` (PNG files) and the SNA report (inline PNGs).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

__all__ = ["outcome_figure", "outcome_pngs", "write_outcome_charts"]

COLOURS = {"force": "#1d4f91", "vru": "#1d4f91", "english_region": "#8a8f98", "country": "#c0392b"}


def outcome_figure(measure: dict[str, Any]):
    """A matplotlib figure of one measure's rates (None when no series has a rate)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [s for s in measure["series"] if any(p["rate_per_100k"] for p in s["points"])]
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=110)
    for s in series:
        pts = [p for p in s["points"] if p["rate_per_100k"] is not None]
        years = [int(p["period_end"][:4]) for p in pts]
        colour = COLOURS.get(s["kind"], "#333")
        style = "--" if s["kind"] == "english_region" else "-"
        ax.plot(years, [p["rate_per_100k"] for p in pts], style, color=colour, label=s["name"])
        for y, p in zip(years, pts, strict=True):
            hollow = p["rate_provenance"] == "estimated"
            ax.plot(y, p["rate_per_100k"], "o", color=colour, mfc="white" if hollow else colour)
    ax.set_title(f"{measure['title']}, per 100,000 residents (years ending March)", fontsize=10)
    ax.set_ylabel("per 100,000")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color="#e3e5e8")
    ax.legend(fontsize=8, frameon=False)
    fig.text(
        0.01, 0.01, "Hollow points: estimated population. Source: ONS police force area tables.",
        fontsize=7, color="#555",
    )  # fmt: skip
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def outcome_pngs(answer: dict[str, Any]) -> dict[str, bytes]:
    """measure id -> PNG bytes, for every measure with a rate."""
    import matplotlib.pyplot as plt

    out = {}
    for m in answer["measures"]:
        if not m["series"]:
            continue
        fig = outcome_figure(m)
        if fig is None:
            continue
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out[m["id"]] = buf.getvalue()
    return out


def outcome_charts_base64(answer: dict[str, Any]) -> dict[str, str]:
    """measure id -> base64 PNG (for ``<img src="data:...">`` in the report)."""
    return {k: base64.b64encode(v).decode() for k, v in outcome_pngs(answer).items()}


def write_outcome_charts(answer: dict[str, Any], folder: Path) -> list[Path]:
    """``<measure>.png`` for each measure with a rate, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mid, png in outcome_pngs(answer).items():
        path = folder / f"{mid}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths
