"""A structure's maîtres d'apprentissage (issue 19): declared, and named on its offers.

A structure declares its masters (name, role, diploma, years of experience, and the apprentices
each supervises outside the platform); an offer names one of its structure's masters. Their
capacity, what the matching engine reads, is :mod:`data.queries.masters`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import (
    MAX_EXPERIENCE_YEARS,
    MAX_MASTER_TEXT,
    ApprenticeshipMaster,
    Employer,
    Offer,
)

from ._common import apply, load
from .validation import ErrorCollector, clean_int, clean_text, reject_unknown_fields

__all__ = [
    "MASTER_FIELDS",
    "MAX_SUPERVISED",
    "NOT_A_MASTER_OF_YOURS",
    "clean_master",
    "create_master",
    "update_master",
    "delete_master",
    "clean_offer_master",
    "set_offer_master",
]

#: The fields a structure fills in for a master.
MASTER_FIELDS = ("name", "role", "diploma", "experience_years", "supervised_elsewhere")
#: Apprentices a form accepts as supervised outside the platform (a typo guard, not the law).
MAX_SUPERVISED = 20
NOT_A_MASTER_OF_YOURS = (
    "Maître d'apprentissage inconnu : choisissez l'une des personnes déclarées par la structure."
)


def clean_master(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the master's fields checked and normalised, or raise ValidationError (every
    failing field at once)."""
    reject_unknown_fields(values, MASTER_FIELDS)
    errors = ErrorCollector()
    out: dict[str, Any] = {}
    for name in ("name", "role", "diploma"):
        out[name] = errors.run(clean_text, values.get(name), name, max_length=MAX_MASTER_TEXT)
    out["experience_years"] = errors.run(
        clean_int,
        values.get("experience_years"),
        "experience_years",
        min_value=0,
        max_value=MAX_EXPERIENCE_YEARS,
    )
    supervised = values.get("supervised_elsewhere")
    out["supervised_elsewhere"] = errors.run(
        clean_int,
        "0" if supervised is None or supervised == "" else supervised,
        "supervised_elsewhere",
        min_value=0,
        max_value=MAX_SUPERVISED,
    )
    errors.raise_if_any()
    return out


def create_master(
    session: Session, employer: Employer | int, values: Mapping[str, Any]
) -> ApprenticeshipMaster:
    """Declare a master of ``employer``; raise ValidationError on bad input (nothing written)."""
    employer = load(session, Employer, employer, "Structure")
    master = ApprenticeshipMaster(employer_id=employer.id, **clean_master(values))
    session.add(master)
    session.flush()
    return master


def update_master(
    session: Session, master: ApprenticeshipMaster | int, values: Mapping[str, Any]
) -> ApprenticeshipMaster:
    """Change a master's fields; raise ValidationError on bad input (nothing changed)."""
    master = load(session, ApprenticeshipMaster, master, "Maître d'apprentissage")
    apply(master, clean_master(values))
    session.flush()
    return master


def delete_master(session: Session, master: ApprenticeshipMaster | int) -> None:
    """Remove a master; the offers naming them then name none (the key's ``SET NULL``)."""
    master = load(session, ApprenticeshipMaster, master, "Maître d'apprentissage")
    for offer in session.scalars(select(Offer).where(Offer.master_id == master.id)):
        offer.master_id = None
    session.delete(master)
    session.flush()


def clean_offer_master(session: Session, employer_id: int, value: object) -> int | None:
    """Return the id of the offer's master (one of ``employer_id``'s), or None for none; raise
    ValidationError (``master_id``) for anything else."""
    if value is None or value == "":
        return None
    try:
        master_id = clean_int(value, "master_id")
    except ValidationError:
        raise ValidationError({"master_id": [NOT_A_MASTER_OF_YOURS]}) from None
    master = (
        session.get(ApprenticeshipMaster, master_id)
        if master_id is not None and 0 < master_id < 2**31
        else None
    )
    if master is None or master.employer_id != employer_id:
        raise ValidationError({"master_id": [NOT_A_MASTER_OF_YOURS]})
    return master.id


def set_offer_master(session: Session, offer: Offer | int, value: object) -> Offer:
    """Name the offer's maître d'apprentissage (one of its structure's; None: none)."""
    offer = load(session, Offer, offer, "Offre")
    offer.master_id = clean_offer_master(session, offer.site.employer_id, value)
    session.flush()
    return offer
