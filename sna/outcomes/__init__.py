"""The Home Office success measures: knife-enabled serious violence, homicide, hospital
admissions for sharp-object assault.

- :mod:`~sna.outcomes.series`: the measures as series; :mod:`~sna.outcomes.partner`: those
  that do not come from the ONS tables;
- :mod:`~sna.outcomes.words`: the series in plain sentences;
- :mod:`~sna.outcomes.answer`: one region's outcomes answer, as ``sna build`` stores it.
"""
