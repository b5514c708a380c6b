"""Training centres as pages, the API and the engine read them (issue 16).

Centres are public information: everyone reads the same list. :func:`centre_hits` and
:func:`centre_page` filter them by métier (a programme of it), by commune and distance (the
engine's, nearest first), by next intake (a session starting in a window) and by open
applications; :func:`find_centre` gives one centre with its programmes and sessions loaded;
:func:`training_records` gives every centre in the shape the engine's ``--training`` file takes.
:func:`deadlines_between` lists the application deadlines of a window (the coordinators' weekly
summary) and :func:`closing_deadlines` those a candidate should hear of (their digest).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import (
    Candidate,
    Commune,
    NotifyFrequency,
    Request,
    RequestMetier,
    RequestStatus,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    employer_training_centres,
)
from data.recompute import training_records

from .audience import PUBLIC
from .nearby import distances_from, measured
from .offers import OfferHit, OfferSearch, offer_hits
from .pages import Page, paginate, paginate_list

__all__ = [
    "CentreHit",
    "CentreListing",
    "CentreSearch",
    "centre_choices",
    "centre_hits",
    "centre_listings",
    "centre_page",
    "centre_query",
    "ClosingDeadline",
    "closing_deadlines",
    "DEADLINE_NOTICE_DAYS",
    "DEADLINE_REACH_KM",
    "DEFAULT_REACH_KM",
    "deadlines_between",
    "offers_within_reach",
    "employer_centres",
    "find_centre",
    "next_session",
    "open_session_filter",
    "training_records",
    "upcoming_sessions",
]


#: How far from a centre the offers "within reach of it" lie, by default (km): what its public
#: page shows.
DEFAULT_REACH_KM = 30
#: A candidate hears of an application deadline this many days ahead at most (their digest).
DEADLINE_NOTICE_DAYS = 14
#: A centre is within a candidate's reach within their own radius, and at least this far (km):
#: one trains a week in four or so, further than one commutes daily.
DEADLINE_REACH_KM = 60


@dataclass(frozen=True)
class CentreSearch:
    """Filters of a centre list; with ``near``, nearest first and within ``max_km`` if given.

    ``metier``: centres with a programme of that métier (``by_apprenticeship``: by
    apprenticeship only). ``intake_from``/``intake_until``: centres with a session starting in
    that window (of that métier, when given). ``open_on``: centres whose sessions (of that métier)
    take applications on that day. ``text``: a part of the centre's name.
    """

    metier: str | None = None
    by_apprenticeship: bool | None = None
    near: Commune | None = None
    max_km: float | None = None
    intake_from: date | None = None
    intake_until: date | None = None
    open_on: date | None = None
    text: str | None = None


@dataclass(frozen=True)
class CentreHit:
    """A centre and, when a commune was given, its distance from it (km, the engine's way)."""

    centre: TrainingCentre
    distance_km: float | None


def centre_query() -> Select[TrainingCentre]:
    """Return every centre with its commune, programmes (and their métiers) and sessions loaded."""
    return select(TrainingCentre).options(
        joinedload(TrainingCentre.commune),
        selectinload(TrainingCentre.programmes).joinedload(TrainingProgramme.metier),
        selectinload(TrainingCentre.programmes).selectinload(TrainingProgramme.sessions),
    )


def open_session_filter(day: date) -> Any:
    """Return the SQL condition of a session taking applications on ``day``.

    The twin of :meth:`TrainingSession.applications_open`: opened (or no opening date) and
    the deadline not past (without a deadline: until the start).
    """
    return and_(
        or_(
            TrainingSession.applications_open_on.is_(None),
            TrainingSession.applications_open_on <= day,
        ),
        or_(
            TrainingSession.application_deadline >= day,
            and_(TrainingSession.application_deadline.is_(None), TrainingSession.start_date > day),
        ),
    )


def _programme_conditions(search: CentreSearch) -> list[Any]:
    conditions: list[Any] = [TrainingProgramme.centre_id == TrainingCentre.id]
    if search.metier is not None:
        conditions.append(TrainingProgramme.metier_code == search.metier)
    if search.by_apprenticeship is not None:
        conditions.append(TrainingProgramme.by_apprenticeship.is_(search.by_apprenticeship))
    return conditions


def _listed(search: CentreSearch) -> Select[TrainingCentre]:
    stmt = centre_query()
    programme = _programme_conditions(search)
    sessions: list[Any] = []
    if search.intake_from is not None:
        sessions.append(TrainingSession.start_date >= search.intake_from)
    if search.intake_until is not None:
        sessions.append(TrainingSession.start_date <= search.intake_until)
    if search.open_on is not None:
        sessions.append(open_session_filter(search.open_on))
    if sessions:
        stmt = stmt.where(
            exists(
                select(TrainingSession.id)
                .join(TrainingProgramme, TrainingSession.programme_id == TrainingProgramme.id)
                .where(*programme, *sessions)
            )
        )
    elif len(programme) > 1:
        stmt = stmt.where(exists(select(TrainingProgramme.id).where(*programme)))
    if search.text:
        words = search.text.strip().replace("%", "").replace("_", "")
        if words:
            stmt = stmt.where(TrainingCentre.name.ilike(f"%{words}%"))
    return stmt


_BY_NAME = (TrainingCentre.name, TrainingCentre.id)


def _ranked(
    session: Session, stmt: Select[TrainingCentre], near: Commune, max_km: float | None
) -> list[tuple[float, int]]:
    located = stmt.join(Commune, TrainingCentre.commune_insee == Commune.insee)
    return sorted(measured(session, located, TrainingCentre.id, near, max_km))


def _load(
    session: Session, stmt: Select[TrainingCentre], ranked: list[tuple[float, int]]
) -> list[CentreHit]:
    if not ranked:
        return []
    ids = [i for _, i in ranked]
    found = {c.id: c for c in session.scalars(stmt.where(TrainingCentre.id.in_(ids)))}
    return [CentreHit(found[i], d) for d, i in ranked if i in found]


def centre_hits(session: Session, search: CentreSearch | None = None) -> list[CentreHit]:
    """Return every centre the filters keep (the map, the public list): by name, or nearest."""
    search = search or CentreSearch()
    stmt = _listed(search)
    if search.near is None:
        return [CentreHit(c, None) for c in session.scalars(stmt.order_by(*_BY_NAME))]
    return _load(session, stmt, _ranked(session, stmt, search.near, search.max_km))


@dataclass(frozen=True)
class CentreListing:
    """A centre as the public list and map show it: its distance (when a commune was given),
    its next intake and whether one of its sessions takes applications today (of the métier
    searched, when one was)."""

    centre: TrainingCentre
    distance_km: float | None
    next_session: TrainingSession | None
    open_applications: bool


def centre_listings(session: Session, search: CentreSearch, today: date) -> list[CentreListing]:
    """Return :func:`centre_hits` as the public « Se former » list shows them."""
    listings = []
    for hit in centre_hits(session, search):
        programmes = [
            p
            for p in hit.centre.programmes
            if search.metier is None or p.metier_code == search.metier
        ]
        is_open = any(s.applications_open(today) for p in programmes for s in p.sessions)
        following = next_session(programmes, today)
        listings.append(CentreListing(hit.centre, hit.distance_km, following, is_open))
    return listings


def centre_page(
    session: Session,
    number: int,
    size: int,
    search: CentreSearch | None = None,
    *,
    clamp: bool = True,
) -> Page[CentreHit]:
    """Return one page of the centres the filters keep (``clamp``: see ``paginate``)."""
    search = search or CentreSearch()
    stmt = _listed(search)
    if search.near is None:
        page = paginate(session, stmt.order_by(*_BY_NAME), number, size, clamp=clamp)
        return page.map(lambda c: CentreHit(c, None))
    ranked = paginate_list(
        _ranked(session, stmt, search.near, search.max_km), number, size, clamp=clamp
    )
    return Page(_load(session, stmt, ranked.items), ranked.number, size, ranked.total)


def find_centre(session: Session, centre_id: int) -> TrainingCentre | None:
    """Return a centre with its programmes and sessions loaded, or None."""
    return session.scalar(centre_query().where(TrainingCentre.id == centre_id))


def next_session(
    programmes: Iterable[TrainingProgramme],
    today: date,
    *,
    metier: str | None = None,
    by_apprenticeship: bool | None = None,
) -> TrainingSession | None:
    """Return the next session starting on or after ``today`` among ``programmes``' (or None).

    ``metier`` and ``by_apprenticeship`` keep the programmes of that métier and that way.
    """
    found: TrainingSession | None = None
    for programme in programmes:
        if metier is not None and programme.metier_code != metier:
            continue
        if by_apprenticeship is not None and programme.by_apprenticeship != by_apprenticeship:
            continue
        for intake in programme.sessions:
            if intake.start_date >= today and (
                found is None or (intake.start_date, intake.id) < (found.start_date, found.id)
            ):
                found = intake
    return found


def upcoming_sessions(programme: TrainingProgramme, today: date) -> list[TrainingSession]:
    """Return the sessions of ``programme`` that have not started yet, earliest first."""
    found = [s for s in programme.sessions if s.start_date >= today]
    return sorted(found, key=lambda s: (s.start_date, s.id))


def centre_choices(session: Session) -> list[tuple[int, str]]:
    """Return (id, « name – commune ») of every centre, by name: the options of a select."""
    stmt = select(TrainingCentre).options(joinedload(TrainingCentre.commune)).order_by(*_BY_NAME)
    return [(c.id, f"{c.name} – {c.commune.name}") for c in session.scalars(stmt)]


def employer_centres(session: Session, employer_id: int) -> list[TrainingCentre]:
    """Return the centres a structure works with, by name."""
    stmt = (
        centre_query()
        .join(employer_training_centres, employer_training_centres.c.centre_id == TrainingCentre.id)
        .where(employer_training_centres.c.employer_id == employer_id)
        .order_by(*_BY_NAME)
    )
    return list(session.scalars(stmt))


def deadlines_between(
    session: Session,
    first: date,
    last: date,
    *,
    metiers: Iterable[str] | None = None,
    by_apprenticeship: bool | None = True,
) -> list[TrainingSession]:
    """Return the sessions whose application deadline falls from ``first`` to ``last``.

    Earliest deadline first, with their programme, métier, centre and commune loaded (the
    digests and the coordinators' weekly summary); ``metiers`` keeps those métiers' only.
    """
    stmt = (
        select(TrainingSession)
        .join(TrainingProgramme, TrainingSession.programme_id == TrainingProgramme.id)
        .where(TrainingSession.application_deadline.between(first, last))
        .options(
            joinedload(TrainingSession.programme).joinedload(TrainingProgramme.metier),
            joinedload(TrainingSession.programme)
            .joinedload(TrainingProgramme.centre)
            .joinedload(TrainingCentre.commune),
        )
        .order_by(TrainingSession.application_deadline, TrainingSession.id)
    )
    if metiers is not None:
        stmt = stmt.where(TrainingProgramme.metier_code.in_(list(metiers)))
    if by_apprenticeship is not None:
        stmt = stmt.where(TrainingProgramme.by_apprenticeship.is_(by_apprenticeship))
    return list(session.scalars(stmt).unique())


@dataclass(frozen=True)
class ClosingDeadline:
    """A session whose applications close soon, for one candidate: its centre's distance (km,
    from their request's commune, the engine's way)."""

    candidate_id: int
    intake: TrainingSession
    distance_km: float


def closing_deadlines(
    session: Session,
    today: date,
    *,
    frequency: NotifyFrequency | None = None,
    candidate_ids: Iterable[int] | None = None,
    days: int = DEADLINE_NOTICE_DAYS,
) -> list[ClosingDeadline]:
    """Return the deadlines candidates should hear of: « Inscriptions bientôt closes ».

    A session by apprenticeship of one of the métiers of a candidate's active request, taking
    applications on ``today`` and closing within ``days`` days (``today`` included), at a centre
    within max(the request's radius, :data:`DEADLINE_REACH_KM`) of the request's commune; only for
    candidates not enrolled anywhere (``training_centre_id`` empty), not anonymised (of that
    notification ``frequency``, of ``candidate_ids``, when given). By candidate, then deadline,
    distance and session; sessions loaded as :func:`deadlines_between` loads them.
    """
    intakes = [
        s
        for s in deadlines_between(session, today, today + timedelta(days=days))
        if s.applications_open(today)
    ]
    if not intakes:
        return []
    stmt = (
        select(
            Request.candidate_id,
            Request.max_distance_km,
            RequestMetier.metier_code,
            Commune.latitude,
            Commune.longitude,
        )
        .join(Candidate, Candidate.id == Request.candidate_id)
        .join(Commune, Commune.insee == Request.commune_insee)
        .join(RequestMetier, RequestMetier.request_id == Request.id)
        .where(
            Request.status == RequestStatus.ACTIVE,
            Request.training_centre_id.is_(None),
            Candidate.anonymised_at.is_(None),
            RequestMetier.metier_code.in_(sorted({s.programme.metier_code for s in intakes})),
        )
    )
    if frequency is not None:
        stmt = stmt.where(Candidate.notify_frequency == frequency)
    if candidate_ids is not None:
        stmt = stmt.where(Request.candidate_id.in_(list(candidate_ids)))
    by_metier: dict[str | None, list[tuple[int, int, float, float]]] = defaultdict(list)
    for candidate_id, radius, metier, lat, lon in session.execute(stmt):
        by_metier[metier].append((candidate_id, radius, lat, lon))
    found: dict[tuple[int, int], ClosingDeadline] = {}
    for intake in intakes:
        people = by_metier.get(intake.programme.metier_code, [])
        km = distances_from(intake.programme.centre.commune, [(la, lo) for _, _, la, lo in people])
        for (candidate_id, radius, _, _), d in zip(people, km, strict=True):
            if d <= max(radius, DEADLINE_REACH_KM):
                found.setdefault(
                    (candidate_id, intake.id), ClosingDeadline(candidate_id, intake, d)
                )
    return sorted(
        found.values(),
        key=lambda x: (x.candidate_id, x.intake.application_deadline, x.distance_km, x.intake.id),
    )


def offers_within_reach(
    session: Session, centre: TrainingCentre, max_km: float = DEFAULT_REACH_KM
) -> list[OfferHit]:
    """Return the open offers of the métiers the centre prepares by apprenticeship, within
    ``max_km`` of its commune, nearest first (a centre's public page)."""
    metiers = tuple(sorted({p.metier_code for p in centre.programmes if p.by_apprenticeship}))
    if not metiers:
        return []
    search = OfferSearch(metiers=metiers, near=centre.commune, max_km=max_km)
    return offer_hits(session, PUBLIC, search)
