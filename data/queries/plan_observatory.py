"""The plan's link to the observatory: the indicators an action may read, by key (issue 20).

The one place that knows them until the observatory's registry (``data/observatory/``, built
beside this) replaces it: :func:`observatory_indicator_label` and
:func:`observatory_indicator_value` are all the plan's pages, exports and operations call.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import SIGNED_STATUSES, Suggestion

__all__ = [
    "OBSERVATORY_INDICATORS",
    "observatory_indicator_keys",
    "observatory_indicator_label",
    "observatory_indicator_value",
]

#: Each indicator an action may be linked to: its key and its French name.
OBSERVATORY_INDICATORS: dict[str, str] = {
    "contracts_signed": "Contrats d'apprentissage signés via la plateforme",
}


def observatory_indicator_keys() -> list[str]:
    """Return the keys an action's indicator may name, in a stable order."""
    return list(OBSERVATORY_INDICATORS)


def observatory_indicator_label(key: str) -> str:
    """Return the French name of an observatory indicator (a key it does not know is quoted).

    >>> observatory_indicator_label("contracts_signed")
    "Contrats d'apprentissage signés via la plateforme"
    """
    return OBSERVATORY_INDICATORS.get(key, f"Indicateur « {key} »")


def observatory_indicator_value(session: Session, key: str, year: int) -> int | None:
    """Return an observatory indicator's value for a calendar year (None for an unknown key).

    ``contracts_signed``: the pairs whose contract was signed that year through the platform,
    those broken since included (a signature happened).
    """
    if key != "contracts_signed":
        return None
    count = session.scalar(
        select(func.count())
        .select_from(Suggestion)
        .where(
            Suggestion.status.in_(SIGNED_STATUSES),
            Suggestion.contract_signed_on >= date(year, 1, 1),
            Suggestion.contract_signed_on <= date(year, 12, 31),
        )
    )
    return int(count or 0)
