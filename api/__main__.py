"""``python -m api --region R --host H --port P [--data-dir D] [--workers N]``: serve the map
and API."""

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
    args = p.parse_args(argv)
    serve(args.region, args.host, args.port, args.data_dir, workers=args.workers)


if __name__ == "__main__":
    main()
