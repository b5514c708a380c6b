"""Read HTML form input into the types the operations take; keep what was typed for re-display."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, request

__all__ = ["values", "checked", "page_args", "FIELD_LABELS"]


def values(names: Iterable[str]) -> dict[str, str]:
    """Return the submitted text of each field ('' when absent).

    Nothing is cut: the operations refuse a text over its length with a French message
    (``data.operations.validation.clean_text``), and the request size is bounded by
    ``MAX_FORM_MEMORY_SIZE``.
    """
    return {name: request.form.get(name, "") for name in names}


def checked(name: str) -> bool:
    """Tell whether a checkbox was ticked (the operations take real booleans)."""
    return request.form.get(name) in ("1", "on", "true")


def or_none(value: str) -> Any:
    """Return None for an empty field, the text otherwise (optional fields)."""
    return value if value.strip() else None


def page_args() -> tuple[int, int]:
    """Return the page number asked for (1 if none or nonsense) and the page size."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 1
    return number, int(current_app.config["PAGE_SIZE"])


# French names of fields, for the error summary at the top of forms.
FIELD_LABELS = {
    "name": "Nom",
    "siret": "SIRET",
    "kind": "Type",
    "contact_name": "Personne à contacter",
    "contact_email": "Adresse électronique",
    "contact_phone": "Téléphone",
    "commune_insee": "Commune",
    "commune": "Commune",
    "address": "Adresse",
    "beds": "Nombre de lits",
    "monthly_cost_eur": "Coût mensuel",
    "notes": "Précisions",
    "site_id": "Lieu d'accueil",
    "metier_code": "Métier",
    "diploma": "Diplôme",
    "contract": "Contrat",
    "places": "Nombre de places",
    "start_date": "Date de début",
    "duration_months": "Durée",
    "housing_beds": "Lits réservés",
    "tutor_name": "Tuteur ou tutrice",
    "tutor_role": "Fonction du tuteur",
    "description": "Description",
    "metiers": "Métiers recherchés",
    "max_distance_km": "Distance maximale",
    "available_from": "Disponible à partir du",
    "diploma_level": "Niveau de diplôme",
    "first_name": "Prénom",
    "last_name": "Nom",
    "email": "Adresse électronique",
    "phone": "Téléphone",
    "reason": "Motif",
    "file": "Fichier",
    "request_id": "Demande",
    "offer_id": "Offre",
    "notify_frequency": "Notifications",
    "confirm": "Confirmation",
    "interested": "Réponse",
}
