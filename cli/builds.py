"""``sna build``, ``sna audit`` and ``sna builds``: make, check and keep a region's builds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from ._common import DataDirOpt, RegionOpt, console, library_errors, out, warn, with_progress

__all__ = ["build", "audit_command", "builds_app"]


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
    views: Annotated[
        bool,
        typer.Option(
            "--views",
            help="Build every VRU view of this national build (not the national build "
            "itself: build it first), --jobs at a time.",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, max=16, help="With --views: worker processes (default: cores)."),
    ] = None,
) -> None:
    """Build the LSOA and postcode indices and publish them as the region's current build.

    The disclosure audit runs before the build is published: a build that would leak
    partner records is not published and the command exits with status 1.
    """
    if views:
        _build_views(region, data_dir, jobs)
        return
    from sna import build_region

    result = with_progress(
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
    from sna import Store
    from sna.config.region import load_region

    warn(Store(load_region(region).id, data_dir).manifest().get("warnings", []))
    held = json.loads((result.path / "manifest.json").read_text()).get("awaiting_layers", [])
    for d in held:  # partner layers with no extract: weight 0 (docs/partner-data-schemas.md)
        out.print(f"[yellow]{d['id']}[/]: {d['status']} (weight 0)")


def _build_views(region: str, data_dir, jobs: int | None) -> None:
    """``sna build --views``: every view of ``region``, a line each, exit 1 if any failed."""
    from sna.build.views import build_views

    results = with_progress(build_views, "preparing", national=region, data_dir=data_dir, jobs=jobs)
    failed = [r for r in results if r.error]
    for r in sorted(results, key=lambda r: r.region):
        if r.error:
            console.print(f"[bold red]{r.region}[/]: {escape(r.error)}", soft_wrap=True)
        else:
            out.print(f"[green]{r.region}[/]: build {r.build_id} in {r.seconds:.1f} s: "
                      f"{r.n_lsoa:,} LSOAs")  # fmt: skip
    out.print(f"{len(results) - len(failed)} of {len(results)} views built")
    if failed:
        raise typer.Exit(code=1)


def audit_command(region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None) -> None:
    """Check the current build's public outputs against the disclosure rule (exit 1 on a leak)."""
    from sna.audit import audit_region

    with library_errors():
        result = audit_region(region, data_dir)
    absent = ", ".join(result.absent) or "none"
    if not result.ok:
        console.print(f"[bold red]{escape(result.headline(then=''))}[/]", soft_wrap=True)
        out.print(escape(result.message()), soft_wrap=True)
        out.print(f"absent (not written for this build): {escape(absent)}", soft_wrap=True)
        raise typer.Exit(code=1)
    checked = ", ".join(f"{k} ({v:,})" for k, v in result.checked.items())
    out.print(
        f"[green]{result.build.name}[/]: disclosure audit passed "
        f"(threshold {result.threshold}; read {escape(checked)}; absent: {escape(absent)})",
        soft_wrap=True,
    )


builds_app = typer.Typer(
    help="List a region's builds, newest first (the current one is marked); prune old ones.",
    invoke_without_command=True,
)


@builds_app.callback()
def builds(
    ctx: typer.Context, region: RegionOpt = "west-midlands", data_dir: DataDirOpt = None
) -> None:
    """List a region's builds, newest first (the current one is marked)."""
    if ctx.invoked_subcommand is not None:
        return
    from sna.builds.registry import list_builds
    from sna.config.region import load_region

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
    from sna.builds.registry import prune_builds
    from sna.config.region import load_region

    with library_errors():
        cfg = load_region(region)
        removed = prune_builds(cfg.id, data_dir, keep=keep or cfg.builds.keep)
    for build_id in removed:
        out.print(f"removed {build_id}")
    out.print(f"{cfg.id}: {len(removed)} build(s) removed, kept {keep or cfg.builds.keep}")
