"""Read HTML form input into the types the operations take; keep what was typed for re-display."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import current_app, flash, request

from data.errors import ValidationError
from data.presentation import FIELD_LABELS
from web.db import get_session

# FIELD_LABELS (the one table of field names, ``data.presentation``) is re-exported for the pages.
__all__ = ["values", "checked", "page_args", "small_int", "flash_errors", "FIELD_LABELS"]


def values(names: Iterable[str]) -> dict[str, str]:
    """Return the submitted text of each field ('' when absent).

    Nothing is cut: the operations refuse a text over its length with a French message
    (``data.operations.validation.clean_text``), and the request size is bounded by
    ``MAX_FORM_MEMORY_SIZE``.
    """
    return {name: request.form.get(name, "") for name in names}


def checked(name: str) -> bool:
    """Tell whether a checkbox was ticked (the operations take real booleans)."""
    return request.form.get(name) in ("1", "on", "true")


def or_none(value: str) -> Any:
    """Return None for an empty field, the text otherwise (optional fields)."""
    return value if value.strip() else None


def small_int(text: str, low: int, high: int) -> int | None:
    """Return the number a field holds if it is from ``low`` to ``high``, else None.

    ASCII digits only: ``str.isdigit`` accepts "²", which ``int`` refuses, and ``int`` refuses
    more than 4,300 digits; both were 500s.

    >>> small_int("12", 0, 100), small_int("²", 0, 100), small_int("9" * 5000, 0, 100)
    (12, None, None)
    """
    if not re.fullmatch(rf"[0-9]{{1,{len(str(high))}}}", text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def page_args() -> tuple[int, int]:
    """Return the page number asked for (1 if none or nonsense) and the page size."""
    number = small_int(request.args.get("page", "1"), 1, 999_999) or 1
    return number, int(current_app.config["PAGE_SIZE"])


def flash_errors(exc: Exception) -> None:
    """Undo the request's changes and tell a refused action in French, one flash per message
    (for a button's form, which has no fields to show them beside)."""
    get_session().rollback()
    if isinstance(exc, ValidationError):
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
    else:
        flash(str(exc), "error")
