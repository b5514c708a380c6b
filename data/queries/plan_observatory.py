"""The plan's link to the observatory: the indicators an action may read, by key (issue 20).

An action's indicator may be one of the observatory's flows (:mod:`data.observatory.indicators`,
the one registry of indicators): its yearly value is the sum of its months, read from the monthly
snapshots for the months stored and computed from the records for the others (the current
month), so that the roadmap says what the observatory says.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

__all__ = [
    "observatory_indicator_keys",
    "observatory_indicator_label",
    "observatory_indicator_value",
]


def observatory_indicator_keys() -> list[str]:
    """Return the keys an action's indicator may name: the observatory's flows, in its order."""
    from data.observatory.indicators import FLOWS

    return list(FLOWS)


def observatory_indicator_label(key: str) -> str:
    """Return the French name of an observatory indicator (a key it does not know is quoted).

    >>> observatory_indicator_label("contracts_signed")
    "Contrats d'apprentissage signés via la plateforme"
    """
    from data.observatory.indicators import INDICATORS

    indicator = INDICATORS.get(key)
    return indicator.title if indicator is not None else f"Indicateur « {key} »"


def observatory_indicator_value(session: Session, key: str, year: int) -> int | None:
    """Return an observatory flow's total over a calendar year (None for an unknown key)."""
    from data.observatory.snapshots import flow_total

    if key not in observatory_indicator_keys():
        return None
    return flow_total(session, key, date(year, 1, 1), date(year, 12, 31))
