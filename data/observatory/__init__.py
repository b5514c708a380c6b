"""The observatory (issue 20): the sector's figures computed from the platform's own data.

- :mod:`data.observatory.tables`: the one shape of a published table (columns with their French
  titles, types and units; rows; cells held back by the statistical secret), which the pages draw
  as charts beside their data table, the open-data files export with their Table Schema, and the
  API returns.
- :mod:`data.observatory.secret`: the statistical secret. ``protect(cube, masks)`` takes counts of
  people over 1 to 3 dimensions and the published tables (masks of kept dimensions, totals keyed
  ``"Ensemble"``), holds back every figure of 1 to 10 people and, by complementary suppression,
  every shown figure needed so that none can be recomputed from the others;
  ``protected_table(...)`` turns the result into a :class:`~data.observatory.tables.Table`.
  Pure Python and numpy; ``tests/data/test_secret.py`` attacks it with an independent method.
- :mod:`data.observatory.opendata`: the open-data files of published tables: CSV (UTF-8, comma),
  JSON records, a Table Schema per table and one ``datapackage.json`` under the Licence Ouverte
  2.0 (``package_files(tables, ...)`` returns them all by name), validated by ``frictionless`` in
  ``tests/data/test_opendata.py``. The « Données ouvertes » page's French text and list of files
  is the partial ``web/templates/observatory/_opendata_list.html``.
"""
