"""``sna serve``: the lookup and tile API and the public map over the current build."""

from __future__ import annotations

from typing import Annotated

import typer

from sna.errors import ConfigError

from ._common import DataDirOpt, RegionOpt, console, library_errors

__all__ = ["serve"]


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
