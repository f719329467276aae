"""A synthetic police.uk archive: every force of England and Wales plus BTP, in the exact
street-level CSV schema, for benchmarks only (SYNTHETIC: every row says so in ``Context``).

Points are "snap points" drawn inside real LSOA 2021 polygons (about ten per LSOA), each with
the LSOA 2011 and 2021 codes and names it falls in; a force's rows go to its own LSOAs
(LSOA21 -> district 2024 -> police force area 2024) in proportion to Census 2021 population,
so forces get realistic relative volumes (the Met about 15%). BTP rows are spread over every
force's snap points. Before ``switch_month`` files carry the 2011 LSOA code, from it the 2021
code, as police.uk did. About 3.5% of rows have no location (no coordinates, no LSOA), about
0.1% of crimes are repeated rows with the same Crime ID, and anti-social behaviour rows have
no Crime ID and no outcome. Generation is vectorised numpy and pyarrow's CSV writer: one
file per force and month, ``YYYY-MM/YYYY-MM-<force>-street.csv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.csv as pacsv
import shapely
from pyproj import Transformer

from geodata.boundaries import read_boundaries
from geodata.crime import CURRENT_COLUMNS

__all__ = ["CRIME_MIX", "SnapPool", "snap_pool", "write_archive", "month_list"]

SOURCES = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COLUMNS = list(CURRENT_COLUMNS)  # the police.uk street-level header, as the loader reads it
#: Share of rows by police.uk category (roughly England and Wales 2023).
CRIME_MIX = {
    "Violence and sexual offences": 0.33,
    "Anti-social behaviour": 0.17,
    "Criminal damage and arson": 0.08,
    "Other theft": 0.07,
    "Shoplifting": 0.07,
    "Public order": 0.07,
    "Vehicle crime": 0.06,
    "Burglary": 0.045,
    "Drugs": 0.025,
    "Other crime": 0.025,
    "Theft from the person": 0.012,
    "Robbery": 0.012,
    "Bicycle theft": 0.01,
    "Possession of weapons": 0.008,
}
OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Awaiting court outcome",
    "Local resolution",
    "Offender given a caution",
    "Further investigation is not in the public interest",
]
CONTEXT = "SYNTHETIC benchmark row, not police data"
_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def _force_id(name: str) -> str:
    special = {"Metropolitan Police": "metropolitan", "London, City of": "city-of-london"}
    return special.get(name) or re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", "and"))


def _falls_within(name: str) -> str:
    special = {
        "Metropolitan Police": "Metropolitan Police Service",
        "London, City of": "City of London Police",
        "Devon & Cornwall": "Devon & Cornwall Police",
    }
    return special.get(name) or f"{name} Police"


@dataclass
class SnapPool:
    """Snap points with their force, codes, names, lon/lat and sampling weight."""

    frame: pd.DataFrame
    forces: dict[str, str]  # force id -> Falls within


def snap_pool(per_lsoa: int = 10, seed: int = 1, sources: Path = SOURCES) -> SnapPool:
    """Draw ``per_lsoa`` points inside every LSOA21 polygon and label them (a few seconds)."""
    rng = np.random.default_rng(seed)
    p21 = read_boundaries(
        sources / "boundaries/lsoa21_england_wales.geoparquet",
        code_col="lsoa21_code",
        name_col="lsoa21_name",
    ).data
    p11 = read_boundaries(
        sources / "boundaries/lsoa11_england_wales.geoparquet",
        code_col="lsoa11_code",
        name_col="lsoa11_name",
    ).data
    geoms = np.asarray(p21.geometry.array, dtype=object)
    shapely.prepare(geoms)
    b = shapely.bounds(geoms)
    need = np.full(len(geoms), per_lsoa)
    got_i, got_x, got_y = [], [], []
    for _ in range(12):
        todo = np.flatnonzero(need > 0)
        if not len(todo):
            break
        i = np.repeat(todo, need[todo] * 3)
        x = rng.uniform(b[i, 0], b[i, 2])
        y = rng.uniform(b[i, 1], b[i, 3])
        ok = shapely.contains_xy(geoms[i], x, y)
        frame = pd.DataFrame({"i": i[ok], "x": x[ok], "y": y[ok]})
        frame["k"] = frame.groupby("i").cumcount()
        frame = frame.loc[frame["k"] < need[frame["i"].to_numpy()]]
        got_i.append(frame["i"].to_numpy())
        got_x.append(frame["x"].to_numpy())
        got_y.append(frame["y"].to_numpy())
        np.subtract.at(need, frame["i"].to_numpy(), 1)
    i = np.concatenate(got_i)
    x = np.round(np.concatenate(got_x), 0)
    y = np.round(np.concatenate(got_y), 0)
    pool = pd.DataFrame(
        {
            "lsoa21_code": p21["code"].to_numpy()[i],
            "lsoa21_name": p21["name"].to_numpy()[i],
            "x": x,
            "y": y,
        }
    )
    g11 = np.asarray(p11.geometry.array, dtype=object)
    tree = shapely.STRtree(g11)
    pi, gi = tree.query(shapely.points(x, y), predicate="within")
    first = pd.DataFrame({"p": pi, "g": gi}).drop_duplicates("p")
    pool["lsoa11_code"] = pd.NA
    pool["lsoa11_name"] = pd.NA
    pool.loc[first["p"].to_numpy(), "lsoa11_code"] = p11["code"].to_numpy()[first["g"].to_numpy()]
    pool.loc[first["p"].to_numpy(), "lsoa11_name"] = p11["name"].to_numpy()[first["g"].to_numpy()]
    pool["lsoa11_code"] = pool["lsoa11_code"].fillna(pool["lsoa21_code"])
    pool["lsoa11_name"] = pool["lsoa11_name"].fillna(pool["lsoa21_name"])
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(x, y)
    pool["lon"] = np.round(lon, 6)
    pool["lat"] = np.round(lat, 6)
    districts = pd.read_csv(sources / "lookups/lookup_lsoa21_ward24_ltla24.csv.gz")
    pfa = pd.read_csv(sources / "lookups/lookup_ltla24_csp24_pfa24.csv.gz")
    d = districts[["lsoa21_code", "ltla24_code"]].merge(
        pfa[["ltla24_code", "pfa24_name"]], on="ltla24_code"
    )
    pool = pool.merge(d[["lsoa21_code", "pfa24_name"]], on="lsoa21_code", how="inner")
    pop = pd.read_csv(sources / "population/census21_usual_residents_by_agegroup_lsoa21.csv.gz")
    pop = pop.groupby("lsoa21_code")["usual_residents"].sum()
    pool["weight"] = pool["lsoa21_code"].map(pop).fillna(pop.median()).to_numpy() / per_lsoa
    pool["force"] = pool["pfa24_name"].map(_force_id)
    forces = {_force_id(n): _falls_within(n) for n in sorted(pool["pfa24_name"].unique())}
    forces["btp"] = "British Transport Police"
    pool = pool.sort_values(["force", "lsoa21_code", "x", "y"]).reset_index(drop=True)
    return SnapPool(pool, forces)


def month_list(start: str, n: int) -> list[str]:
    """``n`` consecutive months from ``start`` (``YYYY-MM``)."""
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def _crime_ids(rng: np.random.Generator, n: int) -> pa.Array:
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    hexed = np.ascontiguousarray(_HEX[raw]).view("S64").ravel()
    return pa.array(hexed, type=pa.binary()).cast(pa.string())


def write_archive(
    root: Path,
    rows: int,
    *,
    pool: SnapPool,
    months: list[str],
    switch_month: str,
    seed: int = 7,
    btp_share: float = 0.012,
) -> dict[str, int]:
    """Write about ``rows`` rows as one CSV per force and month under ``root``.

    Returns the rows written per force. Each force's monthly volume is Poisson around its
    population share of ``rows`` (BTP: ``btp_share``).
    """
    rng = np.random.default_rng(seed)
    frame = pool.frame
    by_force = {f: g for f, g in frame.groupby("force", sort=True)}
    weight = frame.groupby("force")["weight"].sum()
    share = (weight / weight.sum() * (1 - btp_share)).to_dict()
    share["btp"] = btp_share
    types = np.array(list(CRIME_MIX))
    cum_types = np.cumsum(list(CRIME_MIX.values()))
    cum_types /= cum_types[-1]
    asb = int(np.flatnonzero(types == "Anti-social behaviour")[0])
    outcomes = pa.array(OUTCOMES)
    written: dict[str, int] = {}
    for force, falls in pool.forces.items():
        pts = frame if force == "btp" else by_force[force]
        cw = np.cumsum(pts["weight"].to_numpy())
        cw /= cw[-1]
        cols = {
            c: pa.array(pts[c].to_numpy(dtype=object))
            for c in ("lsoa21_code", "lsoa21_name", "lsoa11_code", "lsoa11_name")
        }
        lon = pts["lon"].to_numpy()
        lat = pts["lat"].to_numpy()
        street = pa.array([f"On or near Synthetic Street {j % 997}" for j in range(len(pts))])
        for month in months:
            n = int(rng.poisson(rows * share[force] / len(months)))
            if n == 0:
                continue
            idx = np.minimum(np.searchsorted(cw, rng.random(n)), len(pts) - 1)
            ti = np.minimum(np.searchsorted(cum_types, rng.random(n)), len(types) - 1)
            no_loc = rng.random(n) < 0.035
            dup = np.flatnonzero((rng.random(n) < 0.001) & (ti != asb))
            idx = np.concatenate([idx, idx[dup]])
            ti = np.concatenate([ti, ti[dup]])
            no_loc = np.concatenate([no_loc, no_loc[dup]])
            ids = _crime_ids(rng, n).to_numpy(zero_copy_only=False)
            ids = np.concatenate([ids, ids[dup]]).astype(object)
            is_asb = ti == asb
            ids[is_asb] = None
            m = len(idx)
            take = pa.array(idx)
            code_col, name_col = (
                ("lsoa11_code", "lsoa11_name")
                if month < switch_month
                else ("lsoa21_code", "lsoa21_name")
            )
            mask = pa.array(no_loc)
            oc = rng.integers(0, len(OUTCOMES), m)
            table = pa.table(
                {
                    "Crime ID": pa.array(ids, type=pa.string()),
                    "Month": pa.array(np.full(m, month)),
                    "Reported by": pa.array(np.full(m, falls)),
                    "Falls within": pa.array(np.full(m, falls)),
                    "Longitude": pa.array(lon[idx], mask=no_loc),
                    "Latitude": pa.array(lat[idx], mask=no_loc),
                    "Location": pa.compute.if_else(
                        mask, pa.scalar("No Location"), street.take(take)
                    ),
                    "LSOA code": pa.compute.if_else(
                        mask, pa.scalar(None, pa.string()), cols[code_col].take(take)
                    ),
                    "LSOA name": pa.compute.if_else(
                        mask, pa.scalar(None, pa.string()), cols[name_col].take(take)
                    ),
                    "Crime type": pa.array(types[ti]),
                    "Last outcome category": pa.compute.if_else(
                        pa.array(is_asb), pa.scalar(None, pa.string()), outcomes.take(pa.array(oc))
                    ),
                    "Context": pa.array(np.full(m, CONTEXT)),
                }
            )
            path = root / month / f"{month}-{force}-street.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
            written[force] = written.get(force, 0) + m
    return written
