"""The audit's record check: what counts as an exact partner value."""

from __future__ import annotations

from sna.audit.rows import is_exact_value


def test_numbers_and_number_words_are_exact_band_words_are_not():
    assert (
        is_exact_value(3)
        and is_exact_value(0.25)
        and is_exact_value("3.2 per 1,000")
        and is_exact_value(" -1")
    )
    assert not is_exact_value("Highest band (partner data: bands only)")
    assert not is_exact_value("–") and not is_exact_value(True) and not is_exact_value(None)
