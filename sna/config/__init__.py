"""Region configuration: one TOML file per VRU area, validated with pydantic.

- :mod:`~sna.config.region`: :class:`~sna.config.region.RegionConfig` and
  :func:`~sna.config.region.load_region` (the one entry point);
- :mod:`~sna.config.base`: the strict base model and the licence lines;
- :mod:`~sna.config.sources`: ``[region]``, ``[sources]`` and the synthetic stand-ins;
- :mod:`~sna.config.scoring`: the layers, ``[scoring]`` and ``[violence_risk]``;
- :mod:`~sna.config.outcomes`: ``[outcomes]``; :mod:`~sna.config.contacts`: ``[contacts]``;
- :mod:`~sna.config.regions`: every region the tool knows (shipped files and a generated
  view per police force area); :mod:`~sna.config.region_list`: what ``sna regions`` shows.
"""
