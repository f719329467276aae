"""The operating system's refusals (full or read-only disk, permissions, open files) are one
line naming the path and what to do, exit 1, and never a traceback."""

from __future__ import annotations

import errno
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from cli._common import os_error_line

runner = CliRunner()


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/d/x.parquet"), "no space left"),
        (OSError(errno.EROFS, "Read-only file system", "/d/wm"), "read-only file system"),
        (OSError(errno.EACCES, "Permission denied", "/d/wm"), "permission denied"),
        (OSError(errno.EMFILE, "Too many open files", "/d/wm"), "ulimit -n"),
        (sqlite3.OperationalError("database or disk is full"), "no space left"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
    ],
)
def test_each_refusal_is_one_line_with_what_to_do(exc, words):
    line = os_error_line(exc)
    assert line is not None and "\n" not in line
    assert words in line and "current build is unchanged" in line
    if getattr(exc, "filename", None):
        assert exc.filename in line


def test_other_errors_are_not_dressed_up():
    assert os_error_line(OSError(errno.ENOENT, "No such file", "/x")) is None
    assert os_error_line(sqlite3.OperationalError("no such table: areas")) is None


def test_a_full_disk_inside_build_is_one_line(monkeypatch, tmp_path):
    """SQLite says 'database or disk is full' with no errno; the build command still says it in
    one line and exits 1."""
    import sna

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sna, "build_region", full)
    result = runner.invoke(app, ["build", "--region", "west-midlands", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no space left" in result.output and str(tmp_path) in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def tmpfs(tmp_path) -> Iterator:
    """Mount a tmpfs (root only, where the machine allows it): ``mount(options) -> Path``."""
    if sys.platform != "linux" or not shutil.which("mount"):
        pytest.skip("needs Linux mount")
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
        )
        if done.returncode:
            pytest.skip("cannot mount a tmpfs here (needs root): " + done.stderr.decode().strip())
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_real_full_and_read_only_disks(tmpfs, shared_data):
    full = tmpfs("size=64k")
    done = _cli("data", "prepare", "--region", "bedfordshire", "--data-dir", str(full))
    assert done.returncode == 1, done.stderr[-2000:]
    lines = [s for s in done.stderr.splitlines() if s.strip()]
    assert len(lines) == 1 and "no space left" in lines[0] and str(full) in lines[0]
    read_only = tmpfs("size=64k,ro")
    done = _cli("build", "--region", "bedfordshire", "--data-dir", str(read_only))
    assert done.returncode == 1
    lines = [s for s in done.stderr.splitlines() if s.strip()]
    assert len(lines) == 1 and "read-only file system" in lines[0]
    assert not any(read_only.iterdir())
