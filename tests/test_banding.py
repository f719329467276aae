"""One banding rule for every output: bands are pairs of deciles, 1 = the highest risk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maps._themes import band_theme
from sna.disclosure.control import band_rates
from sna.stats.ranking import BAND_LABELS, band_of_decile, bands, deciles
from sna.theme import BAND_COLOURS, BANDS, band_label


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 49, 417, 1719])
def test_bands_are_pairs_of_deciles(n):
    x = np.random.default_rng(n).normal(size=n)
    got = bands(x)
    want = [band_of_decile(int(d)) for d in deciles(x)]
    assert got.tolist() == want


def test_partner_rate_bands_follow_the_same_rule():
    # seven districts: the old partner banding put the 2nd of 7 in "High" while the index
    # banding put it in "Highest"
    rates = pd.Series([70.0, 60, 50, 40, 30, 20, 10])
    assert band_rates(rates).tolist() == bands(rates.to_numpy()).tolist()
    # tied units share the higher band
    assert band_rates(pd.Series([5.0, 5.0, 1.0]))[0] == band_rates(pd.Series([5.0, 5.0, 1.0]))[1]


def test_band_of_decile_rejects_nonsense():
    with pytest.raises(ValueError, match="1..10"):
        band_of_decile(11)


def test_static_map_legend_names_the_same_band_as_the_panel():
    theme = band_theme("k_need", "Needs index", "Region", "x")
    assert list(theme.labels) == list(BAND_LABELS) == list(BANDS)
    for band, (colour, label) in zip(BAND_LABELS, theme.legend, strict=True):
        assert label == band_label(band) and label.startswith(band)
        assert theme.colors[band] == colour == BAND_COLOURS["risk"][band]


@pytest.mark.slow
def test_every_published_table_bands_by_the_one_rule(wm_build: Path):
    lsoa = pd.read_parquet(wm_build / "lsoa.parquet")
    csv = pd.read_csv(wm_build / "exports" / "lsoa_indices.csv").set_index("lsoa21_code")
    pcs = pd.read_parquet(wm_build / "postcodes.parquet")
    for k in ("need", "risk", "protective", "violence_risk"):
        want = lsoa[f"{k}_decile"].map(band_of_decile)
        assert (lsoa[f"{k}_band"].astype(str) == want).all(), k
        exported = csv.loc[lsoa["lsoa21_code"], f"{k}_band"].to_numpy()
        assert (exported == lsoa[f"{k}_band"].astype(str).to_numpy()).all(), k
    for k in ("pc_need", "pc_violence_risk", "lsoa_need", "lsoa_violence_risk"):
        ok = pcs[f"{k}_decile"].notna()
        want = pcs.loc[ok, f"{k}_decile"].map(band_of_decile)
        assert (pcs.loc[ok, f"{k}_band"].astype(str) == want).all(), k


def test_one_theme_table_for_the_web_and_print():
    """sna.theme names the build's bands (sna.stats.ranking) and the page embeds it as is."""
    from sna.theme import web_theme

    assert BANDS == BAND_LABELS
    theme = web_theme()
    assert theme["bands"] == list(BAND_LABELS)
    assert set(theme["colours"]) == {"risk", "protective"}
    for palette in theme["colours"].values():
        assert list(palette) == list(BANDS) and len(set(palette.values())) == 5
    assert theme["labels"]["Highest"] == band_label("Highest") == "Highest (top fifth)"
