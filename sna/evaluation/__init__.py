"""The forward tests of ``sna evaluate`` (see :mod:`sna.evaluation.method` for the method)."""
