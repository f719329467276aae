"""Printed maps: each static map as one A4 page (PDF or PNG), drawn from our own layers.

A navigator taking a map to a meeting needs paper, not a web page. ``write_print_maps(region,
fmt="pdf")`` draws every map of :func:`maps._specs.map_specs` with matplotlib: the build's
LSOA polygons coloured by the map's theme (the same :class:`maps._themes.Theme` the HTML maps
use, so bands, labels and colours follow one rule), district and ward outlines from the
LSOA polygons grouped by the ONS lookup, area names, a
scale bar and a grid-north arrow, a legend, title, subtitle with the region and build date,
the sources and attribution of the layers drawn (from the build manifest) and the
synthetic-data notice when the build holds synthetic data. No web tiles: nothing is fetched.

A page is exactly A4 (595 x 842 pt portrait, 842 x 595 pt landscape; the orientation follows
the map's shape). :func:`report_figure` draws the same map without the page furniture for the
report, which embeds it as a PNG.

Only the public view of the build is drawn (:func:`sna.priority.places.load_public_build`): bands
and classes, never partner counts or rates. Matplotlib is imported only when a map is drawn.
"""

from __future__ import annotations

import io
import logging
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sna import PublicBuild, load_public_build
from sna.config.region import OGL, OS_ATTRIBUTION
from sna.errors import SnaError
from sna.theme import BANDS

from ._specs import MapSpec, map_specs, shown_title
from ._themes import Theme, feature_properties

__all__ = [
    "A4_INCHES",
    "FORMATS",
    "PrintContext",
    "map_sources",
    "page_figure",
    "report_figure",
    "figure_bytes",
    "write_print_maps",
]

log = logging.getLogger(__name__)

A4_INCHES = (210 / 25.4, 297 / 25.4)
"""A4 portrait in inches (595.28 x 841.89 pt)."""
FORMATS = ("pdf", "png")
DEFAULT_DPI = 200
_INK = "#1d2733"
_MUTED = "#5b6573"


# --- what a page needs from the build ------------------------------------------------------


@dataclass
class PrintContext:
    """What every printed map of one build shares: properties, polygons, outlines, sources."""

    build: PublicBuild
    props: pd.DataFrame
    geoms: gpd.GeoSeries  # EPSG:27700, build order, lightly simplified
    _outlines: dict[tuple[str, bytes], gpd.GeoDataFrame] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, build: PublicBuild, tolerance_m: float = 5.0) -> PrintContext:
        """Read the build's public properties and polygons once for all its pages."""
        geoms = build.lsoa.geometry.to_crs(27700).reset_index(drop=True)
        try:  # neighbours keep a shared edge (see maps._themes.simplified_wgs84)
            simple = shapely.coverage_simplify(geoms.values, tolerance_m)
        except Exception:  # noqa: BLE001 - GEOS raises several types on an invalid coverage
            simple = shapely.simplify(geoms.values, tolerance_m, preserve_topology=True)
        return cls(build, feature_properties(build), gpd.GeoSeries(simple, crs=27700))

    @property
    def created(self) -> str:
        """The build date as ``1 December 2026`` (from the manifest's ``created``)."""
        raw = str(self.build.manifest.get("created", ""))
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return raw[:10] or "unknown date"
        return f"{when.day} {when:%B %Y}"

    def outlines(self, by: str, mask: np.ndarray) -> gpd.GeoDataFrame:
        """Outlines, named ``name``, of the areas ``by`` (a ward or district name column).

        The LSOA 2021 polygons dissolved by the build's ward and district columns (the ONS
        LSOA21 to ward to district lookup): districts exactly, as LSOAs nest in them, and
        wards as their best fit. The bundle's own ward and district files are far more
        generalised than the LSOA polygons (Luton: 15 vertices against 61), so their lines
        would cut across the coloured areas on paper.
        """
        key = (by, np.packbits(mask).tobytes())
        if key not in self._outlines:
            idx = np.flatnonzero(mask)
            names = self.build.lsoa[by].fillna("").astype(str).to_numpy()[idx]
            geoms = self.geoms.to_numpy()[idx]
            groups = list(dict.fromkeys(names))
            shapes = [shapely.coverage_union_all(geoms[names == g]) for g in groups]
            self._outlines[key] = gpd.GeoDataFrame({"name": groups}, geometry=shapes, crs=27700)
        return self._outlines[key]


def map_sources(build: PublicBuild, theme: Theme) -> list[str]:
    """Source and attribution lines of one printed map, from the build manifest.

    The sources are those of the boundaries drawn (the LSOA polygons and the lookup that
    groups them into wards and districts) and of the layers that carry weight in the build,
    plus the police.uk files behind violence risk when that is the theme. Returns
    ``["Sources: ...", attribution, ...]``.
    """
    inputs = build.manifest.get("store", {}).get("inputs", {}) or {}
    tables = ["lsoa21"]
    weighted = [
        d.get("table", "")
        for d in build.manifest.get("layers", [])
        if float(d.get("effective_weight") or 0) > 0
    ]
    tables += list(dict.fromkeys(t for t in weighted if t))
    if theme.key == "k_violence" and "crime_points" in inputs:
        tables.append("crime_points")
    vintages: list[str] = []
    pieces: list[str] = []
    for table in dict.fromkeys(tables):
        for s in inputs.get(table) or []:
            name = str(s.get("source", ""))
            if table == "lsoa21" and name == "population":
                continue  # residents are counted in the layers, not drawn
            vintage = str(s.get("vintage") or name)
            if vintage and vintage not in vintages:
                vintages.append(vintage)
            for part in str(s.get("attribution") or "").split(";"):
                part = part.strip()
                if part and part not in pieces:
                    pieces.append(part)
    created = str(build.manifest.get("created", ""))[:4]
    year = created if created.isdigit() else str(datetime.now().year)
    for must in (OGL, OS_ATTRIBUTION):  # the LSOA boundaries are ONS, from OS data, always
        if must not in pieces:
            pieces.append(must)
    pieces = [f"{p} {year}" if p == OS_ATTRIBUTION else p for p in pieces]
    lines = ["Sources: " + "; ".join(vintages) + "." if vintages else "Sources: see the build."]
    return lines + [p.rstrip(".") + "." for p in pieces]


def _notice(build: PublicBuild) -> str:
    if not build.synthetic:
        return ""
    titles = build.titles
    names = [titles.get(x, x) for x in build.synthetic_layers]
    which = f" ({'; '.join(names)})" if names else ""
    return (
        f"Synthetic data: partner-data layers{which} use seeded synthetic stand-ins, not real "
        "records. Illustrative only: do not use this map for operational decisions."
    )


# --- drawing ------------------------------------------------------------------------------


def _class_key(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _colours(theme: Theme, props: pd.DataFrame) -> list[str]:
    values = props[theme.key] if theme.key in props.columns else [None] * len(props)
    return [theme.colors.get(_class_key(v), theme.default_color) for v in values]


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (metres) near a fifth of the map's width."""
    target = span_m / 5
    for step in (100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000):
        if step >= target * 0.6:
            return float(step)
    return 100_000.0


def _label(ax: Any, x: float, y: float, text: str, halo: float = 2.5, **kw: Any) -> None:
    """A name with a white halo that stays real text in a PDF (searchable, selectable).

    Matplotlib draws text that has a path effect as outlines, so the halo is a second,
    white, stroked copy underneath and the name itself is plain text on top.
    """
    from matplotlib import patheffects

    kw = {"ha": "center", "va": "center", "clip_on": True, **kw}
    stroke = [patheffects.withStroke(linewidth=halo, foreground="white")]
    ax.text(x, y, text, **{**kw, "color": "white"}, path_effects=stroke)
    ax.text(x, y, text, **kw)


def _draw_map(ax: Any, ctx: PrintContext, spec: MapSpec, theme: Theme) -> None:
    """Polygons, outlines, names, scale bar and a grid-north arrow, zoomed to the map's areas."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    idx = np.flatnonzero(spec.mask)
    colours = np.array(_colours(theme, ctx.props), dtype=object)
    others = np.flatnonzero(~spec.mask)
    if len(others):  # the rest of the region, for context
        ctx.geoms.iloc[others].plot(ax=ax, color="#ececec", edgecolor="white", linewidth=0.2)
    ctx.geoms.iloc[idx].plot(ax=ax, color=list(colours[idx]), edgecolor="white", linewidth=0.25)
    districts = ctx.outlines("district_name", np.ones(len(spec.mask), bool))
    districts.boundary.plot(ax=ax, color="#222222", linewidth=1.1)
    minx, miny, maxx, maxy = ctx.geoms.iloc[idx].total_bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    if spec.outline_by == "ward_name":
        wards = ctx.outlines("ward_name", spec.mask)
        wards.boundary.plot(ax=ax, color="#444444", linewidth=0.45, linestyle="-")
        for name, geom in zip(wards["name"], wards.geometry, strict=True):
            p = geom.representative_point()
            if minx <= p.x <= maxx and miny <= p.y <= maxy:
                _label(ax, p.x, p.y, name, 1.8, fontsize=5.2, color=_INK)
        for name, geom in zip(districts["name"], districts.geometry, strict=True):
            if name != spec.area:  # name the neighbours at their edge of the page
                p = geom.representative_point()
                if minx - pad <= p.x <= maxx + pad and miny - pad <= p.y <= maxy + pad:
                    _label(ax, p.x, p.y, name, fontsize=7, color=_MUTED, style="italic")
    else:
        for name, geom in zip(districts["name"], districts.geometry, strict=True):
            p = geom.representative_point()
            _label(ax, p.x, p.y, name, 2.8, fontsize=8, weight="bold", color=_INK)
    ax.set_aspect("equal")
    ax.set_axis_off()
    length = _nice_length(maxx - minx)
    label = f"{length / 1000:g} km"
    bar = AnchoredSizeBar(ax.transData, length, label, "lower left", pad=0.4, sep=3,
                          frameon=False, size_vertical=(maxy - miny) * 0.004,
                          fontproperties={"size": 7})  # fmt: skip
    ax.add_artist(bar)
    ax.annotate("N", xy=(0.965, 0.985), xytext=(0.965, 0.91), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, weight="bold",
                arrowprops={"facecolor": _INK, "edgecolor": _INK, "width": 2.2,
                            "headwidth": 8, "headlength": 7})  # fmt: skip


LEGEND_SIZE = 7.5
"""Font size (pt) of a legend's rows; a legend that would not fit is set smaller, to 5.5."""


def _wrapped(label: str, width_in: float, size: float) -> str:
    """``label`` wrapped to the width a legend column leaves for text (after the swatch)."""
    chars = max(12, int((width_in - 0.45) * 72 / (size * 0.56)))
    return "\n".join(textwrap.wrap(label, chars))


def _draw_legend(ax: Any, theme: Theme, colours: list[str], *, ncol: int, width_in: float) -> float:
    """The theme's legend rows in order, a 'no data' row if needed, and the theme's note.

    Every row is wrapped to its column and the whole legend is set smaller until it lies
    inside ``ax`` (its width, and the page): a legend is never cut off. Returns the height,
    in inches, that the legend and its note take from the top of ``ax``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Patch

    rows = list(theme.legend)
    if theme.default_color in colours and theme.default_color not in {c for c, _ in rows}:
        rows.append((theme.default_color, "No data"))
    ax.set_axis_off()
    fig = ax.get_figure()
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    column = width_in / ncol
    size = LEGEND_SIZE
    while True:
        handles = [
            Patch(facecolor=c, edgecolor="#999999", lw=0.5, label=_wrapped(lbl, column, size))
            for c, lbl in rows
        ]
        title = "\n".join(textwrap.wrap(theme.legend_title, int(width_in * 72 / (size * 0.62))))
        leg = ax.legend(handles=handles, loc="upper left", title=title, frameon=False,
                        fontsize=size, title_fontsize=size + 1, ncol=ncol, alignment="left",
                        handlelength=1.6, borderaxespad=0.0, columnspacing=1.0)  # fmt: skip
        leg.get_title().set_weight("bold")
        renderer = canvas.get_renderer()
        box = leg.get_window_extent(renderer)
        inside = box.x1 <= ax.get_window_extent(renderer).x1 + 0.5 and box.x1 <= fig.bbox.x1
        if inside or size <= 5.5:
            break
        leg.remove()
        size -= 0.5
    bottom = box.y0
    if theme.note:  # just below the legend's rows
        _, y = ax.transAxes.inverted().transform((box.x0, box.y0 - 4))
        note = "\n".join(textwrap.wrap(theme.note, int(width_in * 72 / (6.8 * 0.56))))
        text = ax.text(0, y, note, fontsize=6.8, color=_MUTED, va="top", transform=ax.transAxes)
        bottom = text.get_window_extent(renderer).y0
    top = ax.get_window_extent(renderer).y1
    return float(top - bottom) / fig.dpi


def _orientation(ctx: PrintContext, spec: MapSpec) -> Literal["portrait", "landscape"]:
    minx, miny, maxx, maxy = ctx.geoms.iloc[np.flatnonzero(spec.mask)].total_bounds
    return "landscape" if (maxx - minx) > 1.15 * (maxy - miny) else "portrait"


def _wrap(text: str, width_in: float, size: float) -> str:
    chars = max(20, int(width_in * 72 / (size * 0.6)))
    return "\n".join(textwrap.wrap(text, chars))


def page_figure(
    ctx: PrintContext,
    spec: MapSpec,
    theme: Theme | None = None,
    orientation: Literal["portrait", "landscape"] | None = None,
) -> Any:
    """One map as an A4 page: title, subtitle, notice, map, legend, sources and attribution."""
    from matplotlib.figure import Figure

    theme = theme or spec.themes[0]
    orientation = orientation or _orientation(ctx, spec)
    w, h = A4_INCHES if orientation == "portrait" else A4_INCHES[::-1]
    fig = Figure(figsize=(w, h))
    margin = 0.45  # inches
    build = ctx.build
    inner = w - 2 * margin

    def fx(inches: float) -> float:
        return inches / w

    def fy(inches: float) -> float:
        return inches / h

    top = h - margin
    title = _wrap(shown_title(spec, theme), inner, 15)
    fig.text(fx(margin), fy(top), title, fontsize=15, weight="bold", color=_INK, va="top")
    top -= 0.28 * (title.count("\n") + 1) + 0.06
    subtitle = (
        f"{theme.title} · {build.region_name} · build of {ctx.created} ({build.build_id}) · "
        f"{spec.n:,} neighbourhoods (LSOA 2021)"
    )
    sub = _wrap(subtitle, inner, 8.5)
    fig.text(fx(margin), fy(top), sub, fontsize=8.5, color=_MUTED, va="top")
    top -= 0.16 * (sub.count("\n") + 1) + 0.08
    notice = _notice(build)
    if notice:
        text = _wrap(notice, inner - 0.2, 8)
        fig.text(fx(margin + 0.08), fy(top - 0.06), text, fontsize=8, color="#5c4300", va="top",
                 bbox={"boxstyle": "round,pad=0.45", "facecolor": "#fff3cd",
                       "edgecolor": "#e0b84c", "linewidth": 0.8})  # fmt: skip
        top -= 0.15 * (text.count("\n") + 1) + 0.3
    # footer: sources and attribution, bottom up
    footer_lines = map_sources(build, theme)
    footer_lines.append(
        f"Printed by sna-risk-mapper {build.manifest.get('code_version', '')} from build "
        f"{build.build_id}. "
        + (
            f"Colours are the bands of the public map across {build.region_name}; see the legend."
            if set(theme.colors) == set(BANDS)
            else f"Colours are classes across {build.region_name}; see the legend."
        )
    )
    footer = "\n".join(_wrap(line, inner, 6.3) for line in footer_lines)
    n_footer = footer.count("\n") + 1
    fig.text(fx(margin), fy(margin), footer, fontsize=6.3, color=_MUTED, va="bottom",
             linespacing=1.3)  # fmt: skip
    bottom = margin + 0.115 * n_footer + 0.15
    colours = [c for c, keep in zip(_colours(theme, ctx.props), spec.mask, strict=True) if keep]
    if orientation == "portrait":
        n_rows = len(theme.legend) + 1
        ncol = 2 if n_rows > 6 else 1
        room = top - bottom - 2.0  # the legend never takes the map's last two inches
        lax = fig.add_axes((fx(margin), fy(bottom), fx(inner), fy(room)))
        legend_h = _draw_legend(lax, theme, colours, ncol=ncol, width_in=inner)
        lax.remove()  # measured: drawn again in the height it takes
        lax = fig.add_axes((fx(margin), fy(bottom), fx(inner), fy(legend_h)))
        _draw_legend(lax, theme, colours, ncol=ncol, width_in=inner)
        map_h = top - bottom - legend_h - 0.1
        map_box = (fx(margin), fy(bottom + legend_h + 0.1), fx(inner), fy(map_h))
    else:
        legend_w = 2.7
        lax = fig.add_axes((fx(w - margin - legend_w), fy(bottom), fx(legend_w), fy(top - bottom)))
        _draw_legend(lax, theme, colours, ncol=1, width_in=legend_w)
        map_box = (fx(margin), fy(bottom), fx(inner - legend_w - 0.2), fy(top - bottom))
    ax = fig.add_axes(map_box)
    _draw_map(ax, ctx, spec, theme)
    return fig


def report_figure(ctx: PrintContext, spec: MapSpec, theme: Theme | None = None) -> Any:
    """The map and its legend without page furniture, for the report (which captions it)."""
    from matplotlib.figure import Figure

    theme = theme or spec.themes[0]
    minx, miny, maxx, maxy = ctx.geoms.iloc[np.flatnonzero(spec.mask)].total_bounds
    aspect = (maxy - miny) / max(maxx - minx, 1.0)
    map_w, legend_w = 5.4, 3.0
    total = map_w + legend_w
    h = float(np.clip(map_w * aspect, 3.6, 7.0))
    fig = Figure(figsize=(total, h))
    ax = fig.add_axes((0.0, 0.0, map_w / total, 1.0))
    _draw_map(ax, ctx, spec, theme)
    lax = fig.add_axes(((map_w + 0.15) / total, 0.02, (legend_w - 0.2) / total, 0.96))
    colours = [c for c, keep in zip(_colours(theme, ctx.props), spec.mask, strict=True) if keep]
    _draw_legend(lax, theme, colours, ncol=1, width_in=legend_w - 0.2)
    return fig


def figure_bytes(fig: Any, fmt: str, dpi: int = DEFAULT_DPI, title: str = "") -> bytes:
    """The figure as PDF or PNG bytes (TrueType fonts in PDFs, so their text can be read)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    meta: dict[str, Any]
    if fmt == "pdf":
        meta = {"Title": title, "Creator": "sna-risk-mapper", "CreationDate": None}
    else:
        meta = {"Title": title, "Software": "sna-risk-mapper"}
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", metadata=meta)
    return buf.getvalue()


def write_print_maps(
    region: str | Path,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    fmt: str = "pdf",
    build: str | Path | None = None,
    districts: bool = True,
    dpi: int = DEFAULT_DPI,
    theme: str | None = None,
) -> list[Path]:
    """Write each static map of a region's build as one A4 page; ``sna maps --format pdf|png``.

    Parameters
    ----------
    region : str or Path
        Region id or region TOML path.
    data_dir : Path, optional
        Data directory (default ``$SNA_DATA_DIR`` or ``./data``).
    out_dir : Path, optional
        Output folder (default ``<build>/maps``, beside the HTML maps).
    fmt : {"pdf", "png"}
        One PDF page (595 x 842 pt, or 842 x 595 landscape) or one PNG at ``dpi`` per map.
    build : str or Path, optional
        A build id or folder instead of the current build.
    districts : bool
        Also print one map per district.
    dpi : int
        PNG resolution (200 by default: 1654 x 2339 pixels portrait).
    theme : str, optional
        The theme to print, by its class key without ``k_`` (``need``, ``risk``,
        ``protective``, ``level_community``...); maps without that theme print their first.
        Default: each map's first theme (violence risk on the overview and district maps).

    Returns
    -------
    list of Path
        The files written, overview first.

    Raises
    ------
    SnaError
        For an unknown format or theme (naming the choices).
    BuildNotFound
        When the region has no published build.
    """
    if fmt not in FORMATS:
        raise SnaError(f"map format {fmt!r} is not one of html, {', '.join(FORMATS)}")
    view = load_public_build(region, data_dir, build)
    specs = map_specs(view, districts=districts)
    if theme is not None:
        known = sorted({t.key.removeprefix("k_") for s in specs for t in s.themes})
        if theme not in known:
            raise SnaError(f"map theme {theme!r} is not one of {', '.join(known)}")
    folder = Path(out_dir) if out_dir else view.path / "maps"
    folder.mkdir(parents=True, exist_ok=True)
    ctx = PrintContext.of(view)
    written = []
    for spec in specs:
        chosen = next((t for t in spec.themes if t.key == f"k_{theme}"), spec.themes[0])
        fig = page_figure(ctx, spec, chosen)
        path = folder / f"{spec.stem}.{fmt}"
        path.write_bytes(figure_bytes(fig, fmt, dpi, title=shown_title(spec, chosen)))
        written.append(path)
    return written
