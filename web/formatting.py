"""French labels for the values of the models, and formatting filters for templates."""

from __future__ import annotations

from collections.abc import Callable
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
from data.standing import Standing, Status
from web.forms import FIELD_LABELS

__all__ = ["LABELS", "STANDING_LABELS", "label", "register", "standing_sentences"]

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


# --- Where a request or an offer stands (data.standing) ------------------------------------------


def plural(n: int, one: str, many: str) -> str:
    """Return « 1 proposition » or « 3 propositions »: the number and the word that fits it."""
    return f"{n} {one if n == 1 else many}"


def _within(s: Standing) -> str:
    if s.minutes is None:
        return "prochainement"
    return "d'ici " + plural(s.minutes, "minute", "minutes")


def _stage(status: SuggestionStatus, then: str) -> Callable[[Standing], str]:
    # The stage is named by its label in the pair lists, then what happens next.
    return lambda s: f"{label(status)} : {then}"


def _in_review(s: Standing) -> str:
    if s.in_review == 1:
        return (
            "1 proposition est en cours d'examen par l'équipe de coordination. "
            "Elle vous sera montrée ici si elle est approuvée."
        )
    return (
        f"{s.in_review} propositions sont en cours d'examen par l'équipe de coordination. "
        "Elles vous seront montrées ici si elles sont approuvées."
    )


def _proposed(kind: str, kinds: str) -> Callable[[Standing], str]:
    def sentence(s: Standing) -> str:
        if s.proposed == 1:
            return f"1 {kind} vous est proposée : dites-nous si elle vous intéresse."
        return f"{s.proposed} {kinds} vous sont proposées : dites-nous si elles vous intéressent."

    return sentence


# How each side is told where its item stands: one sentence per status (data.standing.Status).
_SHARED: dict[Status, Callable[[Standing], str]] = {Status.IN_REVIEW: _in_review}

STANDING_LABELS: dict[str, dict[Status, Callable[[Standing], str]]] = {
    "candidate": {
        **_SHARED,
        Status.PAUSED: lambda s: (
            "Votre demande est en pause : aucune offre ne vous est proposée. "
            "Réactivez-la pour recevoir de nouveau des propositions."
        ),
        Status.CLOSED: lambda s: (
            "Votre demande est close : aucune offre ne vous est proposée. "
            "Réactivez-la si vous cherchez de nouveau."
        ),
        Status.MATCHED: lambda s: (
            f"{label(SuggestionStatus.CONTRACT_SIGNED)} : votre demande a abouti, aucune autre "
            "offre ne vous est proposée. Réactivez-la si vous cherchez de nouveau."
        ),
        Status.APPROVED: _stage(
            SuggestionStatus.APPROVED,
            "les coordonnées de l'employeur vous sont envoyées par courriel et figurent "
            "ci-dessous : prenez contact avec l'employeur.",
        ),
        Status.CONTACTED: _stage(
            SuggestionStatus.CONTACTED,
            "l'employeur et vous êtes en relation. L'étape suivante est l'entretien.",
        ),
        Status.INTERVIEW: _stage(
            SuggestionStatus.INTERVIEW,
            "après l'entretien, l'équipe de coordination enregistre la signature du contrat "
            "ou la fin de cette mise en relation.",
        ),
        Status.PENDING: lambda s: f"Vos propositions d'offres seront calculées {_within(s)}.",
        Status.PROPOSED: _proposed("offre", "offres"),
        Status.NO_MATCH: lambda s: (
            "Aucune offre ne correspond pour l'instant à votre demande dans un rayon de "
            f"{s.radius_km} km. Élargir la distance de votre recherche peut vous en faire "
            "découvrir."
        ),
    },
    "employer": {
        **_SHARED,
        Status.DRAFT: lambda s: (
            "Brouillon : publiez l'offre pour qu'elle soit proposée aux candidats."
        ),
        Status.CLOSED: lambda s: (
            "Offre fermée : elle n'est plus proposée aux candidats. "
            "Dupliquez-la pour en publier une nouvelle."
        ),
        Status.EXPIRED: lambda s: (
            "Offre expirée : elle n'est plus proposée aux candidats. "
            "Dupliquez-la pour en publier une nouvelle."
        ),
        Status.FILLED: lambda s: (
            "Toutes les places sont pourvues : l'offre n'est plus proposée aux candidats."
        ),
        Status.APPROVED: _stage(
            SuggestionStatus.APPROVED,
            "les coordonnées du candidat vous sont envoyées par courriel et figurent sur la "
            "page de l'offre : prenez contact avec cette personne.",
        ),
        Status.CONTACTED: _stage(
            SuggestionStatus.CONTACTED,
            "le candidat et vous êtes en relation. L'étape suivante est l'entretien.",
        ),
        Status.INTERVIEW: _stage(
            SuggestionStatus.INTERVIEW,
            "après l'entretien, l'équipe de coordination enregistre la signature du contrat "
            "ou la fin de cette mise en relation.",
        ),
        Status.PENDING: lambda s: (
            f"Les candidatures à vous proposer pour cette offre seront calculées {_within(s)}."
        ),
        Status.PROPOSED: _proposed("candidature", "candidatures"),
        Status.NO_MATCH: lambda s: (
            "Aucune demande de candidat ne correspond pour l'instant à cette offre. "
            "Chaque nouvelle demande lui est comparée."
        ),
    },
}

# Said after "will be computed" and "nothing matches": who sees the suggestions first.
REVIEW_NOTES = {
    "approval": "L'équipe de coordination examine chaque proposition avant de vous la montrer.",
    "auto": (
        "Les propositions qui correspondent le mieux vous sont montrées aussitôt ; "
        "l'équipe de coordination examine les autres avant de vous les montrer."
    ),
}
_NOTED = (Status.PENDING, Status.NO_MATCH)


def standing_sentences(standing: Standing, side: str, *, note: bool = True) -> list[str]:
    """Return what to tell ``side`` ("candidate", "employer") of an item: its status first.

    With ``note``, who sees the suggestions first, when the item waits for them.
    """
    labels = STANDING_LABELS[side]
    sentences = [labels[status](standing) for status in (standing.status, *standing.also)]
    if note and standing.status in _NOTED:
        sentences.append(REVIEW_NOTES[standing.review_mode])
    return sentences


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


def number(value: int) -> str:
    """Write a whole number the French way, thousands apart (a narrow no-break space).

    >>> number(10000)
    '10\u202f000'
    """
    return f"{value:,}".replace(",", "\u202f")


def register(app: Flask) -> None:
    """Install the filters and globals."""
    app.jinja_env.filters.update(
        label=label,
        date_fr=date_fr,
        km=km,
        percent=percent,
        number=number,
        standing=standing_sentences,
    )
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["field_labels"] = FIELD_LABELS
    app.jinja_env.globals.update(
        {cls.__name__: cls for cls in LABELS if cls is not Role}  # Role comes from web.sessions
    )
