"""``sna maps``, ``report``, ``priority`` and ``evaluate``: what a build is turned into."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from sna.errors import SnaError

from ._common import DataDirOpt, RegionOpt, fail, library_errors, out, warn

__all__ = ["MapFormat", "maps_command", "report_command", "priority_command", "evaluate"]


class MapFormat(StrEnum):
    """What ``sna maps`` writes."""

    html = "html"
    pdf = "pdf"
    png = "png"


def maps_command(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="Folder for the maps (default: <build>/maps).")
    ] = None,
    fmt: Annotated[
        MapFormat,
        typer.Option(
            "--format",
            help="html: interactive Folium maps; pdf or png: one A4 page per map, to print.",
        ),
    ] = MapFormat.html,
    dpi: Annotated[int, typer.Option(min=50, max=600, help="PNG resolution.")] = 200,
    theme: Annotated[
        str | None,
        typer.Option(
            help="pdf/png: the theme to print (need, risk, protective, level_community, ...); "
            "default: each map's first (violence risk)."
        ),
    ] = None,
    basemap: Annotated[
        str | None, typer.Option(help="Optional base-map tile URL template (none by default).")
    ] = None,
) -> None:
    """Write the static maps of the current build (overview, districts, hotspots, gaps).

    HTML maps are interactive; ``--format pdf`` or ``png`` prints each map as one A4 page
    with its legend, title, build date, sources and attribution, from the build's own layers.
    """
    with library_errors():
        if fmt is MapFormat.html:
            from maps import write_maps

            paths = write_maps(region, data_dir, out_dir, basemap=basemap)
        else:
            from maps.printing import write_print_maps

            paths = write_print_maps(region, data_dir, out_dir, fmt=fmt.value, dpi=dpi, theme=theme)
    for p in paths:
        out.print(f"{p}  {p.stat().st_size / 1e6:.1f} MB")


def report_command(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Report path (default: <build>/report.html).")
    ] = None,
    pdf: Annotated[
        bool, typer.Option(help="Also print it to a paginated A4 PDF (needs Chromium).")
    ] = False,
) -> None:
    """Write the SNA report (HTML): method, sources, priority places, charts, maps, changes."""
    from maps.report import write_report

    with library_errors():
        path = write_report(region, data_dir, out_path, pdf)
    out.print(f"report written: {path}")


def priority_command(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    top: Annotated[int, typer.Option(min=1, help="LSOAs per district.")] = 10,
    by: Annotated[
        str,
        typer.Option(
            help="violence_risk (offences expected next year) or need (residents' risk factors)."
        ),
    ] = "violence_risk",
    map_url: Annotated[
        str | None,
        typer.Option(
            help="The public map's address for each place's link (default: $SNA_MAP_URL or "
            "http://127.0.0.1:8000/)."
        ),
    ] = None,
) -> None:
    """Export the top N LSOAs per district by violence risk or need (CSV and GeoPackage)."""
    from sna.priority.places import PRIORITY_BY, write_priority_places

    if by not in PRIORITY_BY:
        fail(SnaError(f"--by must be one of {list(PRIORITY_BY)}, got {by!r}"))
    with library_errors():
        paths = write_priority_places(region, data_dir, top=top, by=by, map_url=map_url)
    for p in paths:
        out.print(str(p))


def _evaluate_forces(region: str, data_dir: Path | None, out_dir: Path | None) -> None:
    from sna.evaluation.forces import evaluate_forces

    with library_errors():
        result = evaluate_forces(region, data_dir=data_dir, out_dir=out_dir)
    for name, frame in (
        ("At-risk estimate vs implied at-risk population", result.exposure),
        ("Forward: top 10% of LSOAs", result.forward.drop(columns=["test_months"])),
        ("As if there were no street files (leave one force out)", result.as_if),
    ):
        _print_frame(name, frame)
    out.print(result.summary())
    out.print(f"written to {result.folder}")


def _print_frame(name: str, frame) -> None:
    """A table: at full width to a log or a pipe (every digit), folded on a terminal."""
    if not out.is_terminal:
        out.print(f"\n{name}", markup=False, soft_wrap=True)
        out.print(frame.to_string(index=False), soft_wrap=True, markup=False, highlight=False)
        return
    table = Table(*(Column(str(c), overflow="fold") for c in frame.columns), title=name)
    for row in frame.itertuples(index=False):
        table.add_row(*map(str, row))
    out.print(table)


def _reads_street_files(region: str) -> bool:
    """Whether ``region`` is a view that reads its forces' street files (``street_files``)."""
    from sna.config.region import load_region
    from sna.violence.region_street import region_forces

    return bool(region_forces(load_region(region)))


def _evaluate_street_view(region: str, data_dir: Path | None, out_dir: Path | None) -> None:
    from sna.evaluation.forces import FORWARD_TRAIN, evaluate_street_view

    rows = evaluate_street_view(region, data_dir=data_dir, out_dir=out_dir)
    _print_frame(
        f"Forward test of {region}'s street files: trained {FORWARD_TRAIN[0]}..{FORWARD_TRAIN[1]}, "
        "top 10% of LSOAs",
        rows.drop(columns=["test_months"]),
    )
    for r in rows.to_dict("records"):
        verdict = "met" if r["passes"] else "not met"
        out.print(
            f"{r['force']}: violence risk at least last period's counts on hit rate and PEI*, "
            f"and within 0.01 of the weighted counts' PEI*: {verdict} (tested "
            f"{r['test_months'].replace(',', ', ')})",
            markup=False,
            soft_wrap=True,
        )


def _has_street_points(region: str, data_dir: Path | None) -> bool:
    """Whether the region's prepared store holds police.uk points (a forward test needs
    them); True when there is no store yet, so that evaluating says what is missing."""
    from sna import Store
    from sna.config.region import load_region

    store = Store(load_region(region).id, data_dir)
    return not store.exists() or store.has("crime_points")


def evaluate(
    region: RegionOpt = "bedfordshire",
    data_dir: DataDirOpt = None,
    train: Annotated[
        str, typer.Option(help="Training months FROM:TO, inclusive.")
    ] = "2021-05:2023-04",
    test: Annotated[str, typer.Option(help="Test months FROM:TO, inclusive.")] = "2023-05:2024-04",
    iod_era: Annotated[
        bool,
        typer.Option(
            "--iod-era",
            help="IoD2019-era index against the IoD2025 crime indicators "
            "(regions without police.uk points, e.g. west-midlands).",
        ),
    ] = False,
    forces: Annotated[
        bool,
        typer.Option(
            "--forces",
            help="Every force with street files (the region's [violence_risk] pooled_from): the "
            "at-risk exposure, a forward test per force, and violence risk as if there were no "
            "street files (leave one force out). Writes <data_dir>/evaluation/forces/.",
        ),
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: <data_dir>/<region>/evaluation)."),
    ] = None,
) -> None:
    """Does the index find the places? PAI, PEI*, RRI of a training-only index vs baselines."""
    from sna import evaluate_region
    from sna.evaluation.method import evaluate_iod_era

    if forces:
        _evaluate_forces(region, data_dir, out_dir)
        return
    with library_errors():
        if not iod_era and not _has_street_points(region, data_dir):
            if _reads_street_files(region):  # a view: its forces' files, counted by the archive
                _evaluate_street_view(region, data_dir, out_dir)
                return
            warn([f"{region}: no police.uk street files in its store, so no forward test; "
                  "the IoD2019-era evaluation instead (--iod-era)"])  # fmt: skip
            iod_era = True
        if iod_era:
            result = evaluate_iod_era(region, data_dir=data_dir, out_dir=out_dir)
        else:
            result = evaluate_region(
                region, train=train, test=test, data_dir=data_dir, out_dir=out_dir
            )
    h = result.headline()
    table = Table(
        "method",
        "hit rate",
        "PEI*",
        "PAI (units)",
        "PAI (area)",
        title=f"Top 10% of LSOAs: {h['target']}",
    )
    for method, v in h["metrics"].items():
        table.add_row(
            method,
            f"{v['hit_rate']:.3f}",
            f"{v['pei_star']:.3f}",
            f"{v['pai_units']:.2f}",
            f"{v['pai']:.2f}",
        )
    out.print(table)
    warn(result.setup.get("warnings", []))
    lead = "violence risk" if h["lead"] == "violence_risk" else "the index"
    for base, ok in h["verdicts"].items():
        if base == "ewm_counts":
            word = "matches or beats" if ok else "falls short of"
            rule = "hit rate and PEI* within 0.01 or better"
        else:
            word = "beats" if ok else "does not beat"
            rule = "hit rate and PEI* at least as high"
        out.print(f"{lead} {word} the {base} baseline ({rule})")
    out.print("verdicts rest on hit rate and PEI*; area-based PAI is shown, never decides alone")
    out.print(f"({result.seconds:.1f} s)")
    for path in result.files.values():
        out.print(f"  {path}")
