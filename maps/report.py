"""The strategic needs assessment report: one self-contained HTML file per build.

``write_report(region)`` renders ``maps/templates/report.html.j2`` into ``<build>/report.html``:
the method (layers, socio-ecological levels, weights, normalisation, shrinkage,
uncertainty), sources and vintages (from the manifest), the priority places of each district
with drivers and rank intervals (:mod:`sna.priority`), charts (matplotlib, embedded as base64
PNG), the static maps (drawn by :mod:`maps.printing` and embedded as PNG images; the
interactive HTML maps are linked beside them), the synthetic-data notice, attribution, and
what changed since the previous build.

Printing: ``write_report(..., pdf=True)`` prints the HTML with headless Chromium. The
template's print rules set A4 pages with margins and page numbers, keep headings with what
follows them and figures, cards and table rows whole, and never ask a whole section to stay on
one page: a section taller than what is left of a page used to be pushed to the next one
(``break-inside: avoid-page``), which left the first page with only the title banner when the
summary did not fit below it.

Comparing builds: with :math:`T_a` and :math:`T_b` the sets of LSOAs in the top need decile
of the previous and current builds, LSOAs *entering* are :math:`T_b \\setminus T_a` and
*leaving* :math:`T_a \\setminus T_b`; rank agreement is Spearman's :math:`\\rho` of the need
index over the LSOAs both builds share.

Everything comes from the public view of the build (:func:`sna.priority.load_public_build`),
so no partner counts or exact partner rates can reach the report.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config import LEVELS, OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION
from sna.errors import SnaError
from sna.priority import PublicBuild, build_folders, load_public_build, priority_places

__all__ = [
    "BuildComparison",
    "compare_builds",
    "previous_build",
    "report_context",
    "render_report",
    "write_report",
]

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
LEVEL_COLOURS = {
    "individual": "#7b3294",
    "relationship": "#c2a5cf",
    "community": "#e66101",
    "society": "#fdb863",
    "protective": "#1b7837",
}


# --- comparing builds ---------------------------------------------------------------------


@dataclass
class BuildComparison:
    """How the current build differs from an earlier one.

    Attributes
    ----------
    previous_id, current_id : str
        Build ids.
    n_common : int
        LSOAs present in both builds.
    spearman_need : float
        Spearman correlation of the need index over the common LSOAs (NaN if < 3).
    entering, leaving : pandas.DataFrame
        LSOAs entering and leaving the top need decile (code, name, district, ranks).
    layers_added, layers_removed : list of str
        Layer ids present in only one of the builds.
    config_changed : bool
        Whether the scoring configuration differs.
    """

    previous_id: str
    current_id: str
    n_common: int
    spearman_need: float
    entering: pd.DataFrame
    leaving: pd.DataFrame
    n_top_previous: int
    n_top_current: int
    layers_added: list[str] = field(default_factory=list)
    layers_removed: list[str] = field(default_factory=list)
    config_changed: bool = False

    def summary(self) -> str:
        """One sentence for the report and the notebooks."""
        rho = "n/a" if np.isnan(self.spearman_need) else f"{self.spearman_need:.3f}"
        return (
            f"Compared with build {self.previous_id}: Spearman correlation of need {rho} over "
            f"{self.n_common:,} LSOAs; {len(self.entering)} LSOAs entered and "
            f"{len(self.leaving)} left the top need decile."
        )


def previous_build(region: str | Path, data_dir: Path | None, current: Path) -> Path | None:
    """The newest build folder older than ``current``, or None for a region's first build."""
    older = [d for d in build_folders(region, data_dir) if d.name < Path(current).name]
    return older[-1] if older else None


def compare_builds(previous: PublicBuild, current: PublicBuild) -> BuildComparison:
    """Compare the need index of two builds (see the module docstring for the measures)."""
    from scipy.stats import spearmanr

    cols = ["lsoa21_code", "lsoa21_name", "district_name", "need", "need_rank", "need_decile"]
    a = pd.DataFrame(previous.lsoa[[c for c in cols if c in previous.lsoa.columns]])
    b = pd.DataFrame(current.lsoa[[c for c in cols if c in current.lsoa.columns]])
    both = a.merge(b, on="lsoa21_code", suffixes=("_prev", ""))
    if len(both) >= 3:
        rho = float(spearmanr(both["need_prev"], both["need"]).statistic)
    else:
        rho = float("nan")
    top_a = set(a.loc[a["need_decile"] == 1, "lsoa21_code"])
    top_b = set(b.loc[b["need_decile"] == 1, "lsoa21_code"])
    entering = b[b["lsoa21_code"].isin(top_b - top_a)].merge(
        a[["lsoa21_code", "need_rank"]], on="lsoa21_code", how="left", suffixes=("", "_prev")
    )
    leaving = a[a["lsoa21_code"].isin(top_a - top_b)].merge(
        b[["lsoa21_code", "need_rank"]], on="lsoa21_code", how="left", suffixes=("_prev", "")
    )
    ids_a = {s.id for s in previous.specs}
    ids_b = {s.id for s in current.specs}
    scoring_a = previous.manifest.get("config", {}).get("scoring")
    scoring_b = current.manifest.get("config", {}).get("scoring")
    return BuildComparison(
        previous_id=previous.build_id,
        current_id=current.build_id,
        n_common=int(len(both)),
        spearman_need=rho,
        entering=entering.sort_values("need_rank").reset_index(drop=True),
        leaving=leaving.sort_values("need_rank_prev").reset_index(drop=True),
        n_top_previous=len(top_a),
        n_top_current=len(top_b),
        layers_added=sorted(ids_b - ids_a),
        layers_removed=sorted(ids_a - ids_b),
        config_changed=scoring_a != scoring_b
        or [s.model_dump() for s in previous.specs] != [s.model_dump() for s in current.specs],
    )


# --- charts -------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def chart_need_distribution(build: PublicBuild) -> str:
    """Histogram of the need index with the top-decile threshold, and a box per district."""
    lsoa = build.lsoa
    fig = _figure(9.5, 3.4)
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
    _style(ax1)
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
    _style(ax2)
    return _png(fig)


def chart_caterpillar(build: PublicBuild, n: int = 30) -> str:
    """Rank intervals (5th-95th percentile over the Monte Carlo draws) of the top ``n`` LSOAs."""
    lsoa = pd.DataFrame(build.lsoa.drop(columns="geometry"))
    top = lsoa.sort_values("need_rank").head(n).iloc[::-1]
    fig = _figure(9.5, max(3.0, 0.2 * len(top) + 1.0))
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
    _style(ax)
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def chart_contributions(build: PublicBuild) -> str:
    """Mean contribution of each layer to the need index, by district (stacked bars)."""
    lsoa = build.lsoa
    specs = [s for s in build.specs if f"c_{s.id}" in lsoa.columns]
    means = lsoa.groupby("district_name", sort=False)[[f"c_{s.id}" for s in specs]].mean()
    means = means.loc[means.sum(axis=1).sort_values().index]
    fig = _figure(9.5, max(3.0, 0.42 * len(means) + 1.6))
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
    _style(ax)
    return _png(fig)


def chart_sensitivity(sens: pd.DataFrame) -> str:
    """Spearman correlation of need ranks under each alternative method choice."""
    col = "spearman_need"
    data = sens.dropna(subset=[col]).sort_values(col)
    fig = _figure(9.5, max(2.4, 0.32 * len(data) + 1.0))
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
    _style(ax)
    return _png(fig)


# --- the report ---------------------------------------------------------------------------


def _method(build: PublicBuild) -> dict[str, Any]:
    sc = dict(build.manifest.get("config", {}).get("scoring", {}))
    norm = {
        "rank_normal": "rank-based normal scores (Blom: Φ⁻¹((r − 3/8)/(n + 1/4)))",
        "zscore": "z-scores",
        "minmax": "min-max scaling to [0, 1]",
    }
    shrink = {
        "auto": "empirical-Bayes shrinkage (on the empirical logit for proportions, "
        "Poisson-Gamma for event rates)",
        "logit": "empirical-Bayes shrinkage on the empirical logit",
        "poisson_gamma": "Poisson-Gamma empirical-Bayes shrinkage",
        "none": "no shrinkage",
    }
    lw = sc.get("level_weights") or {}
    return {
        "normalisation": norm.get(sc.get("normalisation", ""), sc.get("normalisation", "")),
        "aggregation": sc.get("aggregation", "arithmetic"),
        "shrinkage": shrink.get(
            sc.get("shrinkage", ""), f"{sc.get('shrinkage', '')} empirical-Bayes shrinkage"
        ),
        "shrink_parent": {"msoa": "its MSOA", "district": "its district"}.get(
            sc.get("shrink_parent", ""), sc.get("shrink_parent", "")
        ),
        "treat_outliers": sc.get("treat_outliers", True),
        "exponential": sc.get("exponential", False),
        "need_lambda": sc.get("need_lambda", 0.0),
        "level_weights": [(lv, lw.get(lv, 0.0)) for lv in LEVELS],
        "mc_draws": sc.get("mc_draws"),
        "weight_concentration": sc.get("weight_concentration"),
        "seed": sc.get("seed"),
        "hotspot_permutations": sc.get("hotspot_permutations"),
        "fdr_alpha": sc.get("fdr_alpha"),
        "disclosure_threshold": sc.get("disclosure_threshold", 8),
    }


def _sources(build: PublicBuild) -> list[dict[str, str]]:
    inputs = build.manifest.get("store", {}).get("inputs", {}) or {}
    rows, seen = [], set()
    for table, sources in sorted(inputs.items()):
        for s in sources or []:
            key = (s.get("source"), s.get("vintage"))
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "table": table,
                    "source": str(s.get("source", "")),
                    "vintage": str(s.get("vintage", "")),
                    "licence": str(s.get("licence", "")),
                    "attribution": str(s.get("attribution", "")),
                }
            )
    return rows


def _layers(build: PublicBuild) -> list[dict[str, Any]]:
    synthetic = set(build.synthetic_layers)
    out = []
    for d in build.manifest.get("layers", []):
        out.append(
            {
                "id": d["id"],
                "title": d.get("title", d["id"]),
                "description": d.get("description", ""),
                "kind": d.get("kind", ""),
                "level": d.get("level", ""),
                "measure": d.get("measure", ""),
                "table": d.get("table", ""),
                "weight": d.get("effective_weight"),
                "period": d.get("period", ""),
                "partner": bool(d.get("partner")),
                "synthetic": d["id"] in synthetic or bool(d.get("synthetic")),
                "status": d.get("status", ""),
                "disclosure_level": (d.get("disclosure") or {}).get("level"),
            }
        )
    for d in build.manifest.get("awaiting_layers", []):  # weight 0, no values
        out.append(
            {
                "id": d["id"],
                "title": d.get("title", d["id"]),
                "description": d.get("note") or d.get("description", ""),
                "kind": d.get("kind", ""),
                "level": d.get("level", ""),
                "measure": d.get("measure", ""),
                "table": d.get("table", ""),
                "weight": 0.0,
                "period": d.get("period", ""),
                "partner": bool(d.get("partner")),
                "synthetic": False,
                "status": d.get("status", ""),
                "disclosure_level": None,
            }
        )
    return out


def _maps_links(build: PublicBuild, out: Path, make: bool) -> list[dict[str, str]]:
    folder = build.path / "maps"
    if make and not (folder / "overview.html").exists():
        try:
            from .static import write_maps

            write_maps(build.region, build.data_dir, build=build.path)
        except ImportError as exc:  # pragma: no cover - folium is a core dependency
            log.warning("maps not written: %s", exc)
    files = sorted(folder.glob("*.html")) if folder.exists() else []
    order = {"overview.html": 0, "hotspots.html": 1, "protective-gap.html": 2}
    files.sort(key=lambda p: (order.get(p.name, 3), p.name))
    labels = {
        "overview.html": "Region overview: need, risk, protective and the four levels",
        "hotspots.html": "Hotspots: significant Gi* hot and cold spots of need",
        "protective-gap.html": "Protective gap: high risk with little protective access",
    }
    links = []
    for p in files:
        rel = os.path.relpath(p, out.parent)
        name = labels.get(p.name) or p.stem.replace("district-", "").replace("-", " ").title()
        links.append({"href": Path(rel).as_posix(), "label": name, "file": p.name})
    return links


def _map_figures(build: PublicBuild, dpi: int = 110) -> list[dict[str, str]]:
    """The static maps drawn by the print renderer, as base64 PNGs for the report.

    Violence risk and the needs index over the region, the hotspots, the protective gap and
    violence risk in each district: the same themes, bands and colours as the HTML maps.
    """
    from ._specs import map_specs
    from .printing import PrintContext, figure_bytes, report_figure

    ctx = PrintContext.of(build)
    figures = []
    for spec in map_specs(build):
        themes = spec.themes[:2] if spec.kind == "overview" else spec.themes[:1]
        for theme in themes:
            fig = report_figure(ctx, spec, theme)
            png = base64.b64encode(figure_bytes(fig, "png", dpi)).decode("ascii")
            title = spec.title if spec.kind != "overview" else f"{spec.area}: {theme.title.lower()}"
            figures.append(
                {
                    "id": f"map-{spec.stem}-{theme.key.removeprefix('k_')}",
                    "title": title,
                    "legend": theme.legend_title,
                    "png": png,
                }
            )
    return figures


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def report_context(
    build: PublicBuild,
    out: Path,
    *,
    top: int = 5,
    data_dir: Path | None = None,
    make_maps: bool = True,
    map_images: bool = True,
) -> dict[str, Any]:
    """Everything the template needs, from the public view of ``build``."""
    lsoa = build.lsoa
    places = priority_places(build, top)
    by_district = []
    for (code, name), part in places.groupby(["district_code", "district_name"], sort=False):
        d_lsoa = lsoa[lsoa["district_code"] == code]
        by_district.append(
            {
                "code": code,
                "name": name,
                "n_lsoa": int(len(d_lsoa)),
                "n_top_decile": int((d_lsoa["need_decile"] == 1).sum()),
                "n_hot": int((d_lsoa.get("gi_label") == "hot").sum())
                if "gi_label" in d_lsoa
                else 0,
                "places": _records(pd.DataFrame(part.drop(columns="geometry"))),
            }
        )
    sens = build.sensitivity()
    charts = {
        "distribution": chart_need_distribution(build),
        "caterpillar": chart_caterpillar(build, 30),
        "contributions": chart_contributions(build),
    }
    if sens is not None and "spearman_need" in sens.columns and len(sens):
        charts["sensitivity"] = chart_sensitivity(sens)
    prev = previous_build(build.region, data_dir, build.path)
    comparison = None
    if prev is not None:
        comparison = compare_builds(load_public_build(build.region, data_dir, prev), build)
    manifest = build.manifest
    titles = build.titles
    created = str(manifest.get("created", ""))
    year = created[:4] if created[:4].isdigit() else str(datetime.now(UTC).year)
    return {
        "region_name": build.region_name,
        "region": build.region,
        "build_id": build.build_id,
        "created": created,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": manifest.get("code_version", ""),
        "git": manifest.get("git", ""),
        "n_lsoa": int(len(lsoa)),
        "n_postcodes": manifest.get("n_postcodes"),
        "n_districts": int(build.districts.shape[0]),
        "n_hot": int((lsoa["gi_label"] == "hot").sum()) if "gi_label" in lsoa else None,
        "n_cold": int((lsoa["gi_label"] == "cold").sum()) if "gi_label" in lsoa else None,
        "synthetic": build.synthetic,
        "synthetic_titles": [titles.get(x, x) for x in build.synthetic_layers],
        "layers": _layers(build),
        "method": _method(build),
        "sources": _sources(build),
        "districts": by_district,
        "top": top,
        "charts": charts,
        "sensitivity": _records(sens) if sens is not None else [],
        "comparison": comparison,
        "comparison_entering": _records(comparison.entering) if comparison else [],
        "comparison_leaving": _records(comparison.leaving) if comparison else [],
        "maps": _maps_links(build, out, make_maps),
        "map_figures": _map_figures(build) if map_images else [],
        "attribution": [OGL, f"{OS_ATTRIBUTION} {year}", OSM_ATTRIBUTION],
        "checks": manifest.get("checks", {}),
        "violence": _violence(build),
        "trends": _trends(build),
    }


def _trends(build: PublicBuild) -> dict[str, Any] | None:
    """Monthly recorded violence by district (a chart) and IoD2019 -> IoD2025 in a table.

    From the build's trend tables (:mod:`sna.trends`); ``None`` for a build made before them.
    """
    folder = Path(build.path)
    monthly_path, iod_path = folder / "trends_monthly.parquet", folder / "trends_iod.parquet"
    if not iod_path.exists():
        return None
    names = dict(zip(build.lsoa["district_code"], build.lsoa["district_name"], strict=False))
    iod = pd.read_parquet(iod_path)
    rows = []
    for r in iod[iod["level"] == "district"].to_dict("records"):
        rows.append(
            {
                "name": names.get(r["code"], r["code"]),
                "lsoas": int(r["lsoas"]),
                **{
                    k: (None if pd.isna(r.get(k)) else int(r[k]))
                    for k in (
                        "imd_most_deprived_2019",
                        "imd_most_deprived_2025",
                        "crime_most_deprived_2019",
                        "crime_most_deprived_2025",
                    )
                },
            }
        )
    chart, months = None, None
    monthly = pd.read_parquet(monthly_path) if monthly_path.exists() else pd.DataFrame()
    if len(monthly):
        wide = monthly[monthly["level"] == "district"].pivot(
            index="month", columns="code", values="count"
        )
        months = (str(wide.index[0]), str(wide.index[-1]))
        fig = _figure(7.0, 3.0)
        ax = fig.add_subplot()
        for code in wide.columns:
            ax.plot(range(len(wide)), wide[code].to_numpy(), lw=1.4, label=names.get(code, code))
        step = max(1, len(wide) // 6)
        ax.set_xticks(range(0, len(wide), step), [str(m) for m in wide.index[::step]])
        ax.set_ylabel("offences recorded", fontsize=8)
        ax.legend(fontsize=7, frameon=False, ncols=min(4, len(wide.columns)))
        _style(ax)
        chart = _png(fig)
    return {"districts": rows, "chart": chart, "months": months}


def _violence(build: PublicBuild) -> dict[str, Any] | None:
    """The fitted violence model and the region's totals, for the report's first section."""
    vm = build.manifest.get("violence_model")
    if not vm or "violence_risk" not in build.lsoa.columns:
        return None
    lsoa = build.lsoa
    titles = {k: v[:1].lower() + v[1:] for k, v in build.titles.items()}
    from sna.violence_risk import term_title

    coefs = [
        {
            **c,
            "title": "baseline rate" if c["term"] == "intercept" else term_title(c["term"], titles),
        }
        for c in vm.get("coefficients", [])
    ]
    top = lsoa.nsmallest(10, "violence_risk_rank")
    return {
        **vm,
        "coefficients": coefs,
        "expected_total": float(lsoa["violence_risk"].sum()),
        "recorded_total": float(lsoa["violence_prior"].sum()),
        "top10_share": float(
            lsoa.loc[lsoa["violence_risk_decile"] == 1, "violence_risk"].sum()
            / lsoa["violence_risk"].sum()
        ),
        "top": _records(
            pd.DataFrame(top.drop(columns="geometry"))[
                [
                    "lsoa21_code",
                    "lsoa21_name",
                    "district_name",
                    "violence_risk",
                    "violence_risk_lo",
                    "violence_risk_hi",
                    "violence_risk_rank",
                    "violence_prior",
                    "need_rank",
                ]
            ]
        ),
    }


def _css_string(text: Any) -> Any:
    """``text`` as a quoted CSS string inside ``<style>`` (for the page footer's content).

    HTML escaping would print ``&#39;`` literally there, so quotes, backslashes and ``<`` are
    written as CSS escapes instead and the result is marked safe.
    """
    from markupsafe import Markup

    out = str(text).replace("\\", "\\5c ").replace('"', "\\22 ").replace("<", "\\3c ")
    return Markup(f'"{out}"')


def render_report(context: dict[str, Any]) -> str:
    """Render ``report.html.j2`` with ``context`` (autoescaped)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "" if v is None else f"{float(v):.0%}"
    env.filters["num"] = lambda v, d=3: "" if v is None else f"{float(v):.{d}f}"
    env.filters["int"] = lambda v: "" if v is None else f"{int(v):,}"
    env.filters["css_string"] = _css_string
    return env.get_template("report.html.j2").render(**context)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def _print_pdf(html_path: Path, pdf_path: Path) -> Path:
    exe = _chromium()
    if exe is None:
        raise SnaError(
            "a PDF needs a Chromium browser on PATH (e.g. `apt-get install chromium`); "
            f"the HTML report is at {html_path}"
        )
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    except (subprocess.SubprocessError, OSError) as exc:
        raise SnaError(f"printing {html_path} to PDF with {exe} failed: {exc}") from exc
    return pdf_path


def write_report(
    region: str | Path,
    data_dir: Path | None = None,
    out: Path | None = None,
    pdf: bool = False,
    *,
    build: str | Path | None = None,
    top: int = 5,
    make_maps: bool = True,
    map_images: bool = True,
) -> Path:
    """Write the SNA report of a region's build; one call for ``sna report --region R``.

    Parameters
    ----------
    region : str or Path
        Region id or region TOML path.
    data_dir : Path, optional
        Data directory (default ``$SNA_DATA_DIR`` or ``./data``).
    out : Path, optional
        The HTML file to write (default ``<build>/report.html``).
    pdf : bool
        Also print the report to PDF beside it with headless Chromium (``SnaError`` if no
        Chromium is installed).
    build : str or Path, optional
        A build id or folder instead of the current build.
    top : int
        Priority places per district in the headline tables.
    make_maps : bool
        Write the interactive HTML maps first if the build has none (they are linked).
    map_images : bool
        Embed the static maps as PNG images drawn by :mod:`maps.printing` (so the printed
        report shows them).

    Returns
    -------
    Path
        The HTML report (the PDF, when asked for, is the same path with ``.pdf``).
    """
    view = load_public_build(region, data_dir, build)
    target = Path(out) if out else view.path / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    context = report_context(
        view, target, top=top, data_dir=data_dir, make_maps=make_maps, map_images=map_images
    )
    target.write_text(render_report(context), encoding="utf-8")
    if pdf:
        _print_pdf(target, target.with_suffix(".pdf"))
    return target
