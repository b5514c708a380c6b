"""``/api/v1/lists``: the coordinators' lists as their pages show them, a page or a CSV export.

The same search, filters and sort as the pages (one parser, :mod:`web.listing`; one query,
:mod:`data.queries.lists`): a page of a list is a table, its French column headers and its rows
(the columns of the CSV export), and ``export.csv`` is the file the page's export link gives.
Coordinators and admins only; the candidates' data a table holds is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE

from data.errors import ValidationError
from data.presentation.export import COLUMNS, plain
from data.queries.lists import LISTS, list_page
from web.db import get_session
from web.listing import EXPORT_FORMATS, audit_candidates_shown, export_file, open_listing

from .auth import current_principal, staff_only
from .base import api_blueprint, errors
from .common import page_out
from .schemas import ListPage, ListParams

__all__ = ["API_LISTS", "bp"]

bp = api_blueprint(
    "lists",
    "/lists",
    "The coordinators' lists (offers, requests, employers, candidates, pairs, review queue): "
    "search, filters and sort as on their pages, a page as a table or every row as CSV.",
)

#: The API's name of each list -> the list's name (the word of its page's URL).
API_LISTS = {
    "offers": "offres",
    "requests": "demandes",
    "employers": "employeurs",
    "candidates": "candidats",
    "pairs": "binomes",
    "suggestions": "suggestions",
}
#: The page's query word of each API parameter (the page number and size apart).
PAGE_WORDS = {
    "q": "recherche",
    "status": "statut",
    "check": "verification",
    "metier": "metier",
    "territory": "territoire",
    "housing": "logement",
    "min_score": "score",
    "sort": "tri",
}
_NAMES = "any(" + ", ".join(API_LISTS) + ")"


def _read(name: str, params: dict[str, Any]) -> Any:
    """Read list ``name``'s query from the API's parameters, as its page reads its own."""
    values: dict[str, str] = {}
    for key, word in PAGE_WORDS.items():
        value = params.get(key)
        if value is None:
            continue
        if key == "housing":
            values[word] = "oui" if value else "non"
        elif key == "min_score":
            values[word] = str(round(value * 100))
        else:
            values[word] = str(value)
    listing = open_listing(API_LISTS[name], values)
    if listing.query is None:
        api_names = {word: key for key, word in PAGE_WORDS.items()}
        raise ValidationError({api_names[f]: m for f, m in listing.errors.items()})
    return listing


@bp.route(f"/<{_NAMES}:name>", methods=["GET"], endpoint="page")
@staff_only
@bp.arguments(ListParams, location="query", unknown=RAISE)
@bp.response(200, ListPage)
@errors(bp, 403, 422)
def list_table(params: dict[str, Any], name: str) -> dict[str, Any]:
    """A page of a list as a table: its French column headers, and its rows in its order as
    ``items`` (each an array of cells under ``columns``).

    ``q`` searches names, communes, métiers and free text (every word must match); ``sort`` is a
    column key as on the page (``places``, ``-places`` for descending; an unknown key is a 422);
    each list takes the filters its page offers (``status``, ``check`` — a structure's check
    status, employers only —, ``metier`` — a code or
    ``prioritaires`` —, ``territory`` — a commune as typed —, ``housing``, ``min_score``), and
    ignores the others. The candidates' data shown is written to the audit log.
    """
    listing = _read(name, params)
    session = get_session()
    columns = COLUMNS[listing.name]
    page = list_page(
        session, LISTS[listing.name], listing.query, params["page"], params["page_size"]
    )
    audit_candidates_shown(listing.name, page.items, current_principal().actor)
    session.commit()
    table = page_out(page, lambda row: [plain(c.value(row)) for c in columns])
    return {"columns": [c.header for c in columns], **table}


@bp.route(f"/<{_NAMES}:name>/export.csv", methods=["GET"], endpoint="export")
@staff_only
@bp.arguments(ListParams, location="query", unknown=RAISE)
@bp.response(200, {"type": "string"}, content_type="text/csv")
@errors(bp, 403, 422)
def list_export(params: dict[str, Any], name: str) -> Response:
    """Every row of a list (same search, filters and sort; ``page`` ignored) as the CSV file
    its page exports: French header, ``;`` between cells, UTF-8 with a byte order mark."""
    return export_file(_read(name, params), current_principal().actor, "csv")


@bp.route(f"/<{_NAMES}:name>/export.xlsx", methods=["GET"], endpoint="export_xlsx")
@staff_only
@bp.arguments(ListParams, location="query", unknown=RAISE)
@bp.response(200, {"type": "string", "format": "binary"}, content_type=EXPORT_FORMATS["xlsx"])
@errors(bp, 403, 422)
def list_export_xlsx(params: dict[str, Any], name: str) -> Response:
    """Every row of a list as its page's Excel export (.xlsx): one sheet, the header row
    frozen, days as days, numbers as numbers."""
    return export_file(_read(name, params), current_principal().actor, "xlsx")
