"""A build's public answers: computed once by ``sna build``, read by key when served.

Modules, one job each:

- :mod:`~sna.answers.groups`: ward and district aggregates (population-weighted means);
- :mod:`~sna.answers.areas`: LSOA, ward and district answers and priority-list rows;
- :mod:`~sna.answers.postcodes`: postcode, outcode and terminated-postcode answers;
- :mod:`~sna.answers.catalogue`: layers, provenance, the shared tail, tile attributes;
- :mod:`~sna.answers.words`: drivers in plain words;
- :mod:`~sna.answers.nearby`: support nearby (the one KD-tree over the assets);
- :mod:`~sna.answers.nearest`: reverse geocoding, nearest postcodes and outcodes, random
  postcodes (compact entries);
- :mod:`~sna.answers.national`: the national postcode index (for "outside the region");
- :mod:`~sna.answers.writer`: writes ``answers.sqlite`` into a build folder;
- :mod:`~sna.answers.reader`: :class:`BuildReader`, what the server, maps and report read
  (open one with :func:`sna.builds.registry.open_build`);
- :mod:`~sna.answers.public_build`: :class:`~sna.answers.public_build.PublicBuild`, the
  public tabular view the maps, report and priority lists draw from;
- :mod:`~sna.answers.support`: which assets are listed nearby, in what order, under what name;
- :mod:`~sna.answers.outlines`: the map's bearings (district and ward outlines, area names).
"""

from __future__ import annotations

from typing import Any

from sna.answers.query import clean_query, normalise
from sna.answers.reader import SORTS, BuildReader
from sna.answers.schema import ANSWERS_FILE, AREA_LEVELS

__all__ = [
    "ANSWERS_FILE",
    "AREA_LEVELS",
    "SORTS",
    "BuildReader",
    "clean_query",
    "normalise",
    "write_answers",
]


def __getattr__(name: str) -> Any:
    """``write_answers`` on first use: the writer's stack (geopandas) is not the server's."""
    if name == "write_answers":
        from sna.answers.writer import write_answers

        return write_answers
    raise AttributeError(name)
