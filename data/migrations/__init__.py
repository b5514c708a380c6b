"""Alembic migrations of Passerelle's schema (run through :mod:`data.migrate`)."""
