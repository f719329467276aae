"""The audit's record check: what counts as an exact partner value."""

from __future__ import annotations

from sna.audit.rows import _numeric


def test_numbers_and_number_words_are_exact_band_words_are_not():
    assert _numeric(3) and _numeric(0.25) and _numeric("3.2 per 1,000") and _numeric(" -1")
    assert not _numeric("Highest band (partner data: bands only)")
    assert not _numeric("–") and not _numeric(True) and not _numeric(None)
