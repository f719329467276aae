"""The forward tests of ``sna evaluate`` (see :mod:`sna.evaluate` for the method)."""
