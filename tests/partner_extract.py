"""A hospital extract in the published partner schema, with small groups at known postcodes.

``design(postcodes)`` places, on real West Midlands postcodes:

- in Birmingham a cluster of 12 admissions at one postcode, a cluster of 8 over four
  neighbouring postcodes (two each), four isolated single admissions and two pairs;
- in Coventry a cluster of 12 at one postcode, one single and one pair.

Every single and pair is at least 3 km from every cluster and 1.5 km from every other
record, so its kernel (400 m) reaches nothing else. ``relocated=True`` moves each single and
pair to another postcode of the same district (another ward and LSOA, equally isolated):
if no public output changes, no public output locates them. District totals (28 and 15)
clear the threshold of 8; wards and MSOAs do not, so the layer is published by district.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

BIRMINGHAM, COVENTRY = "E08000025", "E08000026"
HOSPITAL_LAYER = "hospital_assault_u25"
EXCLUSIONS_LAYER = "school_exclusions"


@dataclass
class Design:
    """Which postcodes hold which records (postcode -> number of admissions)."""

    clusters: dict[str, int] = field(default_factory=dict)
    singles: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    moved_singles: list[str] = field(default_factory=list)
    moved_pairs: list[str] = field(default_factory=list)

    def records(self, relocated: bool = False) -> dict[str, int]:
        """Postcode -> admissions, with singles and pairs at their original or moved places."""
        out = dict(self.clusters)
        singles = self.moved_singles if relocated else self.singles
        pairs = self.moved_pairs if relocated else self.pairs
        for p in singles:
            out[p] = out.get(p, 0) + 1
        for p in pairs:
            out[p] = out.get(p, 0) + 2
        return out

    @property
    def small(self) -> list[str]:
        """Every postcode holding a single or a pair, in either version."""
        return self.singles + self.pairs + self.moved_singles + self.moved_pairs


def _live(postcodes: pd.DataFrame, district: str) -> pd.DataFrame:
    p = postcodes[
        (postcodes["status"] == "live")
        & (postcodes["district_code"] == district)
        & postcodes["easting"].notna()
    ]
    return p.sort_values("postcode").reset_index(drop=True)


def _pick(pool: pd.DataFrame, taken: list[np.ndarray], avoid: list[np.ndarray], n: int, used):
    """``n`` postcodes of ``pool``, >= 3 km from ``avoid`` and 1.5 km from ``taken``."""
    out = []
    xy = pool[["easting", "northing"]].to_numpy(float)
    step = max(len(pool) // 997, 1)
    for i in range(0, len(pool), step):
        p = xy[i]
        if any(np.hypot(*(p - a)) < 3000 for a in avoid):
            continue
        if any(np.hypot(*(p - t)) < 1500 for t in taken):
            continue
        row = pool.iloc[i]
        if row["lsoa21_code"] in used["lsoa"] or row["ward_code"] in used["ward"]:
            continue
        out.append(row["postcode"])
        taken.append(p)
        used["lsoa"].add(row["lsoa21_code"])
        used["ward"].add(row["ward_code"])
        if len(out) == n:
            return out
    raise AssertionError(f"could not place {n} isolated records")


def design(postcodes: pd.DataFrame, areas: pd.DataFrame) -> Design:
    """Choose the postcodes (deterministic for given postcode and LSOA tables)."""
    keep = ["postcode", "status", "easting", "northing", "lsoa21_code"]
    postcodes = pd.DataFrame(postcodes[keep]).merge(
        pd.DataFrame(areas[["lsoa21_code", "ward_code", "district_code"]]), on="lsoa21_code"
    )
    d = Design()
    taken: list[np.ndarray] = []
    used: dict[str, set] = {"lsoa": set(), "ward": set()}
    for district, n_single, n_pair, spread in ((BIRMINGHAM, 4, 2, True), (COVENTRY, 1, 1, False)):
        pool = _live(postcodes, district)
        xy = pool[["easting", "northing"]].to_numpy(float)
        centre = np.median(xy, axis=0)
        first = int(np.argmin(np.hypot(*(xy - centre).T)))
        d.clusters[pool["postcode"].iloc[first]] = 12
        avoid = [xy[first]]
        if spread:  # eight admissions over four postcodes within 250 m, 5 km from the first
            tree = cKDTree(xy)
            far = np.flatnonzero(np.hypot(*(xy - xy[first]).T) > 5000)
            for j in far[:: max(len(far) // 200, 1)]:
                dist, idx = tree.query(xy[j], k=4)
                if dist.max() < 250:
                    for k in idx:
                        d.clusters[pool["postcode"].iloc[k]] = 2
                    avoid.append(xy[j])
                    break
            else:  # pragma: no cover - depends on the postcode table
                raise AssertionError("no spread cluster site found")
        taken += avoid
        for code in d.clusters:
            row = pool[pool["postcode"] == code]
            if len(row):
                used["lsoa"].add(row["lsoa21_code"].iloc[0])
                used["ward"].add(row["ward_code"].iloc[0])
        d.singles += _pick(pool, taken, avoid, n_single, used)
        d.pairs += _pick(pool, taken, avoid, n_pair, used)
        d.moved_singles += _pick(pool, taken, avoid, n_single, used)
        d.moved_pairs += _pick(pool, taken, avoid, n_pair, used)
    return d


def write_extract(d: Design, path: Path, relocated: bool = False) -> Path:
    """The extract as a partner would send it (HOSPITAL_COLUMNS), ages under 25."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    k = 0
    for postcode, n in sorted(d.records(relocated).items()):
        for _ in range(n):
            k += 1
            rows.append(
                {
                    "record_id": f"TEST-{k:05d}",
                    "postcode": postcode,
                    "admission_date": f"2023-{(k % 12) + 1:02d}-15",
                    "age": 16 + k % 8,
                    "sex": "M" if k % 3 else "F",
                    "icd10_cause": "Y04.0" if k % 2 else "X99.4",
                    "mechanism": "",
                }
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_pupil_extract(d: Design, path: Path, relocated: bool = False) -> Path:
    """The same groups as pupil-level exclusions (PUPIL_EXCLUSION_COLUMNS), by home postcode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    k = 0
    for postcode, n in sorted(d.records(relocated).items()):
        for _ in range(n):
            k += 1
            rows.append(
                {
                    "record_id": f"PUP-{k:05d}",
                    "home_postcode": postcode,
                    "date": f"2023-{(k % 9) + 1:02d}-1{k % 8}",
                    "category": "Suspension" if k % 4 else "Permanent exclusion",
                    "reason": "PA" if k % 2 else "Persistent disruptive behaviour",
                    "age": 11 + k % 5,
                    "school_urn": "",
                }
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def extract_config(csv_path: Path, pupil_path: Path | None = None, **scoring):
    """The West Midlands config with the extracts plugged in (as a VRU would in its TOML)."""
    from sna.config.region import SourceSpec, load_region

    base = load_region("west-midlands")
    extracts = {
        "hospital_admissions": SourceSpec(
            path=str(csv_path), vintage="test extract 2023", licence="restricted"
        )
    }
    if pupil_path is not None:
        extracts["pupil_exclusions"] = SourceSpec(
            path=str(pupil_path), vintage="test extract 2023/24", licence="restricted"
        )
    sources = base.sources.model_copy(update=extracts)
    sc = base.scoring.model_copy(update={"mc_draws": 20, "hotspot_permutations": 99, **scoring})
    return base.model_copy(update={"sources": sources, "scoring": sc})
