"""Shared fixtures: the synthetic fixture build, and the real bundle's stores and builds.

The fast tests use the small synthetic build of ``build_fixture.py``: ``fixture_build`` (one
published build), ``fixture_builds`` (an earlier build and the current one), and the API over
it (``fixture_settings``, ``fixture_app``, ``client``). Every test that uses the real bundle,
through a fixture of :data:`REAL_DATA_FIXTURES`, is marked ``slow`` here.

Prepared stores live under ``data/_test`` (or ``$SNA_TEST_DATA_DIR``) and are reused while
their inputs, config and code are unchanged (``prepare_region`` checks a cache key), so only
the first run pays for preparation. A file lock keeps pytest-xdist workers from preparing the
same region twice at once.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from serving import CHROMIUM

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
# Starlette's TestClient sends "Host: testserver"; schemathesis sends "localhost"
os.environ.setdefault("SNA_API_TRUSTED_HOSTS", "testserver,localhost,127.0.0.1")
TEST_DATA_DIR = Path(os.environ.get("SNA_TEST_DATA_DIR") or PROJECT_ROOT / "data" / "_test")
SYNTHETIC_DATA_DIR = TEST_DATA_DIR / "synthetic"  # builds asked for synthetic partner data
# the at-risk estimate, the forces' counts and the pooled violence fit are keyed by their
# inputs: every test data directory (tmp_path builds included) shares one cache of them
os.environ.setdefault("SNA_SHARED_DIR", str(TEST_DATA_DIR / "_shared"))


@contextmanager
def file_lock(name: str) -> Iterator[None]:
    """An exclusive lock shared by every xdist worker on this machine."""
    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(TEST_DATA_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared open-data bundle (``../shared/data``)."""
    if not SHARED_DATA.exists():
        pytest.fail(f"shared data bundle not found at {SHARED_DATA}")
    return SHARED_DATA


def _prepared(region: str):
    from sna.prepare.pipeline import prepare_region

    with file_lock(f"prepare-{region}"):
        return prepare_region(region, data_dir=TEST_DATA_DIR)


@pytest.fixture(scope="session")
def wm_prepared():
    """The West Midlands store, prepared once and cached between runs."""
    return _prepared("west-midlands")


@pytest.fixture(scope="session")
def beds_prepared():
    """The Bedfordshire store, prepared once and cached between runs."""
    return _prepared("bedfordshire")


@pytest.fixture(scope="session")
def wm_store(wm_prepared):
    """Read access to the West Midlands store."""
    from sna.prepare.store import Store

    return Store("west-midlands", TEST_DATA_DIR)


@pytest.fixture(scope="session")
def beds_store(beds_prepared):
    """Read access to the Bedfordshire store."""
    from sna.prepare.store import Store

    return Store("bedfordshire", TEST_DATA_DIR)


def built_once(config, data_dir: Path = TEST_DATA_DIR) -> Path:
    """The current build of ``config`` (a RegionConfig, a region id or a config path), built
    only when code, config or store changed. Tests share one build of each region rather than
    publishing another ~300 MB folder each (a CI disk filled up that way). Hold the region's
    :func:`file_lock` around it."""
    from sna.build.pipeline import build_is_current, build_region
    from sna.builds.registry import current_build
    from sna.config.region import RegionConfig, load_region

    if not isinstance(config, RegionConfig):
        config = load_region(config)
    if not build_is_current(config, data_dir):
        build_region(config, data_dir=data_dir)
    return current_build(config.id, data_dir)


def _built(region: str) -> Path:
    # the store first, under its own lock: a build would prepare it otherwise, beside a
    # worker's wm_prepared doing the same (two stores, and the first one's path replaced)
    _prepared(region)
    with file_lock(f"build-{region}"):
        return built_once(region)


def _built_synthetic(region: str) -> Path:
    """A build with synthetic partner stand-ins, in its own data directory (own store)."""
    from sna.build.pipeline import build_is_current, build_region
    from sna.builds.registry import current_build
    from sna.config.region import load_region

    data_dir = SYNTHETIC_DATA_DIR
    with file_lock(f"build-synthetic-{region}"):
        config = load_region(region)
        config = config.model_copy(
            update={"synthetic": config.synthetic.model_copy(update={"partner_data": True})}
        )
        if not build_is_current(config, data_dir):
            build_region(config, data_dir=data_dir)
        return current_build(region, data_dir)


@pytest.fixture(scope="session")
def wm_synthetic_build() -> Path:
    """A West Midlands build asked for synthetic partner data (``--synthetic-partner-data``)."""
    return _built_synthetic("west-midlands")


@pytest.fixture(scope="session")
def wm_synthetic_store(wm_synthetic_build):
    """The store behind :func:`wm_synthetic_build` (synthetic partner tables included)."""
    from sna.prepare.store import Store

    return Store("west-midlands", SYNTHETIC_DATA_DIR)


@pytest.fixture(scope="session")
def wm_build() -> Path:
    """The current West Midlands build folder (rebuilt only when code, config or data change)."""
    return _built("west-midlands")


@pytest.fixture(scope="session")
def beds_build() -> Path:
    """The current Bedfordshire build folder (rebuilt only when code, config or data change)."""
    return _built("bedfordshire")


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """The data directory the cached test stores and builds live in."""
    return TEST_DATA_DIR


@pytest.fixture(scope="session")
def real_build_dir():
    """``real_build_dir(region)``: the test data directory, holding a current build of
    ``region`` (built first if stale)."""

    def build(region: str) -> Path:
        _built(region)
        return TEST_DATA_DIR

    return build


# --------------------------------------------------------------- the synthetic fixture build


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory) -> Path:
    """The data directory of one published fixture build (region ``fixture``)."""
    from build_fixture import make_fixture_build

    data_dir = tmp_path_factory.mktemp("fixture-data")
    make_fixture_build(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def fixture_builds(tmp_path_factory) -> Path:
    """The data directory of two fixture builds, an earlier one and the current one."""
    from build_fixture import make_fixture_builds

    data_dir = tmp_path_factory.mktemp("fixture-builds")
    make_fixture_builds(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def fixture_settings(fixture_build):
    """API settings pointing at the fixture build, with an analyst key."""
    from build_fixture import REGION

    from api.settings import ApiSettings

    return ApiSettings(
        region=REGION, data_dir=fixture_build, api_key="test-key", reload_interval=0.0
    )


@pytest.fixture(scope="session")
def fixture_app(fixture_settings):
    """The app over the fixture build."""
    from api.app import create_app

    return create_app(fixture_settings)


@pytest.fixture(scope="session")
def client(fixture_app):
    """A TestClient over the fixture app (lifespan run once per session)."""
    from fastapi.testclient import TestClient

    with TestClient(fixture_app) as c:
        yield c


# ------------------------------------------------------------------------------------ markers

#: What counts as the real bundle: the shared data and the downloaded postcode wheel.
REAL_DATA_ROOTS = tuple(
    str(p.resolve()) + os.sep for p in (SHARED_DATA, PROJECT_ROOT / "data" / "downloads")
)
_reads: list[str] = []
_watching = [False]


def _audit(event: str, args: tuple) -> None:
    """Note every file opened under :data:`REAL_DATA_ROOTS` while a test is being watched."""
    if event == "open" and _watching[0] and isinstance(args[0], str | os.PathLike):
        path = os.path.abspath(os.fspath(args[0]))
        if path.startswith(REAL_DATA_ROOTS):
            _reads.append(path)


sys.addaudithook(_audit)


def pytest_sessionstart(session):
    """Read the region lookups every config load consults (the force-area views' ids, the
    LAD 2022 and LTLA 2024 districts) once per process, outside any test: they are cached
    per process, so otherwise only the first test to load a region would be seen reading
    them, and whether a test passes the mark check would depend on the order it ran in."""
    if SHARED_DATA.exists():
        from sna.config.region import load_region

        load_region("avon-and-somerset")  # a generated view with a 2024 (merged) district


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """Watch the setup (the fixtures a test is the first to need) for reads of the bundle."""
    _reads.clear()
    _watching[0] = True
    try:
        return (yield)
    finally:
        _watching[0] = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Watch the test itself too; a test that read the bundle must be marked ``slow``, by a
    fixture of :data:`REAL_DATA_FIXTURES` or by hand: the mark follows what a test reads."""
    _watching[0] = True
    try:
        result = yield
    finally:
        _watching[0] = False
    if _reads and item.get_closest_marker("slow") is None:
        raise AssertionError(
            f"{item.nodeid} reads the real data ({_reads[0]}, {len(_reads)} opens) but is not "
            "marked slow: add @pytest.mark.slow or use a fixture of REAL_DATA_FIXTURES"
        )
    return result


#: Fixtures that read the shared bundle or build from it: a test using any is marked ``slow``.
REAL_DATA_FIXTURES = frozenset(
    {
        "shared_data",
        "wm_prepared",
        "beds_prepared",
        "wm_store",
        "beds_store",
        "wm_build",
        "beds_build",
        "wm_synthetic_build",
        "wm_synthetic_store",
        "real_build_dir",
    }
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(session, config, items):
    """Mark ``slow`` every test that uses the real bundle (:data:`REAL_DATA_FIXTURES`),
    skip the ``requires_browser`` tests, with the reason, where Chromium is missing, and
    refuse duplicate test ids (pytest-xdist reports one result per id, hiding the rest)."""
    for item in items:
        if REAL_DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason="headless Chromium not installed: apt-get install chromium")
        for item in items:
            if "requires_browser" in item.keywords:
                item.add_marker(skip)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.nodeid] = counts.get(item.nodeid, 0) + 1
    repeated = sorted(n for n, c in counts.items() if c > 1)
    if repeated:
        raise pytest.UsageError(
            f"{len(repeated)} test id(s) are collected more than once, so pytest-xdist would "
            f"report only one result each: {repeated[:5]}"
        )
