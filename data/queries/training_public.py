"""Training centres as the public « Se former » pages read them: list, map, a centre's page.

Centres are few (hundreds at most): the list loads them with their programmes and sessions and
filters on the intakes in Python, with the sessions' own rule for open applications
(:meth:`TrainingSession.applications_open`). Distances are the engine's, through
:mod:`data.queries.nearby`, as for the offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from data.models import Commune, TrainingCentre, TrainingProgramme, TrainingSession

from .audience import PUBLIC
from .nearby import measured
from .offers import OfferHit, OfferSearch, offer_hits

__all__ = [
    "OFFERS_REACH_KM",
    "CentreFilter",
    "CentreListing",
    "centre_offers",
    "centre_options",
    "listed_centres",
    "next_intake",
    "public_centre",
    "upcoming_sessions",
]

#: How far from a centre the published offers of its métiers are shown on its page (km).
OFFERS_REACH_KM = 30


@dataclass(frozen=True)
class CentreFilter:
    """Filters of the centres' list; with ``near``, nearest first and within ``max_km`` if given.

    ``metier``: a programme of that métier; ``intake_within_days``: its next intake starts within
    that many days; ``open_applications``: one of its sessions takes applications today.
    """

    metier: str | None = None
    near: Commune | None = None
    max_km: float | None = None
    intake_within_days: int | None = None
    open_applications: bool = False


@dataclass(frozen=True)
class CentreListing:
    """A centre as the list shows it: its distance (with a commune) and its next intake."""

    centre: TrainingCentre
    distance_km: float | None
    next_session: TrainingSession | None
    open_applications: bool


def _centres() -> Select[TrainingCentre]:
    return select(TrainingCentre).options(
        selectinload(TrainingCentre.commune),
        selectinload(TrainingCentre.programmes).selectinload(TrainingProgramme.metier),
        selectinload(TrainingCentre.programmes).selectinload(TrainingProgramme.sessions),
    )


def _sessions(centre: TrainingCentre, metier: str | None) -> list[TrainingSession]:
    """Return the sessions of the centre's programmes (of ``metier`` if given), by start date."""
    found = [
        s
        for p in centre.programmes
        if metier is None or p.metier_code == metier
        for s in p.sessions
    ]
    return sorted(found, key=lambda s: (s.start_date, s.id))


def upcoming_sessions(programme: TrainingProgramme, today: date) -> list[TrainingSession]:
    """Return the sessions of ``programme`` that have not started yet, earliest first."""
    return [s for s in programme.sessions if s.start_date >= today]


def next_intake(
    centre: TrainingCentre, today: date, metier: str | None = None
) -> TrainingSession | None:
    """Return the centre's earliest session starting on or after ``today`` (of ``metier``)."""
    return next((s for s in _sessions(centre, metier) if s.start_date >= today), None)


def _listing(
    centre: TrainingCentre, distance: float | None, search: CentreFilter, today: date
) -> CentreListing | None:
    """Return the centre's listing, or None when the filters leave it out."""
    if search.metier is not None and not any(
        p.metier_code == search.metier for p in centre.programmes
    ):
        return None
    sessions = _sessions(centre, search.metier)
    upcoming = next((s for s in sessions if s.start_date >= today), None)
    is_open = any(s.applications_open(today) for s in sessions)
    if search.open_applications and not is_open:
        return None
    if search.intake_within_days is not None and (
        upcoming is None or upcoming.start_date > today + timedelta(days=search.intake_within_days)
    ):
        return None
    return CentreListing(centre, distance, upcoming, is_open)


def listed_centres(
    session: Session, search: CentreFilter | None = None, *, today: date
) -> list[CentreListing]:
    """Return the centres kept by ``search``: nearest first with a commune, else by name."""
    search = search or CentreFilter()
    stmt = _centres()
    if search.near is None:
        centres = session.scalars(stmt.order_by(TrainingCentre.name, TrainingCentre.id)).all()
        ranked: list[tuple[float | None, TrainingCentre]] = [(None, c) for c in centres]
    else:
        located = select(TrainingCentre).join(
            Commune, TrainingCentre.commune_insee == Commune.insee
        )
        found = sorted(measured(session, located, TrainingCentre.id, search.near, search.max_km))
        loaded = {
            c.id: c
            for c in session.scalars(stmt.where(TrainingCentre.id.in_([i for _, i in found])))
        }
        ranked = [(d, loaded[i]) for d, i in found if i in loaded]
    listings = (_listing(c, d, search, today) for d, c in ranked)
    return [item for item in listings if item is not None]


def public_centre(session: Session, centre_id: int) -> TrainingCentre | None:
    """Return the centre with its programmes, sessions and commune, or None."""
    return session.scalar(_centres().where(TrainingCentre.id == centre_id))


def centre_offers(
    session: Session, centre: TrainingCentre, max_km: float = OFFERS_REACH_KM
) -> list[OfferHit]:
    """Return the open published offers of the centre's métiers within ``max_km``, nearest first."""
    codes = tuple(sorted({p.metier_code for p in centre.programmes}))
    if not codes:
        return []
    return offer_hits(
        session, PUBLIC, OfferSearch(metiers=codes, near=centre.commune, max_km=max_km)
    )


def centre_options(session: Session) -> list[tuple[int, str]]:
    """Return (id, « Name (Commune) ») of every centre, by name: the forms' choices."""
    stmt = (
        select(TrainingCentre.id, TrainingCentre.name, Commune.name)
        .join(Commune, TrainingCentre.commune_insee == Commune.insee)
        .order_by(TrainingCentre.name, TrainingCentre.id)
    )
    return [(i, f"{name} ({commune})") for i, name, commune in session.execute(stmt)]
