"""Lookups over a published build: postcodes, areas, layers and provenance.

This is the library behind the public API (``api/``); it never imports a web framework.
:func:`load_build` reads one build folder (docs/build-format.md) and precomputes every public
answer once, so a request is a dictionary lookup:

- each postcode answer is three pre-serialised JSON fragments joined at request time: the
  postcode's own part (status, location, postcode index, assets within ``asset_radius_m``),
  its LSOA's part (indices with rank intervals, drivers in plain words; shared by every
  postcode of the LSOA) and the build's part (vintages, synthetic flags, attribution);
- each LSOA, ward and district answer is pre-serialised. Ward and district indices are
  population-weighted means of their LSOAs' indices,

  .. math:: \\bar I_g = \\frac{\\sum_{i \\in g} P_i I_i}{\\sum_{i \\in g} P_i},

  with :math:`P_i` the Census 2021 usual residents of LSOA :math:`i`, then ranked, banded and
  put in deciles among the areas of the same level.

Disclosure control: public answers are built only from :func:`sna.publish.public_lsoa_table`
and :func:`sna.publish.public_postcode_table`, so partner-data counts, exact partner rates and
partner surface values never appear (partner rates are shown as quintile bands). The analyst
answers (:meth:`Build.analyst_area`, :meth:`Build.analyst_postcode`) carry the restricted
columns and must only be served behind an access check.

:class:`sna.watcher.BuildWatcher` keeps the current build loaded and reloads it when a new
build is published.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from geodata.postcodes import InvalidPostcodeError, normalise_postcode

from . import support
from .builds import builds_dir, current_target, list_builds
from .config import OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION, LayerSpec
from .disclosure import band_rates
from .errors import AreaNotFound, BuildNotFound, InvalidPostcode, LayerNotFound, PostcodeNotFound
from .publish import public_lsoa_table, public_postcode_table
from .ranking import bands, deciles, rank_desc
from .store import read_table
from .tiles import AreaTiles, SurfaceStyle, surface_style

__all__ = [
    "INDICES",
    "LEVELS",
    "AREA_LEVELS",
    "SYNTHETIC_NOTICE",
    "ATTRIBUTION",
    "BuildLoadError",
    "Build",
    "load_build",
    "builds_dir",
    "current_target",
    "list_builds",
    "clean_query",
]

log = logging.getLogger(__name__)

INDICES: tuple[str, ...] = ("risk", "protective", "need")
LEVELS: tuple[str, ...] = ("individual", "relationship", "community", "society")
AREA_LEVELS: tuple[str, ...] = ("lsoa", "ward", "district")
SYNTHETIC_NOTICE = (
    "Illustrative data: this layer is built from synthetic (made-up) records standing in for "
    "partner data that is not open. Do not use it to judge a real place."
)
ATTRIBUTION: tuple[str, ...] = (OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION)
_INDEX_TITLES = {
    "risk": "Risk factors (residents)",
    "protective": "Protective access (residents)",
    "need": "Needs index: where residents carry the risk factors",
}
VIOLENCE_TITLE = "Violence risk"
VIOLENCE_MEASURES = (
    "Violence and sexual offences expected to be recorded here in the next 12 months "
    "(fitted to past recorded crime and the area's risk and protective factors)"
)
VIOLENCE_UNIT = "offences a year"
INDEX_UNIT = "standardised score (0 = regional average)"
SORTS: tuple[str, ...] = ("violence_risk", *INDICES, "name")
_QUERY = re.compile(r"^[A-Z0-9 ]{1,8}$")
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


class BuildLoadError(BuildNotFound):
    """A build folder exists but cannot be read (missing or malformed file)."""


# --------------------------------------------------------------------------- small helpers


def _num(x: Any, nd: int = 4) -> float | None:
    """A JSON-safe rounded float (None for missing)."""
    if x is None or x is pd.NA:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(f):
        return None
    return round(f, nd)


def _int(x: Any) -> int | None:
    f = _num(x, 6)
    return None if f is None else int(round(f))


def _str(x: Any) -> str | None:
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return None
    return str(x)


def _inner(obj: Any) -> bytes:
    """orjson bytes of a dict without its outer braces, for joining fragments."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)[1:-1]


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)


def clean_query(q: str) -> str:
    """Upper-case a postcode prefix, one space at most (``InvalidPostcode`` if not postcode-like).

    A space marks the end of the outward code, so ``"b1 1"`` matches ``B1 1AA`` but not
    ``B11 1AA``, while ``"b11"`` matches both.

    >>> clean_query(" b1   1")
    'B1 1'
    """
    text = re.sub(r"\s+", " ", str(q)).strip().upper()
    if not text or not _QUERY.match(text) or text.count(" ") > 1:
        raise InvalidPostcode(
            f"{q!r} is not the start of a postcode: use 1 to 8 letters and digits, "
            "with at most one space"
        )
    return text


def _normalise(text: str) -> str:
    try:
        return normalise_postcode(text, strict=False)
    except InvalidPostcodeError as exc:
        raise InvalidPostcode(str(exc)) from exc


def _specs(layers: list[dict[str, Any]]) -> list[LayerSpec]:
    fields = set(LayerSpec.model_fields)
    return [LayerSpec.model_validate({k: v for k, v in d.items() if k in fields}) for d in layers]


# --------------------------------------------------------------------------- aggregation


def _weighted_means(frame: pd.DataFrame, key: str, cols: list[str], weight: str) -> pd.DataFrame:
    """Population-weighted mean of ``cols`` per ``key`` (missing values carry no weight)."""
    w = frame[weight].astype(float).fillna(0.0)
    vals = frame[cols].astype(float)
    has = vals.notna().astype(float).mul(w, axis=0)
    num = vals.fillna(0.0).mul(w, axis=0).groupby(frame[key]).sum()
    den = has.groupby(frame[key]).sum()
    return num / den.where(den > 0)


def _aggregate(lsoa: pd.DataFrame, level: str, partner: list[str]) -> pd.DataFrame:
    """Ward or district rows: weighted means of LSOA indices, scores and contributions.

    Returns the restricted (analyst) table: partner ``v_`` means and ``n_`` sums included.
    """
    key = f"{level}_code"
    mean_cols = [
        c
        for c in lsoa.columns
        if c in INDICES or c.startswith(("s_", "c_", "level_", "v_", "raw_"))
    ]
    out = _weighted_means(lsoa, key, mean_cols, "pop_total")
    sums = [c for c in lsoa.columns if c.startswith(("n_", "pop_"))]
    sums += [c for c in ("violence_risk", "violence_prior") if c in lsoa.columns]
    out = out.join(lsoa.groupby(key)[sums].sum(min_count=1))
    out["n_lsoa"] = lsoa.groupby(key).size()
    names = (
        ["ward_name", "district_code", "district_name"] if level == "ward" else ["district_name"]
    )
    out = out.join(lsoa.groupby(key)[names].first())
    out["name"] = out[f"{level}_name"]
    out.index.name = "code"
    out = out.reset_index()
    for k in (*INDICES, "violence_risk"):
        if k not in out.columns:
            continue
        vals = out[k].to_numpy(float)
        out[f"{k}_rank"] = rank_desc(vals)
        out[f"{k}_decile"] = deciles(vals)
        out[f"{k}_band"] = bands(vals)
    for lid in partner:
        if f"v_{lid}" in out.columns:
            out[f"band_{lid}"] = band_rates(out[f"v_{lid}"])
    return out


def _public_aggregate(agg: pd.DataFrame, partner: list[str]) -> pd.DataFrame:
    drop = [
        c
        for c in agg.columns
        if any(c in (f"n_{p}", f"raw_{p}", f"v_{p}", f"denom_{p}") for p in partner)
    ]
    return agg.drop(columns=drop)


# --------------------------------------------------------------------------- the build


@dataclass
class _Area:
    code: str
    level: str
    name: str
    body: bytes


class Build:
    """One loaded build with every public answer precomputed; see the module docstring.

    Create with :func:`load_build`. Attributes: ``path``, ``build_id``, ``region``,
    ``manifest``, ``specs`` (layer specs), ``partner`` and ``synthetic`` (layer-id sets),
    ``surfaces`` (:class:`~sna.tiles.SurfaceStyle` per surface layer), ``area_tiles``
    (:class:`~sna.tiles.AreaTiles` of the LSOAs) and ``bounds`` (WGS84).
    """

    def __init__(
        self,
        path: Path,
        *,
        asset_radius_m: float = 1000.0,
        max_assets: int = 10,
        store_path: Path | None = None,
        national_postcodes: Iterable[str] | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.path = Path(path).resolve()
        self.asset_radius_m = float(asset_radius_m)
        self.max_assets = int(max_assets)
        try:
            self.manifest: dict[str, Any] = json.loads((self.path / "manifest.json").read_text())
            self.build_id: str = str(self.manifest["build_id"])
            self.region: str = str(self.manifest.get("region", ""))
            self.layer_meta: list[dict[str, Any]] = list(self.manifest.get("layers", []))
            self.specs = _specs(self.layer_meta)
            lsoa = read_table(self.path / "lsoa.parquet")
            postcodes = read_table(self.path / "postcodes.parquet")
        except (OSError, KeyError, ValueError) as exc:
            raise BuildLoadError(f"{self.path}: cannot read build ({exc})") from exc
        self.region_name: str = str(self.manifest.get("region_name", self.region))
        self.partner = [s.id for s in self.specs if s.partner]
        self.synthetic = set(self.manifest.get("synthetic_layers", []))
        self.spec_by_id = {s.id: s for s in self.specs}
        self.meta_by_id = {d["id"]: d for d in self.layer_meta}
        scoring = self.manifest.get("config", {}).get("scoring", {})
        self.threshold = int(scoring.get("disclosure_threshold", 8))
        self.store_path = self._store_path(store_path)
        self._services_geojson: bytes | None = None  # the services map layer, on first use

        if not isinstance(lsoa, gpd.GeoDataFrame):
            raise BuildLoadError(f"{self.path / 'lsoa.parquet'}: no geometry column")
        self.lsoa_raw = lsoa.reset_index(drop=True)
        self.lsoa_public = public_lsoa_table(self.lsoa_raw, self.specs)
        self.n_lsoa = len(self.lsoa_raw)
        self.postcodes_raw = pd.DataFrame(postcodes.drop(columns="geometry", errors="ignore"))
        self.postcodes_raw = self.postcodes_raw.set_index("postcode", drop=False)
        self.bounds = tuple(
            float(v)
            for v in gpd.GeoSeries(self.lsoa_raw.geometry, crs=self.lsoa_raw.crs)
            .to_crs("EPSG:4326")
            .total_bounds
        )
        self.surfaces: dict[str, SurfaceStyle] = {}
        for lid in self.manifest.get("surfaces", []):
            tif = self.path / "surfaces" / f"{lid}.tif"
            if tif.exists():
                spec = self.spec_by_id.get(lid)
                self.surfaces[lid] = surface_style(tif, lid, partner=bool(spec and spec.partner))

        self._vintages = self._layer_vintages()
        self._tail = self._tail_fragment()
        self._aggregates()
        self._areas: dict[str, _Area] = {}
        self._area_rows: dict[str, pd.DataFrame] = {}
        self._geometry: dict[str, dict[str, bytes]] = {}
        self._precompute_areas()
        self._precompute_postcodes()
        self.area_tiles = AreaTiles(
            self.lsoa_raw.geometry.to_numpy(), self._tile_properties(), layer_name="lsoa"
        )
        self._layers_body = _dumps(
            {
                "build_id": self.build_id,
                "violence_model": self.manifest.get("violence_model"),
                "layers": self.layers(),
            }
        )
        self._national: np.ndarray | None = None
        if national_postcodes is not None:
            self._national = _compact_array(national_postcodes)
        else:
            self._load_national_later()
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - t0
        log.info("loaded build %s in %.1f s", self.build_id, self.load_seconds)

    # ----------------------------------------------------------------- loading helpers

    def _load_national_later(self) -> None:
        """Read every ONS postcode (the geocode wheel the store was prepared from) in a
        background thread, so a 404 can say "outside the region" rather than "not found"."""
        files = [
            Path(f)
            for s in self.manifest.get("store", {}).get("inputs", {}).get("postcodes", [])
            for f in s.get("files", [])
            if str(f).endswith(".whl")
        ]
        if not files or not files[0].exists():
            return

        def load() -> None:
            from geodata.postcodes import read_geocode_wheel

            try:
                data = read_geocode_wheel(files[0]).data
                self._national = _compact_array(data["postcode"].astype(str))
                log.info("national postcode list: %d postcodes", len(self._national))
            except Exception:  # noqa: BLE001 - optional: only the 404 wording depends on it
                log.warning("could not read the national postcode list", exc_info=True)

        threading.Thread(target=load, name="national-postcodes", daemon=True).start()

    def _not_found(self, code: str) -> PostcodeNotFound:
        """``PostcodeNotFound`` saying whether ``code`` is elsewhere in the UK."""
        national = self._national
        if national is None:
            return PostcodeNotFound(f"{code} is not a postcode of {self.region_name}")
        key = code.replace(" ", "").encode()
        i = int(np.searchsorted(national, key))
        if i < len(national) and national[i] == key:
            the = "the " if " " in self.region_name else ""
            return PostcodeNotFound(f"{code} is outside {the}{self.region_name}")
        return PostcodeNotFound("Postcode not found")

    def _store_path(self, given: Path | None) -> Path | None:
        if given is not None:
            return Path(given)
        recorded = self.manifest.get("store", {}).get("path")
        if recorded and (Path(recorded) / "manifest.json").exists():
            return Path(recorded)
        link = self.path.parent.parent / "store"
        return link.resolve() if (link / "manifest.json").exists() else None

    def _store_table(self, name: str) -> pd.DataFrame | None:
        if self.store_path is None or not (self.store_path / f"{name}.parquet").exists():
            return None
        return read_table(self.store_path / f"{name}.parquet")

    def _layer_vintages(self) -> dict[str, dict[str, Any]]:
        inputs = self.manifest.get("store", {}).get("inputs", {})
        out = {}
        for d in self.layer_meta:
            sources = inputs.get(d.get("table", ""), [])
            out[d["id"]] = {
                "period": d.get("period") or None,
                "vintage": "; ".join(
                    dict.fromkeys(s.get("vintage", "") for s in sources if s.get("vintage"))
                )
                or None,
                "licence": "; ".join(
                    sorted({s.get("licence", "") for s in sources if s.get("licence")})
                )
                or None,
                "attribution": "; ".join(
                    sorted({s.get("attribution", "") for s in sources if s.get("attribution")})
                )
                or None,
            }
        return out

    def _source_vintages(self) -> dict[str, str | None]:
        """One vintage string per source (each named once, however many tables use it)."""
        out: dict[str, str | None] = {}
        for items in self.manifest.get("store", {}).get("inputs", {}).values():
            for s in items:
                name = s.get("source")
                if name and name not in out:
                    out[str(name)] = s.get("vintage") or None
        return dict(sorted(out.items()))

    def _tail_fragment(self) -> bytes:
        synthetic = sorted(self.synthetic)
        tail = {
            "vintages": self._source_vintages(),
            "periods": {lid: v["period"] for lid, v in self._vintages.items()},
            "synthetic": bool(synthetic),
            "synthetic_layers": synthetic,
            "notice": SYNTHETIC_NOTICE if synthetic else None,
            "attribution": list(ATTRIBUTION),
            "build_id": self.build_id,
            "region": self.region,
        }
        return _inner(tail)

    def _aggregates(self) -> None:
        lsoa = pd.DataFrame(self.lsoa_raw.drop(columns="geometry"))
        self.ward_raw = _aggregate(lsoa, "ward", self.partner)
        self.district_raw = _aggregate(lsoa, "district", self.partner)
        self.ward_public = _public_aggregate(self.ward_raw, self.partner)
        self.district_public = _public_aggregate(self.district_raw, self.partner)
        w = lsoa["pop_total"].astype(float)
        self.region_means = {
            k: float(np.average(lsoa[k].astype(float), weights=w)) for k in INDICES
        }
        self.violence_means: dict[str, tuple[float, float]] = {}
        if "violence_risk" in lsoa.columns:
            for level, frame in (
                ("lsoa", lsoa),
                ("ward", self.ward_raw),
                ("district", self.district_raw),
            ):
                self.violence_means[level] = (
                    float(frame["violence_risk"].astype(float).mean()),
                    float(frame["violence_prior"].astype(float).mean()),
                )

    # ----------------------------------------------------------------- building blocks

    def _index_block(self, row: dict[str, Any], n: int, interval: bool) -> dict[str, Any]:
        out = {}
        for k in INDICES:
            item = {
                "title": _INDEX_TITLES[k],
                "value": _num(row.get(k)),
                "unit": INDEX_UNIT,
                "rank": _int(row.get(f"{k}_rank")),
                "of": n,
                "decile": _int(row.get(f"{k}_decile")),
                "band": _str(row.get(f"{k}_band")),
                "rank_interval": None,
                "p_top_decile": None,
            }
            if interval and f"{k}_rank_lo" in row:
                item["rank_interval"] = {
                    "lo": _int(row.get(f"{k}_rank_lo")),
                    "median": _int(row.get(f"{k}_rank_median")),
                    "hi": _int(row.get(f"{k}_rank_hi")),
                    "level": 0.9,
                }
                item["p_top_decile"] = _num(row.get(f"{k}_p_top_decile"), 3)
            out[k] = item
        return out

    def _violence_block(self, row: dict[str, Any], level: str, n: int) -> dict[str, Any] | None:
        """Violence risk of an area: expected offences, interval, rank, drivers, sentence."""
        e = _num(row.get("violence_risk"), 1)
        if e is None or level not in self.violence_means:
            return None
        mean_e, mean_prior = self.violence_means[level]
        prior = _num(row.get("violence_prior"), 1)
        interval = None
        if "violence_risk_lo" in row and _num(row.get("violence_risk_lo")) is not None:
            interval = {
                "lo": _num(row.get("violence_risk_lo"), 1),
                "hi": _num(row.get("violence_risk_hi"), 1),
                "level": 0.9,
            }
        rank_interval, p_top = None, None
        if "violence_risk_rank_lo" in row:
            rank_interval = {
                "lo": _int(row.get("violence_risk_rank_lo")),
                "median": _int(row.get("violence_risk_rank_median")),
                "hi": _int(row.get("violence_risk_rank_hi")),
                "level": 0.9,
            }
            p_top = _num(row.get("violence_risk_p_top_decile"), 3)
        drivers = []
        try:
            triples = json.loads(row.get("violence_risk_drivers") or "[]")
        except (TypeError, ValueError):
            triples = []
        for term, c, title in triples:
            f = float(np.exp(c))
            word = (
                f"raises it by a factor of {f:.2f}"
                if c > 0
                else (f"lowers it by a factor of {1 / f:.2f}")
            )
            drivers.append(
                {
                    "term": term,
                    "title": title,
                    "factor": _num(f, 3),
                    "contribution": _num(c),
                    "text": f"{title[:1].upper() + title[1:]} {word}",
                }
            )
        ratio = e / mean_e if mean_e > 0 else None
        explanation = _str(row.get("violence_risk_explanation"))
        if explanation is None:
            explanation = (
                f"About {e:,.0f} violent or sexual offences expected in the next 12 months, "
                f"{ratio:.1f} times the {self.region_name} average per {level}"
                + (
                    f"; {prior:,.0f} recorded in the last year ({prior / mean_prior:.1f} times "
                    "the average)."
                    if prior is not None and mean_prior > 0
                    else "."
                )
            )
        return {
            "title": VIOLENCE_TITLE,
            "measures": VIOLENCE_MEASURES,
            "unit": VIOLENCE_UNIT,
            "value": e,
            "interval": interval,
            "recorded_last_year": prior,
            "regional_mean": _num(mean_e, 1),
            "ratio_to_regional_mean": _num(ratio, 2),
            "rank": _int(row.get("violence_risk_rank")),
            "of": n,
            "decile": _int(row.get("violence_risk_decile")),
            "band": _str(row.get("violence_risk_band")),
            "rank_interval": rank_interval,
            "p_top_decile": p_top,
            "drivers": drivers,
            "explanation": explanation,
        }

    def _driver(self, lid: str, contribution: float) -> dict[str, Any]:
        meta = self.meta_by_id.get(lid, {"title": lid, "kind": "risk", "level": None})
        title = meta.get("title", lid)
        kind = meta.get("kind", "risk")
        raises = contribution > 0
        if kind == "protective":
            text = (
                f"{title}: below the regional average, so less protection"
                if raises
                else f"{title}: above the regional average, adding protection"
            )
        else:
            text = (
                f"{title}: above the regional average"
                if raises
                else f"{title}: below the regional average"
            )
        if lid in self.synthetic:
            text += " (illustrative: synthetic stand-in data)"
        return {
            "layer": lid,
            "title": title,
            "kind": kind,
            "level": meta.get("level"),
            "contribution": _num(contribution),
            "effect": "raises need" if raises else "lowers need",
            "text": text,
            "synthetic": lid in self.synthetic,
        }

    def _drivers_from_json(self, text: Any) -> list[dict[str, Any]]:
        try:
            pairs = json.loads(text) if isinstance(text, str) else []
        except ValueError:
            pairs = []
        return [self._driver(str(lid), float(c)) for lid, c in pairs]

    def _top_drivers(self, row: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
        """The contributions that explain where the area sits (as the build's ``drivers``).

        Above the regional average (need >= 0): the largest positive contributions; below
        it: the most negative ones.
        """
        contrib = {
            s.id: float(row[f"c_{s.id}"])
            for s in self.specs
            if f"c_{s.id}" in row and _num(row[f"c_{s.id}"]) is not None
        }
        sign = 1.0 if (_num(row.get("need")) or 0.0) >= 0 else -1.0
        top = sorted(contrib.items(), key=lambda kv: -sign * kv[1])[:n]
        return [self._driver(lid, c) for lid, c in top if sign * c > 0] or [
            self._driver(lid, c) for lid, c in top[:1]
        ]

    @staticmethod
    def _drivers_sentence(name: str, band: str | None, drivers: list[dict[str, Any]]) -> str:
        def named(d: dict[str, Any]) -> str:
            return d["title"].lower() + (" (illustrative)" if d.get("synthetic") else "")

        raising = [named(d) for d in drivers if d["effect"] == "raises need"]
        lowering = [named(d) for d in drivers if d["effect"] == "lowers need"]
        head = f"{name}: {band.lower()} need" if band else f"{name}"

        def join(items: list[str]) -> str:
            return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

        if raising:
            return f"{head}, mainly because of {join(raising)}."
        if lowering:
            return f"{head}, kept down mainly by {join(lowering)}."
        return f"{head}; no factor stands out from the regional average."

    def _layer_values(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for s in self.specs:
            lid = s.id
            out.append(
                {
                    "id": lid,
                    "title": s.title,
                    "kind": s.kind,
                    "level": s.level,
                    "partner": s.partner,
                    "synthetic": lid in self.synthetic,
                    "value": None if s.partner else _num(row.get(f"v_{lid}")),
                    "band": _str(row.get(f"band_{lid}")) if s.partner else None,
                    "score": _num(row.get(f"s_{lid}")),
                    "contribution": _num(row.get(f"c_{lid}")),
                    "national_decile": None if s.partner else _int(row.get(f"nd_{lid}")),
                    "count": None if s.partner else _num(row.get(f"n_{lid}"), 2),
                }
            )
        return out

    def _comparison(self, row: dict[str, Any], level: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if level != "district":
            d = self._district_rows.get(row.get("district_code"))
            if d is not None:
                out["district"] = {
                    "code": d["code"],
                    "name": _str(d.get("district_name")),
                    **{k: _num(d.get(k)) for k in INDICES},
                }
        out["region"] = {
            "code": self.region,
            "name": self.region_name,
            **{k: _num(v) for k, v in self.region_means.items()},
        }
        out["difference_from_region"] = {
            k: _num((row.get(k) or np.nan) - self.region_means[k]) for k in INDICES
        }
        return out

    # ----------------------------------------------------------------- areas

    def _precompute_areas(self) -> None:
        lsoa = pd.DataFrame(self.lsoa_public.drop(columns="geometry"))
        wards = self.ward_public
        districts = self.district_public
        self._district_rows = {r["code"]: r for r in districts.to_dict("records")}
        ward_lsoas = lsoa.groupby("ward_code")["lsoa21_code"].apply(list).to_dict()
        district_wards = wards.groupby("district_code")["code"].apply(list).to_dict()
        district_lsoas = lsoa.groupby("district_code")["lsoa21_code"].apply(list).to_dict()
        n_l, n_w, n_d = len(lsoa), len(wards), len(districts)
        list_rows: dict[str, list[dict[str, Any]]] = {lv: [] for lv in AREA_LEVELS}
        tail = self._tail

        for r in lsoa.to_dict("records"):
            code = r["lsoa21_code"]
            drivers = self._drivers_from_json(r.get("drivers"))
            body = {
                "code": code,
                "name": _str(r.get("lsoa21_name")),
                "level": "lsoa",
                "msoa_name": _str(r.get("msoa21_name")),
                "ward": {"code": _str(r.get("ward_code")), "name": _str(r.get("ward_name"))},
                "district": {
                    "code": _str(r.get("district_code")),
                    "name": _str(r.get("district_name")),
                },
                "population": _int(r.get("pop_total")),
                "area_km2": _num(r.get("area_km2"), 3),
                "n_lsoa": 1,
                "violence_risk": self._violence_block(r, "lsoa", n_l),
                "indices": self._index_block(r, n_l, interval=True),
                "levels": {lv: _num(r.get(f"level_{lv}")) for lv in LEVELS},
                "drivers": drivers,
                "explanation": _str(r.get("explanation"))
                or self._drivers_sentence(code, _str(r.get("need_band")), drivers),
                "hotspot": {
                    "getis_ord": _str(r.get("gi_label")),
                    "local_moran": _str(r.get("moran_label")),
                },
                "layers": self._layer_values(r),
                "comparison": self._comparison(r, "lsoa"),
                "lsoas": [code],
            }
            self._areas[code] = _Area(code, "lsoa", body["name"] or code, _wrap(body, tail))
            list_rows["lsoa"].append(self._list_row(r, "lsoa", code, body))

        for level, frame, n, members in (
            ("ward", wards, n_w, ward_lsoas),
            ("district", districts, n_d, district_lsoas),
        ):
            for r in frame.to_dict("records"):
                code = r["code"]
                name = _str(r.get("name")) or code
                drivers = self._top_drivers(r)
                body = {
                    "code": code,
                    "name": name,
                    "level": level,
                    "msoa_name": None,
                    "ward": None,
                    "district": (
                        {"code": _str(r.get("district_code")), "name": _str(r.get("district_name"))}
                        if level == "ward"
                        else None
                    ),
                    "population": _int(r.get("pop_total")),
                    "area_km2": None,
                    "n_lsoa": _int(r.get("n_lsoa")),
                    "violence_risk": self._violence_block(r, level, n),
                    "indices": self._index_block(r, n, interval=False),
                    "levels": {lv: _num(r.get(f"level_{lv}")) for lv in LEVELS},
                    "drivers": drivers,
                    "explanation": self._drivers_sentence(name, _str(r.get("need_band")), drivers),
                    "hotspot": None,
                    "layers": self._layer_values(r),
                    "comparison": self._comparison(r, level),
                    "lsoas": sorted(members.get(code, [])),
                }
                if level == "district":
                    body["wards"] = sorted(district_wards.get(code, []))
                self._areas[code] = _Area(code, level, name, _wrap(body, tail))
                list_rows[level].append(self._list_row(r, level, code, body))

        for lv, rows in list_rows.items():
            self._area_rows[lv] = pd.DataFrame(rows)
        self._district_names = {
            str(r["name"]).lower(): r["code"] for r in districts.to_dict("records")
        }
        self._geometry_sources = {
            "lsoa": self.lsoa_raw[["lsoa21_code", "geometry"]].rename(
                columns={"lsoa21_code": "code"}
            )
        }

    def _list_row(self, r: dict[str, Any], level: str, code: str, body: dict) -> dict[str, Any]:
        row: dict[str, Any] = {
            "code": code,
            "name": body["name"],
            "level": level,
            "ward_code": _str(r.get("ward_code")) if level == "lsoa" else None,
            "ward_name": _str(r.get("ward_name")) if level == "lsoa" else None,
            "district_code": _str(r.get("district_code")) if level != "district" else code,
            "district_name": _str(r.get("district_name")),
            "population": body["population"],
        }
        vr = body.get("violence_risk") or {}
        row["violence_risk"] = vr.get("value")
        row["violence_risk_rank"] = vr.get("rank")
        row["violence_risk_band"] = vr.get("band")
        for k in INDICES:
            idx = body["indices"][k]
            row[k] = idx["value"]
            row[f"{k}_rank"] = idx["rank"]
            row[f"{k}_decile"] = idx["decile"]
            row[f"{k}_band"] = idx["band"]
        interval = body["indices"]["need"]["rank_interval"] or {}
        row["need_rank_lo"] = interval.get("lo")
        row["need_rank_hi"] = interval.get("hi")
        row["drivers"] = "; ".join(
            d["title"] for d in body["drivers"] if d["effect"] == "raises need"
        )
        row["explanation"] = body["explanation"]
        row["synthetic"] = bool(self.synthetic)
        return row

    def _geometry_json(self, level: str) -> dict[str, bytes]:
        """GeoJSON geometry bytes per area code in EPSG:4326 (computed on first use)."""
        got = self._geometry.get(level)
        if got is not None:
            return got
        if level == "lsoa":
            frame = gpd.GeoDataFrame(
                self.lsoa_raw[["lsoa21_code"]].rename(columns={"lsoa21_code": "code"}),
                geometry=self.lsoa_raw.geometry,
                crs=self.lsoa_raw.crs,
            )
        else:
            table = self._store_table("wards" if level == "ward" else "districts")
            key = f"{level}_code"
            if isinstance(table, gpd.GeoDataFrame) and key in table.columns:
                frame = table[[key, "geometry"]].rename(columns={key: "code"})
            else:
                frame = self.lsoa_raw[[key, "geometry"]].dissolve(by=key, as_index=False)
                frame = frame.rename(columns={key: "code"})
        frame = frame.to_crs("EPSG:4326")
        geoms = shapely.set_precision(frame.geometry.to_numpy(), 1e-6)
        out = {
            str(c): shapely.to_geojson(g).encode()
            for c, g in zip(frame["code"], geoms, strict=True)
            if g is not None
        }
        self._geometry[level] = out
        return out

    # ----------------------------------------------------------------- postcodes

    def _precompute_postcodes(self) -> None:
        pc = public_postcode_table(self.postcodes_raw, self.specs).reset_index(drop=True)
        n = len(pc)
        # Area fragments, one per LSOA, shared by the postcodes of that LSOA.
        lsoa = pd.DataFrame(self.lsoa_public.drop(columns="geometry"))
        frags: list[bytes] = []
        pos: dict[str, int] = {}
        for i, r in enumerate(lsoa.to_dict("records")):
            area = orjson.loads(self._areas[r["lsoa21_code"]].body)
            ward, district = area["ward"] or {}, area["district"] or {}
            frag = {
                "lsoa": area["name"],
                "msoa": area.get("msoa_name"),
                "admin_ward": ward.get("name"),
                "admin_district": district.get("name"),
                "codes": {
                    "lsoa": area["code"],
                    "msoa": None,
                    "admin_ward": ward.get("code"),
                    "admin_district": district.get("code"),
                },
                "lsoa21": {"code": area["code"], "name": area["name"]},
                "ward": area["ward"],
                "district": area["district"],
                "violence_risk": area.get("violence_risk"),
                "indices": area["indices"],
                "drivers": area["drivers"],
                "explanation": area["explanation"],
            }
            frags.append(_inner(frag))
            pos[r["lsoa21_code"]] = i
        none_frag = _inner(
            {
                "lsoa": None,
                "msoa": None,
                "admin_ward": None,
                "admin_district": None,
                "codes": {"lsoa": None, "msoa": None, "admin_ward": None, "admin_district": None},
                "lsoa21": None,
                "ward": None,
                "district": None,
                "violence_risk": None,
                "indices": None,
                "drivers": [],
                "explanation": None,
            }
        )
        frags.append(none_frag)
        self._lsoa_frags = frags
        lsoa_idx = np.array([pos.get(c, len(frags) - 1) for c in pc["lsoa21_code"]], dtype=int)

        # Coordinates: the postcode's grid reference, else its LSOA's representative point.
        east = pc["easting"].to_numpy(float)
        north = pc["northing"].to_numpy(float)
        has_xy = np.isfinite(east) & np.isfinite(north)
        rep = shapely.point_on_surface(self.lsoa_raw.geometry.to_numpy())
        rep_xy = np.vstack(
            [np.column_stack([shapely.get_x(rep), shapely.get_y(rep)]), [np.nan, np.nan]]
        )
        use_e = np.where(has_xy, east, rep_xy[lsoa_idx, 0])
        use_n = np.where(has_xy, north, rep_xy[lsoa_idx, 1])
        ok = np.isfinite(use_e) & np.isfinite(use_n)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        lon[ok], lat[ok] = _TO_WGS84.transform(use_e[ok], use_n[ok])

        assets = self._nearest_assets(use_e, use_n, ok)
        pc_drivers = self._postcode_drivers(pc)
        local_cols = {
            lid: (f"band_local_{lid}" if lid in self.partner else f"local_{lid}")
            for lid in self.surfaces
        }

        def column(name: str, kind: str = "str", nd: int = 4) -> list[Any]:
            if name not in pc.columns:
                return [None] * n
            if kind == "num":
                return _num_list(pc[name].to_numpy(float), nd)
            if kind == "int":
                return _int_list(pc[name].to_numpy(float))
            return [_str(v) for v in pc[name].tolist()]

        codes = pc["postcode"].astype(str).tolist()
        status = [s or "live" for s in column("status")]
        introduced = column("date_introduced")
        terminated_on = column("date_terminated")
        pvr = column("pc_violence_risk", "num", 1)
        pvr_factor = column("pc_violence_local_factor", "num", 2)
        pvr_decile = column("pc_violence_risk_decile", "int")
        pvr_band = column("pc_violence_risk_band")
        has_pvr = "pc_violence_risk" in pc.columns
        need = column("pc_need", "num")
        need_decile = column("pc_need_decile", "int")
        need_band = column("pc_need_band")
        local = {
            lid: column(col) if lid in self.partner else column(col, "num")
            for lid, col in local_cols.items()
        }
        local_units = {lid: self.surfaces[lid].unit or "density" for lid in local_cols}
        east_r, north_r = _num_list(use_e, 1), _num_list(use_n, 1)
        lon_r, lat_r = _num_list(lon, 6), _num_list(lat, 6)
        heads: dict[str, tuple[bytes, int]] = {}
        for i in range(n):
            code = codes[i]
            gone = status[i] == "terminated"
            note = None
            if gone:
                when = f" in {terminated_on[i]}" if terminated_on[i] else ""
                note = (
                    f"{code} was terminated{when}; the area shown is the last one it belonged to."
                )
            out_code, _, in_code = code.partition(" ")
            real = bool(has_xy[i] and ok[i])
            head = {
                "postcode": code,
                "outcode": out_code,
                "incode": in_code,
                "longitude": lon_r[i] if real else None,
                "latitude": lat_r[i] if real else None,
                "eastings": int(round(east[i])) if real else None,
                "northings": int(round(north[i])) if real else None,
                "status": status[i],
                "date_introduced": introduced[i],
                "date_terminated": terminated_on[i],
                "note": note,
                "location": {
                    "easting": east_r[i],
                    "northing": north_r[i],
                    "longitude": lon_r[i],
                    "latitude": lat_r[i],
                    "source": "postcode" if has_xy[i] else "area",
                }
                if ok[i]
                else None,
                "postcode_violence_risk": {
                    "value": pvr[i],
                    "unit": VIOLENCE_UNIT,
                    "local_factor": pvr_factor[i],
                    "decile": pvr_decile[i],
                    "band": pvr_band[i],
                }
                if has_pvr
                else None,
                "postcode_need": {
                    "value": need[i],
                    "unit": INDEX_UNIT,
                    "decile": need_decile[i],
                    "band": need_band[i],
                    "drivers": pc_drivers[i],
                },
                "local": {
                    lid: {"band": vals[i], "value": None, "unit": "band"}
                    if lid in self.partner
                    else {"band": None, "value": vals[i], "unit": local_units[lid]}
                    for lid, vals in local.items()
                },
                "assets": assets[i],
            }
            heads[code] = (_inner(head), int(lsoa_idx[i]))
        self._postcodes = heads
        self._status = dict(zip(codes, status, strict=True))
        live = [c for c in heads if self._status[c] != "terminated"]
        # reverse lookup: live postcodes with a grid reference
        pick = np.array([has_xy[i] and status[i] != "terminated" for i in range(n)], dtype=bool)
        self._xy_codes = [codes[i] for i in np.flatnonzero(pick).tolist()]
        self._xy_tree = cKDTree(np.column_stack([east[pick], north[pick]])) if pick.any() else None
        self._terminated = {
            codes[i]: _dumps(
                {
                    "postcode": codes[i],
                    "year_terminated": _year_month(terminated_on[i])[0],
                    "month_terminated": _year_month(terminated_on[i])[1],
                    "longitude": lon_r[i] if has_xy[i] else None,
                    "latitude": lat_r[i] if has_xy[i] else None,
                }
            )
            for i in range(n)
            if status[i] == "terminated"
        }
        self._outcodes = self._outcode_answers(codes, status, east, north, has_xy, pc)
        compact = sorted((c.replace(" ", ""), c) for c in live)
        self._compact_keys = [c for c, _ in compact]
        self._compact_codes = [p for _, p in compact]
        self._pcds_keys = sorted(live)
        self.n_postcodes = n

    def _outcode_answers(
        self,
        codes: list[str],
        status: list[str],
        east: np.ndarray,
        north: np.ndarray,
        has_xy: np.ndarray,
        pc: pd.DataFrame,
    ) -> dict[str, bytes]:
        """postcodes.io outcode answers: mean grid reference of the live postcodes, with
        the wards and districts they fall in."""
        frame = pd.DataFrame(
            {
                "outcode": [c.partition(" ")[0] for c in codes],
                "live": [s != "terminated" for s in status],
                "e": np.where(has_xy, east, np.nan),
                "n": np.where(has_xy, north, np.nan),
                "lsoa": pc["lsoa21_code"].astype(str).tolist(),
            }
        )
        frame = frame[frame["live"]]
        names = pd.DataFrame(self.lsoa_public.drop(columns="geometry")).set_index("lsoa21_code")
        out = {}
        for oc, g in frame.groupby("outcode", sort=True):
            e, nn = g["e"].mean(), g["n"].mean()
            lon = lat = None
            if np.isfinite(e) and np.isfinite(nn):
                lon, lat = (round(float(v), 6) for v in _TO_WGS84.transform(e, nn))
            rows = names.reindex(g["lsoa"].unique())
            out[str(oc)] = _dumps(
                {
                    "outcode": str(oc),
                    "longitude": lon,
                    "latitude": lat,
                    "eastings": _int(e),
                    "northings": _int(nn),
                    "admin_district": sorted(rows["district_name"].dropna().unique().tolist()),
                    "admin_ward": sorted(rows["ward_name"].dropna().unique().tolist()),
                    "country": ["England"],
                    "postcodes": int(len(g)),
                    "region": self.region,
                    "build_id": self.build_id,
                }
            )
        return out

    def _postcode_drivers(self, pc: pd.DataFrame) -> list[orjson.Fragment]:
        """Top three postcode contributions as pre-serialised JSON lists."""
        ids = [s.id for s in self.specs if f"pc_c_{s.id}" in pc.columns]
        if not ids:
            return [orjson.Fragment(b"[]")] * len(pc)
        mat = pc[[f"pc_c_{lid}" for lid in ids]].to_numpy(float)
        # above the regional average: what raises the postcode most; below: what lowers it
        sign = np.where(np.nansum(mat, axis=1) >= 0, 1.0, -1.0)[:, None]
        filled = np.where(np.isfinite(mat), sign * mat, -np.inf)
        order = np.argsort(-filled, axis=1)[:, :3]
        top = np.take_along_axis(mat, order, axis=1)
        rounded = np.round(top, 4)
        cache: dict[tuple[int, float], bytes] = {}
        out = []
        for i in range(len(pc)):
            items = []
            for j, c in zip(order[i].tolist(), rounded[i].tolist(), strict=True):
                if not np.isfinite(c) or (sign[i, 0] * c <= 0 and items):
                    continue
                key = (j, c)
                b = cache.get(key)
                if b is None:
                    b = cache[key] = _dumps(self._driver(ids[j], c))
                items.append(b)
            out.append(orjson.Fragment(b"[" + b",".join(items) + b"]"))
        return out

    def _nearest_assets(
        self, east: np.ndarray, north: np.ndarray, ok: np.ndarray
    ) -> list[orjson.Fragment]:
        """Support nearby, per point, as pre-serialised JSON objects.

        Lists up to ``max_assets`` assets within ``asset_radius_m`` and counts all of them
        by type. Which assets, in what order and under what name is decided by
        :mod:`sna.support` (the VRU's directory services first, then the rest by distance;
        unnamed records by their type), shared with :mod:`sna.priority`; this method only
        serialises, each asset's entry once.
        """
        n = len(east)
        radius = self.asset_radius_m
        points = support.support_points(self._store_table("assets"))
        if points is None or self.max_assets == 0:
            empty = _dumps({"radius_m": radius, "count": 0, "nearest": [], "by_type": {}})
            return [orjson.Fragment(empty)] * n
        # each entry serialised once, distance left open: b'{"name":...,"distance_m":'
        prefix = [_dumps(e)[:-1] + b',"distance_m":' for e in points.entries]
        type_ids = sorted(set(points.types))
        type_index = {t: k for k, t in enumerate(type_ids)}
        asset_type = np.array([type_index[t] for t in points.types], dtype=int)
        found = support.nearby(points, east, north, ok, radius=radius, limit=self.max_assets)
        head = b'{"radius_m":' + _dumps(radius) + b',"count":'
        empty = orjson.Fragment(
            head + b'0,"nearest":[],"by_type":' + _dumps(dict.fromkeys(type_ids, 0)) + b"}"
        )
        out: list[orjson.Fragment] = []
        for i in range(n):
            if not ok[i]:
                out.append(empty)
                continue
            members = found.within[i]
            counts = np.bincount(asset_type[members], minlength=len(type_ids)).tolist()
            items = [prefix[j] + str(int(round(d))).encode() + b"}" for j, d in found.picks[i]]
            out.append(
                orjson.Fragment(
                    head
                    + str(len(members)).encode()
                    + b',"nearest":['
                    + b",".join(items)
                    + b'],"by_type":'
                    + _dumps(dict(zip(type_ids, counts, strict=True)))
                    + b"}"
                )
            )
        return out

    def services_geojson(self) -> bytes:
        """The VRU's directory services as GeoJSON (the map's services layer), computed once."""
        if self._services_geojson is None:
            self._services_geojson = support.services_geojson(self._store_table("assets"))
        return self._services_geojson

    # ----------------------------------------------------------------- tiles

    def _tile_properties(self) -> list[dict[str, Any]]:
        pub = pd.DataFrame(self.lsoa_public.drop(columns="geometry"))
        out = []
        for r in pub.to_dict("records"):
            p: dict[str, Any] = {
                "code": r["lsoa21_code"],
                "name": _str(r.get("lsoa21_name")) or "",
                "ward": _str(r.get("ward_name")) or "",
                "district": _str(r.get("district_name")) or "",
            }
            for k in INDICES:
                p[k] = _num(r.get(k), 3)
                p[f"{k}_band"] = _str(r.get(f"{k}_band")) or ""
                p[f"{k}_decile"] = _int(r.get(f"{k}_decile"))
            p["need_rank"] = _int(r.get("need_rank"))
            if "violence_risk" in r:
                p["violence_risk"] = _num(r.get("violence_risk"), 1)
                p["violence_risk_band"] = _str(r.get("violence_risk_band")) or ""
                p["violence_risk_decile"] = _int(r.get("violence_risk_decile"))
                p["violence_risk_rank"] = _int(r.get("violence_risk_rank"))
            for s in self.specs:
                if s.partner:
                    p[f"band_{s.id}"] = _str(r.get(f"band_{s.id}")) or ""
                else:
                    p[f"s_{s.id}"] = _num(r.get(f"s_{s.id}"), 3)
            p["hotspot"] = _str(r.get("gi_label")) or ""
            p["synthetic"] = bool(self.synthetic)
            out.append({k: v for k, v in p.items() if v is not None})
        return out

    # ----------------------------------------------------------------- public answers

    def postcode_json(self, text: str) -> bytes:
        """The public answer for one postcode, as JSON bytes.

        Raises
        ------
        InvalidPostcode
            When ``text`` is not a well-formed postcode (the message says why).
        PostcodeNotFound
            When it is well formed but not a postcode of this region.
        """
        code = _normalise(text)
        got = self._postcodes.get(code)
        if got is None:
            raise self._not_found(code)
        head, i = got
        return b"".join((b"{", head, b",", self._lsoa_frags[i], b",", self._tail, b"}"))

    def validate(self, text: str) -> bool:
        """Whether ``text`` is a live or terminated postcode of this region."""
        try:
            return _normalise(text) in self._postcodes
        except InvalidPostcode:
            return False

    def terminated_json(self, text: str) -> bytes:
        """A terminated postcode in postcodes.io's shape (``PostcodeNotFound`` otherwise)."""
        code = _normalise(text)
        got = self._terminated.get(code)
        if got is None:
            raise PostcodeNotFound("Terminated postcode not found")
        return got

    def outcode_json(self, text: str) -> bytes:
        """An outward code of this region (``PostcodeNotFound`` when it has no live
        postcode here)."""
        code = re.sub(r"\s+", "", str(text)).upper()
        got = self._outcodes.get(code)
        if got is None:
            raise PostcodeNotFound("Outcode not found")
        return got

    def nearest_json(
        self, longitude: float, latitude: float, radius: float = 100.0, limit: int = 10
    ) -> bytes:
        """Reverse lookup: the live postcodes within ``radius`` metres of a point, nearest
        first, each a postcode answer with its ``distance`` (m)."""
        if self._xy_tree is None or limit < 1:
            return b"[]"
        e, n = _TO_BNG.transform(float(longitude), float(latitude))
        if not (np.isfinite(e) and np.isfinite(n)):
            return b"[]"
        k = min(int(limit), len(self._xy_codes))
        dist, idx = self._xy_tree.query([e, n], k=k, distance_upper_bound=float(radius))
        dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
        parts = []
        for d, j in zip(dist.tolist(), idx.tolist(), strict=True):
            if not np.isfinite(d):
                break
            body = self.postcode_json(self._xy_codes[j])
            parts.append(b'{"distance":' + _dumps(round(d, 1)) + b"," + body[1:])
        return b"[" + b",".join(parts) + b"]"

    def postcodes_json(self, texts: Iterable[str]) -> bytes:
        """Bulk lookup in postcodes.io's shape: ``[{"query", "result", "status", "error"}]``.

        Each item answers on its own: ``result`` is the postcode answer, or ``null`` with
        ``status`` 404 and the reason in ``error``.
        """
        parts = []
        for q in texts:
            qb = orjson.dumps(q)
            try:
                body = self.postcode_json(q)
                parts.append(b'{"query":' + qb + b',"result":' + body + b',"status":200}')
            except (InvalidPostcode, PostcodeNotFound) as exc:
                err = orjson.dumps(str(exc))
                parts.append(
                    b'{"query":' + qb + b',"result":null,"status":404,"error":' + err + b"}"
                )
        return b"[" + b",".join(parts) + b"]"

    def autocomplete(self, q: str, limit: int = 10) -> dict[str, Any]:
        """Live postcodes starting with ``q`` (spaces and case ignored), in sorted order.

        A ``q`` that cannot start a postcode matches nothing.
        """
        try:
            prefix = clean_query(q)
        except InvalidPostcode:
            return {"query": q, "result": []}
        if " " in prefix:
            keys, codes = self._pcds_keys, self._pcds_keys
        else:
            keys, codes = self._compact_keys, self._compact_codes
        start = bisect.bisect_left(keys, prefix)
        out = []
        for i in range(start, min(start + max(limit, 0), len(keys))):
            if not keys[i].startswith(prefix):
                break
            out.append(codes[i])
        return {"query": q, "result": out}

    def area_json(self, code: str) -> bytes:
        """The public answer for an LSOA21, ward or district code (``AreaNotFound``)."""
        area = self._areas.get(str(code).strip().upper())
        if area is None:
            raise AreaNotFound(
                f"{code!r} is not an LSOA21, ward or district code of {self.region_name}"
            )
        return area.body

    def _district_code(self, district: str | None) -> str | None:
        if district is None or not str(district).strip():
            return None
        text = str(district).strip()
        if text.upper() in self._district_rows:
            return text.upper()
        code = self._district_names.get(text.lower())
        if code is None:
            raise AreaNotFound(
                f"{district!r} is not a district of {self.region_name}; districts: "
                f"{sorted(self._district_names)}"
            )
        return code

    def area_table(
        self,
        *,
        level: str = "lsoa",
        district: str | None = None,
        sort: str = "violence_risk",
        order: str = "desc",
        limit: int | None = 50,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Priority places: areas of ``level`` in ``district``, sorted by an index.

        ``sort`` is ``violence_risk``, an index (``need``, ``risk``, ``protective``) or
        ``name``; ``order`` ``desc`` puts the highest values first (the priority order).
        """
        if level not in AREA_LEVELS:
            raise AreaNotFound(f"level must be one of {list(AREA_LEVELS)}, got {level!r}")
        if sort not in SORTS:
            raise LayerNotFound(f"sort must be one of {list(SORTS)}, got {sort!r}")
        rows = self._area_rows[level]
        code = self._district_code(district)
        if code is not None:
            rows = rows[rows["district_code"] == code]
        asc = order == "asc"
        rows = rows.sort_values([sort, "code"], ascending=[asc, True], na_position="last")
        end = None if limit is None else offset + limit
        return rows.iloc[offset:end]

    def areas_export(self, fmt: str = "json", **params: Any) -> tuple[bytes, str, str]:
        """The areas list as ``(bytes, media_type, filename)`` in json, csv or geojson.

        GeoJSON is in EPSG:4326 with the list columns as properties.
        """
        rows = self.area_table(**params)
        level = params.get("level", "lsoa")
        stem = f"{self.region}-{level}-{params.get('sort', 'violence_risk')}"
        records = rows.to_dict("records")
        records = [{k: (None if _is_na(v) else v) for k, v in r.items()} for r in records]
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=list(rows.columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
            return buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{stem}.csv"
        if fmt == "geojson":
            geoms = self._geometry_json(level)
            feats = [
                b'{"type":"Feature","id":'
                + _dumps(r["code"])
                + b',"geometry":'
                + geoms.get(r["code"], b"null")
                + b',"properties":'
                + _dumps(r)
                + b"}"
                for r in records
            ]
            body = b'{"type":"FeatureCollection","features":[' + b",".join(feats) + b"]}"
            return body, "application/geo+json", f"{stem}.geojson"
        body = {
            "build_id": self.build_id,
            "level": level,
            "district": self._district_code(params.get("district")),
            "sort": params.get("sort", "violence_risk"),
            "order": params.get("order", "desc"),
            "total": int(len(self.area_table(**{**params, "limit": None, "offset": 0}))),
            "items": records,
            "synthetic_layers": sorted(self.synthetic),
        }
        return _dumps(body), "application/json", f"{stem}.json"

    def layers(self) -> list[dict[str, Any]]:
        """Every layer: titles, level, sources, licences, vintages, flags and map styling."""
        out = []
        for d in self.layer_meta:
            lid = d["id"]
            partner = bool(d.get("partner"))
            style = self.surfaces.get(lid)
            v = self._vintages.get(lid, {})
            out.append(
                {
                    "id": lid,
                    "title": d.get("title", lid),
                    "description": d.get("description") or None,
                    "kind": d.get("kind"),
                    "level": d.get("level"),
                    "measure": d.get("measure"),
                    "partner": partner,
                    "synthetic": lid in self.synthetic,
                    "notice": SYNTHETIC_NOTICE if lid in self.synthetic else None,
                    "weight": _num(d.get("effective_weight", d.get("weight")), 4),
                    "period": d.get("period") or None,
                    "vintage": v.get("vintage"),
                    "licence": v.get("licence"),
                    "attribution": v.get("attribution"),
                    "national": bool(d.get("national")),
                    "property": f"band_{lid}" if partner else f"s_{lid}",
                    "display": "band" if partner else "score",
                    "surface": None
                    if style is None
                    else {"tiles": f"/tiles/{lid}/{{z}}/{{x}}/{{y}}.png", **style.public()},
                    "status": d.get("status")
                    or ("synthetic (illustrative)" if lid in self.synthetic else None),
                    "disclosure_level": (d.get("disclosure") or {}).get("level"),
                }
            )
        for d in self.manifest.get("awaiting_layers", []):  # held back: weight 0, no values
            out.append(
                {
                    "id": d["id"],
                    "title": d.get("title", d["id"]),
                    "description": d.get("description") or None,
                    "kind": d.get("kind"),
                    "level": d.get("level"),
                    "measure": d.get("measure"),
                    "partner": bool(d.get("partner")),
                    "synthetic": False,
                    "notice": d.get("note"),
                    "weight": 0.0,
                    "period": d.get("period") or None,
                    "vintage": None,
                    "licence": None,
                    "attribution": None,
                    "national": bool(d.get("national")),
                    "property": None,
                    "display": "none",
                    "surface": None,
                    "status": d.get("status"),
                    "disclosure_level": None,
                }
            )
        return out

    def layers_json(self) -> bytes:
        """:meth:`layers` as JSON bytes (precomputed)."""
        return self._layers_body

    def surface(self, layer: str) -> SurfaceStyle:
        """The drawing style of a surface layer (``LayerNotFound`` when it has none)."""
        style = self.surfaces.get(layer)
        if style is None:
            raise LayerNotFound(f"no surface {layer!r}; surfaces: {sorted(self.surfaces)}")
        return style

    def info(self) -> dict[str, Any]:
        """Provenance of this build: ids, dates, code version, sources, checks, timings."""
        m = self.manifest
        cfg = m.get("config", {})
        inputs = m.get("store", {}).get("inputs", {})
        sources = {
            table: [
                {k: s.get(k) for k in ("source", "vintage", "licence", "attribution")}
                for s in items
            ]
            for table, items in inputs.items()
        }
        return {
            "build_id": self.build_id,
            "region": self.region,
            "region_name": self.region_name,
            "created": m.get("created"),
            "code_version": m.get("code_version"),
            "git": m.get("git"),
            "python": m.get("python"),
            "config_fingerprint": m.get("config_fingerprint"),
            "scoring": cfg.get("scoring"),
            "n_lsoa": self.n_lsoa,
            "n_postcodes": self.n_postcodes,
            "synthetic": bool(self.synthetic),
            "synthetic_layers": sorted(self.synthetic),
            "surfaces": sorted(self.surfaces),
            "bounds": list(self.bounds),
            "checks": m.get("checks", {}),
            "timings": m.get("timings", {}),
            "sources": sources,
            "attribution": list(ATTRIBUTION),
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "load_seconds": round(self.load_seconds, 2),
        }

    # ----------------------------------------------------------------- analyst answers

    def analyst_area(self, code: str) -> dict[str, Any]:
        """An area with its restricted columns (partner counts, rates, values) included.

        For wards and districts, counts are sums and rates population-weighted means.
        Only for authenticated analysts: nothing here is disclosure-controlled.
        """
        key = str(code).strip().upper()
        area = self._areas.get(key)
        if area is None:
            raise AreaNotFound(f"{code!r} is not an LSOA21, ward or district code")
        if area.level == "lsoa":
            frame = pd.DataFrame(self.lsoa_raw.drop(columns="geometry"))
            row = frame.loc[frame["lsoa21_code"] == key].iloc[0].to_dict()
        else:
            frame = self.ward_raw if area.level == "ward" else self.district_raw
            row = frame.loc[frame["code"] == key].iloc[0].to_dict()
        restricted = {}
        for s in self.specs:
            restricted[s.id] = {
                "partner": s.partner,
                "count": _num(row.get(f"n_{s.id}"), 3),
                "raw_rate": _num(row.get(f"raw_{s.id}"), 6),
                "value": _num(row.get(f"v_{s.id}"), 6),
                "score": _num(row.get(f"s_{s.id}"), 6),
                "contribution": _num(row.get(f"c_{s.id}"), 6),
            }
        return {
            "code": key,
            "level": area.level,
            "name": area.name,
            "restricted": True,
            "disclosure_threshold": self.threshold,
            "layers": restricted,
            "public": orjson.loads(area.body),
        }

    def analyst_postcode(self, text: str) -> dict[str, Any]:
        """A postcode with its raw local surface values (partner ones included)."""
        code = _normalise(text)
        if code not in self._postcodes:
            raise self._not_found(code)
        row = self.postcodes_raw.loc[code]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        raw = {
            k: (None if _is_na(v) else (v.item() if hasattr(v, "item") else v))
            for k, v in row.to_dict().items()
        }
        return {
            "postcode": code,
            "restricted": True,
            "raw": raw,
            "public": orjson.loads(self.postcode_json(code)),
        }


def _num_list(values: np.ndarray, nd: int = 4) -> list[float | None]:
    """Rounded floats as a list, None where missing (vectorised :func:`_num`)."""
    arr = np.round(np.asarray(values, dtype=float), nd)
    out: list[float | None] = arr.tolist()
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    return out


def _int_list(values: np.ndarray) -> list[int | None]:
    arr = np.asarray(values, dtype=float)
    good = np.isfinite(arr)
    out: list[int | None] = [None] * len(arr)
    for i, v in zip(
        np.flatnonzero(good).tolist(), np.round(arr[good]).astype(int).tolist(), strict=True
    ):
        out[i] = v
    return out


def _compact_array(codes: Iterable[str]) -> np.ndarray:
    """Sorted unique postcodes without spaces, as a bytes array (for ``searchsorted``)."""
    return np.unique(np.array([str(c).replace(" ", "").upper() for c in codes], dtype="S8"))


def _year_month(text: str | None) -> tuple[int | None, int | None]:
    """``(year, month)`` of a ``YYYY-MM`` date (``None`` parts when missing)."""
    m = re.match(r"^(\d{4})-(\d{2})", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def _is_na(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and not np.isfinite(v)


def _wrap(body: dict[str, Any], tail: bytes) -> bytes:
    return b"{" + _inner(body) + b"," + tail + b"}"


def load_build(
    path: Path,
    *,
    asset_radius_m: float = 1000.0,
    max_assets: int = 10,
    store_path: Path | None = None,
    national_postcodes: Iterable[str] | None = None,
) -> Build:
    """Load a build folder and precompute its public answers.

    Parameters
    ----------
    path
        The build folder (or the ``current`` symlink).
    asset_radius_m
        Radius of the "support nearby" search around a postcode.
    max_assets
        How many of the nearest assets a postcode answer lists.
    store_path
        The prepared store folder (assets, ward and district polygons); by default the one
        recorded in the manifest, else ``<region>/store``.
    national_postcodes
        Every UK postcode, so that a 404 tells a postcode outside the region ("B60 3AA is
        outside the West Midlands") from an unknown one ("Postcode not found"). By default
        read in the background from the geocode wheel the store was prepared from.

    Raises
    ------
    BuildLoadError
        When a required file is missing or malformed.
    """
    return Build(
        Path(path),
        asset_radius_m=asset_radius_m,
        max_assets=max_assets,
        store_path=store_path,
        national_postcodes=national_postcodes,
    )
