"""The coordinators' lists on pages: read a list's search, filters and sort from the query string.

One parser for every list (``data.queries.lists`` holds their queries): a bad value becomes a
French message next to its field, never a 500.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Response, request

from data import queries
from data.actor import Actor
from data.errors import ValidationError
from data.models import PAIR_STATUSES, OfferStatus, RequestStatus, StructureCheck, StructureKind
from data.operations import audit
from data.operations.communes import commune_label, resolve_commune
from data.presentation import choices
from data.presentation.export import CANDIDATE_SHOWN, CHECK_HEADER, COLUMNS, csv_text, xlsx_bytes
from data.presentation.formatters import PARIS
from data.queries import Page
from data.queries.lists import LISTS, ListQuery, list_rows, parse_sort
from web.db import get_session
from web.forms import small_int

#: The métier filter's value for "the plan's priority métiers".
PRIORITY_METIERS = "prioritaires"
PRIORITY_METIERS_LABEL = "Les métiers prioritaires du plan"
#: The query-string words of a list (the page number apart).
FIELDS = ("recherche", "statut", "verification", "metier", "territoire", "logement", "score", "tri")
#: Where a detail page's back link may lead (a list of the coordination space only).
BACK_PREFIX = "/coordination/"


@dataclass
class Listing:
    """What a list page shows of its query: the form, its errors, the links' arguments."""

    name: str
    endpoint: str
    form: dict[str, str]
    errors: dict[str, list[str]]
    query: ListQuery | None
    sort: str = ""
    descending: bool = False
    page: Page[Any] | None = None
    statuses: list[tuple[str, str]] = field(default_factory=list)
    status_label: str = "Statut"
    checks: list[tuple[str, str]] = field(default_factory=list)
    check_label: str = CHECK_HEADER
    metiers: list[tuple[str, str]] = field(default_factory=list)
    housing_label: str = ""
    territory: bool = True
    score: bool = False

    @property
    def args(self) -> dict[str, str]:
        """The list's query (no page number) for the pager and the export link."""
        return {k: v for k, v in self.form.items() if v}

    def sort_args(self, key: str) -> dict[str, str]:
        """The query sorting by ``key``: ascending, or descending if it is sorted so already."""
        flip = self.sort == key and not self.descending
        return {**self.args, "tri": f"-{key}" if flip else key}

    def aria_sort(self, key: str) -> str | None:
        """The ``aria-sort`` value of the column of ``key`` (None: not sorted by it)."""
        if self.sort != key:
            return None
        return "descending" if self.descending else "ascending"


LIST_ENDPOINTS = {
    "offres": "coordinator.offers",
    "demandes": "coordinator.requests_list",
    "employeurs": "coordinator.employers",
    "candidats": "coordinator.candidates",
    "binomes": "coordinator.pair_list",
    "suggestions": "coordinator.queue",
}


#: The filters each list offers besides its search (statuses, structures' checks, métiers,
#: housing, score).
LIST_OPTIONS: dict[str, dict[str, Any]] = {
    "offres": {"statuses": list(OfferStatus), "housing_label": "Logement proposé"},
    "demandes": {"statuses": list(RequestStatus), "housing_label": "Besoin de logement"},
    "employeurs": {
        "statuses": list(StructureKind),
        "status_label": "Type de structure",
        "checks": list(StructureCheck),
    },
    "candidats": {"statuses": list(RequestStatus), "status_label": "Statut de la demande"},
    "binomes": {
        "statuses": list(PAIR_STATUSES),
        "status_label": "Étape",
        "housing_label": "Besoin de logement",
    },
    "suggestions": {"housing_label": "Besoin de logement", "score": True},
}
#: The lists filtered by métier (their métier choices are read from the referential).
METIER_LISTS = ("offres", "demandes", "binomes", "suggestions")


def list_options(name: str) -> dict[str, Any]:
    """The filters list ``name`` offers, with the métiers to choose from if it has them."""
    if name in METIER_LISTS:
        return {**LIST_OPTIONS[name], "metiers": queries.metier_options(get_session())}
    return LIST_OPTIONS[name]


def open_listing(name: str, values: Mapping[str, str] | None = None) -> Listing:
    """Read list ``name``'s query (from ``values``, else the query string) with its filters."""
    return read_listing(name, LIST_ENDPOINTS[name], values=values, **list_options(name))


def audit_candidates_shown(name: str, rows: Sequence[Any], actor: Actor) -> None:
    """Write to the audit log, one line per candidate, the candidates' data rows of list
    ``name`` hold (an export, the API's table); the caller commits."""
    if name not in CANDIDATE_SHOWN:
        return
    fields, candidate_of = CANDIDATE_SHOWN[name]
    for candidate_id in sorted({candidate_of(row) for row in rows}):
        audit.log_access(get_session(), actor, audit.CANDIDATE, candidate_id, fields)


#: The files a list exports: the format's word in the URL -> its MIME type.
EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: The sheet's name of each list in an Excel export.
SHEET_NAMES = {
    "offres": "Offres",
    "demandes": "Demandes",
    "employeurs": "Employeurs",
    "candidats": "Candidats",
    "binomes": "Binômes",
    "suggestions": "Suggestions",
}


def export_file(listing: Listing, actor: Actor, fmt: str = "csv") -> Response:
    """Every row of a read list (``listing.query`` set), in its order, as a CSV or Excel file;
    the candidates it shows are audited as seen by ``actor``."""
    assert listing.query is not None
    session = get_session()
    rows = list_rows(session, LISTS[listing.name], listing.query)
    audit_candidates_shown(listing.name, rows, actor)
    session.commit()
    columns = COLUMNS[listing.name]
    if fmt == "xlsx":
        body: str | bytes = xlsx_bytes(columns, rows, SHEET_NAMES[listing.name])
    else:
        body = csv_text(columns, rows)
    today = datetime.now(PARIS).strftime("%Y-%m-%d")
    name = f"passerelle-{listing.name}-{today}.{fmt}"
    return Response(
        body,
        mimetype=EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def read_listing(
    name: str,
    endpoint: str,
    *,
    values: Mapping[str, str] | None = None,
    statuses: Sequence[enum.Enum] = (),
    status_label: str = "Statut",
    checks: Sequence[StructureCheck] = (),
    metiers: list[tuple[str, str]] | None = None,
    housing_label: str = "",
    territory: bool = True,
    score: bool = False,
) -> Listing:
    """Read list ``name``'s query from the request; ``query`` is None when a value is refused."""
    spec = LISTS[name]
    given = request.args if values is None else values
    form = {k: given.get(k, "").strip() for k in FIELDS}
    errors: dict[str, list[str]] = {}
    args: dict[str, Any] = {"text": form["recherche"][:200]}
    if form["statut"]:
        found = next((s for s in statuses if s.value == form["statut"]), None)
        if found is None:
            errors["statut"] = [f"Choisissez une valeur de la liste « {status_label} »."]
        args["status"] = found
    if form["verification"] and checks:
        stage = next((c for c in checks if c.value == form["verification"]), None)
        if stage is None:
            errors["verification"] = [f"Choisissez une valeur de la liste « {CHECK_HEADER} »."]
        args["check"] = stage
    metier_choices = metiers or []
    if form["metier"] == PRIORITY_METIERS and metier_choices:
        args["priority_metiers"] = True
    elif form["metier"]:
        if form["metier"] not in {code for code, _ in metier_choices}:
            errors["metier"] = ["Choisissez un métier de la liste."]
        args["metier"] = form["metier"]
    if form["territoire"] and territory:
        try:
            commune = resolve_commune(get_session(), form["territoire"], "territoire")
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            args["territory"] = commune
            form["territoire"] = commune_label(commune)
    if form["logement"] and housing_label:
        if form["logement"] not in ("oui", "non"):
            errors["logement"] = ["Choisissez « Oui » ou « Non »."]
        args["housing"] = form["logement"] == "oui"
    if form["score"] and score:
        if (value := small_int(form["score"], 0, 100)) is None:
            errors["score"] = ["Indiquez un nombre entier entre 0 et 100."]
        else:
            args["min_score"] = value / 100
    sort, descending = "", False
    try:
        sort, descending = parse_sort(spec, form["tri"])
    except ValidationError as exc:
        errors.update(exc.errors)
        form["tri"] = ""
    return Listing(
        name=name,
        endpoint=endpoint,
        form=form,
        errors=errors,
        query=None if errors else ListQuery(**args, sort=form["tri"]),
        sort=sort,
        descending=descending,
        statuses=choices(statuses),
        status_label=status_label,
        checks=choices(checks),
        metiers=[(PRIORITY_METIERS, PRIORITY_METIERS_LABEL), *metier_choices] if metiers else [],
        housing_label=housing_label,
        territory=territory,
        score=score,
    )


def safe_back(target: str | None) -> str | None:
    """Return ``target`` if it is a path of the coordination space, else None.

    >>> safe_back("/coordination/offres?page=2"), safe_back("//evil.example/coordination/")
    ('/coordination/offres?page=2', None)
    """
    if not target or not target.startswith(BACK_PREFIX) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
