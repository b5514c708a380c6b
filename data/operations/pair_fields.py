"""The fields of a pair's story: its interview, its signed contract, its rupture (cleaned once).

The stage operations (:mod:`.suggestions`) and the later edits (:mod:`.pairs`) read the same
cleaners; the audit log keeps their values as JSON (:func:`story_json`) so that the history can
tell them and an undo can put the previous ones back (:func:`story_from_json`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from data.errors import ValidationError
from data.models import BreakCause, BreakParty, ContractKind, SuggestionStatus

from ._common import local_today
from .validation import (
    ErrorCollector,
    clean_date,
    clean_enum,
    clean_optional_bool,
    clean_text,
)

__all__ = [
    "INTERVIEW_FIELDS",
    "CONTRACT_FIELDS",
    "RUPTURE_FIELDS",
    "STORY_FIELDS",
    "STAGE_FIELDS",
    "MAX_PLACE",
    "clean_story",
    "story_json",
    "story_from_json",
]

S = SuggestionStatus

#: The interview: a day and a time in France (wall clock), and where.
INTERVIEW_FIELDS = ("interview_on", "interview_time", "interview_place")
#: The signed contract.
CONTRACT_FIELDS = ("contract_signed_on", "contract_start_on", "training_centre", "contract_kind")
#: The rupture of a signed contract: its day, who ended it, its main cause in a short list, and
#: whether it came after the first 45 days (its free text is the stage change's reason).
RUPTURE_FIELDS = ("broken_on", "broken_by", "broken_cause", "broken_after_trial")
#: The story fields whose values are codes of a list, and their lists.
_ENUMS: dict[str, type[enum.StrEnum]] = {
    "contract_kind": ContractKind,
    "broken_by": BreakParty,
    "broken_cause": BreakCause,
}
#: Every story field, in the order the history tells them.
STORY_FIELDS = (*INTERVIEW_FIELDS, *CONTRACT_FIELDS, *RUPTURE_FIELDS)
#: The fields a move to each stage may carry (and, for the edits, those it makes editable).
STAGE_FIELDS: dict[SuggestionStatus, tuple[str, ...]] = {
    S.INTERVIEW: INTERVIEW_FIELDS,
    S.CONTRACT_SIGNED: CONTRACT_FIELDS,
    S.BROKEN: RUPTURE_FIELDS,
}
MAX_PLACE = 200
#: An interview or a contract's start further than this from today is a typing mistake.
FAR_DAYS = 2 * 365
_TIME_RE = re.compile(r"^(\d{1,2})\s*(?::|h|H)\s*(\d{2})?$")
TIME_MESSAGE = "Heure invalide : format attendu HH:MM (par exemple 14:30)."
_DATES = frozenset({"interview_on", "contract_signed_on", "contract_start_on", "broken_on"})


def clean_time(value: object, field: str) -> time | None:
    """Return a time of day from ``HH:MM`` (or « 14 h 30 », « 14h »), None when empty.

    >>> clean_time("14:30", "t"), clean_time("9h", "t"), clean_time("", "t")
    (datetime.time(14, 30), datetime.time(9, 0), None)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    match = _TIME_RE.match(value.replace(" ", "")) if isinstance(value, str) else None
    if match is None:
        raise ValidationError({field: [TIME_MESSAGE]})
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 23 or minutes > 59:
        raise ValidationError({field: [TIME_MESSAGE]})
    return time(hours, minutes)


def clean_story(
    target: SuggestionStatus,
    given: Mapping[str, object] | None,
    *,
    now: datetime | None = None,
    signed_on: date | None = None,
) -> dict[str, Any]:
    """Return the cleaned story fields of ``target`` found in ``given`` (column -> value).

    Only ``target``'s fields are taken (others are refused); empty means none (None). The
    interview and the contract's start lie within two years of today; the signature and the
    rupture are not in the future, and a rupture not before ``signed_on``. The rupture's day is
    required; a time needs a day.
    """
    given = dict(given or {})
    allowed = STAGE_FIELDS.get(target, ())
    errors = ErrorCollector()
    for name in given:
        if name not in allowed:
            errors.add(name, "Ce champ ne concerne pas cette étape.")
    today = local_today(now)
    far = timedelta(days=FAR_DAYS)
    values: dict[str, Any] = {}
    if target == S.INTERVIEW:
        values["interview_on"] = errors.run(
            clean_date,
            given.get("interview_on"),
            "interview_on",
            min_value=today - far,
            max_value=today + far,
        )
        values["interview_time"] = errors.run(
            clean_time, given.get("interview_time"), "interview_time"
        )
        if values["interview_time"] is not None and values["interview_on"] is None:
            if not errors.has("interview_on"):
                errors.add("interview_on", "Indiquez le jour de l'entretien avec son heure.")
        values["interview_place"] = errors.run(
            clean_text,
            given.get("interview_place"),
            "interview_place",
            required=False,
            max_length=MAX_PLACE,
        )
    elif target == S.CONTRACT_SIGNED:
        values["contract_signed_on"] = errors.run(
            clean_date,
            given.get("contract_signed_on"),
            "contract_signed_on",
            min_value=today - far,
            max_value=today,
        )
        values["contract_start_on"] = errors.run(
            clean_date,
            given.get("contract_start_on"),
            "contract_start_on",
            min_value=today - far,
            max_value=today + far,
        )
        values["training_centre"] = errors.run(
            clean_text,
            given.get("training_centre"),
            "training_centre",
            required=False,
            max_length=MAX_PLACE,
        )
        values["contract_kind"] = errors.run(
            clean_enum, given.get("contract_kind"), ContractKind, "contract_kind", required=False
        )
    elif target == S.BROKEN:
        values["broken_on"] = errors.run(
            clean_date,
            given.get("broken_on"),
            "broken_on",
            required=True,
            min_value=signed_on or today - far,
            max_value=today,
        )
        for name in ("broken_by", "broken_cause"):
            values[name] = errors.run(
                clean_enum, given.get(name), _ENUMS[name], name, required=False
            )
        values["broken_after_trial"] = errors.run(
            clean_optional_bool, given.get("broken_after_trial"), "broken_after_trial"
        )
    errors.raise_if_any()
    return values


def story_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return story values as the audit log keeps them (dates ISO, times HH:MM, kinds' codes)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, time):
            out[name] = value.strftime("%H:%M")
        elif isinstance(value, enum.Enum):
            out[name] = value.value
        else:
            out[name] = value
    return out


def story_from_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return story values read back from the audit log (the inverse of :func:`story_json`)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            out[name] = None
        elif name in _DATES:
            out[name] = date.fromisoformat(value)
        elif name == "interview_time":
            out[name] = time.fromisoformat(value)
        elif name in _ENUMS:
            out[name] = _ENUMS[name](value)
        else:
            out[name] = value
    return out
