"""Employers, their sites and the housing a site offers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.db import rows_changed
from data.errors import Conflict, ValidationError
from data.models import (
    HELD_OFFER_STATUSES,
    Employer,
    HousingKind,
    HousingResource,
    JoinRequestStatus,
    Offer,
    OfferStatus,
    Role,
    Site,
    StructureCheck,
    StructureJoinRequest,
    StructureKind,
    TrainingCentre,
    User,
)
from data.presentation import plural

from . import audit
from ._common import apply, load, now_or_utc, unique_guard, update_if
from .users import create_user, find_user_by_email
from .validation import (
    ErrorCollector,
    clean_centre,
    clean_commune,
    clean_email,
    clean_enum,
    clean_int,
    clean_phone,
    clean_siret,
    clean_text,
    reject_unknown_fields,
)

__all__ = [
    "DUPLICATE_SIRET",
    "JOIN_REQUEST_DECIDED",
    "REFUSED_KEPT_DAYS",
    "check_new_employer",
    "employer_by_siret",
    "create_employer",
    "request_to_join",
    "accept_join_request",
    "refuse_join_request",
    "pending_join_requests",
    "structure_accounts",
    "purge_refused_join_requests",
    "update_employer",
    "set_training_centres",
    "add_site",
    "update_site",
    "remove_site",
    "set_site_housing",
    "check_site_beds",
]

DUPLICATE_SIRET = "Une structure est déjà inscrite avec ce numéro SIRET."
MAX_HOUSING_COST_EUR = 5000

Cleaner = Callable[[Session, Any], Any]

_EMPLOYER_CLEANERS: dict[str, Cleaner] = {
    "name": lambda s, v: clean_text(v, "name", max_length=200),
    "siret": lambda s, v: clean_siret(v, "siret"),
    "kind": lambda s, v: clean_enum(v, StructureKind, "kind"),
    "contact_name": lambda s, v: clean_text(v, "contact_name", max_length=200),
    "contact_email": lambda s, v: clean_email(v, "contact_email"),
    "contact_phone": lambda s, v: clean_phone(v, "contact_phone"),
}

_SITE_CLEANERS: dict[str, Cleaner] = {
    "name": lambda s, v: clean_text(v, "name", max_length=200),
    # The relationship, not the key: the loaded site then shows its new commune at once.
    "commune_insee": lambda s, v: clean_commune(s, v, "commune_insee"),
    "address": lambda s, v: clean_text(v, "address", required=False, max_length=300),
}


def clean_fields(
    session: Session, cleaners: dict[str, Cleaner], values: dict[str, Any], errors: ErrorCollector
) -> dict[str, Any]:
    """Run the cleaner of each given field, collecting errors; return the cleaned values."""
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        result = errors.run(cleaners[name], session, value)
        if not errors.has(name):
            cleaned[name] = result
    return cleaned


def _check_siret_free(
    session: Session, siret: str, errors: ErrorCollector, exclude_id: int | None = None
) -> None:
    stmt = select(Employer.id).where(Employer.siret == siret)
    if exclude_id is not None:
        stmt = stmt.where(Employer.id != exclude_id)
    if session.scalar(stmt.limit(1)) is not None:
        errors.add("siret", DUPLICATE_SIRET)


def _clean_new_employer(
    session: Session, fields: dict[str, Any], errors: ErrorCollector
) -> dict[str, Any]:
    return clean_fields(session, _EMPLOYER_CLEANERS, fields, errors)


def check_new_employer(
    session: Session,
    *,
    message: str | None = None,
    extra_errors: dict[str, list[str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Return a sign-up's cleaned fields (those of :func:`create_employer`, and ``message``), or
    raise ValidationError; whether the SIRET is taken is not checked (a sign-up must not tell)."""
    reject_unknown_fields(fields, _EMPLOYER_CLEANERS)
    errors = ErrorCollector()
    values = _clean_new_employer(session, fields, errors)
    values["message"] = errors.run(_clean_message, message)
    for field, messages in (extra_errors or {}).items():
        for text in messages:
            errors.add(field, text)
    errors.raise_if_any()
    return values


def _clean_message(value: object) -> str | None:
    return clean_text(value, "message", required=False, max_length=1000)


def employer_by_siret(session: Session, siret: str) -> Employer | None:
    """Return the structure registered with this (cleaned) SIRET, if any."""
    return session.scalar(select(Employer).where(Employer.siret == siret).limit(1))


def create_employer(
    session: Session,
    *,
    name: str,
    siret: str,
    kind: StructureKind | str,
    contact_name: str,
    contact_email: str,
    contact_phone: str | None = None,
    check_status: StructureCheck = StructureCheck.TO_CHECK,
) -> Employer:
    """Register a structure; its SIRET must be valid and not yet registered.

    A new structure is to check by the coordinators (``check_status``; the demo's and the tests'
    structures are made checked): see :mod:`data.operations.moderation`.
    """
    errors = ErrorCollector()
    values = _clean_new_employer(
        session,
        {
            "name": name,
            "siret": siret,
            "kind": kind,
            "contact_name": contact_name,
            "contact_email": contact_email,
            "contact_phone": contact_phone,
        },
        errors,
    )
    if "siret" in values:
        _check_siret_free(session, values["siret"], errors)
    errors.raise_if_any()
    employer = Employer(**values, check_status=StructureCheck(check_status))
    with unique_guard(session, "siret", DUPLICATE_SIRET):
        session.add(employer)
    return employer


def update_employer(session: Session, employer: Employer | int, **changes: Any) -> Employer:
    """Change some of an employer's fields (name, siret, kind, contact_*)."""
    employer = load(session, Employer, employer, "Structure")
    reject_unknown_fields(changes, _EMPLOYER_CLEANERS)
    errors = ErrorCollector()
    values = clean_fields(session, _EMPLOYER_CLEANERS, changes, errors)
    if "siret" in values and values["siret"] != employer.siret:
        _check_siret_free(session, values["siret"], errors, exclude_id=employer.id)
    errors.raise_if_any()
    with unique_guard(session, "siret", DUPLICATE_SIRET):
        apply(employer, values)
    return employer


def add_site(
    session: Session,
    employer: Employer | int,
    *,
    name: str,
    commune_insee: str,
    address: str | None = None,
) -> Site:
    """Add an establishment to an employer; its commune must be a known INSEE code."""
    employer = load(session, Employer, employer, "Structure")
    errors = ErrorCollector()
    values = clean_fields(
        session,
        _SITE_CLEANERS,
        {"name": name, "commune_insee": commune_insee, "address": address},
        errors,
    )
    errors.raise_if_any()
    site = Site(employer=employer, name=values["name"], address=values["address"])
    site.commune = values["commune_insee"]
    session.add(site)
    session.flush()
    return site


def update_site(session: Session, site: Site | int, **changes: Any) -> Site:
    """Change a site's name, commune or address."""
    site = load(session, Site, site, "Site")
    reject_unknown_fields(changes, _SITE_CLEANERS)
    errors = ErrorCollector()
    values = clean_fields(session, _SITE_CLEANERS, changes, errors)
    errors.raise_if_any()
    if "commune_insee" in values:
        values["commune"] = values.pop("commune_insee")
    moved = "commune" in values and values["commune"].insee != site.commune_insee
    apply(site, values)
    for housing in site.housings:  # the housing on the site stands where the site stands
        housing.commune = site.commune
        housing.address = site.address
    if moved:  # the engine places an offer at its site's commune: the re-matching sees it
        stamp = now_or_utc(None)
        for offer in site.offers:
            offer.updated_at = stamp
    session.flush()
    return site


def remove_site(session: Session, site: Site | int) -> None:
    """Delete a site that carries no offer (offers keep their history, so they block it)."""
    site = load(session, Site, site, "Site")
    count = session.scalar(select(func.count()).select_from(Offer).where(Offer.site_id == site.id))
    if count:
        raise Conflict(
            f"Ce site porte {plural(count, 'offre', 'offres')} : il ne peut pas être supprimé. "
            "Clôturez ses offres et gardez-le, ou rattachez-les à un autre site."
        )
    # Through the collection, so that the loaded employer does not keep listing the site.
    site.employer.sites.remove(site)
    session.flush()


def check_site_beds(session: Session, site: Site, total_after: int, field: str = "beds") -> None:
    """Refuse a change that leaves ``site`` fewer beds (``total_after``) than an open offer of
    the site reserves (``Offer.housing_beds``); a held offer (moderation) counts too."""
    reserved = session.scalar(
        select(func.max(Offer.housing_beds)).where(
            Offer.site_id == site.id,
            # A held offer (moderation) may be published again with its beds.
            Offer.status.in_([OfferStatus.DRAFT, OfferStatus.PUBLISHED, *HELD_OFFER_STATUSES]),
        )
    )
    if reserved and total_after < reserved:
        raise ValidationError(
            {
                field: [
                    f"Une offre de ce site réserve {plural(reserved, 'lit', 'lits')} : "
                    "le site doit en proposer au moins autant."
                ]
            }
        )


def set_site_housing(
    session: Session,
    site: Site | int,
    *,
    kind: HousingKind | str,
    beds: int | str,
    monthly_cost_eur: int | str | None = None,
    notes: str | None = None,
) -> HousingResource | None:
    """Set the beds of one kind a site offers (one resource per kind); 0 beds removes that kind.

    The resource is the structure's, on the site (its commune and address, named after it);
    the beds already let (``beds_taken``) stay counted, within the new number.

    The site's total may not fall below the beds an open offer of the site has reserved.
    Returns the housing row, or ``None`` when it was removed.
    """
    site = load(session, Site, site, "Site")
    errors = ErrorCollector()
    kind_value = errors.run(clean_enum, kind, HousingKind, "kind")
    beds_value = errors.run(clean_int, beds, "beds", min_value=0, max_value=500)
    cost = errors.run(
        clean_int,
        monthly_cost_eur,
        "monthly_cost_eur",
        min_value=0,
        max_value=MAX_HOUSING_COST_EUR,
        required=False,
    )
    notes_value = errors.run(
        clean_text, notes, "notes", required=False, max_length=500, multiline=True
    )
    existing = next((h for h in site.housings if h.kind == kind_value), None)
    if kind_value is not None and beds_value is not None:
        total_after = site.housing_beds - (existing.beds if existing else 0) + beds_value
        errors.run(check_site_beds, session, site, total_after)
    errors.raise_if_any()
    assert kind_value is not None and beds_value is not None
    if beds_value == 0:
        if existing is not None:
            site.housings.remove(existing)
            session.flush()
        return None
    if existing is not None and existing.beds_taken > beds_value:
        errors.add(
            "beds",
            f"{plural(existing.beds_taken, 'lit est déjà occupé', 'lits sont déjà occupés')} : "
            "le site doit en proposer au moins autant.",
        )
        errors.raise_if_any()
    housing = existing or HousingResource(
        site=site,
        employer=site.employer,
        kind=kind_value,
        name=site.name,
        commune=site.commune,
        address=site.address,
        beds_taken=0,
    )
    if existing is None:
        session.add(housing)
    housing.beds = beds_value
    housing.monthly_cost_eur = cost
    housing.notes = notes_value
    session.flush()
    return housing


# --- Requests to join a registered structure ---------------------------------------------------

#: A refused request (the requester's name, address, phone, message) is deleted after this many
#: days: long enough to answer a complaint or undo a mistaken refusal, no longer.
REFUSED_KEPT_DAYS = 30
JOIN_REQUEST_DECIDED = "Cette demande vient d'être traitée par quelqu'un d'autre."
_JOIN_OBJECT = "structure_join_request"


def request_to_join(
    session: Session,
    employer: Employer | int,
    *,
    name: str,
    email: str,
    phone: str | None = None,
    message: str | None = None,
    now: datetime | None = None,
) -> StructureJoinRequest:
    """Record that someone asks to join a registered structure (one pending request per address).

    Asking again while a request is pending returns that request, unchanged.
    """
    employer = load(session, Employer, employer, "Structure")
    at = now_or_utc(now)
    errors = ErrorCollector()
    name_value = errors.run(clean_text, name, "contact_name", max_length=200)
    email_value = errors.run(clean_email, email, "contact_email")
    phone_value = errors.run(clean_phone, phone, "contact_phone")
    message_value = errors.run(_clean_message, message)
    errors.raise_if_any()
    purge_refused_join_requests(session, now=at)
    pending = session.scalar(
        select(StructureJoinRequest).where(
            StructureJoinRequest.employer_id == employer.id,
            StructureJoinRequest.email == email_value,
            StructureJoinRequest.status == JoinRequestStatus.PENDING,
        )
    )
    if pending is not None:
        return pending
    join = StructureJoinRequest(
        employer=employer,
        name=name_value,
        email=email_value,
        phone=phone_value,
        message=message_value,
        status=JoinRequestStatus.PENDING,
        created_at=at,
    )
    session.add(join)
    session.flush()
    audit.record(session, Actor.visitor(), "join_requested", _JOIN_OBJECT, join.id, now=at)
    return join


def _decide(
    session: Session,
    join: StructureJoinRequest | int,
    actor: Actor,
    status: JoinRequestStatus,
    now: datetime | None,
) -> StructureJoinRequest:
    """Move a pending request to ``status``: a compare-and-set, so one of two reviewers wins."""
    join = load(session, StructureJoinRequest, join, "Demande")
    at = now_or_utc(now)
    pending = StructureJoinRequest.status == JoinRequestStatus.PENDING
    if not update_if(
        session, join, pending, status=status, decided_at=at, decided_by_id=actor.user_id
    ):
        raise Conflict(JOIN_REQUEST_DECIDED)
    audit.record(
        session,
        actor,
        f"join_{status.value}",
        _JOIN_OBJECT,
        join.id,
        {"employer": join.employer_id},
        now=at,
    )
    return join


def accept_join_request(
    session: Session,
    join: StructureJoinRequest | int,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> User:
    """Accept a pending request: create the requester's employer account; return it."""
    join = load(session, StructureJoinRequest, join, "Demande")
    if find_user_by_email(session, join.email) is not None:
        raise Conflict(
            "Un compte existe déjà avec cette adresse : la demande ne peut pas être acceptée."
        )
    join = _decide(session, join, actor, JoinRequestStatus.ACCEPTED, now)
    return create_user(
        session,
        email=join.email,
        role=Role.EMPLOYER,
        employer=join.employer_id,
        display_name=join.name,
    )


def refuse_join_request(
    session: Session,
    join: StructureJoinRequest | int,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> StructureJoinRequest:
    """Refuse a pending request (deleted after :data:`REFUSED_KEPT_DAYS`)."""
    return _decide(session, join, actor, JoinRequestStatus.REFUSED, now)


def pending_join_requests(
    session: Session, employer_id: int | None = None
) -> list[StructureJoinRequest]:
    """Return the pending requests, oldest first: of one structure, or of all."""
    stmt = select(StructureJoinRequest).where(
        StructureJoinRequest.status == JoinRequestStatus.PENDING
    )
    if employer_id is not None:
        stmt = stmt.where(StructureJoinRequest.employer_id == employer_id)
    return list(
        session.scalars(stmt.order_by(StructureJoinRequest.created_at, StructureJoinRequest.id))
    )


def structure_accounts(session: Session, employer_id: int) -> list[User]:
    """Return the active accounts of a structure (who review the requests to join it)."""
    stmt = select(User).where(
        User.employer_id == employer_id, User.role == Role.EMPLOYER, User.is_active.is_(True)
    )
    return list(session.scalars(stmt.order_by(User.id)))


def purge_refused_join_requests(session: Session, *, now: datetime | None = None) -> int:
    """Delete the requests refused more than :data:`REFUSED_KEPT_DAYS` ago; return how many."""
    limit = now_or_utc(now) - timedelta(days=REFUSED_KEPT_DAYS)
    result = session.execute(
        delete(StructureJoinRequest)
        .where(
            StructureJoinRequest.status == JoinRequestStatus.REFUSED,
            StructureJoinRequest.decided_at < limit,
        )
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)


def set_training_centres(
    session: Session, employer: Employer | int, centre_ids: Iterable[object]
) -> list[TrainingCentre]:
    """Replace the training centres the structure works with; an unknown id changes nothing."""
    employer = load(session, Employer, employer, "Structure")
    errors = ErrorCollector()
    found: dict[int, TrainingCentre] = {}
    for value in centre_ids:
        centre = errors.run(clean_centre, session, value, "centre_id", required=True)
        if centre is not None:
            found[centre.id] = centre
    errors.raise_if_any()
    employer.training_centres = sorted(found.values(), key=lambda c: (c.name, c.id))
    employer.updated_at = now_or_utc(None)  # the engine reads them: the next rematch run sees it
    session.flush()
    return employer.training_centres
