"""Seeded synthetic stand-ins for partner data that is not open.

Hospital admissions for assault and pupil-level school exclusions reach a VRU only as partner
data under a data-sharing agreement. So that the whole pipeline can be built, tested and
demonstrated without them, this module writes record-level **synthetic** data in exactly the
partner schemas of :mod:`geodata.hospital` and :mod:`geodata.schools` (so the same readers
read it), calibrated to open aggregates:

* :func:`synth_hospital_admissions`: an assumed regional admission rate for ages 0-24,
  distributed over LSOAs in proportion to the 0-24 population times the IoD2025
  violence-with-injury rate, with Poisson draws;
* :func:`synth_pupil_exclusions`: each district's real DfE permanent and fixed-period rates
  applied to its school-age population.

Every synthetic frame carries a ``synthetic`` column (all True), ``frame.attrs['synthetic'] =
True``, ``record_id`` values starting ``SYN-``, and the seed and calibration in
``frame.attrs``; :func:`write_partner_csv` writes a ``<path>.synthetic.json`` sidecar that says
SYNTHETIC. The same seed and inputs give identical output. Nothing here describes any real
person, and counts from it must never be presented as observed.
"""

from __future__ import annotations

import hashlib
import json
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .hospital import HOSPITAL_COLUMNS
from .schools import PUPIL_EXCLUSION_COLUMNS
from .synthetic_exclusions import (  # re-exported: the stand-ins' public home stays here
    NATIONAL_REASON_COUNTS_201617,
    SCHOOL_AGE_FRACTION_OF_0_15,
    synth_pupil_exclusions,
)
from .synthetic_hospital import (
    ASSAULT_CAUSE_MIX,
    DEFAULT_ADULT_SHARE,
    DEFAULT_U25_ADMISSIONS_PER_1000,
    DEFAULT_VIOLENCE_RATE_COL,
    synth_hospital_admissions,
)

__all__ = [
    "DEFAULT_VIOLENCE_RATE_COL",
    "DEFAULT_U25_ADMISSIONS_PER_1000",
    "DEFAULT_ADULT_SHARE",
    "SCHOOL_AGE_FRACTION_OF_0_15",
    "ASSAULT_CAUSE_MIX",
    "NATIONAL_REASON_COUNTS_201617",
    "synth_hospital_admissions",
    "synth_pupil_exclusions",
    "write_partner_csv",
]

PathLike_ = str | PathLike[str]


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def write_partner_csv(frame: pd.DataFrame, path: PathLike_) -> tuple[Path, Path | None]:
    """Write a partner-schema frame as CSV, with a SYNTHETIC sidecar when it is synthetic.

    Parameters
    ----------
    frame
        A hospital-admissions or pupil-exclusions frame (its schema is told from its columns),
        e.g. from :func:`synth_hospital_admissions`.
    path
        Output CSV (``.csv``, or ``.csv.gz`` for gzip). The header is the schema's column
        names, with no comment lines, so any CSV reader and the project's readers take it.

    Returns
    -------
    (csv_path, sidecar_path)
        ``sidecar_path`` is ``<path>.synthetic.json`` when the frame is synthetic (its
        ``synthetic`` column or ``attrs['synthetic']``), else None. The sidecar says
        ``"synthetic": true`` and ``"label": "SYNTHETIC DATA ..."``, and holds the generator,
        seed, parameters, calibration sources, injected defects, row count and the CSV's
        sha256.
    """
    cols = set(frame.columns)
    if set(HOSPITAL_COLUMNS) <= cols:
        schema, columns = "hospital_admissions", list(HOSPITAL_COLUMNS)
    elif set(PUPIL_EXCLUSION_COLUMNS) <= cols:
        schema, columns = "pupil_exclusions", list(PUPIL_EXCLUSION_COLUMNS)
    else:
        raise ValueError(
            "frame is in neither partner schema; expected the columns "
            f"{list(HOSPITAL_COLUMNS)} or {list(PUPIL_EXCLUSION_COLUMNS)}"
        )
    is_synth = bool(frame.attrs.get("synthetic", False)) or (
        "synthetic" in cols and bool(frame["synthetic"].fillna(False).astype(bool).any())
    )
    if is_synth:
        columns.append("synthetic")
        out = frame.assign(synthetic=True)[columns]
    else:
        out = frame[columns]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, lineterminator="\n")
    if not is_synth:
        return path, None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = {
        "synthetic": True,
        "label": "SYNTHETIC DATA - generated records, not real people or real events",
        "schema": schema,
        "file": path.name,
        "sha256": digest,
        "rows": len(out),
        "generator": frame.attrs.get("generator"),
        "seed": frame.attrs.get("seed"),
        "parameters": frame.attrs.get("parameters", {}),
        "calibration": frame.attrs.get("calibration", {}),
        "injected_defects": frame.attrs.get("injected", {}),
    }
    sidecar = Path(f"{path}.synthetic.json")
    sidecar.write_text(json.dumps(_json_ready(meta), indent=2) + "\n")
    return path, sidecar
