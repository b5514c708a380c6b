"""Housing for apprentices in French: a resource's conditions and its availability periods."""

from __future__ import annotations

from datetime import date

from data.models import HousingAid, HousingResource

from .formatters import date_fr, plural
from .labels import label

__all__ = ["housing_aids", "housing_conditions", "housing_periods"]


def _range(low: int | None, high: int | None, one: str, many: str) -> str:
    """Return « de 3 à 12 mois », « au moins 3 mois », « au plus 12 mois » (or "")."""
    if low is not None and high is not None:
        return f"de {low} à {plural(high, one, many)}"
    if low is not None:
        return f"au moins {plural(low, one, many)}"
    if high is not None:
        return f"au plus {plural(high, one, many)}"
    return ""


def housing_aids(resource: HousingResource) -> list[str]:
    """Return the French names of the aids that apply to a resource (unknown codes left out).

    >>> housing_aids(HousingResource(aids=["apl", "visale", "nope"]))
    ['Aide personnalisée au logement (APL)', 'Garantie Visale']
    """
    known = {a.value for a in HousingAid}
    return [label(HousingAid(code)) for code in resource.aids or [] if code in known]


def housing_conditions(resource: HousingResource) -> list[str]:
    """Return the conditions a resource sets, one French sentence each (none: empty).

    >>> r = HousingResource(min_age=16, max_age=25, apprentices_only=True, min_stay_months=3)
    >>> housing_conditions(r)
    ['Âge : de 16 à 25 ans.', 'Réservé aux apprentis.', 'Durée du séjour : au moins 3 mois.']
    >>> housing_conditions(HousingResource(max_age=30, max_stay_months=1))
    ['Âge : au plus 30 ans.', 'Durée du séjour : au plus 1 mois.']
    """
    found = []
    if age := _range(resource.min_age, resource.max_age, "an", "ans"):
        found.append(f"Âge : {age}.")
    if resource.apprentices_only:
        found.append("Réservé aux apprentis.")
    if stay := _range(resource.min_stay_months, resource.max_stay_months, "mois", "mois"):
        found.append(f"Durée du séjour : {stay}.")
    return found


def housing_periods(resource: HousingResource, today: date) -> list[str]:
    """Return the periods a resource takes apprentices in that have not ended, in French.

    No period at all: « Toute l'année ». Every period ended: an empty list.

    >>> from data.models import HousingPeriod
    >>> r = HousingResource(periods=[HousingPeriod(starts_on=date(2026, 9, 1),
    ...     ends_on=date(2027, 6, 30)), HousingPeriod(starts_on=date(2027, 9, 1))])
    >>> housing_periods(r, date(2026, 12, 4))
    ['Du 1er septembre 2026 au 30 juin 2027', 'À partir du 1er septembre 2027']
    >>> housing_periods(HousingResource(periods=[]), date(2026, 12, 4))
    ["Toute l'année"]
    """
    if not resource.periods:
        return ["Toute l'année"]
    found = []
    for period in sorted(resource.periods, key=lambda p: (p.starts_on, p.id or 0)):
        if period.ends_on is None:
            found.append(f"À partir du {date_fr(period.starts_on)}")
        elif period.ends_on >= today:
            found.append(f"Du {date_fr(period.starts_on)} au {date_fr(period.ends_on)}")
    return found
