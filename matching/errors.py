"""Exceptions raised by the matching engine."""

from __future__ import annotations

__all__ = ["MatchingError", "InvalidInput", "UnknownMetier"]


class MatchingError(Exception):
    """Root of every error the engine raises on purpose."""


class InvalidInput(MatchingError, ValueError):
    """An input record breaks the engine's contract; names the record and the field.

    >>> e = InvalidInput("places must be >= 0", record="offer o1", field="places")
    >>> str(e)
    'offer o1, field places: places must be >= 0'
    """

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None):
        self.message = message
        self.record = record
        self.field = field
        where = ", ".join(
            part for part in (record, f"field {field}" if field else None) if part is not None
        )
        super().__init__(f"{where}: {message}" if where else message)


class UnknownMetier(InvalidInput, KeyError):
    """A métier code that the referential does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ValueError.__str__(self)
