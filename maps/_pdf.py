"""Printing the HTML report to PDF with headless Chromium (the template sets the pages)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sna.errors import SnaError

__all__ = ["print_pdf"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` to ``pdf_path`` (``SnaError`` without Chromium or on failure)."""
    exe = _chromium()
    if exe is None:
        raise SnaError(
            "a PDF needs a Chromium browser on PATH (e.g. `apt-get install chromium`); "
            f"the HTML report is at {html_path}"
        )
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    except (subprocess.SubprocessError, OSError) as exc:
        raise SnaError(f"printing {html_path} to PDF with {exe} failed: {exc}") from exc
    return pdf_path
