"""The statistics, apart from the pipeline: each module one method on arrays and frames.

Nothing here reads a store, a region file or a build; the pipeline (:mod:`sna.needs`,
:mod:`sna.build`) calls these.

- :mod:`~sna.stats.shrinkage`: empirical-Bayes shrinkage of small-area rates;
- :mod:`~sna.stats.transforms`: outlier treatment and the IoD exponential transform;
- :mod:`~sna.stats.normalisation`: rank-based normal scores, z-scores, min-max;
- :mod:`~sna.stats.aggregate`: weighted aggregation into an index, with contributions;
- :mod:`~sna.stats.ranking`: ranks, deciles and bands (1 = highest);
- :mod:`~sna.stats.uncertainty`: the Monte Carlo engine for rank intervals;
- :mod:`~sna.stats.hotspots`: Getis-Ord Gi* and local Moran's I, with FDR control;
- :mod:`~sna.stats.kde`: kernel-density surfaces below the LSOA (GeoTIFF);
- :mod:`~sna.stats.metrics`: how well a ranking anticipates the next period (PAI, PEI*, RRI).
"""
