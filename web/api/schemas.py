"""marshmallow schemas of every input and output of the API (they also write its OpenAPI document).

Inputs refuse unknown fields and wrong JSON types (see :mod:`web.api.fields`). Lists answer an
envelope ``{"items": [...], "pagination": {"page", "page_size", "total", "pages"}}``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from data.models import (
    AgeBand,
    BreakCause,
    BreakParty,
    ContractKind,
    Interest,
    OfferStatus,
    RequestStatus,
    StructureCheck,
    SuggestionOrigin,
    SuggestionStatus,
)
from data.operations.offer_fields import (
    OFFER_FIELDS,
    OFFER_REQUIRED,
    FieldKind,
    OfferField,
)
from data.operations.requests import MAX_DISTANCE_KM, MAX_METIERS, MIN_DISTANCE_KM
from data.operations.suggestions import MAX_DECIDED_AT_ONCE

from .fields import (
    INT32_MAX,
    Choice,
    Day,
    Id,
    ListOf,
    Number,
    QueryBoolean,
    QueryInteger,
    Stamp,
    StrictBoolean,
    StrictInteger,
    Text,
    length,
    range_,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_REASON = 1000
MAX_SEARCH_KM = 300
INSEE_PATTERN = r"^(\d{5}|2[AB]\d{3})$"
POSTAL_PATTERN = r"^\d{5}$"


def _pattern(regex: str, message: str) -> validate.Regexp:
    return validate.Regexp(regex, error=message)


#: How the API's ``commune`` inputs are described (the forms' resolver reads them).
COMMUNE_TEXT = (
    "The commune as people write it: its name (accents, case, « st » and typos forgiven), "
    "« Oyonnax (01100) », a postal code, a former name, or an INSEE code. A text that fits "
    "several communes is a 422 naming them, each as a label this field takes back "
    "(`GET /api/v1/communes/resolve` lists them as objects)."
)
INSEE_TEXT = "The commune's INSEE code, exactly (not a postal code)."


def commune_text(**kwargs: Any) -> fields.Field:
    """Return a ``commune`` input: text the commune resolver reads (200 characters at most)."""
    return Text(validate=length(1, 200), metadata={"description": COMMUNE_TEXT}, **kwargs)


def insee_code(**kwargs: Any) -> fields.Field:
    """Return a ``commune_insee`` input: an INSEE code, as is."""
    return Text(
        validate=_pattern(INSEE_PATTERN, "Code INSEE attendu (5 caractères)."),
        metadata={"description": INSEE_TEXT},
        **kwargs,
    )


def _one_commune(data: dict[str, Any], *, required: bool) -> None:
    """Refuse ``commune`` and ``commune_insee`` together (and neither, when ``required``)."""
    if "commune" in data and "commune_insee" in data:
        raise SchemaError(
            "Indiquez la commune une seule fois : « commune » ou « commune_insee ».", "commune"
        )
    if required and "commune" not in data and "commune_insee" not in data:
        raise SchemaError("Indiquez la commune (« commune » ou « commune_insee »).", "commune")


def _one_of(choices: list[str]) -> validate.OneOf:
    return validate.OneOf(choices, error="Valeur attendue parmi : {choices}.")


class Base(Schema):
    """Base of every schema: unknown fields refused, French messages."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "Champ inconnu.",
        "type": "Objet JSON attendu.",
    }


# --- Errors and pagination --------------------------------------------------------------------


class ErrorSchema(Base):
    """The one error body of the API."""

    code = Text(required=True, metadata={"description": "Error kind, e.g. validation_error."})
    status = StrictInteger(required=True, metadata={"description": "HTTP status code."})
    message = Text(required=True, metadata={"description": "French message for people."})
    errors = fields.Dict(
        keys=Text(),
        values=ListOf(Text()),
        required=True,
        metadata={"description": "French messages per field (nested fields as a.b)."},
    )


class PageQuery(Base):
    """Page parameters of every list."""

    page = QueryInteger(
        load_default=1, validate=range_(1, MAX_PAGE), metadata={"description": "From 1."}
    )
    page_size = QueryInteger(
        load_default=DEFAULT_PAGE_SIZE,
        validate=range_(1, MAX_PAGE_SIZE),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}."},
    )


class PaginationSchema(Base):
    """Where a page stands in the whole list."""

    page = StrictInteger(required=True)
    page_size = StrictInteger(required=True)
    total = StrictInteger(required=True, metadata={"description": "Items in the whole list."})
    pages = StrictInteger(required=True, metadata={"description": "Number of pages."})


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """Return the envelope schema of a list of ``item_schema``."""
    return Base.from_dict(
        {
            "items": ListOf(fields.Nested(item_schema), required=True),
            "pagination": fields.Nested(PaginationSchema, required=True),
        },
        name=name,
    )


# --- Reference data ---------------------------------------------------------------------------


class CommuneRef(Base):
    """A commune, as other objects name it."""

    insee = Text(required=True)
    name = Text(required=True)
    label = Text(
        required=True,
        metadata={
            "description": "As people read it: name and postal code, the département outside"
            " the Ain (« Oyonnax (01100) », « Bourg (33710, Gironde) »)."
        },
    )


class CommuneSchema(CommuneRef):
    """A commune of the gazetteer."""

    departement = Text(required=True)
    postal_codes = ListOf(Text(), required=True)
    latitude = Number(required=True)
    longitude = Number(required=True)
    population = StrictInteger(allow_none=True)


class CommuneQuery(PageQuery):
    """Search communes by what people type, postal code or INSEE code."""

    q = Text(
        validate=length(1, 100),
        metadata={
            "description": "What a person types: start of the name or postal code, any case or"
            " accents, abbreviations (« st genis »), former names of merged communes, typos;"
            " the likeliest first, the Ain and its neighbours before the rest."
        },
    )
    postal_code = Text(validate=_pattern(POSTAL_PATTERN, "Code postal à 5 chiffres attendu."))
    insee = Text(validate=_pattern(INSEE_PATTERN, "Code INSEE attendu (5 caractères)."))
    departement = Text(validate=_pattern(r"^(\d{2,3}|2[AB])$", "Département attendu (01, 2A…)."))


class CommuneResolveQuery(Base):
    """Text typed for a commune."""

    q = Text(
        required=True,
        validate=length(1, 200),
        metadata={"description": "What a person types: a name, a postal code, a label…"},
    )


class CommuneResolution(Base):
    """The commune a text designates, or the communes to choose from (best first)."""

    text = Text(required=True)
    commune = fields.Nested(CommuneSchema, required=True, allow_none=True)
    choices = ListOf(fields.Nested(CommuneSchema), required=True)
    message = Text(
        required=True,
        allow_none=True,
        metadata={"description": "French, for people, when no single commune is found."},
    )


class MetierRef(Base):
    """A métier of the referential, as other objects name it."""

    code = Text(required=True)
    label = Text(required=True)


class MetierSchema(MetierRef):
    """A métier of the referential."""

    label_feminine = Text(required=True)
    diploma_code = Text(required=True)
    diploma_label = Text(required=True)
    level = StrictInteger(required=True)
    entry_level_min = StrictInteger(required=True)
    rome = ListOf(
        Text(),
        required=True,
        allow_none=True,
        metadata={"description": "ROME 4.0 codes; null: not verified."},
    )
    synonyms = ListOf(Text(), required=True)
    abbreviations = ListOf(Text(), required=True)
    related = ListOf(Text(), required=True)
    priority = StrictBoolean(
        required=True, metadata={"description": "One of the plan's eight priority métiers."}
    )


class MetierQuery(PageQuery):
    """List the métiers, all or only the plan's priority ones."""

    priority = QueryBoolean(
        metadata={"description": "true: the plan's priority métiers; false: the others."}
    )


class ResolveQuery(Base):
    """Text to resolve to a métier."""

    q = Text(required=True, validate=length(1, 200), metadata={"description": "Words typed."})


class ResolutionSchema(Base):
    """What the engine makes of a text typed for a métier."""

    text = Text(required=True)
    code = Text(required=True, allow_none=True, metadata={"description": "None: unresolved."})
    label = Text(required=True, allow_none=True)
    score = Number(required=True, metadata={"description": "Similarity, 0 to 100."})
    method = Text(
        required=True,
        metadata={"description": "code, exact, abbreviation, mapping, fuzzy, outside, none."},
    )
    ambiguous = StrictBoolean(required=True)
    alternatives = ListOf(Text(), required=True)
    note = Text(required=True, allow_none=True)
    suggestions = ListOf(
        fields.Nested(MetierRef),
        required=True,
        metadata={"description": "Unresolved text: the nearest métiers (« Vouliez-vous dire »)."},
    )


# --- Offers -----------------------------------------------------------------------------------


class SiteRef(Base):
    """Where an offer's work takes place."""

    id = StrictInteger(required=True)
    name = Text(required=True)
    commune = fields.Nested(CommuneRef, required=True)


class EmployerRef(Base):
    """The employer of an offer."""

    id = StrictInteger(required=True)
    name = Text(required=True)


def _offer_field_in(field: OfferField, *, required: bool) -> fields.Field:
    """Return the input field of an offer field, with the declared type and limits."""
    if field.kind == FieldKind.ID:
        return Id(required=required)
    if field.kind == FieldKind.CODE:
        return Text(required=required, validate=length(1, field.max_length))
    if field.kind == FieldKind.TEXT:
        return Text(allow_none=field.empty_ok, validate=length(0, field.max_length))
    if field.kind == FieldKind.ENUM:
        return Choice(field.choices, required=required)
    if field.kind == FieldKind.INT:
        return StrictInteger(
            allow_none=field.empty_ok, validate=range_(field.min_value, field.max_value)
        )
    if field.kind == FieldKind.DATE:
        return Day(allow_none=field.empty_ok)
    return StrictBoolean()


def _offer_field_out(field: OfferField) -> fields.Field:
    """Return the output field of an offer field (one an offer shows as a key)."""
    allow_none = field.empty_ok and field.empty_stored
    if not field.public:
        note = {"description": "Not shown to candidate tokens."}
        return Text(allow_none=allow_none, metadata=note)
    kinds: dict[FieldKind, Any] = {
        FieldKind.TEXT: Text,
        FieldKind.INT: StrictInteger,
        FieldKind.DATE: Day,
        FieldKind.BOOL: StrictBoolean,
    }
    if field.kind == FieldKind.ENUM:
        return Choice(field.choices, required=True, allow_none=allow_none)
    return kinds[field.kind](required=True, allow_none=allow_none)


def _offer_fields_in(name: str, required: tuple[str, ...] = ()) -> type[Schema]:
    return Base.from_dict(
        {f.name: _offer_field_in(f, required=f.name in required) for f in OFFER_FIELDS},
        name=name,
    )


_OfferFieldsOut = Base.from_dict(
    {f.name: _offer_field_out(f) for f in OFFER_FIELDS if not f.nested}, name="OfferFieldsOut"
)


class OfferSchema(_OfferFieldsOut):  # type: ignore[valid-type,misc]
    """An apprenticeship offer (its fields: ``data.operations.offer_fields``)."""

    id = StrictInteger(required=True)
    contact_user_id = StrictInteger(
        allow_none=True,
        metadata={
            "description": "The person of the structure its mails go to (none: the structure's "
            "people). Not shown to candidate tokens."
        },
    )
    partner_centre_id = StrictInteger(
        required=True,
        allow_none=True,
        metadata={"description": "The training centre its apprentice trains with (none chosen)."},
    )
    status = Choice(OfferStatus, required=True)
    metier = fields.Nested(MetierRef, required=True)
    places_filled = StrictInteger(required=True)
    places_left = StrictInteger(required=True)
    site = fields.Nested(SiteRef, required=True)
    employer = fields.Nested(EmployerRef, required=True)
    created_at = Stamp(required=True)
    updated_at = Stamp(required=True)
    published_at = Stamp(required=True, allow_none=True)
    closed_at = Stamp(required=True, allow_none=True)
    distance_km = Number(
        allow_none=True,
        metadata={"description": "From the commune searched (lists with a commune only)."},
    )


class OfferImportIn(Base):
    """Offers to create as drafts from a CSV file, given as text (the columns of the page's
    import: ``lieu`` and ``metier`` required)."""

    csv = Text(
        required=True,
        validate=length(1),
        metadata={"description": "The file's text: a header line, then one offer a line."},
    )
    employer_id = Id(
        metadata={
            "description": "Required for coordinators; an employer token imports for its own "
            "employer (omit it, or give its own id)."
        }
    )


class RejectedLineSchema(Base):
    """A line of the file that was not imported, with why (French)."""

    line = StrictInteger(required=True, metadata={"description": "Its number in the file."})
    messages = ListOf(Text(), required=True)


class OfferImportReport(Base):
    """What an import did: the drafts created, the lines refused (the page shows the same)."""

    message = Text(required=True, metadata={"description": "French summary."})
    created = ListOf(fields.Nested(OfferSchema), required=True)
    rejected = ListOf(fields.Nested(RejectedLineSchema), required=True)


class OfferQuery(PageQuery):
    """Filters of the offer list."""

    metier = Text(validate=length(1, 64), metadata={"description": "Métier code."})
    commune = commune_text()
    commune_insee = insee_code()
    distance_km = Number(
        validate=range_(0, MAX_SEARCH_KM),
        metadata={"description": "Radius around the commune (needs `commune` or `commune_insee`)."},
    )
    status = Choice(OfferStatus)
    housing = QueryBoolean(metadata={"description": "true: housing offered; false: none."})
    employer_id = QueryInteger(validate=range_(1, INT32_MAX))

    @validates_schema
    def _distance_needs_commune(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)
        if "distance_km" in data and "commune" not in data and "commune_insee" not in data:
            raise SchemaError("Indiquez la commune autour de laquelle chercher.", "distance_km")


_CONTACT_IN = {
    "description": "The person of the offer's structure its mails go to (a team member's id, "
    "see /employers/{employer_id}/team); null: the structure's people."
}


_PARTNER_CENTRE_IN = {
    "description": "The training centre its apprentice trains with (a centre's id, see "
    "/training-centres); null: none chosen, the engine proposes the best placed one."
}


class OfferUpdate(_offer_fields_in("OfferFieldsIn")):  # type: ignore[misc]
    """Fields of an offer that may change (all optional)."""

    contact_user_id = Id(allow_none=True, metadata=_CONTACT_IN)
    partner_centre_id = Id(allow_none=True, metadata=_PARTNER_CENTRE_IN)


class OfferCreate(_offer_fields_in("OfferFieldsNew", OFFER_REQUIRED)):  # type: ignore[misc]
    """A new offer (a draft): at one of the employer's sites, for one métier."""

    contact_user_id = Id(allow_none=True, metadata=_CONTACT_IN)
    partner_centre_id = Id(allow_none=True, metadata=_PARTNER_CENTRE_IN)


# --- Candidates' requests ---------------------------------------------------------------------


class RequestMetierSchema(Base):
    """A métier as typed by the candidate and as resolved (code None when not)."""

    text = Text(required=True)
    code = Text(required=True, allow_none=True)
    label = Text(required=True, allow_none=True)


class CandidateContact(Base):
    """Who the candidate is and how to reach them (coordinators, whose view is logged, and the
    candidate themself)."""

    id = StrictInteger(required=True)
    first_name = Text(required=True)
    last_name = Text(required=True)
    email = Text(required=True, allow_none=True)
    phone = Text(required=True, allow_none=True)


class RequestSchema(Base):
    """A candidate's request: métiers, where from, how far, and constraints."""

    id = StrictInteger(required=True)
    status = Choice(RequestStatus, required=True)
    candidate_id = StrictInteger(required=True)
    first_name = Text(required=True)
    metiers = ListOf(fields.Nested(RequestMetierSchema), required=True)
    commune = fields.Nested(CommuneRef, required=True)
    max_distance_km = StrictInteger(required=True)
    has_licence = StrictBoolean(required=True)
    has_car = StrictBoolean(required=True)
    needs_housing = StrictBoolean(required=True)
    accepts_relocation = StrictBoolean(required=True)
    available_from = Day(required=True, allow_none=True)
    diploma_level = StrictInteger(required=True, allow_none=True)
    age_band = Choice(
        AgeBand,
        required=True,
        allow_none=True,
        metadata={"description": "Age band: 16-17, 18-20, 21-25 or 26+ (no birth date)."},
    )
    training_centre_id = StrictInteger(
        required=True,
        allow_none=True,
        metadata={"description": "The centre where the candidate is enrolled or admitted."},
    )
    created_at = Stamp(required=True)
    updated_at = Stamp(required=True)
    candidate = fields.Nested(
        CandidateContact, metadata={"description": "Only on the detail of one request."}
    )


class RequestSaved(RequestSchema):
    """A request just saved, with what to tell about the métiers typed."""

    unresolved = ListOf(
        Text(), required=True, metadata={"description": "Texts that match no métier."}
    )
    notes = ListOf(Text(), required=True, metadata={"description": "Notes on ambiguous texts."})


class RequestQuery(PageQuery):
    """Filters of the request list."""

    status = Choice(RequestStatus)
    metier = Text(validate=length(1, 64), metadata={"description": "Métier code."})
    commune = commune_text()
    commune_insee = insee_code()
    needs_housing = QueryBoolean()

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)


class RequestUpdate(Base):
    """Fields of a request that may change (all optional; ``metiers`` replaces the list)."""

    metiers = ListOf(Text(validate=length(1, 200)), validate=length(1, MAX_METIERS))
    commune = commune_text()
    commune_insee = insee_code()
    max_distance_km = StrictInteger(validate=range_(MIN_DISTANCE_KM, MAX_DISTANCE_KM))
    has_licence = StrictBoolean()
    has_car = StrictBoolean()
    needs_housing = StrictBoolean()
    accepts_relocation = StrictBoolean()
    available_from = Day(allow_none=True)
    diploma_level = StrictInteger(allow_none=True, validate=range_(0, 8))
    age_band = Choice(
        AgeBand,
        allow_none=True,
        metadata={
            "description": "Age band (16-17: a minor, never offered night work; 18-20, 21-25, "
            "26+); null: not said. It sets the minimum pay shown on offers."
        },
    )
    training_centre_id = Id(
        allow_none=True,
        metadata={
            "description": "The training centre where the candidate is already enrolled or "
            "admitted (a centre's id, see /training-centres); null: none."
        },
    )

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)


class RequestCreate(RequestUpdate):
    """A new request for a registered candidate (one per candidate)."""

    candidate_id = Id(
        metadata={
            "description": "Required for coordinators; a candidate token creates its own request "
            "(omit it, or give its own id)."
        }
    )
    metiers = ListOf(Text(validate=length(1, 200)), required=True, validate=length(1, MAX_METIERS))

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=True)


# --- Suggestions ------------------------------------------------------------------------------


class CandidateView(Base):
    """A candidate as an employer may see them before any contact: never email nor phone."""

    first_name = Text(required=True)
    commune = fields.Nested(CommuneRef, required=True)
    metiers = ListOf(fields.Nested(MetierRef), required=True)
    distance_km = Number(required=True, allow_none=True)
    needs_housing = StrictBoolean(required=True)
    available_from = Day(required=True, allow_none=True)


class OfferBrief(Base):
    """The offer of a suggestion, in short."""

    id = StrictInteger(required=True)
    status = Choice(OfferStatus, required=True)
    metier = fields.Nested(MetierRef, required=True)
    site = fields.Nested(SiteRef, required=True)
    employer = fields.Nested(EmployerRef, required=True)


class CriterionSchema(Base):
    """One criterion of a suggestion's score (the engine's ``Criterion``)."""

    score = Number(metadata={"description": "0 to 1."})
    weight = Number(metadata={"description": "Its weight in the score."})
    reason = Text(metadata={"description": "French, for the caller: « À 12 km de votre commune »."})


class EmployerContact(Base):
    """How a candidate reaches the employer of an approved pair (candidate tokens only)."""

    contact_name = Text(required=True)
    email = Text(required=True)
    phone = Text(required=True, allow_none=True)
    address = Text(required=True, allow_none=True, metadata={"description": "Of the site."})


class InterviewSchema(Base):
    """A pair's interview as the coordination set it (each part may be unknown)."""

    date = Day(required=True, allow_none=True, metadata={"description": "The day, in France."})
    time = Text(
        required=True,
        allow_none=True,
        validate=_pattern(r"^([01]\d|2[0-3]):[0-5]\d$", "Heure attendue au format HH:MM."),
        metadata={"description": "HH:MM, wall-clock time in France."},
    )
    place = Text(required=True, allow_none=True, validate=length(0, 200))


class ProposedCentre(Base):
    """The training centre the engine proposes for a pair (issue 16)."""

    id = StrictInteger(required=True, metadata={"description": "See /api/v1/training-centres."})
    name = Text(required=True)
    commune = Text(required=True)
    distance_km = Number(
        required=True, allow_none=True, metadata={"description": "From the candidate's commune."}
    )
    intake = Day(
        required=True,
        allow_none=True,
        metadata={"description": "The intake fitting the offer's start, if the centre has one."},
    )


class ProposedHousing(Base):
    """Where the engine houses the pair's candidate, who needs housing (issue 17)."""

    source = Text(
        required=True,
        metadata={"description": "offer: the offer's own beds; resource: a resource near it."},
    )
    id = StrictInteger(
        required=True, allow_none=True, metadata={"description": "See /api/v1/housing."}
    )
    name = Text(required=True, allow_none=True)
    kind = Text(required=True, allow_none=True)
    commune = Text(required=True, allow_none=True)
    distance_km = Number(
        required=True, allow_none=True, metadata={"description": "From the offer's site."}
    )
    monthly_cost_eur = StrictInteger(required=True, allow_none=True)


class SuggestionSchema(Base):
    """A scored (request, offer) pair with its reasons and its status.

    Employers get a subset: no request id, no rejection reason, no candidate's answer.
    Candidates get another: their own answer, not the employer's, no candidate view, and the
    employer's contact once a coordinator approved the pair.
    """

    id = StrictInteger(required=True)
    offer_id = StrictInteger(required=True)
    request_id = StrictInteger()
    score = Number(required=True, metadata={"description": "0 to 1."})
    distance_km = Number(required=True, allow_none=True)
    criteria = fields.Dict(
        keys=Text(),
        values=fields.Nested(CriterionSchema),
        required=True,
        metadata={"description": "Per criterion (metier, distance, housing…): its part."},
    )
    reasons = ListOf(Text(), required=True, metadata={"description": "French, display order."})
    engine_version = Text()
    origin = Choice(SuggestionOrigin)
    status = Choice(SuggestionStatus, required=True)
    stale = StrictBoolean()
    rejection_reason = Text(allow_none=True)
    employer_interest = Choice(
        Interest, allow_none=True, metadata={"description": "Not shown to candidate tokens."}
    )
    employer_reason = Text(
        allow_none=True, metadata={"description": "Not shown to candidate tokens."}
    )
    candidate_interest = Choice(Interest, allow_none=True)
    status_changed_at = Stamp(required=True)
    created_at = Stamp()
    updated_at = Stamp()
    candidate = fields.Nested(
        CandidateView, metadata={"description": "Not shown to candidate tokens."}
    )
    offer = fields.Nested(OfferBrief, required=True)
    interview = fields.Nested(
        InterviewSchema,
        allow_none=True,
        metadata={"description": "The interview's day, time and place, once set (both sides)."},
    )
    proposed_centre = fields.Nested(
        ProposedCentre,
        allow_none=True,
        metadata={
            "description": "The training centre the engine proposes for the pair (null when "
            "it knows none)."
        },
    )
    proposed_housing = fields.Nested(
        ProposedHousing,
        allow_none=True,
        metadata={
            "description": "Where the engine houses the candidate (null when they need no "
            "housing or no bed fits)."
        },
    )
    employer_contact = fields.Nested(
        EmployerContact,
        allow_none=True,
        metadata={
            "description": "Candidate tokens only: the employer's contact once a coordinator "
            "approved the pair (null before)."
        },
    )


class OfferInterestOut(Base):
    """What « this offer interests me » did (candidate tokens)."""

    created = StrictBoolean(
        required=True,
        metadata={"description": "True: a new pair (201); false: the existing one (200)."},
    )
    suggestion = fields.Nested(SuggestionSchema, required=True)


class OfferFitOut(Base):
    """Why an offer was or was not suggested to the caller's request (candidate tokens)."""

    suggested = StrictBoolean(
        required=True, metadata={"description": "Among the suggestions the candidate sees."}
    )
    interested = StrictBoolean(
        required=True, metadata={"description": "The candidate said the offer interests them."}
    )
    score = Number(
        required=True,
        allow_none=True,
        metadata={"description": "0 to 1; null when the engine rules the pair out."},
    )
    distance_km = Number(required=True, allow_none=True)
    reasons = ListOf(Text(), required=True, metadata={"description": "French, for the candidate."})
    exclusions = ListOf(
        Text(),
        required=True,
        metadata={
            "description": "French: why the engine rules the pair out (empty if it does not)."
        },
    )


EMPLOYER_SUGGESTION_FIELDS = (
    "id",
    "offer_id",
    "score",
    "distance_km",
    "criteria",
    "reasons",
    "status",
    "employer_interest",
    "employer_reason",
    "status_changed_at",
    "candidate",
    "offer",
    "interview",
    "proposed_centre",
    "proposed_housing",
)


class SuggestionQuery(PageQuery):
    """Filters of a suggestion list."""

    status = Choice(SuggestionStatus)
    min_score = Number(validate=range_(0, 1))
    metier = Text(validate=length(1, 64), metadata={"description": "Métier code of the offer."})
    stale = QueryBoolean()


class ManualPairIn(Base):
    """Pair a request and an offer by hand (coordinators): an approved suggestion."""

    request_id = Id(required=True)
    offer_id = Id(required=True)
    note = Text(allow_none=True, validate=length(0, MAX_REASON))


class DecisionIn(Base):
    """A coordinator's review of a suggestion: approve, or reject with a reason."""

    decision = Text(required=True, validate=_one_of(["approve", "reject"]))
    reason = Text(
        allow_none=True,
        validate=length(0, MAX_REASON),
        metadata={"description": "Required to reject."},
    )


class StatusIn(Base):
    """A step in the life of an approved pair (coordinators)."""

    status = Text(
        required=True,
        validate=_one_of(["contacted", "interview", "contract_signed", "abandoned"]),
    )
    reason = Text(
        allow_none=True,
        validate=length(0, MAX_REASON),
        metadata={"description": "Required to abandon."},
    )


class InterestIn(Base):
    """One side's answer to an approved pair: interested, or not (an employer says why)."""

    interested = StrictBoolean(required=True)
    reason = Text(
        allow_none=True,
        validate=length(0, MAX_REASON),
        metadata={"description": "Required when an employer declines."},
    )
    side = Text(
        validate=_one_of(["employer", "candidate"]),
        metadata={
            "description": "Whose answer: implied for employer and candidate tokens; required "
            "for coordinators recording an answer given to them."
        },
    )


OfferPage = page_of(OfferSchema, "OfferPage")
RequestPage = page_of(RequestSchema, "RequestPage")
SuggestionPage = page_of(SuggestionSchema, "SuggestionPage")
CommunePage = page_of(CommuneSchema, "CommunePage")
MetierPage = page_of(MetierSchema, "MetierPage")


class DecisionsIn(DecisionIn):
    """A coordinator's review of several suggestions at once, all of them or none."""

    ids = ListOf(
        Id(),
        required=True,
        validate=length(1, MAX_DECIDED_AT_ONCE),
        metadata={"description": f"The suggestions, {MAX_DECIDED_AT_ONCE} at most."},
    )


class DecisionsOut(Base):
    """The suggestions decided, as each now stands."""

    decided = StrictInteger(required=True)
    items = ListOf(fields.Nested(SuggestionSchema), required=True)


# --- The coordinators' lists as tables ----------------------------------------------------------


class ListParams(PageQuery):
    """Search, filters and sort of a coordinators' list, as its page offers them."""

    q = Text(validate=length(0, 200), metadata={"description": "Words to find (all of them)."})
    sort = Text(
        validate=length(1, 40),
        metadata={"description": "A column key (`-key`: descending); the list's default if none."},
    )
    status = Text(validate=length(1, 40), metadata={"description": "A status code of the list."})
    check = Text(
        validate=length(1, 40),
        metadata={"description": "Employers: a structure's check status (`to_check`...)."},
    )
    metier = Text(
        validate=length(1, 64),
        metadata={"description": "A métier code, or `prioritaires` for the plan's eight."},
    )
    territory = Text(
        validate=length(1, 120),
        metadata={"description": "A commune as typed (name, postal code): rows near it."},
    )
    housing = QueryBoolean()
    min_score = Number(validate=range_(0, 1))


ListPage = Base.from_dict(
    {
        "columns": ListOf(Text(), required=True),
        "items": ListOf(ListOf(fields.Raw(allow_none=True)), required=True),
        "pagination": fields.Nested(PaginationSchema, required=True),
    },
    name="ListPage",
)


# --- Pairs (coordinators) ---------------------------------------------------------------------

PAIR_STAGE_CODES = [
    "approved",
    "contacted",
    "interview",
    "contract_signed",
    "abandoned",
    "broken",
]


class PairEventSchema(Base):
    """One line of a pair's history (its audit lines), oldest first."""

    at = Stamp(required=True)
    action = Text(
        required=True,
        metadata={
            "description": "created (paired by hand), asked_by_candidate, status_change, "
            "stage_undone, note, interview_details, contract_details, employer_interest or "
            "candidate_interest."
        },
    )
    from_ = Text(
        data_key="from",
        attribute="from",
        required=True,
        allow_none=True,
        metadata={"description": "Status or answer before (a code; null at creation)."},
    )
    to = Text(
        required=True,
        allow_none=True,
        metadata={"description": "Status or answer after (a code)."},
    )
    reason = Text(required=True, allow_none=True, metadata={"description": "French, as typed."})
    text = Text(
        required=True,
        metadata={
            "description": "The line in French, as the pair's page shows it: « Changement "
            "d'étape : À examiner → Mise en relation faite »."
        },
    )
    actor_id = StrictInteger(
        required=True, allow_none=True, metadata={"description": "The user who acted, if any."}
    )
    api_token_id = StrictInteger(
        required=True,
        allow_none=True,
        metadata={"description": "The API token that acted, if the change came by the API."},
    )


class ContractSchema(Base):
    """A signed contract's details (each may be unknown)."""

    signed_on = Day(required=True, allow_none=True, metadata={"description": "Not in the future."})
    start_on = Day(required=True, allow_none=True)
    training_centre = Text(required=True, allow_none=True, validate=length(0, 200))
    kind = Choice(ContractKind, required=True, allow_none=True)


class RuptureSchema(Base):
    """The rupture of a signed contract: its day, its reason (free text, may be empty when a
    cause is given), who ended it, its cause in the short list, and whether it came after the
    first 45 days of practical training (each of the last three may be unknown)."""

    broken_on = Day(required=True)
    reason = Text(required=True)
    broken_by = Choice(BreakParty, required=True, allow_none=True)
    cause = Choice(BreakCause, required=True, allow_none=True)
    after_trial = StrictBoolean(required=True, allow_none=True)


class UndoSchema(Base):
    """Whether the pair's last stage change may be undone now (``POST /pairs/{id}/undo``)."""

    possible = StrictBoolean(required=True)
    restores = Choice(
        SuggestionStatus,
        required=True,
        allow_none=True,
        metadata={"description": "The stage the undo goes back to."},
    )
    refusal = Text(
        required=True, allow_none=True, metadata={"description": "French: why it may not."}
    )


class PairSchema(SuggestionSchema):
    """A pair: a suggestion past the review, its stage (``status``), the next one, its history."""

    contract = fields.Nested(ContractSchema, required=True, allow_none=True)
    rupture = fields.Nested(RuptureSchema, required=True, allow_none=True)
    undo = fields.Nested(UndoSchema, required=True)

    next_stage = Text(
        required=True,
        allow_none=True,
        metadata={
            "description": "The stage `POST /pairs/{id}/next` moves it to (null at the end)."
        },
    )
    history = ListOf(fields.Nested(PairEventSchema), required=True)


class PairQuery(PageQuery):
    """Filters of the pair list."""

    status = Text(
        validate=_one_of(PAIR_STAGE_CODES),
        metadata={"description": "Only the pairs at this stage."},
    )


def _seen(required: bool = False) -> fields.Field:
    return Text(
        data_key="from",
        attribute="from",
        required=required,
        validate=_one_of(PAIR_STAGE_CODES),
        metadata={
            "description": "The pair's stage as the caller saw it: if it moved meanwhile, 409."
        },
    )


class InterviewIn(InterviewSchema):
    """The interview's day, time and place (each may be null or left out: then unknown)."""

    date = Day(allow_none=True, metadata={"description": "The day, in France."})
    time = Text(
        allow_none=True,
        validate=_pattern(r"^([01]\d|2[0-3]):[0-5]\d$", "Heure attendue au format HH:MM."),
        metadata={"description": "HH:MM, wall-clock time in France; needs a date."},
    )
    place = Text(allow_none=True, validate=length(0, 200))


class ContractIn(Base):
    """A signed contract's details (each may be null or left out: then unknown)."""

    signed_on = Day(allow_none=True, metadata={"description": "Not in the future."})
    start_on = Day(allow_none=True)
    training_centre = Text(allow_none=True, validate=length(0, 200))
    kind = Choice(ContractKind, allow_none=True)


class InterviewEditIn(InterviewIn):
    """Set a pair's interview (at the interview stage or later); a field left out is erased."""

    from_ = _seen()


class ContractEditIn(ContractIn):
    """Set a signed contract's details; a field left out is erased."""

    from_ = _seen()


class RuptureIn(Base):
    """Record that a signed contract broke off: its day and reason; reopen the offer's place, make
    the request active again?"""

    broken_on = Day(required=True, metadata={"description": "Not before the signature."})
    reason = Text(
        load_default=None,
        allow_none=True,
        validate=length(0, MAX_REASON),
        metadata={"description": "Free text; required when no `cause` is given."},
    )
    broken_by = Choice(
        BreakParty,
        load_default=None,
        allow_none=True,
        metadata={"description": "Who ended the contract."},
    )
    cause = Choice(
        BreakCause,
        load_default=None,
        allow_none=True,
        metadata={"description": "The main cause, from the short list."},
    )
    after_trial = StrictBoolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Whether it came after the first 45 days of practical training."},
    )
    reopen_place = StrictBoolean(
        load_default=False,
        metadata={
            "description": "The employer wants the place again: one place of the offer is "
            "freed (a filled offer is published again)."
        },
    )
    reopen_request = StrictBoolean(
        load_default=False,
        metadata={
            "description": "The person looks for another employer: their matched request "
            "becomes active again (422 when it is not matched, or another signed contract "
            "holds it)."
        },
    )
    from_ = _seen()


class UndoIn(Base):
    """Undo the pair's last stage change (the same day in France, nothing changed since)."""

    from_ = _seen(required=True)


class NextStageIn(Base):
    """Move a pair to its next stage; ``from`` names the stage the caller saw it at.

    ``interview`` goes with a move to the interview, ``contract`` with a move to the signed
    contract (both optional, editable later).
    """

    interview = fields.Nested(InterviewIn)
    contract = fields.Nested(ContractIn)

    from_ = Text(
        data_key="from",
        attribute="from",
        required=True,
        validate=_one_of(PAIR_STAGE_CODES),
        metadata={
            "description": "The pair's stage as the caller saw it: if it moved meanwhile, 409 "
            "(so that a repeated call never moves it twice)."
        },
    )


class AbandonIn(Base):
    """End a pair before a contract, with the reason."""

    reason = Text(required=True, validate=length(1, MAX_REASON))


class NoteIn(Base):
    """A coordinator's note on a pair, kept dated and signed in its history."""

    note = Text(required=True, validate=length(1, 2000))


PairPage = page_of(PairSchema, "PairPage")


# --- A candidate's CV (web/api/cv.py) ------------------------------------------------------------


class CvIn(Base):
    """A CV to put or replace: the PDF file, base64-encoded (2 Mo at most once decoded)."""

    content = Text(
        required=True,
        validate=length(1),
        metadata={
            "description": "The PDF file, base64-encoded (RFC 4648). Checked by its content: "
            "it must be a whole PDF (the file's name plays no part)."
        },
    )


class CvOut(Base):
    """What the candidate's CV is: its size and when it was put (the file: GET .../cv)."""

    size = StrictInteger(required=True, metadata={"description": "Bytes."})
    uploaded_at = Stamp(required=True)


# --- Moderation (coordinators) ----------------------------------------------------------------

STRUCTURE_STATES = [s.value for s in StructureCheck]


class StructureQuery(PageQuery):
    """Filters of the structure list."""

    state = Text(
        load_default="to_check",
        validate=_one_of(STRUCTURE_STATES),
        metadata={"description": "Structures in this state (to_check by default), oldest first."},
    )


class StructureSchema(Base):
    """A structure as moderation reads it: who it is, what it declared, where it stands."""

    id = StrictInteger(required=True)
    name = Text(required=True)
    siret = Text(required=True)
    kind = Text(required=True, metadata={"description": "Kind of structure (a code)."})
    contact_name = Text(required=True)
    contact_email = Text(required=True)
    contact_phone = Text(required=True, allow_none=True)
    check_status = Choice(StructureCheck, required=True)
    checked_at = Stamp(required=True, allow_none=True)
    checked_by_id = StrictInteger(required=True, allow_none=True)
    suspended_reason = Text(required=True, allow_none=True)
    created_at = Stamp(required=True)
    sites = StrictInteger(required=True, metadata={"description": "Its sites, how many."})
    accounts = StrictInteger(required=True, metadata={"description": "Its active accounts."})
    offers = fields.Dict(
        keys=Text(),
        values=StrictInteger(),
        required=True,
        metadata={"description": "Its offers, how many in each status (a code)."},
    )
    waiting_offers = StrictInteger(
        required=True, metadata={"description": "Its offers waiting for its check."}
    )


class ModerationReasonIn(Base):
    """The reason of a moderation action, kept in the audit log and mailed to the structure."""

    reason = Text(required=True, validate=length(1, MAX_REASON))


class OptionalReasonIn(Base):
    """An optional reason (lifting a suspension)."""

    reason = Text(allow_none=True, validate=length(0, MAX_REASON))


class OfferStateSchema(Base):
    """An offer whose status a moderation action changed."""

    id = StrictInteger(required=True)
    status = Choice(OfferStatus, required=True)


class ModerationSchema(Base):
    """What a moderation action did: the structure after it, the offers it moved."""

    structure = fields.Nested(StructureSchema, required=True)
    offers = ListOf(fields.Nested(OfferStateSchema), required=True)
    live_pairs = StrictInteger(
        required=True,
        metadata={"description": "Pairs under way on these offers: kept, to follow by hand."},
    )
    mails = StrictInteger(
        required=True, metadata={"description": "Mails queued to the structure's people."}
    )


StructurePage = page_of(StructureSchema, "StructurePage")
# --- A structure's people and one's sign-in address (issue 15, team) ---------------------------


class TeamMemberSchema(Base):
    """A person of a structure: an employer account that signs in with its own address."""

    id = StrictInteger(required=True)
    name = Text(required=True, allow_none=True)
    email = Text(required=True)
    last_login_at = Stamp(required=True, allow_none=True)


TeamMemberPage = page_of(TeamMemberSchema, "TeamMemberPage")


class InviteIn(Base):
    """A colleague to invite: their name and the address they will sign in with."""

    name = Text(required=True, validate=length(1, 200))
    email = Text(required=True, validate=length(1, 254))


class EmailChangeIn(Base):
    """The new sign-in address asked for (it changes once the mailed link is followed)."""

    email = Text(required=True, validate=length(1, 254))


class EmailChangeOut(Base):
    """An address change waiting for its confirmation link."""

    message = Text(required=True, metadata={"description": "French, for the person."})
    new_email = Text(required=True)
    expires_at = Stamp(required=True)


class JoinRequestSchema(Base):
    """Someone who signed up with the structure's SIRET and asks to join it."""

    id = StrictInteger(required=True)
    name = Text(required=True)
    email = Text(required=True)
    phone = Text(required=True, allow_none=True)
    message = Text(required=True, allow_none=True)
    created_at = Stamp(required=True)


JoinRequestPage = page_of(JoinRequestSchema, "JoinRequestPage")


class JoinDecisionIn(Base):
    """Accept (an account is created, a sign-in link mailed) or refuse (a neutral mail)."""

    decision = Text(required=True, validate=_one_of(["accept", "refuse"]))


class JoinDecisionOut(Base):
    """What the decision did."""

    message = Text(required=True, metadata={"description": "French, for the person."})
    status = Text(required=True, metadata={"description": "accepted or refused."})
    member = fields.Nested(
        TeamMemberSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The account created on acceptance."},
    )
