"""police.uk's crime categories, apart from the loaders: the config reads them without pandas."""

from __future__ import annotations

__all__ = ["CURRENT_CRIME_TYPES"]

CURRENT_CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
"""The 14 categories police.uk has used since May 2013."""
