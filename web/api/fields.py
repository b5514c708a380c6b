"""Strict marshmallow fields with French messages, for every input and output of the API.

Strict means a JSON value of the wrong type is refused, never coerced: a boolean accepts only
``true`` and ``false`` (marshmallow's ``Boolean`` takes ``0``, ``1`` and ``"yes"``, since
``1 == True``), an integer only a JSON integer (not ``"3"``, not ``3.0``, not ``true``).
Query-string values are text by nature: :class:`QueryBoolean` and :class:`QueryInteger` read them.
Text refuses NUL characters and lone surrogates, which no database column can store.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from data.operations.validation import MAX_ID

__all__ = [
    "INT32_MAX",
    "Text",
    "StrictBoolean",
    "StrictInteger",
    "QueryBoolean",
    "QueryInteger",
    "Number",
    "Day",
    "Stamp",
    "Choice",
    "ListOf",
    "Id",
    "range_",
    "length",
]

# Ids and counts are 32-bit integers in the database: a larger value cannot name a row (the one
# bound of ids, data.operations.validation.MAX_ID, also used by the pages and the path converter).
INT32_MAX = MAX_ID

REQUIRED = "Ce champ est obligatoire."
NULL = "Ce champ ne peut pas être vide (null)."


class _French:
    """Mixin: French messages for the errors every field shares."""

    default_error_messages = {"required": REQUIRED, "null": NULL, "validator_failed": "Invalide."}


class Text(_French, fields.String):
    """A string; refuses NUL characters and unpaired surrogates."""

    default_error_messages = {
        "invalid": "Texte attendu.",
        "invalid_utf8": "Texte mal encodé.",
        "nul": "Le caractère NUL n'est pas accepté.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if "\x00" in value:
            raise self.make_error("nul")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("invalid_utf8") from None
        return value


class StrictBoolean(_French, fields.Boolean):
    """A JSON boolean: only ``true`` or ``false``."""

    default_error_messages = {"invalid": "Valeur booléenne attendue : true ou false."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class QueryBoolean(_French, fields.Boolean):
    """A boolean in a query string: only ``true`` or ``false``."""

    default_error_messages = {"invalid": "Valeur attendue : true ou false."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise self.make_error("invalid")


class StrictInteger(_French, fields.Integer):
    """A JSON integer (not a string, not a float, not a boolean)."""

    default_error_messages = {
        "invalid": "Nombre entier attendu.",
        "too_large": "Nombre trop grand.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class QueryInteger(_French, fields.Integer):
    """An integer in a query string: decimal digits only, with an optional minus sign."""

    default_error_messages = {"invalid": "Nombre entier attendu."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = value if isinstance(value, str) else ""
        digits = text[1:] if text.startswith("-") else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
            raise self.make_error("invalid")
        return int(text)


class Number(_French, fields.Float):
    """A finite number (in a query string: its decimal text)."""

    default_error_messages = {
        "invalid": "Nombre attendu.",
        "special": "Nombre fini attendu.",
        "too_large": "Nombre trop grand.",
    }

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Day(_French, fields.Date):
    """A date as ``YYYY-MM-DD``."""

    default_error_messages = {
        "invalid": "Date attendue au format AAAA-MM-JJ.",
        "format": "Date impossible à écrire.",
    }


class Stamp(_French, fields.AwareDateTime):
    """A timezone-aware timestamp in ISO 8601 (output only)."""


class Choice(_French, fields.Enum):
    """One of the values of an enum (its ``value``s, not its member names)."""

    default_error_messages = {"unknown": "Valeur attendue parmi : {choices}."}

    def __init__(self, enum: Any, **kwargs: Any) -> None:
        super().__init__(enum, by_value=Text, **kwargs)


class ListOf(_French, fields.List):
    """A JSON array of one kind of item."""

    default_error_messages = {"invalid": "Liste attendue."}


def Id(**kwargs: Any) -> StrictInteger:  # noqa: N802  (reads as a field class)
    """A row id in a JSON body: an integer from 1 to 2**31 - 1."""
    return StrictInteger(validate=range_(1, INT32_MAX), **kwargs)


def range_(minimum: float | None = None, maximum: float | None = None) -> validate.Range:
    """Return a Range validator with a French message."""
    if minimum is not None and maximum is not None:
        message = f"Valeur attendue entre {minimum} et {maximum}."
    elif minimum is not None:
        message = f"Valeur attendue supérieure ou égale à {minimum}."
    else:
        message = f"Valeur attendue inférieure ou égale à {maximum}."
    return validate.Range(min=minimum, max=maximum, error=message)


def length(minimum: int | None = None, maximum: int | None = None) -> validate.Length:
    """Return a Length validator with a French message."""
    if minimum is not None and maximum is not None:
        message = f"Longueur attendue entre {minimum} et {maximum}."
    elif minimum is not None:
        message = f"Longueur minimale : {minimum}."
    else:
        message = f"Longueur maximale : {maximum}."
    return validate.Length(min=minimum, max=maximum, error=message)
