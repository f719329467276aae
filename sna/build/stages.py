"""Declared build stages, and the one runner that runs them.

A stage names what it reads from the build's state (``needs``) and what it writes there
(``makes``); :func:`run_stages` runs stages in order and, for each, reports progress, checks
that what it needs is there before it starts and that what it makes is there after it ends,
times it and fingerprints it. A stage's fingerprint is a hash of its function's source, so a
manifest says which stages' code changed between two builds. The stages of ``sna build``
are :data:`sna.build.steps.STAGES`; adding one touches that file only.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Stage", "StageError", "StageRun", "check_order", "run_stages", "stage_fingerprint"]

#: ``progress(stage name, index, number of stages)``, called as each stage starts
Progress = Callable[[str, int, int], None]


class StageError(RuntimeError):
    """A stage was declared or run against what it declares (a bug, not bad input)."""


@dataclass(frozen=True)
class Stage:
    """One step of a build: ``fn(state)`` reads ``needs`` and sets ``makes`` on the state."""

    name: str
    needs: tuple[str, ...]
    makes: tuple[str, ...]
    fn: Callable[[Any], None]


@dataclass(frozen=True)
class StageRun:
    """What running one stage measured."""

    name: str
    seconds: float
    fingerprint: str


def stage_fingerprint(stage: Stage) -> str:
    """sha256 (12 hex digits) of the stage's function source and its declaration."""
    try:
        source = inspect.getsource(stage.fn)
    except (OSError, TypeError):  # a builtin or a function made at run time
        source = repr(stage.fn)
    text = f"{stage.name}|{','.join(stage.needs)}|{','.join(stage.makes)}|{source}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def check_order(stages: Sequence[Stage], given: Sequence[str]) -> None:
    """Raise :class:`StageError` unless each stage needs only what ``given`` or an earlier
    stage makes, and no two stages have one name."""
    have, names = set(given), set()
    for s in stages:
        if s.name in names:
            raise StageError(f"two build stages are named {s.name!r}")
        names.add(s.name)
        missing = [n for n in s.needs if n not in have]
        if missing:
            raise StageError(f"build stage {s.name!r} needs {missing}, made by no earlier stage")
        have.update(s.makes)


def _unset(state: Any, names: Sequence[str]) -> list[str]:
    return [n for n in names if getattr(state, n, None) is None]


def run_stages(
    stages: Sequence[Stage],
    state: Any,
    progress: Progress | None = None,
    *,
    total: int = 0,
    first: int = 0,
    done: Callable[[StageRun], None] | None = None,
) -> list[StageRun]:
    """Run ``stages`` in order on ``state``; the run of each (seconds, fingerprint).

    A build may run its stages in several calls (some before, some inside its staging
    folder): ``total`` is the number of stages the progress bar counts (default
    ``len(stages)``) and ``first`` the index of the first of these among them. ``done`` is
    called with each stage's run as it ends (a later stage may read the earlier timings).
    """
    total = total or len(stages)
    runs = []
    for i, stage in enumerate(stages):
        missing = _unset(state, stage.needs)
        if missing:
            raise StageError(f"build stage {stage.name!r} started without {missing}")
        if progress:
            progress(stage.name, first + i, total)
        t = time.perf_counter()
        stage.fn(state)
        seconds = time.perf_counter() - t
        unmade = _unset(state, stage.makes)
        if unmade:
            raise StageError(f"build stage {stage.name!r} ended without making {unmade}")
        runs.append(StageRun(stage.name, seconds, stage_fingerprint(stage)))
        if done:
            done(runs[-1])
    return runs
