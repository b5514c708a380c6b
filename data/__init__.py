"""Passerelle's data layer: models, sessions, migrations, domain operations and reference data.

Importing this package has no side effect; build an engine with :func:`data.db.make_engine`.
"""
