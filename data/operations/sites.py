"""Save a site of an employer with the housing it offers: one use case, one function.

The site form (and any other caller) gives the site's name, the commune as typed, the address,
and for each kind of housing the beds and the monthly cost as typed; :func:`save_site` checks it
all and keeps all of it or nothing, with the French messages keyed by those same field names
(:func:`housing_field` names the housing ones).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import SITE_HOUSING_KINDS, Employer, HousingKind, Site

from ._common import load
from .communes import resolve_commune
from .employers import add_site, set_site_housing, update_site

__all__ = ["SITE_FIELDS", "BEDS", "COST", "housing_field", "site_fields", "save_site"]

SITE_FIELDS = ("name", "commune", "address")
BEDS = "beds"
COST = "cost"
# The housing operation's argument -> the part of the form field's name.
_HOUSING_ARGS = {"beds": BEDS, "monthly_cost_eur": COST}


def housing_field(part: str, kind: HousingKind) -> str:
    """Return the name of a housing field of the site: ``beds_foyer``, ``cost_studio``..."""
    return f"{part}_{kind.value}"


def site_fields() -> tuple[str, ...]:
    """Return every field :func:`save_site` reads: the site's, then each kind's beds and cost."""
    housing = tuple(housing_field(p, k) for k in SITE_HOUSING_KINDS for p in (BEDS, COST))
    return (*SITE_FIELDS, *housing)


def _text_or_none(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def save_site(
    session: Session,
    actor: Actor,
    employer: Employer | int,
    site: Site | int | None,
    values: Mapping[str, str],
) -> Site:
    """Create (``site`` None) or update a site and its housing from what was typed.

    The commune is resolved from the text (« Bourg-en-Bresse (01053) », a code, a name); an
    empty number of beds is 0, an empty cost unknown. Raises ``ValidationError`` with every
    message keyed by the fields of :func:`site_fields`, leaving nothing changed; raises
    ``PermissionDenied`` when ``actor`` may not act for ``employer`` or the site is another's.
    """
    employer = load(session, Employer, employer, "Structure")
    if not actor.may_act_for_employer(employer.id):
        raise PermissionDenied("Vous ne pouvez modifier que les lieux de votre structure.")
    if site is not None:
        site = load(session, Site, site, "Site")
        if site.employer_id != employer.id:
            raise PermissionDenied("Ce lieu d'accueil appartient à une autre structure.")
    errors: dict[str, list[str]] = {}
    with session.begin_nested():  # all of it or nothing, whatever the caller does next
        saved = _save(session, employer, site, values, errors)
        if errors or saved is None:
            raise ValidationError(errors)  # leaving the block rolls the savepoint back
    return saved


def _save(
    session: Session,
    employer: Employer,
    site: Site | None,
    values: Mapping[str, str],
    errors: dict[str, list[str]],
) -> Site | None:
    """Write the site, then its housing kind by kind, gathering the messages in ``errors``."""
    typed = values.get("commune", "")
    try:
        commune_insee = resolve_commune(session, typed, "commune").insee
    except ValidationError as exc:
        errors.update(exc.errors)
        commune_insee = typed  # the other fields are still checked
    name = values.get("name", "")
    address = _text_or_none(values.get("address"))
    try:
        if site is None:
            site = add_site(
                session, employer, name=name, commune_insee=commune_insee, address=address
            )
        else:
            update_site(session, site, name=name, commune_insee=commune_insee, address=address)
    except ValidationError as exc:
        errors.update({k: v for k, v in exc.errors.items() if k != "commune_insee"})
        if "commune_insee" in exc.errors:
            errors.setdefault("commune", exc.errors["commune_insee"])
    if site is None or errors:
        return site  # the caller raises
    for kind in SITE_HOUSING_KINDS:
        beds = values.get(housing_field(BEDS, kind), "") or "0"
        cost = _text_or_none(values.get(housing_field(COST, kind)))
        try:
            set_site_housing(session, site, kind=kind, beds=beds, monthly_cost_eur=cost)
        except ValidationError as exc:
            for arg, messages in exc.errors.items():
                errors[housing_field(_HOUSING_ARGS.get(arg, arg), kind)] = messages
    return site
