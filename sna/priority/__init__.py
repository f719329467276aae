"""Priority places: per district, the LSOAs to act on first, ready for a navigator.

- :mod:`~sna.priority.places`: :func:`~sna.priority.places.priority_places` (highest violence
  risk or need, with drivers and assets nearby) and the ``sna priority`` export;
- :mod:`~sna.priority.table`: place names, a postcode, a map link and readable headers.
"""
