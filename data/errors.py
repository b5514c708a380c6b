"""Exceptions raised by the data layer; only ``web/errors.py`` turns them into HTTP answers."""

from __future__ import annotations

import enum

__all__ = [
    "DataError",
    "ValidationError",
    "NotFound",
    "Conflict",
    "PermissionDenied",
    "InvalidTransition",
]


class DataError(Exception):
    """Root of every error the data layer raises on purpose."""


class ValidationError(DataError, ValueError):
    """Input breaks a domain rule; ``errors`` maps field names to French messages.

    >>> e = ValidationError({"siret": ["Numéro SIRET invalide."]})
    >>> e.errors["siret"]
    ['Numéro SIRET invalide.']
    """

    def __init__(self, errors: dict[str, list[str]] | str, message: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {"_schema": [errors]}
        self.errors: dict[str, list[str]] = errors
        self.message = message or "Certaines informations sont invalides."
        super().__init__(self.message, errors)


class NotFound(DataError, LookupError):
    """The object does not exist, or the caller may not know that it does."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} introuvable : {key}")


class Conflict(DataError):
    """The change clashes with existing data (a duplicate, a concurrent edit)."""


class PermissionDenied(DataError, PermissionError):
    """The actor may not do this to this object."""


class InvalidTransition(DataError, ValueError):
    """A status change that the object's life cycle does not allow.

    ``current`` and ``target`` are the statuses (enum members); the message names them by their
    French labels (``data.presentation.transition_message``), never by their codes.
    """

    def __init__(self, what: str, current: enum.Enum, target: enum.Enum) -> None:
        # Imported here: the labels read the models, which are built on this module.
        from data.presentation.labels import transition_message

        self.what = what
        self.current = current
        self.target = target
        super().__init__(transition_message(what, current, target))
