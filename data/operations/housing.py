"""The housing inventory's use cases: create, change, publish and delete a resource (issue 17).

Coordinators and admins (and the platform itself: the demo, a command) manage every resource,
partners' and training centres' included; a structure's members manage their own structure's
only (``employer_id`` theirs), and never name a centre or a partner as manager. Values come as
typed on a form or sent by the API: the commune is any text the house's resolver reads
(« Bourg-en-Bresse », « 01000 »), the kind a code, the aids a list of codes, the periods a list
of ``{"starts_on", "ends_on"}`` (or pairs) set as a whole, dates ``JJ/MM/AAAA`` or
``AAAA-MM-JJ``. Every rule answers a French message keyed by the field's name, and a refused
call leaves nothing written (each one runs in a savepoint); each change is audited.

A resource on a site (``site_id``) is the site's housing of one kind: its commune, address,
kind and manager are the site's (changed through the site form,
:func:`data.operations.sites.save_site`), and its beds may not fall below those an open offer
of the site reserves (the one check :func:`~data.operations.employers.check_site_beds`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.errors import PermissionDenied, ValidationError
from data.models import (
    MAX_HOUSING_BEDS,
    Employer,
    HousingAid,
    HousingKind,
    HousingPeriod,
    HousingResource,
)

from . import audit
from ._common import load
from .communes import resolve_commune
from .employers import MAX_HOUSING_COST_EUR, check_site_beds
from .validation import (
    ErrorCollector,
    FieldCleaner,
    clean_by_rules,
    clean_centre,
    clean_commune,
    clean_date,
    clean_email,
    clean_enum,
    clean_id,
    clean_int,
    clean_phone,
    clean_text,
)

__all__ = [
    "HOUSING_FIELDS",
    "HOUSING_RULES",
    "MANAGER_FIELDS",
    "SITE_FIXED_FIELDS",
    "MAX_NAME",
    "MAX_ADDRESS",
    "MAX_COST_INCLUDES",
    "MAX_NOTES",
    "MAX_PARTNER",
    "MAX_PERIODS",
    "MIN_AGE",
    "MAX_AGE",
    "MIN_STAY_MONTHS",
    "MAX_STAY_MONTHS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "OWN_ONLY",
    "clean_aids",
    "clean_periods",
    "create_housing",
    "update_housing",
    "delete_housing",
    "differs",
    "set_beds_taken",
    "set_published",
]

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_COST_INCLUDES = 300
MAX_NOTES = 500
MAX_PARTNER = 200
MAX_PERIODS = 20
MIN_AGE = 14
MAX_AGE = 99
MIN_STAY_MONTHS = 1
MAX_STAY_MONTHS = 60
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

OWN_ONLY = "Vous ne pouvez gérer que les logements de votre structure."
MANAGER_REFUSED = (
    "Une structure déclare ses propres logements : seule la coordination déclare ceux d'un "
    "centre de formation ou d'un organisme partenaire."
)
ONE_MANAGER = (
    "Indiquez un seul gestionnaire : une structure, un centre de formation ou un organisme "
    "partenaire."
)
ON_SITE = "Ce logement est celui d'un lieu d'accueil : ce champ se modifie sur la fiche du lieu."

#: The fields a resource takes, in the order of forms, import and export.
HOUSING_FIELDS = (
    "name",
    "kind",
    "employer_id",
    "centre_id",
    "partner_name",
    "commune",
    "address",
    "beds",
    "beds_taken",
    "monthly_cost_eur",
    "cost_includes",
    "aids",
    "min_age",
    "max_age",
    "apprentices_only",
    "min_stay_months",
    "max_stay_months",
    "periods",
    "contact_name",
    "contact_email",
    "contact_phone",
    "notes",
    "published",
)
#: Who manages a resource: exactly one of these is set.
MANAGER_FIELDS = ("employer_id", "centre_id", "partner_name")
#: What a resource on a site takes from its site (changed through the site form only).
SITE_FIXED_FIELDS = ("kind", "commune", "commune_insee", "address", *MANAGER_FIELDS)

_SPLIT_RE = re.compile(r"[;,\n]")


def _flag(value: object, field: str) -> bool:
    """A yes/no value: a boolean, or the words a form or a spreadsheet sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("oui", "o", "1", "vrai", "true", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("non", "n", "0", "faux", "false", ""):
        return False
    raise ValidationError({field: ["Valeur oui ou non attendue."]})


def clean_aids(value: object, field: str = "aids") -> list[str]:
    """Return the codes of :class:`HousingAid` named (a list, or a text split on ``,`` ``;``),
    each once, in the enum's order.

    >>> clean_aids("visale, apl"), clean_aids([])
    (['apl', 'visale'], [])
    """
    if value is None:
        return []
    if isinstance(value, str):
        items: Sequence[object] = [p for p in _SPLIT_RE.split(value) if p.strip()]
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValidationError({field: ["Liste d'aides attendue."]})
    found: set[HousingAid] = set()
    for item in items:
        code = item.strip().lower() if isinstance(item, str) else item
        aid = clean_enum(code, HousingAid, field)
        assert aid is not None
        found.add(aid)
    return [a.value for a in HousingAid if a in found]


def _day(value: object, field: str, *, required: bool = False) -> date | None:
    return clean_date(
        value, field, required=required, min_value=EARLIEST_DATE, max_value=LATEST_DATE
    )


def clean_periods(value: object, field: str = "periods") -> list[tuple[date, date | None]]:
    """Return the availability periods as (start, end or None), earliest first.

    Each period is ``{"starts_on", "ends_on"}`` or a pair; the start is required, the end may
    be empty (open-ended) but not before the start. At most :data:`MAX_PERIODS`.
    """
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({field: ["Liste de périodes attendue."]})
    if len(value) > MAX_PERIODS:
        raise ValidationError({field: [f"Au plus {MAX_PERIODS} périodes."]})
    errors = ErrorCollector()
    periods: list[tuple[date, date | None]] = []
    for number, item in enumerate(value, start=1):
        if isinstance(item, Mapping):
            unknown = set(item) - {"starts_on", "ends_on"}
            if unknown:
                errors.add(field, f"Période {number} : champ inconnu.")
                continue
            start_value, end_value = item.get("starts_on"), item.get("ends_on")
        elif isinstance(item, list | tuple) and len(item) == 2:
            start_value, end_value = item
        else:
            errors.add(field, f"Période {number} : début et fin attendus.")
            continue
        try:
            start = _day(start_value, field, required=True)
            end = _day(end_value, field)
        except ValidationError as exc:
            for message in exc.errors.get(field, []):
                errors.add(field, f"Période {number} : {message}")
            continue
        assert start is not None
        if end is not None and end < start:
            errors.add(field, f"Période {number} : la fin ne peut pas précéder le début.")
            continue
        periods.append((start, end))
    errors.raise_if_any()
    return sorted(periods, key=lambda p: (p[0], p[1] or LATEST_DATE))


def _kind(value: object, field: str) -> HousingKind:
    if isinstance(value, str):
        value = value.strip().lower()
    found = clean_enum(value, HousingKind, field)
    assert found is not None
    return found


def _employer(session: Session, value: object, field: str) -> int | None:
    employer_id = clean_id(value, field, required=False)
    if employer_id is not None and session.get(Employer, employer_id) is None:
        raise ValidationError({field: ["Structure inconnue."]})
    return employer_id


def _centre(session: Session, value: object, field: str) -> int | None:
    centre = clean_centre(session, value, field)
    return centre.id if centre is not None else None


def _count(low: int, high: int) -> Callable[[Session, object, str], int | None]:
    return lambda s, v, f: clean_int(v, f, min_value=low, max_value=high, required=False)


def _optional_text(maximum: int, *, multiline: bool = False) -> Callable[..., str | None]:
    return lambda s, v, f: clean_text(v, f, required=False, max_length=maximum, multiline=multiline)


#: How each field is checked: its cleaner (which the session may feed), then the model's name.
HOUSING_RULES: dict[str, tuple[FieldCleaner, str]] = {
    "name": (lambda s, v, f: clean_text(v, f, max_length=MAX_NAME), "name"),
    "kind": (lambda s, v, f: _kind(v, f), "kind"),
    "employer_id": (_employer, "employer_id"),
    "centre_id": (_centre, "centre_id"),
    "partner_name": (_optional_text(MAX_PARTNER), "partner_name"),
    "commune": (
        lambda s, v, f: resolve_commune(s, v if isinstance(v, str) else None, f).insee,
        "commune_insee",
    ),
    # An INSEE code, as is (the API's ``commune_insee``); forms send ``commune``.
    "commune_insee": (lambda s, v, f: clean_commune(s, v, f).insee, "commune_insee"),
    "address": (_optional_text(MAX_ADDRESS), "address"),
    "beds": (
        lambda s, v, f: clean_int(v, f, min_value=0, max_value=MAX_HOUSING_BEDS),
        "beds",
    ),
    "beds_taken": (
        lambda s, v, f: (
            clean_int(v, f, min_value=0, max_value=MAX_HOUSING_BEDS, required=False) or 0
        ),
        "beds_taken",
    ),
    "monthly_cost_eur": (_count(0, MAX_HOUSING_COST_EUR), "monthly_cost_eur"),
    "cost_includes": (_optional_text(MAX_COST_INCLUDES), "cost_includes"),
    "aids": (lambda s, v, f: clean_aids(v, f), "aids"),
    "min_age": (_count(MIN_AGE, MAX_AGE), "min_age"),
    "max_age": (_count(MIN_AGE, MAX_AGE), "max_age"),
    "apprentices_only": (lambda s, v, f: _flag(v, f), "apprentices_only"),
    "min_stay_months": (_count(MIN_STAY_MONTHS, MAX_STAY_MONTHS), "min_stay_months"),
    "max_stay_months": (_count(MIN_STAY_MONTHS, MAX_STAY_MONTHS), "max_stay_months"),
    "periods": (lambda s, v, f: clean_periods(v, f), "periods"),
    "contact_name": (_optional_text(MAX_NAME), "contact_name"),
    "contact_email": (lambda s, v, f: clean_email(v, f, required=False), "contact_email"),
    "contact_phone": (lambda s, v, f: clean_phone(v, f), "contact_phone"),
    "notes": (_optional_text(MAX_NOTES, multiline=True), "notes"),
    "published": (lambda s, v, f: _flag(v, f), "published"),
}
_REQUIRED = ("name", "kind", "commune", "beds")
_DEFAULTS: dict[str, Any] = {
    "beds_taken": 0,
    "aids": [],
    "apprentices_only": False,
    "published": False,
    "periods": [],
}


def _clean(
    session: Session, values: Mapping[str, Any], errors: ErrorCollector, *, new: bool
) -> dict[str, Any]:
    """Return the model's attributes for ``values``; each field's message goes to ``errors``."""
    if "commune" in values and "commune_insee" in values:
        errors.add("commune", "Indiquez la commune une seule fois.")
    return clean_by_rules(
        session, HOUSING_RULES, values, errors, new=new, required=_REQUIRED, defaults=_DEFAULTS
    )


#: (low, high, message): ``low`` may not exceed ``high``; the message goes to the second of the
#: pair in the form's order (``beds_taken`` comes after ``beds``).
_PAIRS = (
    ("beds_taken", "beds", "Les lits occupés ne peuvent pas dépasser le nombre de lits."),
    ("min_age", "max_age", "L'âge maximal ne peut pas être inférieur à l'âge minimal."),
    (
        "min_stay_months",
        "max_stay_months",
        "La durée maximale de séjour ne peut pas être inférieure à la durée minimale.",
    ),
)


def _together(after: Mapping[str, Any], errors: ErrorCollector) -> None:
    """Check the fields that go by pairs, on the values after the call (a pair with a field
    already refused alone is not checked again)."""
    for low_name, high_name, message in _PAIRS:
        if errors.has(low_name) or errors.has(high_name):
            continue
        low, high = after.get(low_name), after.get(high_name)
        if low is not None and high is not None and low > high:
            errors.add(low_name if low_name == "beds_taken" else high_name, message)
    if any(errors.has(n) for n in MANAGER_FIELDS):
        return
    managers = [after.get(name) for name in MANAGER_FIELDS]
    if sum(m is not None for m in managers) != 1:
        field = next((n for n in MANAGER_FIELDS if after.get(n) is not None), None)
        errors.add(field or "partner_name", ONE_MANAGER)


def _may_manage(actor: Actor) -> None:
    """Let staff, the platform and a structure's members through; refuse anyone else."""
    platform = not actor.is_person and actor.channel in (Channel.SYSTEM, Channel.JOB, Channel.CLI)
    if not (actor.is_staff or platform or actor.employer_id is not None):
        raise PermissionDenied(OWN_ONLY)


def _check_manager(actor: Actor, cleaned: Mapping[str, Any]) -> None:
    """A structure's member names only their own structure as manager."""
    if actor.is_staff or not actor.is_person:
        return
    if cleaned.get("centre_id") is not None or cleaned.get("partner_name") is not None:
        raise PermissionDenied(MANAGER_REFUSED)
    employer_id = cleaned.get("employer_id")
    if employer_id is not None and employer_id != actor.employer_id:
        raise PermissionDenied(OWN_ONLY)


def _check_reach(actor: Actor, resource: HousingResource) -> None:
    """Refuse a structure's member a resource that is not their structure's."""
    if resource.employer_id is None:
        if actor.is_person and not actor.is_staff:
            raise PermissionDenied(OWN_ONLY)
        return
    if not actor.may_act_for_employer(resource.employer_id):
        raise PermissionDenied(OWN_ONLY)


def _after(resource: HousingResource, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    names = (
        "beds",
        "beds_taken",
        "min_age",
        "max_age",
        "min_stay_months",
        "max_stay_months",
        *MANAGER_FIELDS,
    )
    return {n: cleaned[n] if n in cleaned else getattr(resource, n) for n in names}


def _set_periods(resource: HousingResource, periods: list[tuple[date, date | None]]) -> None:
    resource.periods[:] = [HousingPeriod(starts_on=s, ends_on=e) for s, e in periods]


def _assign(resource: HousingResource, cleaned: Mapping[str, Any]) -> None:
    for attribute, value in cleaned.items():
        if attribute == "periods":
            _set_periods(resource, value)
        else:
            setattr(resource, attribute, value)


def _details(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an audit line keeps of a change: the fields' names (no contact details)."""
    return {"fields": sorted(values)}


def _site_rules(
    session: Session, resource: HousingResource, changes: Mapping[str, Any], beds: int
) -> None:
    """A resource on a site: its place, kind and manager are the site's; its beds, at least
    those an open offer of the site reserves."""
    fixed = [name for name in SITE_FIXED_FIELDS if name in changes]
    if fixed:
        raise ValidationError({name: [ON_SITE] for name in fixed})
    site = resource.site
    assert site is not None
    if beds != resource.beds:
        check_site_beds(session, site, site.housing_beds - resource.beds + beds)


def differs(session: Session, resource: HousingResource, values: Mapping[str, Any]) -> bool:
    """Tell whether ``values`` say something ``resource`` does not (an unreadable value: yes)."""
    for name, value in values.items():
        cleaner, attribute = HOUSING_RULES[name]
        try:
            cleaned = cleaner(session, value, name)
        except ValidationError:
            return True
        if attribute == "periods":
            if cleaned != [(p.starts_on, p.ends_on) for p in resource.periods]:
                return True
        elif cleaned != getattr(resource, attribute):
            return True
    return False


# --- Use cases ----------------------------------------------------------------------------------


def create_housing(session: Session, actor: Actor, **values: Any) -> HousingResource:
    """Create a resource from the fields of :data:`HOUSING_FIELDS` (not on a site: the site
    form declares those). A structure's member who names no manager manages it."""
    _may_manage(actor)
    if (
        actor.is_person
        and not actor.is_staff
        and not any(values.get(n) not in (None, "") for n in MANAGER_FIELDS)
    ):
        values = {**values, "employer_id": actor.employer_id}
    # An empty manager field of a form is no manager.
    values = {k: v for k, v in values.items() if not (k in MANAGER_FIELDS and v in (None, ""))}
    errors = ErrorCollector()
    cleaned = _clean(session, values, errors, new=True)
    _check_manager(actor, cleaned)
    _together(cleaned, errors)
    errors.raise_if_any()
    with session.begin_nested():
        resource = HousingResource()
        _assign(resource, cleaned)
        session.add(resource)
        session.flush()
    audit.record(
        session,
        actor,
        "create_housing",
        "housing_resource",
        resource.id,
        {"name": resource.name, "kind": resource.kind.value},
    )
    return resource


def update_housing(
    session: Session, actor: Actor, resource: HousingResource | int, **changes: Any
) -> HousingResource:
    """Change fields of a resource (those given only; the periods, as a whole list).

    Naming a manager field sets the manager: the others are emptied.
    """
    _may_manage(actor)
    found = load(session, HousingResource, resource, "Logement")
    _check_reach(actor, found)
    given = dict(changes)
    if any(n in changes for n in MANAGER_FIELDS):
        changes = {
            **{n: None for n in MANAGER_FIELDS},
            **{k: (None if k in MANAGER_FIELDS and v == "" else v) for k, v in changes.items()},
        }
    errors = ErrorCollector()
    cleaned = _clean(session, changes, errors, new=False)
    if any(n in changes for n in MANAGER_FIELDS):
        _check_manager(actor, cleaned)
    after = _after(found, cleaned)
    if found.site_id is not None:
        errors.run(_site_rules, session, found, given, after["beds"])
    _together(after, errors)
    errors.raise_if_any()
    with session.begin_nested():
        _assign(found, cleaned)
        session.flush()
    audit.record(session, actor, "update_housing", "housing_resource", found.id, _details(given))
    return found


def delete_housing(session: Session, actor: Actor, resource: HousingResource | int) -> None:
    """Delete a resource with its periods (on a site: unless an open offer needs its beds)."""
    _may_manage(actor)
    found = load(session, HousingResource, resource, "Logement")
    _check_reach(actor, found)
    ident, name = found.id, found.name
    with session.begin_nested():
        if found.site is not None:
            site = found.site
            check_site_beds(session, site, site.housing_beds - found.beds)
            site.housings.remove(found)
        else:
            session.delete(found)
        session.flush()
    audit.record(session, actor, "delete_housing", "housing_resource", ident, {"name": name})


def set_beds_taken(
    session: Session, actor: Actor, resource: HousingResource | int, beds_taken: int | str
) -> HousingResource:
    """Set how many beds of a resource are let (0 to its beds)."""
    return update_housing(session, actor, resource, beds_taken=beds_taken)


def set_published(
    session: Session, actor: Actor, resource: HousingResource | int, published: bool
) -> HousingResource:
    """Publish a resource (« Se loger », the API) or withdraw it."""
    return update_housing(session, actor, resource, published=published)
