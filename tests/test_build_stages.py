"""The build's declared stages: the runner checks each stage's declaration, reports progress
and fingerprints the stage's code; ``sna build``'s own stages are declared in order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from sna.build.stages import Stage, StageError, check_order, run_stages, stage_fingerprint
from sna.build.steps import FIRST_STAGE_IN_FOLDER, STAGES, BuildState

GIVEN = ("config", "declared", "data_dir", "timings", "ran", "folder")


@dataclass
class _State:
    a: int | None = None
    b: int | None = None


def _make_a(s: _State) -> None:
    s.a = 1


def _make_b(s: _State) -> None:
    s.b = s.a + 1


def _forgets(s: _State) -> None:
    pass


def test_the_runner_runs_in_order_reports_progress_and_fingerprints():
    seen = []
    state = _State()
    stages = [Stage("a", (), ("a",), _make_a), Stage("b", ("a",), ("b",), _make_b)]
    ended = []
    runs = run_stages(stages, state, lambda *x: seen.append(x), total=5, first=2, done=ended.append)
    assert ended == runs
    assert (state.a, state.b) == (1, 2)
    assert seen == [("a", 2, 5), ("b", 3, 5)]
    assert [r.name for r in runs] == ["a", "b"] and all(r.seconds >= 0 for r in runs)
    assert runs[0].fingerprint == stage_fingerprint(stages[0]) != runs[1].fingerprint
    # the fingerprint follows the code: another function under the same name differs
    assert stage_fingerprint(Stage("a", (), ("a",), _forgets)) != runs[0].fingerprint


def test_the_runner_refuses_what_a_stage_does_not_keep_to():
    with pytest.raises(StageError, match=r"'b' started without \['a'\]"):
        run_stages([Stage("b", ("a",), ("b",), _make_b)], _State())
    with pytest.raises(StageError, match=r"'a' ended without making \['a'\]"):
        run_stages([Stage("a", (), ("a",), _forgets)], _State())
    with pytest.raises(StageError, match=r"'b' needs \['a'\], made by no earlier stage"):
        check_order([Stage("b", ("a",), ("b",), _make_b)], given=())
    with pytest.raises(StageError, match="two build stages are named 'a'"):
        check_order([Stage("a", (), ("a",), _make_a)] * 2, given=())


def test_the_builds_stages_each_need_only_what_comes_before():
    check_order(STAGES, GIVEN)
    fields = set(BuildState.__dataclass_fields__)
    for s in STAGES:
        assert set(s.needs) | set(s.makes) <= fields, s.name
    names = [s.name for s in STAGES]
    assert names[0] == "prepare store" and names[-1] == "write and publish"
    split = names.index(FIRST_STAGE_IN_FOLDER)
    # only the stages run inside the staging folder may write there
    assert not any("folder" in s.needs for s in STAGES[:split])
    assert all("folder" in s.needs for s in (STAGES[split], STAGES[-1]))


def test_a_build_manifest_names_its_stages_and_times_them(wm_build: Path):
    m = json.loads((wm_build / "manifest.json").read_text())
    assert list(m["stages"]) == [s.name for s in STAGES]
    assert all(len(f) == 12 for f in m["stages"].values())
    timed = set(m["timings"])
    assert {s.name for s in STAGES[:-1]} <= timed  # the last is timed after the manifest
