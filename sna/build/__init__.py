"""Building a region (``sna build``): from its prepared store to a published build folder.

- :mod:`~sna.build.pipeline`: :func:`~sna.build.pipeline.build_region`, the entry (audit
  before publishing);
- :mod:`~sna.build.inputs`: the tables and layer inputs a build scores first;
- :mod:`~sna.build.violence`: the violence-risk step (fit the model, or apply the pooled one);
- :mod:`~sna.build.robustness`: Monte Carlo rank intervals and the sensitivity table;
- :mod:`~sna.build.postcodes`: surfaces and each postcode's need;
- :mod:`~sna.build.national`: a view's national ranks, from the national build;
- :mod:`~sna.build.views`: every VRU view of a national build, in worker processes;
- :mod:`~sna.build.archive_surfaces`: per-force surfaces from the archive's grid counts.
"""
