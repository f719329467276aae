"""The ``sna`` command line: a thin shell over library calls, with progress bars and colour.

Each command turns its options into one library call; errors from the library are printed
as one clear line and exit with status 2 for a configuration error (the region TOML or the
server settings: the line names the file or setting, the key and the problem) and 1 for a
data error (bad input files, missing store or build). Warnings about the inputs (e.g.
police.uk months that are empty or missing) are printed after a prepare or build.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from geodata.errors import GeodataError
from sna.errors import ConfigError, SnaError

app = typer.Typer(
    help="Strategic needs assessment risk mapper for Violence Reduction Units.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Prepare and inspect the geodata store.", no_args_is_help=True)
app.add_typer(data_app, name="data")

console = Console(stderr=True)
out = Console()

RegionOpt = Annotated[
    str, typer.Option("--region", "-r", help="Region id (e.g. west-midlands) or path to a TOML.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $SNA_DATA_DIR or ./data)."),
]


EXIT_DATA = 1
EXIT_CONFIG = 2
#: Exit status by error type, the most specific first: a configuration error is 2, a data
#: (or any other library) error 1. The one table every command goes through.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConfigError, EXIT_CONFIG),
    (SnaError, EXIT_DATA),
    (GeodataError, EXIT_DATA),
)


def exit_code(exc: Exception) -> int:
    """The exit status of a library error (:data:`EXIT_CODES`)."""
    return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), EXIT_DATA)


def _fail(exc: Exception) -> None:
    """Print a library error as one unwrapped line (paths stay copy-pasteable) and exit."""
    line = " ".join(str(exc).split())
    console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    raise typer.Exit(code=exit_code(exc))


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn a library error raised inside the block into one line and its exit status."""
    try:
        yield
    except (SnaError, GeodataError) as exc:
        _fail(exc)


def _warn(warnings: list[str]) -> None:
    """Print input warnings, one line each, on stderr."""
    for w in warnings:
        console.print(f"[bold yellow]warning:[/] {escape(w)}", soft_wrap=True)


def _with_progress(run, first: str, **kwargs):
    """Call ``run(progress=step, **kwargs)`` under a rich progress bar of its steps.

    Library errors become one clear line and their exit status (:data:`EXIT_CODES`).
    """
    bar = Progress(
        TextColumn("[bold blue]{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stderr.isatty(),
    )
    with library_errors(), bar:
        task = bar.add_task(first, total=1)

        def step(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        result = run(progress=step, **kwargs)
        bar.update(task, completed=bar.tasks[0].total)
    return result


@app.command("regions")
def regions() -> None:
    """List the shipped region configurations."""
    from sna.config import available_regions, load_region

    table = Table("id", "name", "districts")
    for rid in available_regions():
        with library_errors():
            cfg = load_region(rid)
        table.add_row(rid, cfg.region.name, ", ".join(cfg.region.districts))
    out.print(table)


@data_app.command("prepare")
def data_prepare(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if inputs are unchanged.")] = False,
) -> None:
    """Load every source of a region into its GeoParquet store with provenance."""
    from sna.prepare import prepare_region

    result = _with_progress(
        prepare_region, "checking inputs", region=region, data_dir=data_dir, force=force
    )
    verb = "prepared" if result.rebuilt else "up to date"
    out.print(f"[green]{result.region}[/]: store {verb} in {result.seconds:.1f} s -> {result.path}")
    table = Table("table", "rows")
    for name, rows in sorted(result.tables.items()):
        table.add_row(name, f"{rows:,}")
    out.print(table)
    placement = result.metrics.get("postcode_placement")
    if placement:
        out.print(f"postcode placement: {json.dumps(placement)}")
    _warn(result.warnings)


@data_app.command("info")
def data_info(region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None) -> None:
    """Show the provenance manifest of a region's store."""
    from sna.config import load_region
    from sna.store import Store

    with library_errors():
        cfg = load_region(region)
        manifest = Store(cfg.id, data_dir).manifest()
    table = Table("table", "rows", "synthetic", "sources", "rejected")
    for name, t in sorted(manifest["tables"].items()):
        rejected = sum(r["rows_rejected"] for r in t["load"])
        srcs = ", ".join(f"{s['source']} ({s['vintage']})" for s in t["sources"])
        table.add_row(
            name, f"{t['rows']:,}", "yes" if t["synthetic"] else "", srcs, f"{rejected:,}"
        )
    out.print(f"{manifest['region_name']} store created {manifest['created']}")
    out.print(table)
    _warn(manifest.get("warnings", []))


archive_app = typer.Typer(
    help="The police.uk archive: partitioned GeoParquet, processed by DuckDB or Dask.",
    no_args_is_help=True,
)
data_app.add_typer(archive_app, name="archive")

ArchiveOpt = Annotated[
    Path | None,
    typer.Option("--archive", help="Archive folder (default: <data dir>/archive/police-uk)."),
]


def _archive_dir(archive: Path | None) -> Path:
    from sna.settings import data_dir

    return archive if archive is not None else data_dir() / "archive" / "police-uk"


def _bar() -> Progress:
    """A rich progress bar on stderr (transient when stderr is not a terminal)."""
    return Progress(
        TextColumn("[bold blue]{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stderr.isatty(),
    )


@archive_app.command("ingest")
def archive_ingest(
    paths: Annotated[list[Path], typer.Argument(help="police.uk files, folders or zips.")],
    archive: ArchiveOpt = None,
) -> None:
    """Write police.uk street files into force=/month= GeoParquet partitions."""
    from geodata.archive import ingest_archive

    root = _archive_dir(archive)
    with library_errors(), _bar() as bar:
        task = bar.add_task("reading files", total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, description=name[-34:], completed=done, total=total)

        try:
            report = ingest_archive(paths, root, on_file=step)
        except ValueError as exc:
            _fail(exc)
    out.print(
        f"[green]ingested[/] {report.files:,} file(s), {report.rows:,} rows, "
        f"{len(report.parts):,} part(s) -> {root}"
    )
    _warn(report.warnings)


@archive_app.command("counts")
def archive_counts(
    archive: ArchiveOpt = None,
    engine: Annotated[
        str | None,
        typer.Option(help="duckdb or dask (default: $SNA_ARCHIVE_ENGINE, else duckdb)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask: synchronous, threads, local (LocalCluster) or an address."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Dask LocalCluster workers.")] = None,
    crime_type: Annotated[
        list[str] | None, typer.Option("--crime-type", help="Keep only this type (repeat).")
    ] = None,
    months: Annotated[
        str | None, typer.Option(help="START:END as YYYY-MM:YYYY-MM, both inclusive.")
    ] = None,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results",
            help="Results folder: counts/force=/month= and grid/force= parquet "
            "(default <archive>-results).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Also export every count to one file (.parquet or .csv)."),
    ] = None,
    surfaces: Annotated[
        Path | None, typer.Option(help="Also write one KDE GeoTIFF per force into this folder.")
    ] = None,
    bandwidth: Annotated[float, typer.Option(help="KDE bandwidth, metres.")] = 400.0,
    cell: Annotated[float, typer.Option(help="KDE cell, metres.")] = 100.0,
) -> None:
    """Clean, place in LSOA21, count per force x month x type x LSOA21, and bin for KDE."""
    from pydantic import ValidationError

    from geodata.archive import RunOptions, get_engine, load_placement
    from sna.config import load_region

    root = _archive_dir(archive)
    overrides = {
        k: v
        for k, v in {"dask_scheduler": scheduler, "dask_workers": workers}.items()
        if v is not None
    }
    try:
        window = tuple(months.split(":")) if months else None
        options = RunOptions.checked(crime_type or None, window, cell)
        runner = get_engine(engine, **overrides)
    except ValidationError as exc:
        _fail(ConfigError(f"archive settings (--engine or SNA_ARCHIVE_*): {exc.errors()[0]}"))
    except ValueError as exc:
        _fail(exc)
    with library_errors():
        cfg = load_region("west-midlands")  # only for the national lookup and polygons
        placement = load_placement(
            cfg.source_path(cfg.sources.lsoa11_lsoa21_lookup.paths[0]),
            cfg.source_path(cfg.sources.lsoa21_boundaries.paths[0]),
        )
        with _bar() as bar:
            task = bar.add_task(f"{runner.name}: months", total=None)

            def step(done: int, total: int, label: str) -> None:
                bar.update(task, description=f"{runner.name}: {label}", completed=done, total=total)

            folder = results or root.parent / f"{root.name}-results"
            result = runner.run(root, placement, options, out=folder, on_progress=step)
        if output is not None:
            result.export_counts(output)
    table = Table("rows", "count")
    for k, v in result.rows.items():
        table.add_row(k, f"{v:,}")
    for k, v in sorted(result.methods.items()):
        table.add_row(f"lsoa21: {k}", f"{v:,}")
    out.print(table)
    out.print(
        f"[green]{result.engine}[/]: {len(result.months_read)} month(s), "
        f"{result.force_months['force'].nunique()} force(s) in {result.seconds:.1f} s -> "
        f"{result.out}" + (f", {output}" if output is not None else "")
    )
    if surfaces is not None:
        from sna.archive_surfaces import iter_force_surfaces
        from sna.surfaces import write_geotiff

        surfaces.mkdir(parents=True, exist_ok=True)
        n = 0
        for force, surface in iter_force_surfaces(result, bandwidth=bandwidth):
            write_geotiff(surface, surfaces / f"{force}.tif")
            n += 1
        out.print(f"{n} surface(s) -> {surfaces}")


@app.command("build")
def build(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: the config's, 500).")
    ] = None,
    synthetic_partner_data: Annotated[
        bool,
        typer.Option(
            "--synthetic-partner-data",
            help="Use seeded synthetic stand-ins for absent partner extracts (demos, tests); "
            "every output is then flagged illustrative.",
        ),
    ] = False,
) -> None:
    """Build the LSOA and postcode indices and publish them as the region's current build.

    The disclosure audit runs before the build is published: a build that would leak
    partner records is not published and the command exits with status 1.
    """
    from sna.build import build_region

    result = _with_progress(
        build_region,
        "starting",
        region=region,
        data_dir=data_dir,
        mc_draws=draws,
        synthetic_partner_data=synthetic_partner_data,
    )
    out.print(
        f"[green]{result.region}[/]: build {result.build_id} in {result.seconds:.1f} s: "
        f"{result.n_lsoa:,} LSOAs, {result.n_postcodes:,} postcodes -> {result.path}"
    )
    table = Table("check", "value")
    for k, v in result.checks.items():
        table.add_row(k, str(v))
    out.print(table)
    from sna.config import load_region
    from sna.store import Store

    _warn(Store(load_region(region).id, data_dir).manifest().get("warnings", []))
    held = json.loads((result.path / "manifest.json").read_text()).get("awaiting_layers", [])
    for d in held:  # partner layers with no extract: weight 0 (docs/partner-data-schemas.md)
        out.print(f"[yellow]{d['id']}[/]: {d['status']} (weight 0)")


@app.command("audit")
def audit_command(region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None) -> None:
    """Check the current build's public outputs against the disclosure rule (exit 1 on a leak)."""
    from sna.audit import audit_region

    with library_errors():
        result = audit_region(region, data_dir)
    if not result.ok:
        console.print(
            f"[bold red]disclosure audit failed:[/] {len(result.findings)} public value(s) of "
            f"{result.build.name} derived from fewer than {result.threshold} partner records",
            soft_wrap=True,
        )
        out.print(escape(result.message()), soft_wrap=True)
        raise typer.Exit(code=1)
    checked = ", ".join(f"{k} ({v:,})" for k, v in result.checked.items())
    out.print(
        f"[green]{result.build.name}[/]: disclosure audit passed "
        f"(threshold {result.threshold}; checked {checked})"
    )


builds_app = typer.Typer(
    help="List a region's builds, newest first (the current one is marked); prune old ones.",
    invoke_without_command=True,
)
app.add_typer(builds_app, name="builds")


@builds_app.callback()
def builds(
    ctx: typer.Context, region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None
) -> None:
    """List a region's builds, newest first (the current one is marked)."""
    if ctx.invoked_subcommand is not None:
        return
    from sna.build import list_builds
    from sna.config import load_region

    with library_errors():
        cfg = load_region(region)
    # ids are long (microseconds and a suffix): never wrapped, so they can be copied
    table = Table(Column("build", no_wrap=True), "created", "current", "synthetic layers")
    for b in list_builds(cfg.id, data_dir):
        table.add_row(
            b["build_id"],
            b["created"],
            "*" if b["current"] else "",
            ", ".join(b["synthetic_layers"]),
        )
    out.print(table)


@builds_app.command("prune")
def builds_prune(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    keep: Annotated[
        int | None,
        typer.Option(min=1, help="Builds to keep, newest first (default: [builds].keep, 5)."),
    ] = None,
) -> None:
    """Remove all but the newest builds; the current build is never removed."""
    from sna.builds import prune_builds
    from sna.config import load_region

    with library_errors():
        cfg = load_region(region)
        removed = prune_builds(cfg.id, data_dir, keep=keep or cfg.builds.keep)
    for build_id in removed:
        out.print(f"removed {build_id}")
    out.print(f"{cfg.id}: {len(removed)} build(s) removed, kept {keep or cfg.builds.keep}")


@app.command("serve")
def serve(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (they share the build's pages).")
    ] = 1,
    view: Annotated[
        list[str] | None,
        typer.Option(help="Also serve this region under /vru/<id>/ (repeatable)."),
    ] = None,
) -> None:
    """Serve the region's current build: the lookup and tile API and the public map."""
    from sna.build import current_build
    from sna.config import load_region

    with library_errors():
        cfg = load_region(region)
        _check_api_settings(cfg.id)
        folder = current_build(cfg.id, data_dir)
        views = [load_region(v).id for v in view or []]
        for vid in views:
            current_build(vid, data_dir)  # each must be built: a clear error now, not a 503
    from api.app import serve as serve_app

    console.print(f"serving {cfg.region.name} build {folder.name} on http://{host}:{port}")
    for vid in views:
        console.print(f"  and {vid} on http://{host}:{port}/vru/{vid}/")
    serve_app(cfg.id, host=host, port=port, data_dir=data_dir, workers=workers, views=views)


def _check_api_settings(region_id: str) -> None:
    """Read the server settings (environment and .env) now: a bad one is a ConfigError."""
    from pydantic import ValidationError

    from api.settings import ApiSettings

    try:
        ApiSettings(region=region_id)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            key = str(e["loc"][0]).upper() if e["loc"] else ""
            key = key if key.startswith("SNA_") else f"SNA_API_{key}" if key else "settings"
            parts.append(f"{key}: {' '.join(str(e['msg']).removeprefix('Value error, ').split())}")
        raise ConfigError("server settings (environment or .env): " + "; ".join(parts)) from None


class MapFormat(StrEnum):
    """What ``sna maps`` writes."""

    html = "html"
    pdf = "pdf"
    png = "png"


@app.command("maps")
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


@app.command("report")
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


@app.command("priority")
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
) -> None:
    """Export the top N LSOAs per district by violence risk or need (CSV and GeoPackage)."""
    from sna.priority import PRIORITY_BY, write_priority_places

    if by not in PRIORITY_BY:
        _fail(SnaError(f"--by must be one of {list(PRIORITY_BY)}, got {by!r}"))
    with library_errors():
        paths = write_priority_places(region, data_dir, top=top, by=by)
    for p in paths:
        out.print(str(p))


@app.command("evaluate")
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
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: <data_dir>/<region>/evaluation)."),
    ] = None,
) -> None:
    """Does the index find the places? PAI, PEI*, RRI of a training-only index vs baselines."""
    from sna.evaluate import evaluate_iod_era, evaluate_region

    with library_errors():
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
    _warn(result.setup.get("warnings", []))
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


def main() -> None:  # pragma: no cover - console script entry
    """Entry point for ``python -m cli`` (the console script is ``sna``)."""
    app()
