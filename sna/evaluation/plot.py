"""The evaluation chart: PAI by share of units flagged, per target and unit level."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from sna.stats.metrics import COVERAGES

__all__ = [
    "plot_evaluation",
]


_STYLE = {
    "index": dict(color="#b2182b", lw=2.4, marker="o"),
    "index_risk": dict(color="#ef8a62", lw=1.2, ls="--", marker="."),
    "index_protective": dict(color="#ef8a62", lw=1.2, ls="--", marker="."),
    "violence_risk": dict(color="#000000", lw=2.6, marker="D"),
    "ewm_counts": dict(color="#053061", lw=1.6, ls="--", marker="s"),
    "index_crime_weighted": dict(color="#67001f", lw=1.2, ls=":", marker="."),
    "prior_counts": dict(color="#2166ac", lw=2.0, marker="s"),
    "kde": dict(color="#4393c3", lw=1.6, marker="^"),
    "imd": dict(color="#777777", lw=1.6, marker="v"),
    "crime2019": dict(color="#2166ac", lw=2.0, marker="s"),
    "imd2019": dict(color="#777777", lw=1.6, marker="v"),
}


def plot_evaluation(table: pd.DataFrame, path: Path, *, title: str = "") -> Path:
    """PAI by coverage, one panel per target and unit level, index vs baselines (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = list(dict.fromkeys(table["target"]))
    levels = list(dict.fromkeys(table["level"]))
    fig, axes = plt.subplots(
        len(targets),
        len(levels),
        figsize=(3.6 * len(levels) + 1.6, 2.5 * len(targets) + 0.8),
        squeeze=False,
        sharex=True,
    )
    for i, target in enumerate(targets):
        for j, level in enumerate(levels):
            ax = axes[i][j]
            sub = table[(table["target"] == target) & (table["level"] == level)]
            for method, g in sub.groupby("method", sort=False):
                ax.plot(
                    100 * g["coverage"],
                    g["pai"],
                    label=str(g["method_label"].iloc[0]),
                    **_STYLE.get(str(method), {}),
                )
            ax.axhline(1.0, color="black", lw=0.6)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks([100 * c for c in COVERAGES], [f"{100 * c:g}%" for c in COVERAGES])
            ax.minorticks_off()
            unit = "LSOAs" if level == "lsoa" else "100 m cells"
            ax.set_title(f"{target}\n{unit}", fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("PAI (log scale)", fontsize=8)
            if i == len(targets) - 1:
                ax.set_xlabel("share of units flagged", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, dpi=72)
    plt.close(fig)
    # a palette PNG is a third of the size of the RGBA one, with no visible difference
    from PIL import Image

    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path
