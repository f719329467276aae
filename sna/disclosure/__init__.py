"""Disclosure control: no public value of any kind from fewer than the threshold of records.

- :mod:`~sna.disclosure.rule`: the one number (``DISCLOSURE_THRESHOLD``);
- :mod:`~sna.disclosure.control`: suppression, bands and the coarsest safe geography;
- :mod:`~sna.disclosure.public_tables`: the public form of a build's tables (what may leave
  the analyst's machine).

The audit of a finished build against the rule is :mod:`sna.audit`.
"""
