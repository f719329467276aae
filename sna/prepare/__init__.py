"""The steps of ``sna data prepare``, one module per source family (run by
:mod:`sna.prepare.pipeline`).

Modules, one job each:

- :mod:`~sna.prepare.steps`: the plumbing every step shares (the table writer, source paths);
- :mod:`~sna.prepare.areas`: LSOA21 polygons and population, wards and districts;
- :mod:`~sna.prepare.postcodes`: postcodes placed in their exact LSOA21;
- :mod:`~sna.prepare.deprivation`: IoD2025, and IoD2019 carried to LSOA21;
- :mod:`~sna.prepare.crime`: police.uk street-level crime points;
- :mod:`~sna.prepare.schools`: GIAS schools and DfE exclusions;
- :mod:`~sna.prepare.partner`: partner extracts, or their synthetic stand-ins;
- :mod:`~sna.prepare.assets`: support nearby (the assets table).
"""
