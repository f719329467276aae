"""``python -m api --region R --host H --port P [--data-dir D] [--workers N] [--view V]...
[--view-config TOML]...``: serve the map and API."""

from __future__ import annotations

import argparse
from pathlib import Path

from .app import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and call :func:`api.app.serve`."""
    p = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    p.add_argument("--region", default="west-midlands")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--view",
        action="append",
        default=[],
        help="Serve only this VRU view under /vru/<id>/ (repeatable; default: every built one).",
    )
    p.add_argument(
        "--view-config",
        action="append",
        default=[],
        help="The region file of one more VRU view of the region (repeatable).",
    )
    args = p.parse_args(argv)
    more = {"views": args.view} if args.view else {}
    if args.view_config:
        more["view_configs"] = args.view_config
    serve(args.region, args.host, args.port, args.data_dir, workers=args.workers, **more)


if __name__ == "__main__":
    main()
