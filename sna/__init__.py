"""SNA risk mapper: the scoring engine for Violence Reduction Unit needs assessments.

The public API is re-exported here, one statistic per module underneath (as in esda):
shrinkage, transforms, normalisation, aggregation, ranking, uncertainty, drivers, hotspots
and surfaces; the composite model (:func:`score_layers`); and the pipeline entry points
(:func:`prepare_region`, :func:`build_region`). ``import sna`` does not load the web stack
(FastAPI) or the mapping stack (Folium).
"""

__version__ = "0.1.0"

from .aggregate import need_index, weighted_arithmetic, weighted_geometric  # noqa: E402
from .config import LayerSpec, RegionConfig, ScoringSpec, load_region  # noqa: E402
from .drivers import explain, level_contributions, top_drivers  # noqa: E402
from .errors import SnaError  # noqa: E402
from .hotspots import getis_ord_gi_star, local_moran, spatial_weights  # noqa: E402
from .normalise import blom_scores, minmax, normalise, zscores  # noqa: E402
from .ranking import bands, deciles, rank_desc  # noqa: E402
from .scoring import LayerInput, Scored, score_layers  # noqa: E402
from .shrinkage import eb_shrink  # noqa: E402
from .surfaces import kde_surface, sample_surface, write_geotiff  # noqa: E402
from .transforms import iod_exponential, treat_outliers  # noqa: E402
from .uncertainty import monte_carlo  # noqa: E402


def prepare_region(*args, **kwargs):
    """Prepare a region's geodata store (see :func:`sna.prepare.prepare_region`)."""
    from .prepare import prepare_region as _prepare

    return _prepare(*args, **kwargs)


def build_region(*args, **kwargs):
    """Build and publish a region's indices (see :func:`sna.build.build_region`)."""
    from .build import build_region as _build

    return _build(*args, **kwargs)


__all__ = [
    "LayerInput",
    "LayerSpec",
    "RegionConfig",
    "Scored",
    "ScoringSpec",
    "SnaError",
    "bands",
    "blom_scores",
    "build_region",
    "deciles",
    "eb_shrink",
    "explain",
    "getis_ord_gi_star",
    "iod_exponential",
    "kde_surface",
    "level_contributions",
    "load_region",
    "local_moran",
    "minmax",
    "monte_carlo",
    "need_index",
    "normalise",
    "prepare_region",
    "rank_desc",
    "sample_surface",
    "score_layers",
    "spatial_weights",
    "top_drivers",
    "treat_outliers",
    "weighted_arithmetic",
    "weighted_geometric",
    "write_geotiff",
    "zscores",
]
