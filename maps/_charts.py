"""The report's charts: matplotlib figures returned as base64 PNG, to embed in the HTML.

Each chart reads only the public view of a build (:class:`sna.priority.places.PublicBuild`), and
matplotlib is imported inside each function so ``import maps`` stays light.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd

from sna import PublicBuild

__all__ = [
    "LEVEL_COLOURS",
    "chart_caterpillar",
    "chart_contributions",
    "chart_monthly",
    "chart_need_distribution",
    "chart_sensitivity",
]

LEVEL_COLOURS = {
    "individual": "#7b3294",
    "relationship": "#c2a5cf",
    "community": "#e66101",
    "society": "#fdb863",
    "protective": "#1b7837",
}


def figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def style_axes(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def chart_need_distribution(build: PublicBuild) -> str:
    """Histogram of the need index with the top-decile threshold, and a box per district."""
    lsoa = build.lsoa
    fig = figure(9.5, 3.4)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.1, 1])
    need = lsoa["need"].to_numpy(float)
    ax1.hist(need, bins=40, color="#e1191d", alpha=0.8, edgecolor="white", linewidth=0.4)
    top = lsoa.loc[lsoa["need_decile"] == 1, "need"]
    if len(top):
        cut = float(top.min())
        ax1.axvline(cut, color="#333", linestyle="--", linewidth=1)
        ax1.annotate(
            "top decile",
            (cut, ax1.get_ylim()[1] * 0.92),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
        )
    ax1.set_xlabel("Need index (higher = more need)", fontsize=9)
    ax1.set_ylabel("LSOAs", fontsize=9)
    ax1.set_title("Distribution across the region", fontsize=10, loc="left")
    style_axes(ax1)
    order = (
        lsoa.groupby("district_name")["need"].median().sort_values(ascending=True).index.tolist()
    )
    data = [lsoa.loc[lsoa["district_name"] == d, "need"].to_numpy(float) for d in order]
    ax2.boxplot(
        data,
        orientation="horizontal",
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": "#fdd0a2", "edgecolor": "#666"},
        medianprops={"color": "#b30000"},
        flierprops={"markersize": 2, "markeredgecolor": "#999"},
    )
    ax2.set_yticks(range(1, len(order) + 1), order)
    ax2.set_xlabel("Need index", fontsize=9)
    ax2.set_title("By district", fontsize=10, loc="left")
    style_axes(ax2)
    return png(fig)


def chart_caterpillar(build: PublicBuild, n: int = 30) -> str:
    """Rank intervals (5th-95th percentile over the Monte Carlo draws) of the top ``n`` LSOAs."""
    lsoa = pd.DataFrame(build.lsoa.drop(columns="geometry"))
    top = lsoa.sort_values("need_rank").head(n).iloc[::-1]
    fig = figure(9.5, max(3.0, 0.2 * len(top) + 1.0))
    ax = fig.subplots()
    districts = list(dict.fromkeys(build.districts["district_name"]))
    palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
        "#17becf", "#7f7f7f", "#bcbd22",
    ]  # fmt: skip
    colour = {d: palette[i % len(palette)] for i, d in enumerate(districts)}
    y = np.arange(len(top))
    lo = top.get("need_rank_lo", top["need_rank"]).to_numpy(float)
    hi = top.get("need_rank_hi", top["need_rank"]).to_numpy(float)
    cols = [colour.get(d, "#333") for d in top["district_name"]]
    ax.hlines(y, lo, hi, colors=cols, linewidth=2.2, alpha=0.55)
    ax.scatter(top["need_rank"], y, c=cols, s=18, zorder=3)
    names = [f"{a} ({b})" for a, b in zip(top["lsoa21_name"], top["lsoa21_code"], strict=True)]
    ax.set_yticks(y, names)
    ax.set_xlabel("Need rank (1 = highest need); line: 90% interval over the draws", fontsize=9)
    ax.set_xlim(0.5, max(hi.max() if len(hi) else n, n) + 1)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=colour[d], marker="o", linestyle="", label=d)
        for d in districts
        if d in set(top["district_name"])
    ]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper right")
    style_axes(ax)
    ax.tick_params(axis="y", labelsize=7)
    return png(fig)


def chart_contributions(build: PublicBuild) -> str:
    """Mean contribution of each layer to the need index, by district (stacked bars)."""
    lsoa = build.lsoa
    specs = [s for s in build.specs if f"c_{s.id}" in lsoa.columns]
    means = lsoa.groupby("district_name", sort=False)[[f"c_{s.id}" for s in specs]].mean()
    means = means.loc[means.sum(axis=1).sort_values().index]
    fig = figure(9.5, max(3.0, 0.42 * len(means) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(means))
    pos = np.zeros(len(means))
    neg = np.zeros(len(means))
    shades: dict[str, int] = {}
    import matplotlib.colors as mcolors

    for s in specs:
        group = "protective" if s.kind == "protective" else s.level
        k = shades.get(group, 0)
        shades[group] = k + 1
        base = np.array(mcolors.to_rgb(LEVEL_COLOURS.get(group, "#888888")))
        colour = np.clip(base + (1 - base) * 0.18 * k, 0, 1)
        v = means[f"c_{s.id}"].to_numpy(float)
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=colour, edgecolor="white", linewidth=0.5, label=s.title)
        pos = pos + np.where(v >= 0, v, 0)
        neg = neg + np.where(v < 0, v, 0)
    ax.scatter(means.sum(axis=1), y, color="black", s=14, zorder=3, label="Need (mean)")
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_yticks(y, means.index)
    ax.set_xlabel("Mean contribution to the need index (protective layers count negative)")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style_axes(ax)
    return png(fig)


def chart_sensitivity(sens: pd.DataFrame) -> str:
    """Spearman correlation of need ranks under each alternative method choice."""
    col = "spearman_need"
    data = sens.dropna(subset=[col]).sort_values(col)
    fig = figure(9.5, max(2.4, 0.32 * len(data) + 1.0))
    ax = fig.subplots()
    y = np.arange(len(data))
    vals = data[col].to_numpy(float)
    colours = ["#2b8cbe" if v >= 0.9 else "#fdae61" if v >= 0.75 else "#d7191c" for v in vals]
    ax.barh(y, vals, color=colours)
    for yi, v, (_, row) in zip(y, vals, data.iterrows(), strict=True):
        extra = ""
        if "decile_changed_need" in data.columns and pd.notna(row["decile_changed_need"]):
            extra = f"  ({row['decile_changed_need']:.0%} change decile)"
        ax.text(min(v, 1.0) + 0.005, yi, f"{v:.3f}{extra}", va="center", fontsize=8)
    ax.set_yticks(y, data["alternative"])
    lo = float(min(0.5, np.nanmin(vals) - 0.05)) if len(vals) else 0.5
    ax.set_xlim(lo, 1.18)
    ax.set_xticks([t for t in ax.get_xticks() if lo <= t <= 1.0])
    ax.axvline(0.9, color="#999", linestyle=":", linewidth=1)
    ax.set_xlabel("Spearman correlation with the default need ranks", fontsize=9)
    style_axes(ax)
    return png(fig)


def chart_monthly(monthly: pd.DataFrame, names: dict[str, str]) -> tuple[str, tuple[str, str]]:
    """Recorded violence per month, one line per district, and the first and last month."""
    wide = monthly[monthly["level"] == "district"].pivot(
        index="month", columns="code", values="count"
    )
    months = (str(wide.index[0]), str(wide.index[-1]))
    fig = figure(7.0, 3.0)
    ax = fig.add_subplot()
    for code in wide.columns:
        ax.plot(range(len(wide)), wide[code].to_numpy(), lw=1.4, label=names.get(code, code))
    step = max(1, len(wide) // 6)
    ax.set_xticks(range(0, len(wide), step), [str(m) for m in wide.index[::step]])
    ax.set_ylabel("offences recorded", fontsize=8)
    ax.legend(fontsize=7, frameon=False, ncols=min(4, len(wide.columns)))
    style_axes(ax)
    return png(fig), months
