"""Need: each layer's value per LSOA, the composite index, and what drives it.

- :mod:`~sna.needs.layers`: each declared layer as one raw value per LSOA21, from the store;
- :mod:`~sna.needs.partner_layers`: which partner layers a build can use, disclosure-safe;
- :mod:`~sna.needs.scoring`: the composite model (values -> scores -> levels -> indices);
- :mod:`~sna.needs.drivers`: level contributions, top drivers, drivers in words;
- :mod:`~sna.needs.at_risk`, :mod:`~sna.needs.national_at_risk`: the at-risk population
  (residents plus day visitors), the denominator of the rates;
- :mod:`~sna.needs.trends`: monthly recorded violence and the IoD2019 -> IoD2025 move.
"""
