"""``sna data``: prepare and inspect the geodata store, and the police.uk archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sna.errors import ConfigError

from ._common import (
    DataDirOpt,
    RegionOpt,
    fail,
    library_errors,
    out,
    progress_bar,
    warn,
    with_progress,
)

__all__ = ["data_app", "archive_app"]

data_app = typer.Typer(help="Prepare and inspect the geodata store.", no_args_is_help=True)


@data_app.command("prepare")
def data_prepare(
    region: RegionOpt = "west-midlands",
    data_dir: DataDirOpt = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if inputs are unchanged.")] = False,
) -> None:
    """Load every source of a region into its GeoParquet store with provenance."""
    from sna import prepare_region

    result = with_progress(
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
    warn(result.warnings)


@data_app.command("info")
def data_info(region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None) -> None:
    """Show the provenance manifest of a region's store."""
    from sna import Store
    from sna.config.region import load_region

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
    warn(manifest.get("warnings", []))


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


@archive_app.command("ingest")
def archive_ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="police.uk files, folders or zips (default: the region's street files, "
            "[violence_risk] pooled_from: the bundle's 17 forces)."
        ),
    ] = None,
    archive: ArchiveOpt = None,
    region: Annotated[
        str, typer.Option(help="Region whose street files are read when no path is given.")
    ] = "england",
) -> None:
    """Write police.uk street files into force=/month= GeoParquet partitions."""
    from geodata.archive import ingest_archive

    root = _archive_dir(archive)
    if not paths:
        from sna.config.region import load_region
        from sna.violence.street_counts import street_folders

        with library_errors():
            paths = street_folders(load_region(region))
    with library_errors(), progress_bar() as bar:
        task = bar.add_task("reading files", total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, description=name[-34:], completed=done, total=total)

        try:
            report = ingest_archive(paths, root, on_file=step)
        except ValueError as exc:
            fail(exc)
    out.print(
        f"[green]ingested[/] {report.files:,} file(s), {report.rows:,} rows, "
        f"{len(report.parts):,} part(s) -> {root}"
    )
    warn(report.warnings)


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
    from sna.config.region import load_region

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
        fail(ConfigError(f"archive settings (--engine or SNA_ARCHIVE_*): {exc.errors()[0]}"))
    except ValueError as exc:
        fail(exc)
    with library_errors():
        cfg = load_region("west-midlands")  # only for the national lookup and polygons
        placement = load_placement(
            cfg.source_path(cfg.sources.lsoa11_lsoa21_lookup.paths[0]),
            cfg.source_path(cfg.sources.lsoa21_boundaries.paths[0]),
        )
        with progress_bar() as bar:
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
        from sna.build.archive_surfaces import iter_force_surfaces
        from sna.stats.kde import write_geotiff

        surfaces.mkdir(parents=True, exist_ok=True)
        n = 0
        for force, surface in iter_force_surfaces(result, bandwidth=bandwidth):
            write_geotiff(surface, surfaces / f"{force}.tif")
            n += 1
        out.print(f"{n} surface(s) -> {surfaces}")
