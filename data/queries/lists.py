"""The coordinators' lists: one search, one sort, one set of filters, a page or every row.

Each list (offers, requests, employers, candidates, pairs, the review queue) is a
:class:`ListSpec`: its base statement, the columns a search reads, the sort keys people may ask
for (a whitelist: an unknown key is refused in French) and the filters it understands. The page
and the export run the same statement (:func:`list_statement`), so an export holds exactly the
rows of the list, in its order, every page of it up to :data:`EXPORT_LIMIT`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, or_, select
from sqlalchemy.orm import Session, joinedload

from data.db import fold, folded
from data.errors import ValidationError
from data.models import (
    AWAITING_REVIEW,
    PAIR_STATUSES,
    Candidate,
    Commune,
    Employer,
    Metier,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    StructureCheck,
    StructureKind,
    Suggestion,
)
from data.presentation.labels import label

from .audience import COORDINATOR
from .nearby import communes_within
from .offers import offer_query
from .pages import Page, paginate
from .requests import request_query
from .suggestions import REVIEW_COUNT_CAP, TERRITORY_RADIUS_KM, suggestion_query

__all__ = [
    "EXPORT_LIMIT",
    "LISTS",
    "ListQuery",
    "ListSpec",
    "list_page",
    "list_rows",
    "list_statement",
    "parse_sort",
]

#: The most rows an export holds (a spreadsheet opens it; a bigger list is narrowed first).
EXPORT_LIMIT = 50_000
#: The most words of a search that count (each word must match one of the searched columns).
MAX_SEARCH_WORDS = 8

Matcher = Callable[[str], ColumnElement[bool]]


@dataclass(frozen=True)
class ListQuery:
    """What a person asked of a list: words to find, a sort key, filters (None: any).

    ``sort``: a key of the list's sorts, ``-key`` for the descending order, "" for the default.
    ``territory``: rows whose place is within TERRITORY_RADIUS_KM of that commune.
    ``check``: the structures at that stage of the coordination's check (employers' list).
    """

    text: str = ""
    sort: str = ""
    status: enum.Enum | None = None
    metier: str | None = None
    priority_metiers: bool = False
    territory: Commune | None = None
    housing: bool | None = None
    min_score: float | None = None
    check: StructureCheck | None = None


@dataclass(frozen=True)
class ListSpec:
    """How one list reads, searches, sorts and filters its rows.

    ``base``: the unfiltered statement (joined to what its search and sorts read); ``key``: the
    id column (the stable secondary order); ``sorts``: the whitelist of sort keys; ``default``:
    the sort without one asked (``-key`` for descending); the filter builders take the filter's
    value (``territory``: the INSEE codes of the communes of the territory) and return a
    condition on the row.
    """

    base: Callable[[Session], Select[Any]]
    key: Any
    searched: tuple[Matcher, ...]
    sorts: Mapping[str, Any]
    default: str
    territory: Callable[[list[str]], ColumnElement[bool]] | None = None
    status: Callable[[enum.Enum], ColumnElement[bool]] | None = None
    metier: Callable[[ColumnElement[bool]], ColumnElement[bool]] | None = None
    housing: Callable[[bool], ColumnElement[bool]] | None = None
    min_score: Callable[[float], ColumnElement[bool]] | None = None
    check: Callable[[StructureCheck], ColumnElement[bool]] | None = None
    count_up_to: int | None = None


def contains(column: Any) -> Matcher:
    """Return a matcher: the column holds the word, whatever its case and accents (« Ines »
    finds Inès, « HELENE » Hélène; ``%`` and ``_`` literal)."""
    return lambda word: folded(column).contains(fold(word), autoescape=True)


def in_order(column: Any, members: Sequence[enum.Enum]) -> ColumnElement[int]:
    """Sort key of an enum column: each member's rank in ``members`` (a status in the order of
    its life cycle, a kind in the alphabetical order of its French label), not its code."""
    return case({m.value: rank for rank, m in enumerate(members)}, value=column, else_=len(members))


def by_label(members: Iterable[enum.Enum]) -> list[enum.Enum]:
    """Return ``members`` in the alphabetical order of their French labels (accents ignored)."""
    return sorted(members, key=lambda m: fold(label(m)))


def parse_sort(spec: ListSpec, sort: str) -> tuple[str, bool]:
    """Return (key, descending) of a sort asked as ``key`` or ``-key``; refuse an unknown key.

    >>> parse_sort(LISTS["employeurs"], "-siret")
    ('siret', True)
    """
    wanted = sort or spec.default
    descending = wanted.startswith("-")
    key = wanted.removeprefix("-")
    if key not in spec.sorts:
        raise ValidationError({"tri": ["Ce tri n'existe pas pour cette liste."]})
    return key, descending


def _searched(stmt: Select[Any], spec: ListSpec, text: str) -> Select[Any]:
    """Keep the rows where each word of ``text`` is in one of the searched columns."""
    for word in text.split()[:MAX_SEARCH_WORDS]:
        stmt = stmt.where(or_(*(match(word) for match in spec.searched)))
    return stmt


def _priority_codes() -> Select[Any]:
    return select(Metier.code).where(Metier.priority.is_(True))


def list_statement(session: Session, spec: ListSpec, query: ListQuery) -> Select[Any]:
    """Return the list's rows for ``query``: searched, filtered and sorted, ties by id.

    Raises ValidationError (French, field ``tri``) for a sort key the list does not offer.
    """
    key, descending = parse_sort(spec, query.sort)
    stmt = _searched(spec.base(session), spec, query.text)
    if query.status is not None and spec.status is not None:
        stmt = stmt.where(spec.status(query.status))
    if spec.metier is not None:
        if query.priority_metiers:
            stmt = stmt.where(spec.metier(Metier.code.in_(_priority_codes())))
        elif query.metier is not None:
            stmt = stmt.where(spec.metier(Metier.code == query.metier))
    if query.housing is not None and spec.housing is not None:
        stmt = stmt.where(spec.housing(query.housing))
    if query.min_score is not None and spec.min_score is not None:
        stmt = stmt.where(spec.min_score(query.min_score))
    if query.check is not None and spec.check is not None:
        stmt = stmt.where(spec.check(query.check))
    if query.territory is not None and spec.territory is not None:
        insees = communes_within(session, query.territory, TERRITORY_RADIUS_KM)
        stmt = stmt.where(spec.territory(insees))
    column = spec.sorts[key]
    return stmt.order_by(
        column.desc() if descending else column.asc(),
        spec.key.desc() if descending else spec.key.asc(),
    )


def list_page(
    session: Session, spec: ListSpec, query: ListQuery, number: int, size: int
) -> Page[Any]:
    """Return page ``number`` of the list for ``query`` (the last page if past the end)."""
    stmt = list_statement(session, spec, query)
    return paginate(session, stmt, number, size, count_up_to=spec.count_up_to)


def list_rows(
    session: Session, spec: ListSpec, query: ListQuery, limit: int = EXPORT_LIMIT
) -> list[Any]:
    """Return every row of the list for ``query``, in its order, ``limit`` at most (exports)."""
    stmt = list_statement(session, spec, query).limit(limit)
    return list(session.scalars(stmt).unique())


# --- The lists -----------------------------------------------------------------------------------


def _offers(session: Session) -> Select[Any]:
    return (
        offer_query(COORDINATOR)
        .join(Employer, Employer.id == Site.employer_id)
        .join(Commune, Commune.insee == Site.commune_insee)
        .join(Metier, Metier.code == Offer.metier_code)
    )


def _requests(session: Session) -> Select[Any]:
    return (
        request_query(COORDINATOR)
        .join(Request.candidate)
        .join(Commune, Commune.insee == Request.commune_insee)
    )


def _request_metier_word(word: str) -> ColumnElement[bool]:
    return Request.metiers.any(
        or_(
            contains(RequestMetier.text)(word),
            RequestMetier.metier.has(contains(Metier.label)(word)),
        )
    )


def _employers(session: Session) -> Select[Any]:
    return select(Employer)


def _candidates(session: Session) -> Select[Any]:
    return select(Candidate).outerjoin(Candidate.request).options(joinedload(Candidate.request))


def _suggestions(session: Session) -> Select[Any]:
    return (
        suggestion_query(session, COORDINATOR)
        .join(Candidate, Candidate.id == Request.candidate_id)
        .join(Employer, Employer.id == Site.employer_id)
        .join(Metier, Metier.code == Offer.metier_code)
    )


def _pairs(session: Session) -> Select[Any]:
    return _suggestions(session).where(Suggestion.status.in_(PAIR_STATUSES))


def _queue(session: Session) -> Select[Any]:
    return _suggestions(session).where(*AWAITING_REVIEW)


_SUGGESTION_SEARCH: tuple[Matcher, ...] = (
    contains(Candidate.first_name),
    contains(Candidate.last_name),
    contains(Metier.label),
    contains(Site.name),
    contains(Employer.name),
)

#: The coordinators' lists by the word of their URL.
LISTS: dict[str, ListSpec] = {
    "offres": ListSpec(
        base=_offers,
        key=Offer.id,
        searched=(
            contains(Metier.label),
            contains(Site.name),
            contains(Employer.name),
            contains(Employer.siret),
            contains(Commune.name),
        ),
        sorts={
            "numero": Offer.id,
            "metier": Metier.label,
            "employeur": Employer.name,
            "commune": Commune.name,
            "places": Offer.places,
            "statut": in_order(Offer.status, list(OfferStatus)),
            "creation": Offer.created_at,
        },
        default="-creation",
        territory=lambda insees: Site.commune_insee.in_(insees),
        status=lambda s: Offer.status == s,
        metier=lambda cond: Offer.metier.has(cond),
        housing=lambda wanted: Offer.housing_beds > 0 if wanted else Offer.housing_beds == 0,
    ),
    "demandes": ListSpec(
        base=_requests,
        key=Request.id,
        searched=(
            contains(Candidate.first_name),
            contains(Candidate.last_name),
            contains(Candidate.email),
            contains(Commune.name),
            _request_metier_word,
        ),
        sorts={
            "numero": Request.id,
            "candidat": Candidate.first_name,
            "commune": Commune.name,
            "statut": in_order(Request.status, list(RequestStatus)),
            "creation": Request.created_at,
        },
        default="-creation",
        territory=lambda insees: Request.commune_insee.in_(insees),
        status=lambda s: Request.status == s,
        metier=lambda cond: Request.metiers.any(RequestMetier.metier.has(cond)),
        housing=lambda wanted: Request.needs_housing.is_(wanted),
    ),
    "employeurs": ListSpec(
        base=_employers,
        key=Employer.id,
        searched=(
            contains(Employer.name),
            contains(Employer.siret),
            lambda word: Employer.sites.any(Site.commune.has(contains(Commune.name)(word))),
        ),
        sorts={
            "structure": Employer.name,
            "type": in_order(Employer.kind, by_label(StructureKind)),
            "siret": Employer.siret,
            "verification": in_order(Employer.check_status, list(StructureCheck)),
        },
        default="structure",
        territory=lambda insees: Employer.sites.any(Site.commune_insee.in_(insees)),
        status=lambda kind: Employer.kind == kind,
        check=lambda stage: Employer.check_status == stage,
    ),
    "candidats": ListSpec(
        base=_candidates,
        key=Candidate.id,
        searched=(
            contains(Candidate.first_name),
            contains(Candidate.last_name),
            contains(Candidate.email),
        ),
        sorts={
            "numero": Candidate.id,
            "prenom": Candidate.first_name,
            "inscription": Candidate.created_at,
        },
        default="-inscription",
        territory=lambda insees: Request.commune_insee.in_(insees),
        status=lambda s: Request.status == s,
    ),
    "binomes": ListSpec(
        base=_pairs,
        key=Suggestion.id,
        searched=_SUGGESTION_SEARCH,
        sorts={
            "candidat": Candidate.first_name,
            "offre": Metier.label,
            "etape": in_order(Suggestion.status, list(PAIR_STATUSES)),
            "depuis": Suggestion.status_changed_at,
        },
        default="-depuis",
        territory=lambda insees: Site.commune_insee.in_(insees),
        status=lambda s: Suggestion.status == s,
        metier=lambda cond: Offer.metier.has(cond),
        housing=lambda wanted: Request.needs_housing.is_(wanted),
    ),
    "suggestions": ListSpec(
        base=_queue,
        key=Suggestion.id,
        searched=_SUGGESTION_SEARCH,
        sorts={
            "score": Suggestion.score,
            "distance": Suggestion.distance_km,
            "candidat": Candidate.first_name,
            "offre": Metier.label,
            "creation": Suggestion.created_at,
        },
        default="-score",
        territory=lambda insees: Site.commune_insee.in_(insees),
        metier=lambda cond: Offer.metier.has(cond),
        housing=lambda wanted: Request.needs_housing.is_(wanted),
        min_score=lambda low: Suggestion.score >= low,
        count_up_to=REVIEW_COUNT_CAP,
    ),
}
