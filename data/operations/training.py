"""Training centres, their programmes and sessions: the coordinators' use cases (issue 16).

Only staff write centres, programmes and sessions (pages, API, CSV import); each change is
audited like the other coordinators' actions. Values come as typed on a form or sent by the
API: the commune is any text the house's resolver reads (« Bourg-en-Bresse », « 01000 »), the
métier any text the métier resolver reads (« AES », « aide-soignante »), dates ``JJ/MM/AAAA`` or
``AAAA-MM-JJ``. Every rule answers a French message keyed by the field's name, and a refused
call leaves nothing written (each one runs in a savepoint).

:data:`CENTRE_FIELDS`, :data:`PROGRAMME_FIELDS` and :data:`SESSION_FIELDS` name the fields
once, in the order forms, the import and the export use them.

The employer's and the candidate's sides go through their own use cases, with the one check of
a centre id (:func:`data.operations.validation.clean_centre`): an offer's partner centre
(:func:`~data.operations.offers.update_offer`), the centre where a candidate is enrolled
(:func:`~data.operations.requests.update_request`), the centres a structure works with
(:func:`~data.operations.employers.set_training_centres`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.errors import PermissionDenied, ValidationError
from data.models import (
    CentreKind,
    Offer,
    Request,
    Suggestion,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    TransitAccess,
    employer_training_centres,
    utcnow,
)

from . import audit
from ._common import load
from .communes import resolve_commune
from .validation import (
    ErrorCollector,
    FieldCleaner,
    clean_by_rules,
    clean_commune,
    clean_date,
    clean_email,
    clean_enum,
    clean_int,
    clean_metier,
    clean_phone,
    clean_text,
)

__all__ = [
    "CENTRE_FIELDS",
    "CENTRE_RULES",
    "PROGRAMME_RULES",
    "SESSION_RULES",
    "differs",
    "PROGRAMME_FIELDS",
    "SESSION_FIELDS",
    "STAFF_ONLY",
    "MAX_NAME",
    "MAX_ADDRESS",
    "MAX_WEBSITE",
    "MAX_DIPLOMA_TEXT",
    "MAX_RHYTHM",
    "MAX_SELECTION",
    "MIN_PROGRAMME_MONTHS",
    "MAX_PROGRAMME_MONTHS",
    "MAX_SESSION_PLACES",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "clean_website",
    "create_centre",
    "update_centre",
    "delete_centre",
    "create_programme",
    "update_programme",
    "delete_programme",
    "create_session",
    "update_session",
    "delete_session",
]

T = TypeVar("T")

STAFF_ONLY = "Seule la coordination gère les centres de formation."
MAX_NAME = 200
MAX_ADDRESS = 300
MAX_WEBSITE = 300
MAX_DIPLOMA_TEXT = 200
MAX_RHYTHM = 200
MAX_SELECTION = 300
MIN_PROGRAMME_MONTHS = 1
MAX_PROGRAMME_MONTHS = 60
MAX_SESSION_PLACES = 500
#: Dates of sessions lie between these (a year typed 0207 or 2207 is a typo, not an intake).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

#: The fields each use case reads, in the order of forms, import and export.
CENTRE_FIELDS = (
    "name",
    "kind",
    "commune",
    "address",
    "website",
    "contact_email",
    "contact_phone",
    "public_transport",
)
PROGRAMME_FIELDS = ("metier", "diploma", "by_apprenticeship", "duration_months", "rhythm")
SESSION_FIELDS = (
    "start_date",
    "end_date",
    "apprenticeship_places",
    "applications_open_on",
    "application_deadline",
    "selection_dates",
)

_WEBSITE_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)
WEBSITE_MESSAGE = "Adresse de site internet invalide, par exemple https://www.exemple.fr."


def _staff(actor: Actor) -> None:
    """Let staff and the platform itself (the demo, a command) through; refuse anyone else."""
    platform = not actor.is_person and actor.channel in (Channel.SYSTEM, Channel.JOB, Channel.CLI)
    if not (actor.is_staff or platform):
        raise PermissionDenied(STAFF_ONLY)


def clean_website(value: object, field: str = "website") -> str | None:
    """Return a web address (``https://`` added when typed without), or None when empty.

    >>> clean_website("www.exemple.fr"), clean_website("")
    ('https://www.exemple.fr', None)
    """
    text = clean_text(value, field, required=False, max_length=MAX_WEBSITE)
    if text is None:
        return None
    if not re.match(r"^[a-z]+://", text, re.IGNORECASE):
        text = f"https://{text}"
    if not _WEBSITE_RE.match(text) or len(text) > MAX_WEBSITE:
        raise ValidationError({field: [WEBSITE_MESSAGE]})
    return text


def _flag(value: object, field: str) -> bool:
    """A yes/no value: a boolean, or the words a form or a spreadsheet sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("oui", "o", "1", "vrai", "true", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("non", "n", "0", "faux", "false", ""):
        return False
    raise ValidationError({field: ["Valeur oui ou non attendue."]})


def _transit(value: object, field: str) -> TransitAccess:
    """Public transport: ``yes``/``no``/``unknown`` or « oui »/« non »/empty (unknown)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return TransitAccess.UNKNOWN
    if isinstance(value, str):
        words = {"oui": "yes", "non": "no", "non renseigné": "unknown", "inconnu": "unknown"}
        value = words.get(value.strip().lower(), value.strip().lower())
    found = clean_enum(value, TransitAccess, field)
    assert found is not None
    return found


def _kind(value: object, field: str) -> CentreKind:
    if isinstance(value, str):
        value = value.strip().lower()
    found = clean_enum(value, CentreKind, field)
    assert found is not None
    return found


def _day(value: object, field: str, *, required: bool = False) -> date | None:
    return clean_date(
        value, field, required=required, min_value=EARLIEST_DATE, max_value=LATEST_DATE
    )


#: How each field is checked: its cleaner (which the session may feed), then the model's name.
CENTRE_RULES: dict[str, tuple[FieldCleaner, str]] = {
    "name": (
        lambda s, v, f: clean_text(v, f, max_length=MAX_NAME),
        "name",
    ),
    "kind": (lambda s, v, f: _kind(v, f), "kind"),
    "commune": (
        lambda s, v, f: resolve_commune(s, v if isinstance(v, str) else None, f).insee,
        "commune_insee",
    ),
    # An INSEE code, as is (the API's ``commune_insee``, the demo); forms send ``commune``.
    "commune_insee": (lambda s, v, f: clean_commune(s, v, f).insee, "commune_insee"),
    "address": (
        lambda s, v, f: clean_text(v, f, required=False, max_length=MAX_ADDRESS),
        "address",
    ),
    "website": (lambda s, v, f: clean_website(v, f), "website"),
    "contact_email": (lambda s, v, f: clean_email(v, f, required=False), "contact_email"),
    "contact_phone": (lambda s, v, f: clean_phone(v, f), "contact_phone"),
    "public_transport": (lambda s, v, f: _transit(v, f), "public_transport"),
}
PROGRAMME_RULES: dict[str, tuple[FieldCleaner, str]] = {
    "metier": (lambda s, v, f: clean_metier(s, v, f).code, "metier_code"),
    "diploma": (
        lambda s, v, f: clean_text(v, f, required=False, max_length=MAX_DIPLOMA_TEXT),
        "diploma",
    ),
    "by_apprenticeship": (lambda s, v, f: _flag(v, f), "by_apprenticeship"),
    "duration_months": (
        lambda s, v, f: clean_int(
            v, f, min_value=MIN_PROGRAMME_MONTHS, max_value=MAX_PROGRAMME_MONTHS, required=False
        ),
        "duration_months",
    ),
    "rhythm": (
        lambda s, v, f: clean_text(v, f, required=False, max_length=MAX_RHYTHM),
        "rhythm",
    ),
}
SESSION_RULES: dict[str, tuple[FieldCleaner, str]] = {
    "start_date": (lambda s, v, f: _day(v, f, required=True), "start_date"),
    "end_date": (lambda s, v, f: _day(v, f), "end_date"),
    "apprenticeship_places": (
        lambda s, v, f: clean_int(v, f, min_value=0, max_value=MAX_SESSION_PLACES, required=False),
        "apprenticeship_places",
    ),
    "applications_open_on": (lambda s, v, f: _day(v, f), "applications_open_on"),
    "application_deadline": (lambda s, v, f: _day(v, f), "application_deadline"),
    "selection_dates": (
        lambda s, v, f: clean_text(v, f, required=False, max_length=MAX_SELECTION),
        "selection_dates",
    ),
}
#: Fields a new object needs (the others may stay empty).
_REQUIRED = {"name", "kind", "commune", "metier", "start_date"}
_DEFAULTS: dict[str, Any] = {"by_apprenticeship": True, "public_transport": TransitAccess.UNKNOWN}


def _clean(
    session: Session,
    rules: Mapping[str, tuple[FieldCleaner, str]],
    values: Mapping[str, Any],
    *,
    new: bool,
) -> dict[str, Any]:
    """Return the model's attributes for ``values``, or raise every field's message at once."""
    errors = ErrorCollector()
    cleaned = clean_by_rules(
        session, rules, values, errors, new=new, required=_REQUIRED, defaults=_DEFAULTS
    )
    errors.raise_if_any()
    return cleaned


def differs(
    session: Session,
    rules: Mapping[str, tuple[FieldCleaner, str]],
    obj: object,
    values: Mapping[str, Any],
) -> bool:
    """Tell whether ``values`` say something ``obj`` does not (an unreadable value: yes)."""
    for name, value in values.items():
        cleaner, attribute = rules[name]
        try:
            if cleaner(session, value, name) != getattr(obj, attribute):
                return True
        except ValidationError:
            return True
    return False


def _session_rules(values: Mapping[str, Any]) -> None:
    """Check the dates of a session together (after each one alone)."""
    start, end = values.get("start_date"), values.get("end_date")
    opening, deadline = values.get("applications_open_on"), values.get("application_deadline")
    errors = ErrorCollector()
    if start is not None and end is not None and end < start:
        errors.add("end_date", "La date de fin ne peut pas précéder la rentrée.")
    if opening is not None and deadline is not None and deadline < opening:
        errors.add(
            "application_deadline",
            "La date limite d'inscription ne peut pas précéder l'ouverture des inscriptions.",
        )
    if start is not None and opening is not None and opening > start:
        errors.add(
            "applications_open_on", "Les inscriptions ne peuvent pas ouvrir après la rentrée."
        )
    errors.raise_if_any()


def _details(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an audit line keeps of a change: the fields' names (no contact details)."""
    return {"fields": sorted(values)}


def _saved(
    session: Session,
    actor: Actor,
    action: str,
    centre_id: Callable[[T], int],
    details: Callable[[T], dict[str, Any]],
    write: Callable[[], T],
) -> T:
    """Run ``write`` in a savepoint (all or nothing), then audit it on its centre.

    ``centre_id`` and ``details`` read what ``write`` returned (the object it saved). The
    centre's ``updated_at`` moves with any change to it, its programmes or sessions, deletions
    included: the next rematch run then sees that the engine's centres changed.
    """
    with session.begin_nested():
        result = write()
        session.flush()
    ident = centre_id(result)
    centre = session.get(TrainingCentre, ident)
    if centre is not None:
        centre.updated_at = utcnow()
        session.flush()
    audit.record(session, actor, action, "training_centre", ident, details(result))
    return result


def _assign(obj: T, values: Mapping[str, Any]) -> T:
    for attribute, value in values.items():
        setattr(obj, attribute, value)
    return obj


def _added(session: Session, obj: T) -> T:
    session.add(obj)
    return obj


# --- Centres ------------------------------------------------------------------------------------


def create_centre(session: Session, actor: Actor, **values: Any) -> TrainingCentre:
    """Create a training centre from the fields of :data:`CENTRE_FIELDS` (staff only)."""
    _staff(actor)
    cleaned = _clean(session, CENTRE_RULES, values, new=True)
    return _saved(
        session,
        actor,
        "create_training_centre",
        lambda centre: centre.id,
        lambda centre: {"name": centre.name},
        lambda: _added(session, TrainingCentre(**cleaned)),
    )


def update_centre(
    session: Session, actor: Actor, centre: TrainingCentre | int, **changes: Any
) -> TrainingCentre:
    """Change fields of a centre (those given only)."""
    _staff(actor)
    found = load(session, TrainingCentre, centre, "Centre de formation")
    cleaned = _clean(session, CENTRE_RULES, changes, new=False)
    return _saved(
        session,
        actor,
        "update_training_centre",
        lambda _: found.id,
        lambda _: _details(changes),
        lambda: _assign(found, cleaned),
    )


def delete_centre(session: Session, actor: Actor, centre: TrainingCentre | int) -> None:
    """Delete a centre with its programmes and sessions; offers, requests and pairs forget it."""
    _staff(actor)
    found = load(session, TrainingCentre, centre, "Centre de formation")
    centre_id, name = found.id, found.name

    def forget() -> None:
        # Explicitly, not by the foreign keys' ON DELETE: SQLite may run without them.
        for column in (
            Offer.partner_centre_id,
            Request.training_centre_id,
            Suggestion.proposed_centre_id,
        ):
            session.execute(
                update(column.class_)
                .where(column == centre_id)
                .values({column.key: None, "updated_at": utcnow()})
                .execution_options(synchronize_session="fetch")
            )
        session.execute(
            delete(employer_training_centres).where(
                employer_training_centres.c.centre_id == centre_id
            )
        )
        session.delete(found)

    _saved(
        session,
        actor,
        "delete_training_centre",
        lambda _: centre_id,
        lambda _: {"name": name},
        forget,
    )


# --- Programmes ---------------------------------------------------------------------------------


def create_programme(
    session: Session, actor: Actor, centre: TrainingCentre | int, **values: Any
) -> TrainingProgramme:
    """Add a programme to a centre from the fields of :data:`PROGRAMME_FIELDS`."""
    _staff(actor)
    found = load(session, TrainingCentre, centre, "Centre de formation")
    cleaned = _clean(session, PROGRAMME_RULES, values, new=True)
    return _saved(
        session,
        actor,
        "create_training_programme",
        lambda _: found.id,
        lambda programme: {"programme_id": programme.id, "metier_code": programme.metier_code},
        lambda: _added(session, TrainingProgramme(centre=found, **cleaned)),
    )


def update_programme(
    session: Session, actor: Actor, programme: TrainingProgramme | int, **changes: Any
) -> TrainingProgramme:
    """Change fields of a programme (those given only)."""
    _staff(actor)
    found = load(session, TrainingProgramme, programme, "Formation")
    cleaned = _clean(session, PROGRAMME_RULES, changes, new=False)
    return _saved(
        session,
        actor,
        "update_training_programme",
        lambda _: found.centre_id,
        lambda _: {"programme_id": found.id, **_details(changes)},
        lambda: _assign(found, cleaned),
    )


def delete_programme(session: Session, actor: Actor, programme: TrainingProgramme | int) -> None:
    """Delete a programme with its sessions."""
    _staff(actor)
    found = load(session, TrainingProgramme, programme, "Formation")
    centre_id, programme_id = found.centre_id, found.id
    _saved(
        session,
        actor,
        "delete_training_programme",
        lambda _: centre_id,
        lambda _: {"programme_id": programme_id},
        lambda: found.centre.programmes.remove(found),
    )


# --- Sessions -----------------------------------------------------------------------------------


def create_session(
    session: Session, actor: Actor, programme: TrainingProgramme | int, **values: Any
) -> TrainingSession:
    """Add a session (an intake) to a programme from the fields of :data:`SESSION_FIELDS`."""
    _staff(actor)
    found = load(session, TrainingProgramme, programme, "Formation")
    cleaned = _clean(session, SESSION_RULES, values, new=True)
    _session_rules(cleaned)
    return _saved(
        session,
        actor,
        "create_training_session",
        lambda _: found.centre_id,
        lambda intake: {"session_id": intake.id, "programme_id": found.id},
        lambda: _added(session, TrainingSession(programme=found, **cleaned)),
    )


def update_session(
    session: Session, actor: Actor, intake: TrainingSession | int, **changes: Any
) -> TrainingSession:
    """Change fields of a session (those given only; the dates are checked together)."""
    _staff(actor)
    found = load(session, TrainingSession, intake, "Session")
    cleaned = _clean(session, SESSION_RULES, changes, new=False)
    _session_rules(
        {
            name: cleaned.get(name, getattr(found, name))
            for name in ("start_date", "end_date", "applications_open_on", "application_deadline")
        }
    )
    return _saved(
        session,
        actor,
        "update_training_session",
        lambda _: found.programme.centre_id,
        lambda _: {"session_id": found.id, **_details(changes)},
        lambda: _assign(found, cleaned),
    )


def delete_session(session: Session, actor: Actor, intake: TrainingSession | int) -> None:
    """Delete a session."""
    _staff(actor)
    found = load(session, TrainingSession, intake, "Session")
    centre_id, session_id = found.programme.centre_id, found.id
    _saved(
        session,
        actor,
        "delete_training_session",
        lambda _: centre_id,
        lambda _: {"session_id": session_id},
        lambda: found.programme.sessions.remove(found),
    )
