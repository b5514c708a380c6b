"""marshmallow schemas of ``/api/v1/housing``: the housing resources of issue 17."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError as SchemaError
from marshmallow import fields, validates_schema

from data.models import MAX_HOUSING_BEDS, HousingAid, HousingKind
from data.operations import housing as limits
from data.operations.employers import MAX_HOUSING_COST_EUR
from data.queries import HousingManagerKind

from .fields import (
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
from .schemas import (
    MAX_SEARCH_KM,
    Base,
    CommuneRef,
    PageQuery,
    _one_commune,
    commune_text,
    insee_code,
    page_of,
)

__all__ = [
    "HousingCreate",
    "HousingPage",
    "HousingQuery",
    "HousingSchema",
    "HousingUpdate",
]

PRIVATE = (
    "Null on someone's home (hébergement chez l'habitant, cohabitation intergénérationnelle) "
    "unless the caller is a coordinator or the managing structure."
)


def _optional_text(maximum: int, description: str) -> fields.Field:
    return Text(allow_none=True, validate=length(0, maximum), metadata={"description": description})


# --- Outputs ------------------------------------------------------------------------------------


class PeriodSchema(Base):
    """A period when the resource takes apprentices in (both ends included)."""

    starts_on = Day(required=True)
    ends_on = Day(required=True, allow_none=True, metadata={"description": "Null: open-ended."})


class ManagerSchema(Base):
    """Who manages the resource: a structure, a training centre or a partner organisation."""

    kind = Choice(HousingManagerKind, required=True)
    kind_label = Text(required=True, metadata={"description": "The kind, in French."})
    name = Text(required=True)
    employer_id = StrictInteger(required=True, allow_none=True)
    centre_id = StrictInteger(required=True, allow_none=True)


class HousingSchema(Base):
    """A housing resource: so many beds of one kind at one place."""

    id = StrictInteger(required=True)
    name = Text(required=True)
    kind = Choice(HousingKind, required=True)
    kind_label = Text(required=True, metadata={"description": "The kind, in French."})
    manager = fields.Nested(ManagerSchema, required=True)
    site_id = StrictInteger(
        required=True,
        allow_none=True,
        metadata={"description": "The structure's site it stands on (its beds are the site's)."},
    )
    commune = fields.Nested(CommuneRef, required=True)
    address = Text(required=True, allow_none=True, metadata={"description": PRIVATE})
    beds = StrictInteger(required=True)
    beds_taken = StrictInteger(required=True)
    beds_free = StrictInteger(required=True)
    monthly_cost_eur = StrictInteger(required=True, allow_none=True)
    cost_includes = Text(required=True, allow_none=True)
    aids = ListOf(Choice(HousingAid), required=True)
    min_age = StrictInteger(required=True, allow_none=True)
    max_age = StrictInteger(required=True, allow_none=True)
    apprentices_only = StrictBoolean(required=True)
    min_stay_months = StrictInteger(required=True, allow_none=True)
    max_stay_months = StrictInteger(required=True, allow_none=True)
    periods = ListOf(
        fields.Nested(PeriodSchema),
        required=True,
        metadata={"description": "Empty: available all year."},
    )
    contact_name = Text(required=True, allow_none=True, metadata={"description": PRIVATE})
    contact_email = Text(required=True, allow_none=True, metadata={"description": PRIVATE})
    contact_phone = Text(required=True, allow_none=True, metadata={"description": PRIVATE})
    notes = Text(required=True, allow_none=True, metadata={"description": PRIVATE})
    published = StrictBoolean(required=True)
    distance_km = Number(
        required=True,
        allow_none=True,
        metadata={"description": "From the commune searched around; null without one."},
    )
    created_at = Stamp(required=True)
    updated_at = Stamp(required=True)


HousingPage = page_of(HousingSchema, "HousingPage")


class HousingQuery(PageQuery):
    """Filters of the housing list."""

    kind = Choice(HousingKind)
    manager = Choice(HousingManagerKind, metadata={"description": "Who manages it."})
    commune = commune_text()
    commune_insee = insee_code()
    distance_km = Number(
        validate=range_(0, MAX_SEARCH_KM),
        metadata={"description": "Radius around the commune (needs `commune` or `commune_insee`)."},
    )
    max_cost = QueryInteger(
        validate=range_(0, MAX_HOUSING_COST_EUR),
        metadata={"description": "A known monthly cost of at most this many euros."},
    )
    available_on = Day(metadata={"description": "Takes someone in on that day."})
    published = QueryBoolean(
        metadata={
            "description": "Coordinators only: published or not (others always read the "
            "published ones)."
        }
    )
    q = Text(validate=length(1, 100), metadata={"description": "A part of the name."})

    @validates_schema
    def _distance_needs_commune(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)
        if "distance_km" in data and "commune" not in data and "commune_insee" not in data:
            raise SchemaError("Indiquez la commune autour de laquelle chercher.", "distance_km")


# --- Inputs -------------------------------------------------------------------------------------


def _count(low: int, high: int) -> StrictInteger:
    return StrictInteger(allow_none=True, validate=range_(low, high))


class PeriodIn(Base):
    """A period of availability: its start, and its end or null (open-ended)."""

    starts_on = Day(required=True)
    ends_on = Day(allow_none=True)


class HousingUpdate(Base):
    """Fields of a resource that may change (all optional; null empties an optional one).

    Naming one manager field (`employer_id`, `centre_id`, `partner_name`) sets the manager.
    A resource on a site keeps the site's kind, commune, address and manager.
    """

    name = Text(validate=length(1, limits.MAX_NAME))
    kind = Choice(HousingKind)
    employer_id = Id(
        allow_none=True,
        metadata={"description": "The managing structure (coordinators; a structure: its own)."},
    )
    centre_id = Id(allow_none=True, metadata={"description": "The managing training centre."})
    partner_name = _optional_text(limits.MAX_PARTNER, "The managing partner organisation.")
    commune = commune_text()
    commune_insee = insee_code()
    address = _optional_text(limits.MAX_ADDRESS, "Postal address (never public on a home).")
    beds = StrictInteger(validate=range_(0, MAX_HOUSING_BEDS))
    beds_taken = StrictInteger(validate=range_(0, MAX_HOUSING_BEDS))
    monthly_cost_eur = _count(0, MAX_HOUSING_COST_EUR)
    cost_includes = _optional_text(limits.MAX_COST_INCLUDES, "« charges, repas du soir ».")
    aids = ListOf(Choice(HousingAid))
    min_age = _count(limits.MIN_AGE, limits.MAX_AGE)
    max_age = _count(limits.MIN_AGE, limits.MAX_AGE)
    apprentices_only = StrictBoolean()
    min_stay_months = _count(limits.MIN_STAY_MONTHS, limits.MAX_STAY_MONTHS)
    max_stay_months = _count(limits.MIN_STAY_MONTHS, limits.MAX_STAY_MONTHS)
    periods = ListOf(
        fields.Nested(PeriodIn),
        validate=length(0, limits.MAX_PERIODS),
        metadata={"description": "The whole list (replaces the one there)."},
    )
    contact_name = _optional_text(limits.MAX_NAME, "Contact person or desk.")
    contact_email = _optional_text(254, "Contact address.")
    contact_phone = _optional_text(32, "French phone number.")
    notes = _optional_text(limits.MAX_NOTES, "Anything else worth knowing.")
    published = StrictBoolean()

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=False)


class HousingCreate(HousingUpdate):
    """A new resource (not on a site): name, kind, commune and beds required; one manager
    (a structure's token: its own structure when none is named)."""

    name = Text(required=True, validate=length(1, limits.MAX_NAME))
    kind = Choice(HousingKind, required=True)
    beds = StrictInteger(required=True, validate=range_(0, MAX_HOUSING_BEDS))

    @validates_schema
    def _commune_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_commune(data, required=True)
