"""GSS codes (ONS's nine-character area codes, e.g. ``E01000001``): the patterns, once.

A module of its own, with no imports, so that config validation and the server can check a
code without loading the file readers.
"""

from __future__ import annotations

import re

__all__ = ["GSS_PATTERN", "LSOA_PATTERN", "WARD_PATTERN"]

#: A GSS code: a country letter and eight digits.
GSS_PATTERN = re.compile(r"^[EWSNLM]\d{8}$")
#: An LSOA code of England or Wales (2011 or 2021 LSOAs share the form).
LSOA_PATTERN = re.compile(r"^[EW]01\d{6}$")
#: An electoral ward code of England or Wales.
WARD_PATTERN = re.compile(r"^[EW]05\d{6}$")
