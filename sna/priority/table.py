"""What makes a priority list usable by a navigator: a place name, a postcode, a map link and
column headers in words.

:func:`sna.priority.places.priority_places` picks the places; this module adds, for each picked
LSOA,

- ``place_name``: the House of Commons Library name of its MSOA ("Central"), read from the
  names file the build's store was prepared from (the ONS name, "Birmingham 138", where the
  Library has none or the file is not at hand);
- ``postcode``: a representative postcode, the live postcode inside the LSOA nearest its
  geometric centre (the point a navigator would type into the public map);
- ``map_url``: the public map opened at that postcode (``<map>/?postcode=B1%201BB``);

and :func:`readable` turns the machine table into the one a navigator opens: the same rows,
headers in plain words (units, provenance and direction in the header), in reading order.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from sna.answers.public_build import PublicBuild
from sna.errors import ConfigError

__all__ = [
    "DEFAULT_MAP_URL",
    "map_url_base",
    "place_names",
    "representative_postcodes",
    "map_links",
    "readable",
]

log = logging.getLogger(__name__)

DEFAULT_MAP_URL = "http://127.0.0.1:8000/"
"""Where ``sna serve`` puts the public map by default; ``SNA_MAP_URL`` or ``--map-url`` name
the deployed one."""


def map_url_base(given: str | None = None) -> str:
    """The public map's address: ``given``, else ``$SNA_MAP_URL``, else the local server.

    Raises
    ------
    ConfigError
        When the address is not an ``http://`` or ``https://`` URL (a spreadsheet would not
        open it).
    """
    url = (given or os.environ.get("SNA_MAP_URL") or DEFAULT_MAP_URL).strip()
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise ConfigError(f"map URL {url!r} (--map-url or SNA_MAP_URL) must start with https://")
    return url


def _names_file(build: PublicBuild) -> Path | None:
    """The MSOA names file the build's store read (from the store inputs in the manifest)."""
    inputs = (build.manifest.get("store") or {}).get("inputs") or {}
    for entries in inputs.values():
        for entry in entries or []:
            if entry.get("source") == "msoa_names":
                for f in entry.get("files") or []:
                    if Path(f).is_file():
                        return Path(f)
    return None


def place_names(build: PublicBuild, lsoa: pd.DataFrame) -> pd.Series:
    """Each row's place name (House of Commons Library MSOA name, else the ONS MSOA name,
    else the LSOA name), aligned with ``lsoa`` (needs ``msoa21_code`` or ``msoa21_name``)."""
    fallback = lsoa.get("msoa21_name", lsoa.get("lsoa21_name"))
    fallback = pd.Series(fallback, index=lsoa.index).astype("string")
    if "msoa21_hcl_name" in lsoa.columns:  # a build that carries the names itself
        hcl = lsoa["msoa21_hcl_name"].astype("string").replace("", pd.NA)
        return hcl.fillna(fallback).astype(str)
    path = _names_file(build)
    if path is None or "msoa21_code" not in lsoa.columns:
        log.info("no MSOA names file for %s: places keep their ONS names", build.region)
        return fallback.astype(str)
    from geodata.workplace import read_msoa_names

    names = read_msoa_names(path).data.set_index("msoa21_code")["msoa21_hcl_name"]
    hcl = lsoa["msoa21_code"].map(names).astype("string").replace("", pd.NA)
    return hcl.fillna(fallback).astype(str)


def representative_postcodes(
    postcodes: pd.DataFrame, codes: pd.Series, x: np.ndarray, y: np.ndarray
) -> list[str | None]:
    """For each LSOA ``codes[i]``, the live postcode in it nearest ``(x[i], y[i])``
    (EPSG:27700 metres; ties by postcode); None where the LSOA has no live postcode."""
    pcs = postcodes
    if "status" in pcs.columns:
        pcs = pcs[pcs["status"].fillna("live") == "live"]
    pcs = pcs.dropna(subset=["postcode", "easting", "northing", "lsoa21_code"])
    pcs = pcs[pcs["lsoa21_code"].isin(set(codes))].sort_values("postcode")
    groups = {code: part for code, part in pcs.groupby("lsoa21_code", sort=False)}
    out: list[str | None] = []
    for code, px, py in zip(codes, x, y, strict=True):
        part = groups.get(code)
        if part is None or part.empty:
            out.append(None)
            continue
        d = np.hypot(part["easting"].to_numpy(float) - px, part["northing"].to_numpy(float) - py)
        out.append(str(part["postcode"].iloc[int(np.argmin(d))]))
    return out


def map_links(base: str, postcodes: list[str | None]) -> list[str | None]:
    """``<base>/?postcode=<postcode>`` for each postcode (the public map opens it)."""
    root = base.rstrip("/") + "/"
    return [None if p is None else f"{root}?postcode={quote(p)}" for p in postcodes]


def _headers(build: PublicBuild) -> dict[str, str]:
    """Machine column -> the header a navigator reads (units, provenance, direction)."""
    from sna.answers.context import recorded_period

    region = build.region_name
    period = recorded_period(build.manifest.get("violence_model") or {})
    if build.violence_estimated:
        prior = "Violent and sexual offences a year, estimated from IoD2025 rates" + (
            f" ({period})" if period else ""
        )
    else:
        prior = "Violent and sexual offences recorded (police.uk" + (
            f", {period})" if period else ")"
        )
    need = "Needs index" if not build.need_is_risk else "Needs index (residents' risk factors)"
    return {
        "picked_by": "Listed by",
        "district_name": "District",
        "district_rank": "Rank in district (1 = first priority)",
        "place_name": "Place",
        "ward_name": "Ward",
        "postcode": "Postcode (near the centre)",
        "map_url": "Map link",
        "lsoa21_name": "Neighbourhood (LSOA 2021)",
        "lsoa21_code": "LSOA 2021 code",
        "district_code": "District code",
        "violence_risk": "Violent and sexual offences expected, next 12 months (forecast)",
        "violence_risk_lo": "Expected offences, low end (90% interval)",
        "violence_risk_hi": "Expected offences, high end (90% interval)",
        "violence_risk_band": f"Violence risk band (fifths of {region})",
        "violence_risk_rank": f"Violence risk rank in {region} (1 = highest)",
        "violence_risk_rank_lo": "Violence risk rank, likely from (90%)",
        "violence_risk_rank_hi": "Violence risk rank, likely to (90%)",
        "violence_risk_p_top_decile": f"Chance of being in the top 10% of {region} for violence",
        "violence_prior": prior,
        "violence_risk_explanation": "Violence risk, in words",
        "need": f"{need}, score (0 = {region} average)",
        "need_band": f"Needs band (fifths of {region})",
        "need_decile": f"Needs decile in {region} (1 = highest 10%)",
        "need_rank": f"Needs rank in {region} (1 = highest)",
        "need_rank_lo": "Needs rank, likely from (90%)",
        "need_rank_hi": "Needs rank, likely to (90%)",
        "need_p_top_decile": f"Chance of being in the top 10% of {region} for need",
        "risk_band": f"Risk factors band (fifths of {region})",
        "protective_band": f"Protective access band (fifths of {region})",
        "gi_label": "Hotspot of need (Getis-Ord Gi*, 5% false discovery rate)",
        "drivers": "What raises need here",
        "explanation": "Needs index, in words",
        "assets_by_type": "Community places within 1 km, by type",
        "nearest_assets": "Nearest community places",
        "nearest_asset_km": "Nearest community place (km, straight line)",
        "centroid_easting": "Centre easting (British National Grid, m)",
        "centroid_northing": "Centre northing (British National Grid, m)",
        "synthetic": "Uses synthetic stand-in data (not real records)",
    }


def readable(places: pd.DataFrame, build: PublicBuild) -> pd.DataFrame:
    """The priority list as a navigator opens it: the columns in reading order under
    headers in words; the LSOA's risk band is left out where it is the needs band
    (:attr:`~sna.answers.public_build.PublicBuild.need_is_risk`)."""
    headers = _headers(build)
    within = [c for c in places.columns if c.startswith("assets_within_")]
    for c in within:  # assets_within_1km -> "Community places within 1 km"
        km = c.removeprefix("assets_within_").removesuffix("km").replace("_", ".")
        headers[c] = f"Community places within {km} km"
    order = [c for c in headers if c in places.columns]
    if build.need_is_risk:
        order = [c for c in order if c != "risk_band"]
    # the asset count sits before its breakdown
    if within and "assets_by_type" in order:
        order = [c for c in order if c not in within]
        at = order.index("assets_by_type")
        order[at:at] = within
    out = pd.DataFrame(places[order])
    if "picked_by" in out.columns:
        words = {"violence_risk": "Violence risk", "need": "Needs index"}
        out["picked_by"] = out["picked_by"].map(lambda v: words.get(v, v))
    return out.rename(columns=headers)
