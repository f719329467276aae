"""Rules the test suite keeps about itself."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_skips_on_a_missing_dependency():
    """``pytest.importorskip`` turns a broken install into green skips: every test dependency
    is declared in ``pyproject.toml`` (``[test]``) and imported plainly, so it fails loudly."""
    found = [
        f"{p.name}:{i}"
        for p in sorted(TESTS.glob("*.py"))
        if p.name != Path(__file__).name
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "importorskip(" in line
    ]
    assert found == []
