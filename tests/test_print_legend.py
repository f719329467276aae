"""Printed maps' legends: every row lies whole inside the page, in the colours of the one
theme table the public map uses (sna.theme), and titles name only the theme shown.

Each page is rendered with pypdfium2: the characters' boxes must lie inside the page and each
legend row's swatch (found left of its label) is sampled from the rendered pixels.
"""

from __future__ import annotations

import numpy as np
import pypdfium2 as pdfium  # noqa: E402
import pytest
from build_fixture import REGION

from maps._specs import map_specs, shown_title
from maps.printing import (
    PrintContext,
    figure_bytes,
    page_figure,
    report_figure,
    write_print_maps,
)
from sna import load_public_build
from sna.theme import BAND_COLOURS, BANDS, band_legend

SCALE = 3.0


def _swatch_colour(img: np.ndarray, x: float, y: float) -> str | None:
    """The colour of the first non-white run within 30 pt left of pixel ``(x, y)``, at its
    middle (a legend swatch sits just left of its label)."""
    row = img[int(round(y))]
    stop = max(0, int(x - 30 * SCALE))
    i = int(x) - 2
    while i > stop and (row[i] >= 245).all():
        i -= 1
    end = i
    while i > stop and not (row[i] >= 245).all():
        i -= 1
    mid = (i + end) // 2
    return "#" + bytes(row[mid].astype(np.uint8)).hex() if end > stop else None


def check_page(pdf: bytes, theme, title: str) -> None:
    """The page's text lies inside it, its legend rows are whole and their swatches are the
    theme's colours; band themes are the web theme's colours and labels."""
    doc = pdfium.PdfDocument(pdf)
    page = doc[0]
    w, h = page.get_size()
    tp = page.get_textpage()
    for i in range(tp.count_chars()):
        left, bottom, right, top = tp.get_charbox(i)
        assert -0.5 <= left and right <= w + 0.5 and -0.5 <= bottom and top <= h + 0.5, (
            title,
            tp.get_text_range(i, 1),
            (left, bottom, right, top),
        )
    text = " ".join(tp.get_text_range().split())
    assert title in text
    img = np.asarray(page.render(scale=SCALE).to_pil().convert("RGB"))
    if set(theme.colors) == set(BANDS):  # a band theme: the public map's own table
        palette = "protective" if theme.key == "k_protective" else "risk"
        assert theme.legend == band_legend(palette)
        assert theme.colors == BAND_COLOURS[palette]
    for colour, label in theme.legend:
        assert label in text, (title, label)  # whole: wrapped lines read back as one
        found = tp.search(label, match_case=True).get_next()
        assert found is not None, (title, label)
        boxes = [tp.get_charbox(i) for i in range(found[0], found[0] + found[1])]
        boxes = [b for b in boxes if b[3] > b[1]]  # a line break has no box
        left = min(b[0] for b in boxes)
        middle = (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2  # of all its lines
        got = _swatch_colour(img, left * SCALE, (h - middle) * SCALE)
        assert got == colour, (title, label, got, colour)


@pytest.fixture(scope="module")
def ctx(fixture_build):
    return PrintContext.of(load_public_build(REGION, fixture_build))


def test_every_map_prints_its_legends_whole_and_in_the_web_colours(ctx):
    """Every map with its printed theme, the overview's protective theme (the green palette)
    and the hotspot map's local Moran legend (its longest)."""
    pages = 0
    for spec in map_specs(ctx.build):
        extra = {"overview": ["k_protective"], "hotspots": ["k_moran"]}.get(spec.kind, [])
        themes = [spec.themes[0]] + [t for t in spec.themes if t.key in extra]
        for theme in themes:
            title = shown_title(spec, theme)
            check_page(figure_bytes(page_figure(ctx, spec, theme), "pdf"), theme, title)
            pages += 1
    assert pages == 5 + 2


def test_a_long_legend_is_wrapped_inside_a_narrow_column(ctx):
    """The protective-gap legend's rows are longer than the landscape legend column."""
    spec = next(s for s in map_specs(ctx.build) if s.kind == "protective-gap")
    for orientation in ("portrait", "landscape"):
        pdf = figure_bytes(page_figure(ctx, spec, orientation=orientation), "pdf")
        check_page(pdf, spec.themes[0], spec.title)


def test_report_figures_keep_their_legends_inside(ctx):
    """The report's map figures (map and legend side by side, no page) cut nothing off."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for spec in map_specs(ctx.build):
        for theme in spec.themes[:2]:
            fig = report_figure(ctx, spec, theme)
            renderer = FigureCanvasAgg(fig).get_renderer()
            legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
            assert len(legends) == 1
            texts = [t for ax in fig.axes for t in ax.texts] + [legends[0]]
            for artist in texts:
                box = artist.get_window_extent(renderer)
                assert box.x0 >= -0.5 and box.x1 <= fig.bbox.x1 + 0.5, (spec.stem, theme.key)
                assert box.y0 >= -0.5 and box.y1 <= fig.bbox.y1 + 0.5, (spec.stem, theme.key)


def test_district_titles_name_only_the_theme_shown(ctx):
    spec = next(s for s in map_specs(ctx.build) if s.kind == "district")
    titles = [shown_title(spec, t) for t in spec.themes]
    assert titles[:3] == [
        f"{spec.area}: violence risk by neighbourhood",
        f"{spec.area}: needs index by neighbourhood",
        f"{spec.area}: protective factors by neighbourhood",
    ]


@pytest.mark.slow
def test_west_midlands_printed_maps_have_whole_legends_in_the_web_colours(tmp_path, real_build_dir):
    data_dir = real_build_dir("west-midlands")
    view = load_public_build("west-midlands", data_dir)
    specs = {s.stem: s for s in map_specs(view)}
    paths = write_print_maps("west-midlands", data_dir, tmp_path)
    assert len(paths) == 3 + 7
    for path in paths:
        spec = specs[path.stem]
        check_page(path.read_bytes(), spec.themes[0], shown_title(spec, spec.themes[0]))
