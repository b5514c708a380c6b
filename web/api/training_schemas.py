"""marshmallow schemas of ``/api/v1/training-centres``: centres with programmes and sessions."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError as SchemaError
from marshmallow import fields, validates_schema

from data.models import CentreKind, TransitAccess
from data.operations import training as limits
from data.operations.metiers import MAX_METIER_TEXT

from .fields import (
    Choice,
    Day,
    ListOf,
    Number,
    QueryBoolean,
    Stamp,
    StrictBoolean,
    StrictInteger,
    Text,
    length,
    range_,
)
from .schemas import (
    MAX_SEARCH_KM,
    Base,
    CommuneRef,
    MetierRef,
    PageQuery,
    RejectedLineSchema,
    _one_commune,
    commune_text,
    insee_code,
    page_of,
)

__all__ = [
    "CentreCreate",
    "CentreImportIn",
    "CentreImportReport",
    "CentrePage",
    "CentreQuery",
    "CentreSchema",
    "CentreUpdate",
    "ProgrammeCreate",
    "ProgrammeSchema",
    "ProgrammeUpdate",
    "SessionCreate",
    "SessionSchema",
    "SessionUpdate",
]


def _optional_text(maximum: int, description: str) -> fields.Field:
    return Text(allow_none=True, validate=length(0, maximum), metadata={"description": description})


# --- Outputs ------------------------------------------------------------------------------------


class SessionSchema(Base):
    """An intake of a programme."""

    id = StrictInteger(required=True)
    start_date = Day(required=True)
    end_date = Day(required=True, allow_none=True)
    apprenticeship_places = StrictInteger(required=True, allow_none=True)
    applications_open_on = Day(required=True, allow_none=True)
    application_deadline = Day(required=True, allow_none=True)
    selection_dates = Text(required=True, allow_none=True)
    applications_open = StrictBoolean(
        required=True,
        metadata={
            "description": "Applications taken today (in France): opened, deadline not past "
            "(without a deadline: until the start)."
        },
    )


class ProgrammeSchema(Base):
    """A programme of a centre: a métier's diploma, and its sessions (earliest first)."""

    id = StrictInteger(required=True)
    metier = fields.Nested(MetierRef, required=True)
    diploma = Text(required=True, allow_none=True)
    by_apprenticeship = StrictBoolean(required=True)
    duration_months = StrictInteger(required=True, allow_none=True)
    rhythm = Text(required=True, allow_none=True)
    sessions = ListOf(fields.Nested(SessionSchema), required=True)


class CentreSchema(Base):
    """A training centre with its programmes and their sessions."""

    id = StrictInteger(required=True)
    name = Text(required=True)
    kind = Choice(CentreKind, required=True)
    kind_label = Text(required=True, metadata={"description": "The kind, in French."})
    commune = fields.Nested(CommuneRef, required=True)
    address = Text(required=True, allow_none=True)
    website = Text(required=True, allow_none=True)
    contact_email = Text(required=True, allow_none=True)
    contact_phone = Text(required=True, allow_none=True)
    public_transport = Choice(TransitAccess, required=True)
    distance_km = Number(
        required=True,
        allow_none=True,
        metadata={"description": "From the commune searched around; null without one."},
    )
    next_intake = Day(
        required=True,
        allow_none=True,
        metadata={"description": "The earliest session starting today or later, any programme."},
    )
    programmes = ListOf(fields.Nested(ProgrammeSchema), required=True)
    created_at = Stamp(required=True)
    updated_at = Stamp(required=True)


CentrePage = page_of(CentreSchema, "CentrePage")


class CentreQuery(PageQuery):
    """Filters of the centre list."""

    metier = Text(
        validate=length(1, 64),
        metadata={"description": "Métier code: centres with a programme of it."},
    )
    by_apprenticeship = QueryBoolean(
        metadata={"description": "With `metier` or alone: programmes by apprenticeship or not."}
    )
    commune = commune_text()
    commune_insee = insee_code()
    distance_km = Number(
        validate=range_(0, MAX_SEARCH_KM),
        metadata={"description": "Radius around the commune (needs `commune` or `commune_insee`)."},
    )
    intake_from = Day(metadata={"description": "A session starts on this day or later."})
    intake_until = Day(metadata={"description": "A session starts on this day or earlier."})
    open_applications = QueryBoolean(
        metadata={
            "description": "true: a session (of `metier`, if given) takes applications today."
        }
    )
    q = Text(validate=length(1, 100), metadata={"description": "A part of the centre's name."})

    @validates_schema
    def _distance_needs_commune(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)
        if "distance_km" in data and "commune" not in data and "commune_insee" not in data:
            raise SchemaError("Indiquez la commune autour de laquelle chercher.", "distance_km")


# --- Inputs -------------------------------------------------------------------------------------


class CentreUpdate(Base):
    """Fields of a centre that may change (all optional; null empties an optional one)."""

    name = Text(validate=length(1, limits.MAX_NAME))
    kind = Choice(CentreKind)
    commune = commune_text()
    commune_insee = insee_code()
    address = _optional_text(limits.MAX_ADDRESS, "Postal address.")
    website = _optional_text(limits.MAX_WEBSITE, "https://… (« https:// » added when missing).")
    contact_email = _optional_text(254, "Contact address.")
    contact_phone = _optional_text(32, "French phone number.")
    public_transport = Choice(TransitAccess)

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)


class CentreCreate(CentreUpdate):
    """A new centre: name, kind and commune required."""

    name = Text(required=True, validate=length(1, limits.MAX_NAME))
    kind = Choice(CentreKind, required=True)

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=True)


class ProgrammeUpdate(Base):
    """Fields of a programme that may change (all optional)."""

    metier = Text(
        validate=length(1, MAX_METIER_TEXT),
        metadata={"description": "A métier code, or any text the métier resolver reads (« AES »)."},
    )
    diploma = _optional_text(limits.MAX_DIPLOMA_TEXT, "As the centre names it (« DEAS »).")
    by_apprenticeship = StrictBoolean()
    duration_months = StrictInteger(
        allow_none=True,
        validate=range_(limits.MIN_PROGRAMME_MONTHS, limits.MAX_PROGRAMME_MONTHS),
    )
    rhythm = _optional_text(limits.MAX_RHYTHM, "« 1 semaine en centre / 3 semaines en structure ».")


class ProgrammeCreate(ProgrammeUpdate):
    """A new programme of the centre: its métier required; by apprenticeship unless said."""

    metier = Text(
        required=True,
        validate=length(1, MAX_METIER_TEXT),
        metadata={"description": "A métier code, or any text the métier resolver reads (« AES »)."},
    )


class SessionUpdate(Base):
    """Fields of a session that may change (all optional; dates are checked together)."""

    start_date = Day()
    end_date = Day(allow_none=True)
    apprenticeship_places = StrictInteger(
        allow_none=True, validate=range_(0, limits.MAX_SESSION_PLACES)
    )
    applications_open_on = Day(allow_none=True)
    application_deadline = Day(allow_none=True)
    selection_dates = _optional_text(limits.MAX_SELECTION, "As the centre announces them.")


class SessionCreate(SessionUpdate):
    """A new session of the programme: its start required."""

    start_date = Day(required=True)


class CentreImportIn(Base):
    """Centres, programmes and sessions to create or update from a CSV file, given as text (the
    columns of the page's import: one line a session)."""

    csv = Text(
        required=True,
        validate=length(1),
        metadata={"description": "The file's text: a header line, then one session a line."},
    )


class CentreImportReport(Base):
    """What an import did (the page shows the same)."""

    message = Text(required=True, metadata={"description": "French summary."})
    centre_ids = ListOf(StrictInteger(), required=True)
    rejected = ListOf(fields.Nested(RejectedLineSchema), required=True)
