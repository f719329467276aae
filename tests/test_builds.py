"""Build folders: ids that never collide, publishing that never replaces, cleanup, pruning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sna.builds.registry import (
    build_folders,
    builds_dir,
    clean_leftovers,
    current_target,
    list_builds,
    new_build_id,
    prune_builds,
)
from sna.errors import SnaError, StoreError
from sna.prepare.store import publish_dir, staging_dir

REGION = "fixture"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _publish(data_dir: Path, build_id: str | None = None, publish: bool = True) -> Path:
    """A minimal build folder (a manifest and one file), published like sna build does."""
    build_id = build_id or new_build_id()
    target = builds_dir(REGION, data_dir)
    with staging_dir(target, "build") as tmp:
        (tmp / "manifest.json").write_text(json.dumps({"build_id": build_id}))
        (tmp / "lsoa.parquet").write_bytes(b"x" * 100)
        if publish:
            return publish_dir(tmp, target / "current", build_id)
        os.rename(tmp, target / build_id)
        return target / build_id


def test_ids_in_the_same_second_differ_and_sort_by_time():
    t = datetime(2026, 12, 1, 9, 15, 0, 5, tzinfo=UTC)
    same = [new_build_id(t) for _ in range(200)]
    assert len(set(same)) == 200  # same microsecond: the random suffix tells them apart
    later = new_build_id(t.replace(microsecond=6))
    assert all(later > x for x in same)
    ids = [new_build_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(i.startswith(datetime.now(UTC).strftime("%Y%m%d")) for i in ids)


def test_two_builds_in_the_same_second_leave_the_served_one_untouched(tmp_path):
    first = _publish(tmp_path)
    served = (first / "lsoa.parquet").stat().st_ino
    second = _publish(tmp_path)
    assert first.name != second.name and first.exists()
    assert (first / "lsoa.parquet").stat().st_ino == served
    assert current_target(REGION, tmp_path) == second.resolve()
    assert len(list_builds(REGION, tmp_path)) == 2


def test_publish_never_replaces_an_existing_folder(tmp_path):
    first = _publish(tmp_path, "20260101T000000.000000Z-aaaaaa")
    target = builds_dir(REGION, tmp_path)
    with pytest.raises(StoreError, match="never replaced"), staging_dir(target, "build") as tmp:
        (tmp / "manifest.json").write_text("{}")
        publish_dir(tmp, target / "current", first.name)
    assert json.loads((first / "manifest.json").read_text())["build_id"] == first.name
    assert current_target(REGION, tmp_path) == first.resolve()
    assert not [p for p in target.iterdir() if p.name.startswith(".build.tmp-")]


_KILLED_BUILD = """
import sys, time
from pathlib import Path
from sna.prepare.store import staging_dir
with staging_dir(Path(sys.argv[1]), "build") as tmp:
    for i in range(8):
        (tmp / f"part{i}.parquet").write_bytes(b"x" * 100_000)
    print(tmp, flush=True)
    time.sleep(60)
"""


def test_kill_9_during_publish_leaves_nothing_after_the_next_build(tmp_path):
    _publish(tmp_path)
    target = builds_dir(REGION, tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    leftover = Path(proc.stdout.readline().strip())
    assert leftover.is_dir() and len(list(leftover.iterdir())) == 8
    # while the other build runs, its folder is not touched
    assert clean_leftovers(REGION, tmp_path) == []
    assert leftover.is_dir()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # a stale pointer link from a killed publish, too
    os.symlink("nowhere", target / f".current.link-{proc.pid}-123")
    assert leftover.is_dir()  # kill -9 runs no cleanup
    # the next build starts by cleaning up; a live build's own staging folder stays
    with staging_dir(target, "build") as mine:
        removed = clean_leftovers(REGION, tmp_path)
        assert mine.is_dir()
    assert removed == sorted([leftover.name, f".current.link-{proc.pid}-123"])
    hidden = [p.name for p in target.iterdir() if p.name.startswith(".")]
    assert hidden == [mine.name]


def test_prune_keeps_the_newest_and_never_the_current(tmp_path):
    ids = [f"2026010{i}T000000.000000Z-00000{i}" for i in range(1, 7)]
    folders = [_publish(tmp_path, i, publish=False) for i in ids]
    # the current build is the oldest one (rolled back)
    target = builds_dir(REGION, tmp_path)
    os.symlink(folders[0].name, target / "current")
    removed = prune_builds(REGION, tmp_path, keep=2)
    assert removed == ids[1:4]
    assert [f.name for f in build_folders(REGION, tmp_path)] == [ids[0], ids[4], ids[5]]
    assert current_target(REGION, tmp_path) == folders[0].resolve()
    assert prune_builds(REGION, tmp_path, keep=2) == []
    assert prune_builds(REGION, tmp_path, keep=1) == [ids[4]]
    assert not [p for p in target.iterdir() if p.name.startswith(".pruned-")]
    with pytest.raises(SnaError, match="at least 1"):
        prune_builds(REGION, tmp_path, keep=0)
