"""The test markers: ``slow`` on every test of the real bundle, one ``requires_browser``."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import conftest

TESTS = Path(__file__).resolve().parent


def _collected(*args: str) -> list[str]:
    """Test ids ``pytest --collect-only`` finds with ``args`` (in a fresh process)."""
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode in (0, 5), res.stdout + res.stderr  # 5: every test deselected
    return [line for line in res.stdout.splitlines() if "::" in line]


def test_the_real_data_fixtures_are_conftest_fixtures():
    source = inspect.getsource(conftest)
    for name in conftest.REAL_DATA_FIXTURES:
        assert re.search(rf"@pytest\.fixture\([^)]*\)\ndef {name}\(", source), name


def test_tests_using_the_real_bundle_are_deselected_by_not_slow():
    # test_build.py marks nothing by hand; test_outlines.py mixes the fixture app and wm_build
    files = ["tests/test_build.py", "tests/test_outlines.py"]
    everything = _collected(*files)
    fast = _collected("-m", "not slow", *files)
    assert len([t for t in everything if t.startswith("tests/test_build.py")]) >= 8
    assert fast == [
        "tests/test_outlines.py::test_outline_tiles_and_labels_are_served",
        "tests/test_outlines.py::test_outlines_are_served_from_the_build_alone",
    ]


def test_no_collected_test_uses_the_real_bundle_without_slow(request):
    """In this run (``make test-fast`` included), a real-bundle test is always ``slow``."""
    for item in request.session.items:
        if conftest.REAL_DATA_FIXTURES.intersection(item.fixturenames):
            assert item.get_closest_marker("slow") is not None, item.nodeid


def test_one_browser_marker():
    pyproject = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())
    markers = pyproject["tool"]["pytest"]["ini_options"]["markers"]
    assert [m.split(":")[0] for m in markers] == ["slow", "requires_browser"]
    drives_chromium = re.compile(r"chromium_context\(|browse\(|_print_pdf\(|pdf=True")
    for path in sorted(set(TESTS.glob("test_*.py")) - {Path(__file__).resolve()}):
        text = path.read_text(encoding="utf-8")
        if drives_chromium.search(text):
            assert "pytest.mark.requires_browser" in text, path.name
        assert 'which("chromium")' not in text, f"{path.name}: skip with requires_browser"
