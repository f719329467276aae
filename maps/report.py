"""The strategic needs assessment report: one self-contained HTML file per build.

``write_report(region)`` renders ``maps/templates/report.html.j2`` into ``<build>/report.html``:
the method (layers, socio-ecological levels, weights, normalisation, shrinkage,
uncertainty), sources and vintages (from the manifest), the priority places of each district
with drivers and rank intervals (:mod:`sna.priority.places`), charts (matplotlib, embedded as base64
PNG), the static maps (drawn by :mod:`maps.printing` and embedded as PNG images; the
interactive HTML maps are linked beside them), the synthetic-data notice, attribution, and
what changed since the previous build.

Printing: ``write_report(..., pdf=True)`` prints the HTML with headless Chromium. The
template's print rules set A4 pages with margins and page numbers, keep headings with what
follows them and figures, cards and table rows whole, and never ask a whole section to stay on
one page: a section taller than what is left of a page used to be pushed to the next one
(``break-inside: avoid-page``), which left the first page with only the title banner when the
summary did not fit below it.

Comparing builds (what changed since the previous build) is :mod:`maps.comparison`; the
charts are drawn by :mod:`maps._charts` and the PDF printed by :mod:`maps._pdf`.

Everything comes from the public view of the build (:func:`sna.priority.places.load_public_build`),
so no partner counts or exact partner rates can reach the report.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sna import PublicBuild, load_public_build, priority_places
from sna.config.region import LEVELS, OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION
from sna.disclosure.rule import DISCLOSURE_THRESHOLD
from sna.theme import BAND_COLOURS

from ._charts import (
    chart_caterpillar,
    chart_contributions,
    chart_monthly,
    chart_need_distribution,
    chart_sensitivity,
)
from ._evaluation import forward_section
from ._pdf import print_pdf as _print_pdf
from .comparison import BuildComparison, compare_builds, previous_build
from .data_status import data_status

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
        "disclosure_threshold": sc.get("disclosure_threshold", DISCLOSURE_THRESHOLD),
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
    from ._specs import map_specs, shown_title
    from .printing import PrintContext, figure_bytes, report_figure

    ctx = PrintContext.of(build)
    figures = []
    for spec in map_specs(build):
        themes = spec.themes[:2] if spec.kind == "overview" else spec.themes[:1]
        for theme in themes:
            fig = report_figure(ctx, spec, theme)
            png = base64.b64encode(figure_bytes(fig, "png", dpi)).decode("ascii")
            title = shown_title(spec, theme)
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
        "data_status": data_status(build),
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
        "forward": forward_section(build),
        "trends": _trends(build),
        "outcomes": _outcomes(build),
    }


def _outcomes(build: PublicBuild) -> dict[str, Any] | None:
    """The Home Office success measures the build stored (:mod:`sna.outcomes.answer`), with
    one chart per measure; None for a build made without them."""
    from sna.outcomes.answer import read_outcomes

    from .outcomes_charts import outcome_charts_base64

    answer = read_outcomes(build.path)
    if answer is None:
        return None
    return {**answer, "charts": outcome_charts_base64(answer)}


def _trends(build: PublicBuild) -> dict[str, Any] | None:
    """Monthly recorded violence by district (a chart) and IoD2019 -> IoD2025 in a table.

    From the build's trend tables (:mod:`sna.needs.trends`); ``None`` for a build made before them.
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
        chart, months = chart_monthly(monthly, names)
    return {"districts": rows, "chart": chart, "months": months}


def _violence(build: PublicBuild) -> dict[str, Any] | None:
    """The fitted violence model and the region's totals, for the report's first section."""
    vm = build.manifest.get("violence_model")
    if not vm or "violence_risk" not in build.lsoa.columns:
        return None
    lsoa = build.lsoa
    titles = {k: v[:1].lower() + v[1:] for k, v in build.titles.items()}
    from sna.violence.model import CURVATURE_TERM, PRIOR_TERM, term_title
    from sna.violence.words import ESTIMATED_CURVATURE_TITLE, ESTIMATED_PRIOR_TITLE

    if vm.get("carried_over_from"):  # the pooled model's past violence is an estimate
        titles = {
            **titles,
            PRIOR_TERM: ESTIMATED_PRIOR_TITLE,
            CURVATURE_TERM: ESTIMATED_CURVATURE_TITLE,
        }

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
    # the band chips in the public map's colours (the one theme table, sna.theme)
    env.globals["band_colours"] = BAND_COLOURS["risk"]
    return env.get_template("report.html.j2").render(**context)


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
