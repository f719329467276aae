"""SNA risk mapper: the scoring engine for Violence Reduction Unit needs assessments.

The public API is re-exported here, one statistic per module underneath (as in esda):
shrinkage, transforms, normalisation, aggregation, ranking, uncertainty, drivers, hotspots
and surfaces; the composite model (:func:`score_layers`); and the pipeline entry points
(:func:`prepare_region`, :func:`build_region`). ``import sna`` does not load the web stack
(FastAPI) or the mapping stack (Folium), and each name's module is imported on first use.
"""

__version__ = "0.1.0"

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

#: public name -> the module it lives in; imported on first use (PEP 562), so that a part
#: of the engine (the server's answer reader, say) does not load scipy and pandas with it
_EXPORTS: dict[str, str] = {
    "need_index": "stats.aggregate",
    "weighted_arithmetic": "stats.aggregate",
    "weighted_geometric": "stats.aggregate",
    "LayerSpec": "config.region",
    "RegionConfig": "config.region",
    "ScoringSpec": "config.region",
    "load_region": "config.region",
    "explain": "needs.drivers",
    "level_contributions": "needs.drivers",
    "top_drivers": "needs.drivers",
    "SnaError": "errors",
    "getis_ord_gi_star": "stats.hotspots",
    "local_moran": "stats.hotspots",
    "spatial_weights": "stats.hotspots",
    "blom_scores": "stats.normalisation",
    "minmax": "stats.normalisation",
    "normalise": "stats.normalisation",
    "zscores": "stats.normalisation",
    "bands": "stats.ranking",
    "deciles": "stats.ranking",
    "rank_desc": "stats.ranking",
    "LayerInput": "needs.scoring",
    "Scored": "needs.scoring",
    "score_layers": "needs.scoring",
    "eb_shrink": "stats.shrinkage",
    "kde_surface": "stats.kde",
    "sample_surface": "stats.kde",
    "write_geotiff": "stats.kde",
    "iod_exponential": "stats.transforms",
    "treat_outliers": "stats.transforms",
    "monte_carlo": "stats.uncertainty",
}

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from sna.config.region import LayerSpec, RegionConfig, ScoringSpec, load_region  # noqa: F401
    from sna.errors import SnaError  # noqa: F401
    from sna.needs.drivers import explain, level_contributions, top_drivers  # noqa: F401
    from sna.needs.scoring import LayerInput, Scored, score_layers  # noqa: F401
    from sna.stats.aggregate import need_index, weighted_arithmetic, weighted_geometric  # noqa: F401
    from sna.stats.hotspots import getis_ord_gi_star, local_moran, spatial_weights  # noqa: F401
    from sna.stats.kde import kde_surface, sample_surface, write_geotiff  # noqa: F401
    from sna.stats.normalisation import blom_scores, minmax, normalise, zscores  # noqa: F401
    from sna.stats.ranking import bands, deciles, rank_desc  # noqa: F401
    from sna.stats.shrinkage import eb_shrink  # noqa: F401
    from sna.stats.transforms import iod_exponential, treat_outliers  # noqa: F401
    from sna.stats.uncertainty import monte_carlo  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (``sna.score_layers`` and
    ``from sna import score_layers`` both work)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sna' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """``sna`` itself. Importing a submodule sets it as an attribute of the package; where
    the submodule shares its name with the public function it holds (``sna.stats.normalisation``),
    the function is kept, as the eager ``from .normalise import normalise`` used to."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def prepare_region(*args, **kwargs):
    """Prepare a region's geodata store (see :func:`sna.prepare.pipeline.prepare_region`)."""
    from sna.prepare.pipeline import prepare_region as _prepare

    return _prepare(*args, **kwargs)


def build_region(*args, **kwargs):
    """Build and publish a region's indices (see :func:`sna.build.pipeline.build_region`)."""
    from sna.build.pipeline import build_region as _build

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
