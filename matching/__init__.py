"""Passerelle's matching engine: a pure library (no web, no database, no I/O)."""

__all__: list[str] = []
