"""The observatory (issue 20): the sector's figures computed from the platform's own data.

- :mod:`data.observatory.tables`: the one shape of a published table (columns with their French
  titles, types and units; rows; cells held back by the statistical secret), which the pages draw
  as charts beside their data table, the open-data files export with their Table Schema, and the
  API returns.
"""
