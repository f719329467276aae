"""Typed errors of the scoring engine; the API maps them to HTTP status codes in one table."""

from __future__ import annotations

from geodata.errors import GeodataError, InputFileError
from geodata.postcode_format import InvalidPostcodeError

__all__ = [
    "SnaError",
    "ConfigError",
    "StoreError",
    "StoreNotPrepared",
    "BuildNotFound",
    "BuildLoadError",
    "LayerNotFound",
    "InvalidWeights",
    "PostcodeError",
    "InvalidPostcode",
    "PostcodeNotFound",
    "AreaNotFound",
    "OutcomesNotFound",
    "OutsideCoverage",
    "TileNotFound",
    "InvalidParameter",
    "EvaluationError",
    "DisclosureError",
    "ValueOutOfRange",
    "GeodataError",
    "InputFileError",
]


class SnaError(Exception):
    """Base class of every error raised by ``sna``."""


class ConfigError(SnaError):
    """A region configuration file is missing or invalid (the message names file and field)."""


class StoreError(SnaError):
    """The geodata store is unreadable or inconsistent."""


class StoreNotPrepared(StoreError):
    """No prepared store exists for the region yet (run ``sna data prepare``)."""


class BuildNotFound(SnaError):
    """No published build exists for the region, or the named build is missing."""


class BuildLoadError(BuildNotFound):
    """A build folder exists but cannot be read (a missing or malformed file, named)."""


class LayerNotFound(SnaError):
    """A layer id is not declared in the region configuration or the build."""


class InvalidWeights(SnaError):
    """Weights are negative, empty or do not match the layers."""


class PostcodeError(SnaError):
    """Base class for postcode lookup errors."""


class InvalidPostcode(PostcodeError, InvalidPostcodeError):
    """The text is not a well-formed UK postcode.

    The one invalid-postcode error: it is also geodata's :class:`InvalidPostcodeError`, so
    either name catches it and the API maps it once.
    """


class PostcodeNotFound(PostcodeError):
    """A well-formed postcode that is not in the region's postcode table."""


class AreaNotFound(SnaError):
    """An LSOA, ward or district code that is not in the build."""


class OutcomesNotFound(AreaNotFound):
    """A build made without the outcome series (no ONS tables where it was built)."""


class OutsideCoverage(SnaError):
    """A location or tile outside the region's coverage."""


class TileNotFound(OutsideCoverage):
    """A tile index that does not exist at its zoom level (x or y beyond ``2**z - 1``)."""


class InvalidParameter(SnaError):
    """A request parameter outside its allowed values (e.g. an unknown ``sort`` or ``level``)."""


class EvaluationError(SnaError):
    """The evaluation cannot run as asked (bad window, no data in a window, no targets)."""


class DisclosureError(SnaError):
    """A build's public outputs would disclose partner records (the message names them)."""


class ValueOutOfRange(SnaError):
    """A layer value outside its possible range (a share above 1, a negative count): the
    build refuses to publish it (the message names layer, unit, value and LSOA)."""
