"""The fields of an offer that its employer writes, declared once, with their limits.

Everything that reads an offer's fields from outside is built from :data:`OFFER_FIELDS`: the
operations (``create_offer``, ``update_offer``) check each value with the limits given here, the
API's marshmallow schemas (``web/api/schemas.py``) and the page form (``web/views/employer.py``,
``employer/offer_form.html``) take their names, types, bounds and French labels from it, and the
CSV import (:mod:`data.operations.offer_import`) its column names and defaults. A new field, or
a new limit, is written here and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.models import MAX_DIPLOMA_CODE, ContractKind
from data.presentation.labels import FIELD_LABELS

from .metiers import MAX_METIER_CODE
from .validation import (
    clean_bool,
    clean_date,
    clean_enum,
    clean_id,
    clean_int,
    clean_metier,
    clean_text,
)

__all__ = [
    "FieldKind",
    "OfferField",
    "OFFER_FIELDS",
    "OFFER_FIELD_NAMES",
    "OFFER_FIELD",
    "OFFER_FLAGS",
    "OFFER_LABELS",
    "OFFER_REQUIRED",
    "PUBLIC_OFFER_FIELD_NAMES",
    "MIN_PLACES",
    "MAX_PLACES",
    "MIN_DURATION_MONTHS",
    "MAX_DURATION_MONTHS",
    "MAX_HOUSING_BEDS",
    "MAX_DIPLOMA",
    "MAX_METIER_CODE",
    "MAX_TUTOR",
    "MAX_DESCRIPTION",
    "clean_offer_value",
]

MIN_PLACES = 1
MAX_PLACES = 50
MIN_DURATION_MONTHS = 6
MAX_DURATION_MONTHS = 48
MAX_HOUSING_BEDS = 500
MAX_DIPLOMA = MAX_DIPLOMA_CODE  # offers.diploma is VARCHAR(40), as metiers.diploma_code
MAX_TUTOR = 200  # offers.tutor_name and tutor_role are VARCHAR(200)
MAX_DESCRIPTION = 5000


class FieldKind(enum.StrEnum):
    """What kind of value a field holds, which says how every reader parses it."""

    ID = "id"  # a row id (the site)
    CODE = "code"  # a code of a referential (the métier)
    TEXT = "text"
    ENUM = "enum"
    INT = "int"
    DATE = "date"
    BOOL = "bool"


@dataclass(frozen=True)
class OfferField:
    """One field of an offer as its employer writes it.

    ``required``: a new offer needs it; ``empty_ok``: it may be left empty (``None``); ``default``:
    the value of a new offer that does not give it; ``empty_stored``: an empty value is kept
    as such (else the operation fills it); ``public``: the public offer page (and a candidate
    token) shows it; ``column``: its header in the CSV import; ``nested``: an offer shows it as
    an object (its site, its métier), not as this key.
    """

    name: str
    label: str
    kind: FieldKind
    column: str
    required: bool = False
    empty_ok: bool = False
    default: Any = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    multiline: bool = False
    choices: type[enum.Enum] | None = None
    empty_stored: bool = True
    public: bool = True

    @property
    def nested(self) -> bool:
        """Tell whether an offer shows this field as an object (its site, its métier)."""
        return self.kind in (FieldKind.ID, FieldKind.CODE)


OFFER_FIELDS: tuple[OfferField, ...] = (
    OfferField("site_id", FIELD_LABELS["site_id"], FieldKind.ID, "lieu", required=True),
    OfferField(
        "metier_code",
        FIELD_LABELS["metier_code"],
        FieldKind.CODE,
        "metier",
        required=True,
        max_length=MAX_METIER_CODE,
    ),
    # Left empty, the diploma is the métier's usual one.
    OfferField(
        "diploma",
        FIELD_LABELS["diploma"],
        FieldKind.TEXT,
        "diplome",
        empty_ok=True,
        empty_stored=False,
        max_length=MAX_DIPLOMA,
    ),
    OfferField(
        "contract",
        FIELD_LABELS["contract"],
        FieldKind.ENUM,
        "contrat",
        default=ContractKind.APPRENTISSAGE,
        choices=ContractKind,
    ),
    OfferField(
        "places",
        FIELD_LABELS["places"],
        FieldKind.INT,
        "places",
        default=1,
        min_value=MIN_PLACES,
        max_value=MAX_PLACES,
    ),
    OfferField(
        "start_date", FIELD_LABELS["start_date"], FieldKind.DATE, "date_debut", empty_ok=True
    ),
    OfferField(
        "duration_months",
        FIELD_LABELS["duration_months"],
        FieldKind.INT,
        "duree_mois",
        empty_ok=True,
        min_value=MIN_DURATION_MONTHS,
        max_value=MAX_DURATION_MONTHS,
    ),
    OfferField(
        "housing_beds",
        FIELD_LABELS["housing_beds"],
        FieldKind.INT,
        "lits_reserves",
        default=0,
        min_value=0,
        max_value=MAX_HOUSING_BEDS,
    ),
    OfferField(
        "licence_required",
        FIELD_LABELS["licence_required"],
        FieldKind.BOOL,
        "permis_exige",
        default=False,
    ),
    OfferField(
        "night_work", FIELD_LABELS["night_work"], FieldKind.BOOL, "travail_nuit", default=False
    ),
    OfferField(
        "weekend_work",
        FIELD_LABELS["weekend_work"],
        FieldKind.BOOL,
        "travail_weekend",
        default=False,
    ),
    # The maître d'apprentissage is a person named by the employer: not on the public offer page.
    OfferField(
        "tutor_name",
        FIELD_LABELS["tutor_name"],
        FieldKind.TEXT,
        "tuteur",
        empty_ok=True,
        max_length=MAX_TUTOR,
        public=False,
    ),
    OfferField(
        "tutor_role",
        FIELD_LABELS["tutor_role"],
        FieldKind.TEXT,
        "fonction_tuteur",
        empty_ok=True,
        max_length=MAX_TUTOR,
        public=False,
    ),
    OfferField(
        "description",
        FIELD_LABELS["description"],
        FieldKind.TEXT,
        "description",
        default="",
        max_length=MAX_DESCRIPTION,
        multiline=True,
    ),
)

OFFER_FIELD: Mapping[str, OfferField] = {f.name: f for f in OFFER_FIELDS}
OFFER_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in OFFER_FIELDS)
OFFER_REQUIRED: tuple[str, ...] = tuple(f.name for f in OFFER_FIELDS if f.required)
OFFER_FLAGS: tuple[str, ...] = tuple(f.name for f in OFFER_FIELDS if f.kind == FieldKind.BOOL)
PUBLIC_OFFER_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in OFFER_FIELDS if f.public)
OFFER_LABELS: Mapping[str, str] = {f.name: f.label for f in OFFER_FIELDS}


def clean_offer_value(session: Session, field: OfferField, value: object) -> Any:
    """Return ``value`` checked against the field's kind and limits, or raise ValidationError.

    Rules that involve other fields or rows (the site is the employer's, the beds are offered,
    places are not below those filled) are the operation's, after this.
    """
    name = field.name
    if field.kind == FieldKind.ID:
        return clean_id(value, name)
    if field.kind == FieldKind.CODE:
        return clean_metier(session, value, name)
    if field.kind == FieldKind.TEXT:
        return clean_text(
            value,
            name,
            required=False,
            max_length=field.max_length or MAX_DESCRIPTION,
            multiline=field.multiline,
        )
    if field.kind == FieldKind.ENUM:
        assert field.choices is not None
        return clean_enum(value, field.choices, name)
    if field.kind == FieldKind.INT:
        return clean_int(
            value,
            name,
            min_value=field.min_value,
            max_value=field.max_value,
            required=not field.empty_ok,
        )
    if field.kind == FieldKind.DATE:
        return clean_date(value, name)
    return clean_bool(value, name)
