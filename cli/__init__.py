"""The ``sna`` command line: a composition root over the engine (``sna``), the API and maps.

It is the only package that imports all of them; ``sna`` itself imports none of ``api``,
``maps`` or ``cli`` (checked by ``tests/test_architecture.py``).
"""

from .main import app, main

__all__ = ["app", "main"]
