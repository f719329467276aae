"""The steps of ``sna data prepare``, one module per source family (run by :mod:`sna.prepare`).

Modules, one job each:

- :mod:`~sna.preparing.steps`: the plumbing every step shares (the table writer, source paths);
- :mod:`~sna.preparing.areas`: LSOA21 polygons and population, wards and districts;
- :mod:`~sna.preparing.postcodes`: postcodes placed in their exact LSOA21;
- :mod:`~sna.preparing.deprivation`: IoD2025, and IoD2019 carried to LSOA21;
- :mod:`~sna.preparing.crime`: police.uk street-level crime points;
- :mod:`~sna.preparing.schools`: GIAS schools and DfE exclusions;
- :mod:`~sna.preparing.partner`: partner extracts, or their synthetic stand-ins;
- :mod:`~sna.preparing.assets`: support nearby (the assets table).
"""
