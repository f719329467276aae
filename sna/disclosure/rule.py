"""The disclosure rule's one number, with nothing else to import (the config reads it too).

No public value of any kind (band, score, pixel, sentence) is derived from fewer than
:data:`DISCLOSURE_THRESHOLD` partner records: the HES/ECDS convention. A region may raise it
(``[scoring] disclosure_threshold``), never lower it. :mod:`sna.disclosure.control` applies it.
"""

__all__ = ["DISCLOSURE_THRESHOLD"]

DISCLOSURE_THRESHOLD = 8
