"""The app served on a loopback port, and the headless Chromium that the browser tests drive.

Tests that drive Chromium are marked ``requires_browser``; ``conftest.py`` skips them, with
the reason, where :data:`CHROMIUM` is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

#: Debian's Chromium, which the browser tests drive (``.ci/run`` installs it).
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"  # screenshots


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, timeout: float = 90, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``<base>/ready`` answers 200; a ``RuntimeError`` if ``proc`` ends first
    (with its output) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode(errors="replace"))
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become ready in {timeout:.0f} s")


def serve(
    region: str,
    data_dir: Path,
    env_extra: dict[str, str] | None = None,
    timeout: float = 90,
    args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run ``python -m api`` for ``region`` on a free port; yield its base URL once ready.

    For a module fixture: ``yield from serve(...)``. ``args`` are more command-line options
    (``("--workers", "2")``). The base map is off (its default is OpenStreetMap's tiles)
    unless ``env_extra`` sets it; the server is stopped afterwards.
    """
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SNA_API_BASEMAP_ATTRIBUTION", None)
    env["SNA_API_BASEMAP_URL"] = ""  # no outside request unless a test asks for the street map
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "api", "--region", region, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--data-dir", str(data_dir), *args]
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout, proc)
        yield base
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server this module's helpers or a test started (killed after 10 s)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def served(region: str, data_dir: Path, **kwargs) -> Iterator[str]:
    """:func:`serve` as a context manager (``with served(...) as base:``)."""
    yield from serve(region, data_dir, **kwargs)


@contextmanager
def chromium_context(folder: Path, viewport: dict[str, int]):
    """A headless Chromium context with its own profile under ``folder`` (removed after)."""
    from playwright.sync_api import sync_playwright

    profile = folder / "chromium-profile"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport=viewport,
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def browse(
    paths: list[Path], action=None, viewport=(1400, 900), full_page=False, prefix: str = ""
) -> dict[str, list[str]]:
    """Open each file in headless Chromium; return its JavaScript errors, save a screenshot.

    ``action(page, path)`` may interact with the page before the screenshot (its own errors
    are collected too). Screenshots go to ``tests/artifacts/<prefix><name>.png``.
    """
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    out: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for path in paths:
                errors: list[str] = []
                page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                page.on("pageerror", lambda e, errors=errors: errors.append(f"pageerror: {e}"))
                page.on(
                    "console",
                    lambda m, errors=errors: (
                        errors.append(f"console: {m.text}") if m.type == "error" else None
                    ),
                )
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(400)
                if action is not None:
                    action(page, path)
                page.screenshot(
                    path=str(ARTIFACTS / f"{prefix}{path.stem}.png"), full_page=full_page
                )
                out[path.name] = errors
                page.close()
        finally:
            browser.close()
    return out
