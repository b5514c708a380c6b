"""French labels for the values of the models, and formatting filters for templates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from data.models import (
    ContractKind,
    HousingKind,
    Interest,
    NotifyFrequency,
    OfferStatus,
    RequestStatus,
    Role,
    StructureKind,
    SuggestionStatus,
)
from web.forms import FIELD_LABELS

__all__ = ["LABELS", "label", "register"]

PARIS = ZoneInfo("Europe/Paris")
MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
)

LABELS: dict[type, dict[str, str]] = {
    StructureKind: {
        "ehpad": "EHPAD",
        "residence_autonomie": "Résidence autonomie",
        "ime": "IME",
        "itep": "ITEP",
        "mas": "MAS",
        "fam": "FAM",
        "foyer_hebergement": "Foyer d'hébergement",
        "foyer_vie": "Foyer de vie",
        "esat": "ESAT",
        "sessad": "SESSAD",
        "mecs": "MECS",
        "creche": "Crèche",
        "saad": "Service d'aide à domicile (SAAD)",
        "ssiad": "Service de soins infirmiers à domicile (SSIAD)",
        "chrs": "CHRS",
        "service_social": "Service social",
        "hopital": "Hôpital",
        "groupe": "Groupe ou association gestionnaire",
        "autre": "Autre",
    },
    HousingKind: {
        "studio_on_site": "Studio sur place",
        "fjt": "Foyer de jeunes travailleurs",
        "host_family": "Famille d'accueil",
        "other": "Autre logement",
    },
    ContractKind: {
        "apprentissage": "Contrat d'apprentissage",
        "professionnalisation": "Contrat de professionnalisation",
    },
    OfferStatus: {
        "draft": "Brouillon",
        "published": "Publiée",
        "filled": "Pourvue",
        "closed": "Fermée",
        "expired": "Expirée",
    },
    RequestStatus: {
        "active": "Active",
        "paused": "En pause",
        "matched": "Trouvée",
        "closed": "Close",
    },
    SuggestionStatus: {
        "proposed": "À examiner",
        "approved": "Approuvée – mise en relation",
        "rejected": "Refusée",
        "contacted": "Contact pris",
        "interview": "Entretien",
        "contract_signed": "Contrat signé",
        "abandoned": "Abandonnée",
    },
    Interest: {"interested": "Intéressé·e", "declined": "Pas intéressé·e"},
    NotifyFrequency: {
        "immediate": "À chaque nouvelle suggestion",
        "daily": "Une fois par jour au plus",
        "weekly": "Une fois par semaine au plus",
        "never": "Jamais",
    },
    Role: {
        "employer": "Employeur",
        "candidate": "Candidat",
        "coordinator": "Coordination",
        "admin": "Administration",
    },
}


def label(value: object) -> str:
    """Return the French label of an enum member (its value when it has none)."""
    if value is None:
        return ""
    for enum_class, labels in LABELS.items():
        if isinstance(value, enum_class):
            return labels.get(value.value, value.value)
    return str(value)


def choices(enum_class: type) -> list[tuple[str, str]]:
    """Return (value, French label) pairs of an enum, for a select or radios."""
    labels = LABELS[enum_class]
    return [(m.value, labels.get(m.value, m.value)) for m in enum_class]


def date_fr(value: date | datetime | None) -> str:
    """Format a date as « 3 mars 2026 » (a datetime in Paris time, with the hour)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def km(value: float | None) -> str:
    """Format a distance in kilometres, « 12 km » (« moins d'1 km » below one)."""
    if value is None:
        return ""
    if value < 1:
        return "moins d'1 km"
    return f"{round(value)} km"


def percent(value: float | None) -> str:
    """Format a score in [0, 1] as a percentage."""
    if value is None:
        return ""
    return f"{round(value * 100)} %"


def register(app: Flask) -> None:
    """Install the filters and globals."""
    app.jinja_env.filters.update(label=label, date_fr=date_fr, km=km, percent=percent)
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["field_labels"] = FIELD_LABELS
    app.jinja_env.globals.update(
        {cls.__name__: cls for cls in LABELS if cls is not Role}  # Role comes from web.sessions
    )
