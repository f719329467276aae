"""Does the index find the places? The forward tests of ``sna evaluate``.

- :mod:`~sna.evaluation.method`: the method, and one import for the functions below;
- :mod:`~sna.evaluation.forward`: :func:`~sna.evaluation.forward.evaluate_region`, a
  training-only index against the next period, on LSOAs and grid cells;
- :mod:`~sna.evaluation.iod_era`: the same test in the IoD2019 era;
- :mod:`~sna.evaluation.forces`: the pooled violence model, force by force;
- :mod:`~sna.evaluation.cells`, :mod:`~sna.evaluation.setup`, :mod:`~sna.evaluation.result`,
  :mod:`~sna.evaluation.plot`: grid cells, windows and targets, the result, its chart.
"""
