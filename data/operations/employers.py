"""Employers, their sites and the housing a site offers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.errors import Conflict
from data.models import Employer, Housing, HousingKind, Offer, OfferStatus, Site, StructureKind

from ._common import apply, load, unique_guard
from .validation import (
    ErrorCollector,
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
    "create_employer",
    "update_employer",
    "add_site",
    "update_site",
    "remove_site",
    "set_site_housing",
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


def create_employer(
    session: Session,
    *,
    name: str,
    siret: str,
    kind: StructureKind | str,
    contact_name: str,
    contact_email: str,
    contact_phone: str | None = None,
) -> Employer:
    """Register a structure; its SIRET must be valid and not yet registered."""
    errors = ErrorCollector()
    values = clean_fields(
        session,
        _EMPLOYER_CLEANERS,
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
    employer = Employer(**values)
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
    apply(site, values)
    session.flush()
    return site


def remove_site(session: Session, site: Site | int) -> None:
    """Delete a site that carries no offer (offers keep their history, so they block it)."""
    site = load(session, Site, site, "Site")
    count = session.scalar(select(func.count()).select_from(Offer).where(Offer.site_id == site.id))
    if count:
        raise Conflict(
            f"Ce site porte {count} offre(s) : il ne peut pas être supprimé. "
            "Clôturez ses offres et gardez-le, ou rattachez-les à un autre site."
        )
    # Through the collection, so that the loaded employer does not keep listing the site.
    site.employer.sites.remove(site)
    session.flush()


def set_site_housing(
    session: Session,
    site: Site | int,
    *,
    kind: HousingKind | str,
    beds: int,
    monthly_cost_eur: int | None = None,
    notes: str | None = None,
) -> Housing | None:
    """Set the beds of one kind a site offers (one row per kind); 0 beds removes that kind.

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
        reserved = session.scalar(
            select(func.max(Offer.housing_beds)).where(
                Offer.site_id == site.id,
                Offer.status.in_([OfferStatus.DRAFT, OfferStatus.PUBLISHED]),
            )
        )
        if reserved and total_after < reserved:
            errors.add(
                "beds",
                f"Une offre de ce site réserve {reserved} lit(s) : le site doit en proposer "
                "au moins autant.",
            )
    errors.raise_if_any()
    assert kind_value is not None and beds_value is not None
    if beds_value == 0:
        if existing is not None:
            site.housings.remove(existing)
            session.flush()
        return None
    housing = existing or Housing(site=site, kind=kind_value)
    if existing is None:
        session.add(housing)
    housing.beds = beds_value
    housing.monthly_cost_eur = cost
    housing.notes = notes_value
    session.flush()
    return housing
