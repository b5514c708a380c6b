"""Apprenticeship offers: create, edit, publish, and the end of their life."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.models import HELD_OFFER_STATUSES, Employer, Offer, OfferStatus, Role, Site
from data.presentation import plural

from ._common import load, local_today, now_or_utc, update_if
from .moderation import publication_status
from .offer_fields import (
    MAX_DURATION_MONTHS,
    MAX_PLACES,
    MIN_DURATION_MONTHS,
    OFFER_FIELD,
    OFFER_FIELD_NAMES,
    OFFER_FIELDS,
    clean_offer_value,
)
from .validation import (
    ErrorCollector,
    clean_centre,
    clean_date,
    clean_id,
    clean_int,
    reject_unknown_fields,
)

__all__ = [
    "OFFER_TRANSITIONS",
    "OPEN_OFFER_STATUSES",
    "MIN_DURATION_MONTHS",
    "MAX_DURATION_MONTHS",
    "MAX_PLACES",
    "MIN_DESCRIPTION_TO_PUBLISH",
    "create_offer",
    "create_offer_as",
    "update_offer",
    "publish_offer",
    "close_offer",
    "set_places_filled",
    "fill_one_place",
    "free_one_place",
    "NO_PLACE_LEFT",
    "mark_offer_filled",
    "expire_offer",
    "duplicate_offer",
    "check_offer_transition",
]

# A candidate needs a few lines to know what the job is; a title alone is not an offer.
MIN_DESCRIPTION_TO_PUBLISH = 30
# A start date is checked against today: a little in the past is "as soon as possible",
# far in the past or future is a typing mistake.
START_DATE_PAST_DAYS = 365
START_DATE_FUTURE_DAYS = 2 * 365
PUBLISH_START_GRACE_DAYS = 90

NO_PLACE_LEFT = "Toutes les places de cette offre sont déjà pourvues."
OFFER_NOT_OPEN_FOR_CONTRACT = (
    "Cette offre n'est plus ouverte : le contrat ne peut pas y être rattaché."
)

# Offers their employer may still change: a draft, a published one, one moderation holds back.
OPEN_OFFER_STATUSES = frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED, *HELD_OFFER_STATUSES})
SUSPENDED_STRUCTURE = (
    "Votre structure est suspendue par la coordination : ses offres ne peuvent pas être publiées."
)

# Moderation's moves (check, suspend, withdraw, reopen) are data.operations.moderation's, made
# with a compare-and-set on the status; this table holds the employer's and the jobs' moves.
OFFER_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.DRAFT: frozenset(
        {OfferStatus.PUBLISHED, OfferStatus.PENDING_CHECK, OfferStatus.CLOSED}
    ),
    OfferStatus.PUBLISHED: frozenset({OfferStatus.FILLED, OfferStatus.CLOSED, OfferStatus.EXPIRED}),
    # A place freed again (a contract broken off in its trial period) reopens a filled offer
    # (held back if its structure is suspended meanwhile).
    OfferStatus.FILLED: frozenset(
        {OfferStatus.PUBLISHED, OfferStatus.SUSPENDED, OfferStatus.CLOSED}
    ),
    OfferStatus.CLOSED: frozenset(),
    OfferStatus.EXPIRED: frozenset(),
    # The employer may still close an offer moderation holds back.
    OfferStatus.PENDING_CHECK: frozenset({OfferStatus.CLOSED}),
    OfferStatus.SUSPENDED: frozenset({OfferStatus.CLOSED}),
    OfferStatus.WITHDRAWN: frozenset({OfferStatus.CLOSED}),
}

#: The fields an employer writes: the declared ones, and the optional partner training centre
#: (issue 16; the pages' form and the API; the CSV import does not carry it yet).
_FIELDS = (*OFFER_FIELD_NAMES, "partner_centre_id")


def check_offer_transition(offer: Offer, target: OfferStatus) -> None:
    """Raise ``InvalidTransition`` unless the offer may go from its status to ``target``."""
    if target not in OFFER_TRANSITIONS[offer.status]:
        raise InvalidTransition("Offre", offer.status, target)


def _clean_offer_fields(
    session: Session,
    employer: Employer,
    values: dict[str, Any],
    errors: ErrorCollector,
    *,
    today: date,
    current: Offer | None,
) -> dict[str, Any]:
    """Validate the given offer fields; cross-field rules use ``current`` for the others.

    Each field is checked against its declaration (:data:`OFFER_FIELDS`); then the rules that
    involve other fields or rows.
    """
    checked: dict[str, Any] = {}
    for field in OFFER_FIELDS:
        if field.name in values and field.name != "housing_beds":
            value = errors.run(clean_offer_value, session, field, values[field.name])
            if not errors.has(field.name):
                checked[field.name] = value
    cleaned: dict[str, Any] = {}

    def keep(name: str, value: Any) -> None:
        if not errors.has(name):
            cleaned[name] = value

    site: Site | None = current.site if current is not None else None
    if "site_id" in values:
        site = None
        if checked.get("site_id") is not None:
            site = session.get(Site, checked["site_id"])
            if site is None or site.employer_id != employer.id:
                errors.add("site_id", "Ce site n'appartient pas à votre structure.")
                site = None
        keep("site", site)
    metier = checked.pop("metier_code", None)
    if "metier_code" in values:
        keep("metier", metier)
    checked.pop("site_id", None)
    places = checked.get("places")
    if places is not None and current is not None and places < current.places_filled:
        filled = plural(
            current.places_filled, "place est déjà pourvue", "places sont déjà pourvues"
        )
        errors.add("places", f"{filled} : le nombre de places ne peut pas être inférieur.")
    start = checked.get("start_date")
    # Bounds apply to a new date only: an unchanged one re-sent by a form is left alone.
    if start is not None and (current is None or start != current.start_date):
        errors.run(
            clean_date,
            start,
            "start_date",
            min_value=today - timedelta(days=START_DATE_PAST_DAYS),
            max_value=today + timedelta(days=START_DATE_FUTURE_DAYS),
        )
    if "description" in checked:
        checked["description"] = checked["description"] or ""
    for name, value in checked.items():
        keep(name, value)
    if "housing_beds" in values or "site_id" in values:
        raw_beds = values.get("housing_beds", current.housing_beds if current else 0)
        beds = errors.run(clean_offer_value, session, OFFER_FIELD["housing_beds"], raw_beds)
        if beds and site is not None and beds > site.housing_beds:
            offered = site.housing_beds
            errors.add(
                "housing_beds",
                f"Ce site ne propose que {plural(offered, 'lit', 'lits')} : "
                f"impossible d'en réserver {beds}."
                if offered
                else "Ce site ne propose pas de logement : déclarez-le d'abord sur le site.",
            )
        keep("housing_beds", beds)

    if "partner_centre_id" in values:
        centre = errors.run(clean_centre, session, values["partner_centre_id"], "partner_centre_id")
        keep("partner_centre", centre)

    # The diploma follows the métier unless the employer names one.
    if ("diploma" in cleaned or metier is not None) and not cleaned.get("diploma"):
        base = metier if metier is not None else (current.metier if current else None)
        if base is not None:
            cleaned["diploma"] = base.diploma_code
        else:
            cleaned.pop("diploma", None)
    return cleaned


def create_offer(
    session: Session, employer: Employer | int, *, now: datetime | None = None, **fields: Any
) -> Offer:
    """Create a draft offer at one of the employer's sites; the diploma defaults from the métier.

    ``fields`` are those of :data:`OFFER_FIELDS` (``site_id`` and ``metier_code`` required);
    a field not given takes its declared default.
    """
    employer = load(session, Employer, employer, "Structure")
    reject_unknown_fields(fields, _FIELDS)
    given = {f.name: fields.get(f.name, f.default) for f in OFFER_FIELDS}
    given["partner_centre_id"] = fields.get("partner_centre_id")
    errors = ErrorCollector()
    values = _clean_offer_fields(
        session, employer, given, errors, today=local_today(now), current=None
    )
    errors.raise_if_any()
    stamp = now_or_utc(now)
    offer = Offer(status=OfferStatus.DRAFT, places_filled=0, created_at=stamp, updated_at=stamp)
    for key, value in values.items():
        setattr(offer, key, value)
    session.add(offer)
    session.flush()
    return offer


def create_offer_as(
    session: Session, actor: Actor, *, now: datetime | None = None, **fields: Any
) -> Offer:
    """Create a draft offer for ``actor``: an employer at a site of its own structure, staff at
    any site (the offer is then the site's structure's); see :func:`create_offer`.

    Raises ``PermissionDenied`` for an actor who may not post offers (a candidate).
    """
    if actor.role == Role.EMPLOYER and actor.employer_id is not None:
        return create_offer(session, actor.employer_id, now=now, **fields)
    if actor.is_person and not actor.is_staff:
        raise PermissionDenied("Seule une structure ou la coordination dépose des offres.")
    errors = ErrorCollector()
    site_id = errors.run(clean_id, fields.get("site_id"), "site_id")
    errors.raise_if_any()
    site = session.get(Site, site_id)
    if site is None:
        raise ValidationError({"site_id": ["Site inconnu."]})
    return create_offer(session, site.employer_id, now=now, **fields)


def update_offer(
    session: Session, offer: Offer | int, *, now: datetime | None = None, **changes: Any
) -> Offer:
    """Change fields of a draft or published offer; a published one must stay publishable."""
    offer = load(session, Offer, offer, "Offre")
    reject_unknown_fields(changes, _FIELDS)
    if offer.status not in OPEN_OFFER_STATUSES:
        raise Conflict("Cette offre est terminée : elle ne peut plus être modifiée. Dupliquez-la.")
    employer = offer.site.employer
    errors = ErrorCollector()
    values = _clean_offer_fields(
        session, employer, changes, errors, today=local_today(now), current=offer
    )
    if offer.status != OfferStatus.DRAFT and not errors:
        _check_publishable({**_offer_values(offer), **values}, errors, today=None)
    errors.raise_if_any()
    for key, value in values.items():
        setattr(offer, key, value)
    offer.updated_at = now_or_utc(now)
    session.flush()
    return offer


def _offer_values(offer: Offer) -> dict[str, Any]:
    return {name: getattr(offer, name) for name in _FIELDS}


def _check_publishable(values: dict[str, Any], errors: ErrorCollector, today: date | None) -> None:
    """Add an error for each field a candidate needs that is missing."""
    if values.get("start_date") is None:
        errors.add("start_date", "Indiquez la date de début pour publier l'offre.")
    elif today is not None and values["start_date"] < today - timedelta(
        days=PUBLISH_START_GRACE_DAYS
    ):
        errors.add("start_date", "La date de début est passée : corrigez-la avant de publier.")
    if values.get("duration_months") is None:
        errors.add("duration_months", "Indiquez la durée du contrat pour publier l'offre.")
    if len((values.get("description") or "").strip()) < MIN_DESCRIPTION_TO_PUBLISH:
        errors.add(
            "description",
            f"Décrivez le poste en quelques lignes (au moins {MIN_DESCRIPTION_TO_PUBLISH} "
            "caractères) pour publier l'offre.",
        )


def publish_offer(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Publish a draft offer that has what a candidate needs (start, duration, description).

    While its structure waits for a coordinator's check (and the platform's rule asks for one),
    the offer waits too, ``pending_check``; a suspended structure publishes nothing.
    """
    offer = load(session, Offer, offer, "Offre")
    if offer.status != OfferStatus.DRAFT:
        raise InvalidTransition("Offre", offer.status, OfferStatus.PUBLISHED)
    errors = ErrorCollector()
    _check_publishable(_offer_values(offer), errors, today=local_today(now))
    errors.raise_if_any()
    target = publication_status(session, offer.site.employer, hold=True)
    if target == OfferStatus.SUSPENDED:
        raise Conflict(SUSPENDED_STRUCTURE)
    stamp = now_or_utc(now)
    offer.status = target
    offer.published_at = stamp if target == OfferStatus.PUBLISHED else None
    offer.closed_at = None
    offer.updated_at = stamp
    session.flush()
    return offer


def _end(session: Session, offer: Offer, target: OfferStatus, now: datetime | None) -> Offer:
    check_offer_transition(offer, target)
    stamp = now_or_utc(now)
    offer.status = target
    offer.closed_at = stamp
    offer.updated_at = stamp
    session.flush()
    return offer


def close_offer(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Close a draft, published or filled offer (the employer withdraws it)."""
    return _end(session, load(session, Offer, offer, "Offre"), OfferStatus.CLOSED, now)


def expire_offer(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Expire a published offer (used by the jobs when its date is long past)."""
    return _end(session, load(session, Offer, offer, "Offre"), OfferStatus.EXPIRED, now)


def set_places_filled(
    session: Session, offer: Offer | int, places_filled: int, *, now: datetime | None = None
) -> Offer:
    """Record how many places are taken; a full offer becomes filled, a freed one published."""
    offer = load(session, Offer, offer, "Offre")
    if offer.status not in (OfferStatus.PUBLISHED, OfferStatus.FILLED):
        raise Conflict("Seule une offre publiée peut avoir des places pourvues.")
    errors = ErrorCollector()
    count = errors.run(
        clean_int, places_filled, "places_filled", min_value=0, max_value=offer.places
    )
    errors.raise_if_any()
    assert count is not None
    stamp = now_or_utc(now)
    target = OfferStatus.FILLED if count >= offer.places else OfferStatus.PUBLISHED
    if target == OfferStatus.PUBLISHED and offer.status == OfferStatus.FILLED:
        # A freed place of a suspended structure's offer stays held back.
        if publication_status(session, offer.site.employer) == OfferStatus.SUSPENDED:
            target = OfferStatus.SUSPENDED
    if target != offer.status:
        check_offer_transition(offer, target)
        offer.status = target
        offer.closed_at = stamp if target == OfferStatus.FILLED else None
    offer.places_filled = count
    offer.updated_at = stamp
    session.flush()
    return offer


def fill_one_place(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Take one place of a published offer for a signed contract; the last one fills the offer.

    A guarded counter, ``UPDATE offers SET places_filled = places_filled + 1 WHERE id = :id AND
    places_filled < places``, checked by its row count: of two contracts signed at the same
    instant on the last place, one takes it and the other raises ``Conflict(NO_PLACE_LEFT)``
    (on PostgreSQL the second waits for the first, then matches no row).
    """
    offer = load(session, Offer, offer, "Offre")
    stamp = now_or_utc(now)
    taken = update_if(
        session,
        offer,
        Offer.status.in_((OfferStatus.PUBLISHED, OfferStatus.FILLED)),
        Offer.places_filled < Offer.places,
        places_filled=Offer.places_filled + 1,
        updated_at=stamp,
    )
    if not taken:
        if offer.status not in (OfferStatus.PUBLISHED, OfferStatus.FILLED):
            raise Conflict(OFFER_NOT_OPEN_FOR_CONTRACT)
        raise Conflict(NO_PLACE_LEFT)
    if offer.places_filled >= offer.places and offer.status != OfferStatus.FILLED:
        check_offer_transition(offer, OfferStatus.FILLED)
        offer.status = OfferStatus.FILLED
        offer.closed_at = stamp
    session.flush()
    return offer


OFFER_NOT_OPEN_FOR_PLACE = "Cette offre n'est plus ouverte : sa place ne peut pas être rouverte."
NO_PLACE_TAKEN = "Aucune place de cette offre n'est pourvue : il n'y en a pas à rouvrir."


def free_one_place(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Give back one place of a published or filled offer (a contract broke off, or its signing
    was undone); a filled offer is published again.

    The guarded counter of :func:`fill_one_place` the other way: ``places_filled - 1`` only while
    the offer is open and a place is taken, checked by the row count.
    """
    offer = load(session, Offer, offer, "Offre")
    stamp = now_or_utc(now)
    freed = update_if(
        session,
        offer,
        Offer.status.in_((OfferStatus.PUBLISHED, OfferStatus.FILLED)),
        Offer.places_filled > 0,
        places_filled=Offer.places_filled - 1,
        updated_at=stamp,
    )
    if not freed:
        if offer.status not in (OfferStatus.PUBLISHED, OfferStatus.FILLED):
            raise Conflict(OFFER_NOT_OPEN_FOR_PLACE)
        raise Conflict(NO_PLACE_TAKEN)
    if offer.status == OfferStatus.FILLED and offer.places_filled < offer.places:
        check_offer_transition(offer, OfferStatus.PUBLISHED)
        offer.status = OfferStatus.PUBLISHED
        offer.closed_at = None
    session.flush()
    return offer


def mark_offer_filled(
    session: Session, offer: Offer | int, *, now: datetime | None = None
) -> Offer:
    """Mark every place of a published offer as taken: the offer becomes filled."""
    offer = load(session, Offer, offer, "Offre")
    check_offer_transition(offer, OfferStatus.FILLED)
    return set_places_filled(session, offer, offer.places, now=now)


def duplicate_offer(session: Session, offer: Offer | int, *, now: datetime | None = None) -> Offer:
    """Copy an offer, whatever its status, into a new draft with no place filled."""
    offer = load(session, Offer, offer, "Offre")
    stamp = now_or_utc(now)
    copy = Offer(status=OfferStatus.DRAFT, places_filled=0, created_at=stamp, updated_at=stamp)
    for name in _FIELDS:
        setattr(copy, name, getattr(offer, name))
    # The site may offer fewer beds than when the original was written.
    copy.housing_beds = min(offer.housing_beds, offer.site.housing_beds)
    copy.master_id = offer.master_id  # the same maître d'apprentissage (issue 19)
    session.add(copy)
    session.flush()
    return copy
