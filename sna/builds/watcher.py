"""Serve the current build and swap in a new one when it is published.

The API holds one :class:`BuildWatcher`. It loads the build that the region's ``current``
pointer names in a background thread, checks the pointer every few seconds (one
``readlink``), and loads a newly published build while the old one keeps answering; a build
that fails to load is skipped and the last good one stays. A failed build is tried again
only after a back-off period (``retry_after``), however often it is asked for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sna.answers.reader import BuildReader
from sna.builds.registry import current_target, open_build
from sna.errors import BuildNotFound

__all__ = ["BuildWatcher"]

log = logging.getLogger(__name__)


class BuildWatcher:
    """Keeps the current build of a region loaded; reloads when ``current`` moves.

    :meth:`get` is called on every request. At most every ``interval`` seconds it compares
    the ``current`` symlink target with the loaded build (one ``readlink``); when they differ
    a background thread loads the new build while the old one keeps answering, then swaps
    it in. A build that fails to load is logged and skipped until the pointer moves again.

    Parameters
    ----------
    region, data_dir
        Which region, under which data directory.
    interval
        Seconds between pointer checks (0 checks on every call).
    loader
        ``path -> BuildReader`` (default :func:`sna.builds.registry.open_build`).
    retry_after
        Seconds to wait before loading a build that failed to load again.
    clock
        Seconds on a monotonic clock (default :func:`time.monotonic`; a test passes its own,
        so the back-off is checked without racing real time).

    Attributes
    ----------
    attempts
        Loads started (successful or not).
    last_error
        The last load error, for the log; never sent to clients (it may hold paths).
    """

    def __init__(
        self,
        region: str,
        data_dir: Path | None = None,
        *,
        interval: float = 2.0,
        loader: Callable[[Path], BuildReader] | None = None,
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.region = region
        self.data_dir = data_dir
        self.interval = float(interval)
        self.loader = loader or open_build
        self._build: BuildReader | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._checked = 0.0
        self._failed: Path | None = None
        self._failed_at = 0.0
        self.retry_after = float(retry_after)
        self.clock = clock
        self.last_error: str | None = None
        self.reloads = 0
        self.attempts = 0

    @property
    def build(self) -> BuildReader | None:
        """The loaded build, or None before the first load."""
        return self._build

    @property
    def loading(self) -> bool:
        """True while a background load runs."""
        t = self._thread
        return t is not None and t.is_alive()

    def target(self) -> Path | None:
        """Where the ``current`` pointer points now (None when there is no build)."""
        return current_target(self.region, self.data_dir)

    def backing_off(self, target: Path | None = None) -> float:
        """Seconds until ``target`` (default: the current one) may be tried again; 0: now."""
        target = self.target() if target is None else target
        if target is None or target != self._failed:
            return 0.0
        return max(0.0, self.retry_after - (self.clock() - self._failed_at))

    def _load(self, target: Path) -> None:
        self.attempts += 1
        try:
            build = self.loader(target)
        except Exception as exc:  # keep serving the old build; report on /ready
            self._failed = target
            self._failed_at = self.clock()
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("failed to load build %s", target)
            return
        self._build = build
        self._failed = None
        self.last_error = None
        self.reloads += 1

    def start(self) -> None:
        """Load the current build in the background (returns at once).

        Does nothing while a load runs, or while a failed build is backing off.
        """
        with self._lock:
            if self._build is not None or self.loading:
                return
            target = self.target()
            if target is None or self.backing_off(target):
                return
            self._thread = threading.Thread(
                target=self._load, args=(target,), name="sna-build-loader", daemon=True
            )
            self._thread.start()

    def get(self) -> BuildReader:
        """The current build, loading it first if needed.

        Raises
        ------
        BuildNotFound
            When the region has no published build (or the only one fails to load).
        """
        build = self._build
        if build is None:
            return self._first_load()
        if self.interval >= 0:
            now = self.clock()
            if now - self._checked >= self.interval:
                self._checked = now
                self._maybe_reload(build)
        return self._build or build

    def _first_load(self) -> BuildReader:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock:
            if self._build is None:
                target = self.target()
                if target is None:
                    raise BuildNotFound(
                        f"no published build for {self.region!r}; "
                        f"run: sna build --region {self.region}"
                    )
                if not self.backing_off(target):
                    self._load(target)
            if self._build is None:
                raise BuildNotFound(
                    f"the build of {self.region!r} could not be loaded (the server log says "
                    f"why); retrying in {self.backing_off(target):.0f} s"
                )
            return self._build

    def _maybe_reload(self, build: BuildReader) -> None:
        target = self.target()
        if target is None or target == build.path or self.backing_off(target):
            return
        with self._lock:
            if self.loading:
                return
            self._thread = threading.Thread(
                target=self._load, args=(target,), name="sna-build-reloader", daemon=True
            )
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running background load (tests)."""
        t = self._thread
        if t is not None:
            t.join(timeout)
