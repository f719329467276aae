"""Schools and exclusions: GIAS establishments, DfE LA-level exclusions, pupil-level extracts.

Three sources of different standing:

* :func:`read_gias` (in :mod:`geodata.gias`, re-exported here), the open Get Information
  About Schools register (one row per school, with a grid reference and LSOA 2021 code):
  schools as points;
* :func:`read_la_exclusions` (in :mod:`geodata.exclusions_la`), DfE's published permanent
  and fixed-period (suspension) exclusions by local authority and school type (2006/07 to
  2016/17 in the bundle), optionally with the reasons file; used to calibrate the synthetic
  stand-in and as district context;
* :func:`read_pupil_exclusions` (in :mod:`geodata.exclusions_pupil`), the schema of a
  pupil-level partner extract (one row per exclusion, placed by the pupil's home postcode or
  LSOA) that a VRU receives from its local authorities. It is not open;
  :mod:`geodata.synthetic` writes stand-ins in the same schema.

DfE's exclusion rates are per 100 pupils on roll (``perm_excl_rate`` = permanent exclusions /
headcount x 100); :func:`exclusion_rates` recomputes them per pupil from the unrounded counts.

This module is the one import for all three (and the reason vocabulary of
:mod:`geodata.exclusion_reasons`): it re-exports their names.
"""

from __future__ import annotations

from .exclusion_reasons import (
    EXCLUSION_REASON_CODES,
    EXCLUSION_REASONS,
    VIOLENT_EXCLUSION_REASONS,
)
from .exclusions_la import (
    LA_EXCLUSION_COLUMNS,
    REASON_COLUMNS,
    SUPPRESSION_SYMBOLS,
    exclusion_rates,
    read_la_exclusions,
)
from .exclusions_la import (
    dfe_authority_names as dfe_authority_names,
)
from .exclusions_pupil import (
    EXCLUSION_CATEGORIES,
    PUPIL_EXCLUSION_COLUMNS,
    PUPIL_EXCLUSION_REQUIRED,
    normalise_exclusion_category,
    normalise_exclusion_reason,
    read_pupil_exclusions,
)
from .gias import GIAS_COLUMNS, read_gias  # re-exported: GIAS has its own module

__all__ = [
    "GIAS_COLUMNS",
    "LA_EXCLUSION_COLUMNS",
    "REASON_COLUMNS",
    "EXCLUSION_REASONS",
    "EXCLUSION_REASON_CODES",
    "VIOLENT_EXCLUSION_REASONS",
    "SUPPRESSION_SYMBOLS",
    "PUPIL_EXCLUSION_COLUMNS",
    "PUPIL_EXCLUSION_REQUIRED",
    "EXCLUSION_CATEGORIES",
    "read_gias",
    "read_la_exclusions",
    "exclusion_rates",
    "normalise_exclusion_category",
    "normalise_exclusion_reason",
    "read_pupil_exclusions",
]
