"""What every region-config model shares: the strict base class and the licence lines.

Kept apart from :mod:`sna.config.region` so the config models split by job (sources, scoring)
import it without importing the loader.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ATTRIBUTION", "OGL", "OS_ATTRIBUTION", "OSM_ATTRIBUTION"]

OGL = "Contains public sector information licensed under the Open Government Licence v3.0"
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
#: What every build's outputs are attributed to (all its sources are under these).
ATTRIBUTION: tuple[str, ...] = (OGL, OS_ATTRIBUTION, OSM_ATTRIBUTION)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
