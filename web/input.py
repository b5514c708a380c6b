"""Refuse odd input at the door, before any view: the rules no page nor API route may forget.

- A NUL byte in the path, the query string, a form (names and values) or a JSON body: no
  database column can store it (PostgreSQL refuses it): 400, or 422 with the field for a JSON
  body (as the API answers every invalid field).
- A JSON body nested deeper than :data:`MAX_JSON_DEPTH` or holding a number of more than
  :data:`MAX_NUMBER_DIGITS` digits: 400, checked on the raw body before anything parses it
  (Python's parser recurses, and refuses integers of more than 4,300 digits with a ValueError).
- A query string over :data:`MAX_QUERY_BYTES` (414) or an urlencoded form body over
  :data:`MAX_FORM_BODY_BYTES` (413): refused in French before anything parses it.
- Row ids in paths: the ``id`` converter (:class:`IdConverter`) matches 1 to ``MAX_ID`` only,
  so an id out of range is a 404 like an unknown one, before the database is asked.

What each field accepts (one line or several, its length) is the operations' rule:
:func:`data.operations.validation.clean_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, request
from werkzeug.routing import BaseConverter, ValidationError

from data.operations.validation import MAX_ID, NUL_MESSAGE
from web.errors import error_response

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "MAX_QUERY_BYTES",
    "MAX_FORM_BODY_BYTES",
    "IdConverter",
    "range_regex",
    "id_parameter_schema",
    "check_request",
    "json_problem",
    "register_input_guard",
]

MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 30

NUL_IN_REQUEST = "La demande contient un caractère NUL, qui n'est pas accepté."
#: The longest query string read (bytes, percent-encoded). Production's gunicorn refuses a request
#: line over 4,094 bytes anyway; refusing here answers in French and spares parsing a huge one.
MAX_QUERY_BYTES = 4000
#: The longest urlencoded form body read (bytes). Werkzeug bounds multipart text parts
#: (``MAX_FORM_MEMORY_SIZE``) but not urlencoded bodies, which only ``MAX_CONTENT_LENGTH`` (3 MB,
#: for the CSV and CV uploads) limits: decoding 2 MB of percent escapes costs a worker about
#: half a second.
#: The largest real form (an offer: one 5,000-character description, short fields) stays under
#: 64 KB even written in accented letters (6 bytes each once encoded).
MAX_FORM_BODY_BYTES = 256 * 1024
FORM_TOO_LONG = "Le formulaire envoyé est trop long : raccourcissez les textes saisis."
TOO_DEEP = f"Le document JSON est imbriqué trop profondément (au plus {MAX_JSON_DEPTH} niveaux)."
TOO_LONG_NUMBER = f"Un nombre du document JSON dépasse {MAX_NUMBER_DIGITS} chiffres."

# A JSON string (skipped whole; an unterminated one runs to the end, so the scan stays linear),
# or a bracket that opens or closes a level.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


def range_regex(limit: int) -> str:
    """Return a regular expression matching the decimal numbers from 1 to ``limit``.

    >>> pattern = re.compile(range_regex(2147))
    >>> [bool(pattern.fullmatch(str(n))) for n in (0, 1, 999, 2099, 2147, 2148, 9999, 10000)]
    [False, True, True, True, True, False, False, False]
    """
    digits = str(limit)
    options = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, ch in enumerate(digits):
        low = "1" if i == 0 else "0"
        if ch > low:
            below = low if int(ch) - 1 == int(low) else f"{low}-{int(ch) - 1}"
            options.append(f"{digits[:i]}[{below}]\\d{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class IdConverter(BaseConverter):
    """Match a row id in a path: 1 to ``MAX_ID`` (other numbers name no row: 404).

    The range is in the pattern, not only in ``to_python``: Werkzeug answers 405 when a rule of
    another method matched the path and this one's converter refused the value.
    """

    regex = range_regex(MAX_ID)
    weight = 50  # as Werkzeug's int converter
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    """Describe the ``id`` converter in the OpenAPI document."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class _TooLong(ValueError):
    """A number of the JSON body has too many digits."""


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS + 1:  # a sign and the digits
        raise _TooLong(text)
    return int(text)


def _float(text: str) -> float:
    if sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
        raise _TooLong(text)
    return float(text)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield every string of a parsed JSON value (keys too) with its field path (``a.0.b``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield name, key
            yield from _strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def json_problem(raw: str) -> tuple[int, str, dict[str, list[str]]] | None:
    """Return ``(status, message, errors)`` if a JSON text breaks a rule of the door, else None.

    Malformed JSON passes: the API's own parser answers it.

    >>> json_problem("[" * 100 + "]" * 100)[0]
    400
    >>> json_problem('{"name": "a\\\\u0000b"}')[2]
    {'name': ["Le caractère NUL n'est pas accepté."]}
    >>> json_problem('{"places": 3}') is None
    True
    """
    depth = 0
    for token in _JSON_TOKEN.finditer(raw):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return 400, TOO_DEEP, {}
        elif char in "]}":
            depth -= 1
    try:
        parsed = json.loads(raw, parse_int=_int, parse_float=_float)
    except _TooLong:
        return 400, TOO_LONG_NUMBER, {}
    except ValueError:  # malformed: not ours to answer
        return None
    errors = {path or "_schema": [NUL_MESSAGE] for path, text in _strings(parsed) if "\x00" in text}
    if errors:
        return 422, "Certaines informations sont invalides.", errors
    return None


def _has_nul(pairs: Any) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def check_request() -> Response | None:
    """Answer a request whose input breaks a rule of the door; let the others through."""
    if len(request.query_string) > MAX_QUERY_BYTES:
        return error_response(414)
    if "\x00" in request.path or _has_nul(request.args.items(multi=True)):
        return error_response(400, NUL_IN_REQUEST)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if (
                request.mimetype == "application/x-www-form-urlencoded"
                and (request.content_length or 0) > MAX_FORM_BODY_BYTES
            ):
                return error_response(413, FORM_TOO_LONG)
            if _has_nul(request.form.items(multi=True)):
                return error_response(400, NUL_IN_REQUEST)
        elif request.is_json and request.content_length:
            raw = request.get_data(cache=True).decode("utf-8", errors="replace")
            problem = json_problem(raw)
            if problem is not None:
                status, message, errors = problem
                code = "validation_error" if status == 422 else None
                return error_response(status, message, errors, code=code)
    return None


def register_input_guard(app: Flask) -> None:
    """Install the ``id`` path converter and the check of every request's input."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(check_request)
