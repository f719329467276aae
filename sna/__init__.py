"""SNA risk mapper: the scoring engine for Violence Reduction Unit needs assessments.

``import sna`` is the library a notebook calls. The pipeline: :func:`prepare_region` (the
region's geodata store, read with :class:`Store`), :func:`build_region` (scores, answers,
tiles; audited, then published), :func:`audit_build` (the disclosure audit of a build
folder) and :func:`evaluate_region` (does the index find the places?). A published build:
:func:`open_build` (the reader the server answers from) and :func:`load_public_build` (the
public view: :class:`PublicBuild`), whose :func:`priority_places` are the places to act on.
The statistics underneath, one per module of :mod:`sna.stats` (as in esda): shrinkage,
transforms, normalisation, aggregation, ranking, uncertainty, hotspots and kernel density;
the composite model (:func:`score_layers`) and its drivers. ``docs/architecture.md`` maps the
packages.

Every name is the function itself (its signature is the real one), imported on first use
(PEP 562): ``import sna`` loads neither the web stack (FastAPI), the mapping stack (Folium)
nor pandas, so a part of the engine (the server's answer reader, say) stays light.
"""

__version__ = "0.1.0"

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: public name -> the module it lives in
_EXPORTS: dict[str, str] = {
    "need_index": "sna.stats.aggregate",
    "weighted_arithmetic": "sna.stats.aggregate",
    "weighted_geometric": "sna.stats.aggregate",
    "LayerSpec": "sna.config.scoring",
    "RegionConfig": "sna.config.region",
    "ScoringSpec": "sna.config.scoring",
    "load_region": "sna.config.region",
    "explain": "sna.needs.drivers",
    "level_contributions": "sna.needs.drivers",
    "top_drivers": "sna.needs.drivers",
    "SnaError": "sna.errors",
    "getis_ord_gi_star": "sna.stats.hotspots",
    "local_moran": "sna.stats.hotspots",
    "spatial_weights": "sna.stats.hotspots",
    "blom_scores": "sna.stats.normalisation",
    "minmax": "sna.stats.normalisation",
    "normalise": "sna.stats.normalisation",
    "zscores": "sna.stats.normalisation",
    "bands": "sna.stats.ranking",
    "deciles": "sna.stats.ranking",
    "rank_desc": "sna.stats.ranking",
    "LayerInput": "sna.needs.scoring",
    "Scored": "sna.needs.scoring",
    "score_layers": "sna.needs.scoring",
    "eb_shrink": "sna.stats.shrinkage",
    "kde_surface": "sna.stats.kde",
    "sample_surface": "sna.stats.kde",
    "write_geotiff": "sna.stats.kde",
    "iod_exponential": "sna.stats.transforms",
    "treat_outliers": "sna.stats.transforms",
    "monte_carlo": "sna.stats.uncertainty",
    "prepare_region": "sna.prepare.pipeline",
    "build_region": "sna.build.pipeline",
    "open_build": "sna.builds.registry",
    "load_public_build": "sna.builds.registry",
    "PublicBuild": "sna.answers.public_build",
    "Store": "sna.prepare.store",
    "priority_places": "sna.priority.places",
    "evaluate_region": "sna.evaluation.forward",
    "audit_build": "sna.audit",
}

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from sna.answers.public_build import PublicBuild  # noqa: F401
    from sna.audit import audit_build  # noqa: F401
    from sna.build.pipeline import build_region  # noqa: F401
    from sna.builds.registry import load_public_build, open_build  # noqa: F401
    from sna.config.region import RegionConfig, load_region  # noqa: F401
    from sna.config.scoring import LayerSpec, ScoringSpec  # noqa: F401
    from sna.errors import SnaError  # noqa: F401
    from sna.evaluation.forward import evaluate_region  # noqa: F401
    from sna.needs.drivers import explain, level_contributions, top_drivers  # noqa: F401
    from sna.needs.scoring import LayerInput, Scored, score_layers  # noqa: F401
    from sna.prepare.pipeline import prepare_region  # noqa: F401
    from sna.prepare.store import Store  # noqa: F401
    from sna.priority.places import priority_places  # noqa: F401
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
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "LayerInput",
    "LayerSpec",
    "PublicBuild",
    "RegionConfig",
    "Scored",
    "ScoringSpec",
    "SnaError",
    "Store",
    "audit_build",
    "bands",
    "blom_scores",
    "build_region",
    "deciles",
    "eb_shrink",
    "evaluate_region",
    "explain",
    "getis_ord_gi_star",
    "iod_exponential",
    "kde_surface",
    "level_contributions",
    "load_public_build",
    "load_region",
    "local_moran",
    "minmax",
    "monte_carlo",
    "need_index",
    "normalise",
    "open_build",
    "prepare_region",
    "priority_places",
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
