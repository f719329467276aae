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
        typer.Option(
            help="Serve only these VRU views (ids or TOML paths) under /vru/<id>/ "
            "(repeatable); default: every view of the region whose build is published."
        ),
    ] = None,
) -> None:
    """Serve the region's current build: the lookup and tile API and the public map.

    A national build (``--region england``) serves every VRU view built from it too, each
    under ``/vru/<id>/``, and its map at ``/`` answers each postcode under its own VRU.
    """
    from sna.builds.registry import (
        current_build,  # not sna.build.pipeline: the server needs no data stack
    )
    from sna.config.region import load_region

    with library_errors():
        cfg = load_region(region)
        _check_api_settings(cfg.id)
        folder = current_build(cfg.id, data_dir)
        views = [load_region(v).id for v in view or []]
        for vid in views:
            current_build(vid, data_dir)  # each must be built: a clear error now, not a 503
        catalogue = _catalogue(cfg.id, data_dir) if not views else []
    from api.app import serve as serve_app

    console.print(f"serving {cfg.region.name} build {folder.name} on http://{host}:{port}")
    for vid in views:
        console.print(f"  and {vid} on http://{host}:{port}/vru/{vid}/")
    if catalogue:
        built = [v for v, ok in catalogue if ok]
        console.print(
            f"  and {len(built)} of its {len(catalogue)} VRU views under "
            f"http://{host}:{port}/vru/<id>/ (list: /api/v1/vrus)"
        )
        missing = [v for v, ok in catalogue if not ok]
        if missing:
            console.print(
                f"  not built yet (answered with {cfg.region.name}'s ranks and a note): "
                + ", ".join(missing)
            )
    serve_app(
        cfg.id, host=host, port=port, data_dir=data_dir, workers=workers, views=list(view or [])
    )


def _catalogue(region_id: str, data_dir) -> list[tuple[str, bool]]:
    """Every VRU view of the region and whether its build is published."""
    from api.settings import ApiSettings
    from api.vru_catalogue import view_catalogue
    from sna.builds.registry import current_target

    configs = ApiSettings(region=region_id).view_configs
    return [
        (v.id, current_target(v.id, data_dir) is not None)
        for v in view_catalogue(region_id, configs)
    ]


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
