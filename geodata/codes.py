"""GSS codes (ONS's nine-character area codes, e.g. ``E01000001``): the one pattern.

A module of its own, with no imports, so that config validation and the server can check a
code without loading the file readers.
"""

from __future__ import annotations

import re

__all__ = ["GSS_PATTERN"]

#: A GSS code: a country letter and eight digits.
GSS_PATTERN = re.compile(r"^[EWSNLM]\d{8}$")
