"""Violence risk: how many violence and sexual offences will be recorded where, next year.

- :mod:`~sna.violence.count_model`: the regularised count regression;
- :mod:`~sna.violence.features`: the models' terms (time-weighted counts, layers);
- :mod:`~sna.violence.model`: fitting and predicting a region's model;
- :mod:`~sna.violence.posterior`: the Poisson–gamma update of a prior by a place's own counts;
- :mod:`~sna.violence.pooled`: one model pooled over every force with street files;
- :mod:`~sna.violence.street_counts`, :mod:`~sna.violence.force_panel`,
  :mod:`~sna.violence.region_street`: the police.uk counts the models read;
- :mod:`~sna.violence.words`: the model in plain words.

The build's violence step (fit, or apply the pooled model; lay out the columns) is
:mod:`sna.build.violence`.
"""
