"""Preparing a region's geodata store (``sna data prepare``): every source loaded once,
postcodes placed, written as GeoParquet with a provenance manifest.

- :mod:`~sna.prepare.pipeline`: :func:`~sna.prepare.pipeline.prepare_region`, the entry;
- :mod:`~sna.prepare.store`: the store itself (:class:`~sna.prepare.store.Store`), its
  publication and cache key;
- :mod:`~sna.prepare.views`, :mod:`~sna.prepare.view_sources`: a VRU view's store, sliced
  from its national store, plus the view's own sources.

The steps, one module per source family:

- :mod:`~sna.prepare.steps`: the plumbing every step shares (the table writer, source paths);
- :mod:`~sna.prepare.areas`: LSOA21 polygons and population, wards and districts;
- :mod:`~sna.prepare.postcodes`: postcodes placed in their exact LSOA21;
- :mod:`~sna.prepare.deprivation`: IoD2025, and IoD2019 carried to LSOA21;
- :mod:`~sna.prepare.crime`: police.uk street-level crime points;
- :mod:`~sna.prepare.schools`: GIAS schools and DfE exclusions;
- :mod:`~sna.prepare.partner`: partner extracts, or their synthetic stand-ins;
- :mod:`~sna.prepare.assets`: support nearby (the assets table).
"""
