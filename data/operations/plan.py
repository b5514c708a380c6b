"""The plan's tracker (issue 20): coordinators keep the plan's actions, their budget lines and
their indicators.

Every use case is staff-only, checks its whole input before writing (one
:class:`~data.errors.ValidationError` listing every field in French, nothing written) and writes
one audit line (object ``plan_action``, the action's id). Statuses are read by their code or their
French label (``data.presentation.labels``); amounts are euros as people type them (« 1 500,50 »),
kept in cents; a budget line's year is one of the plan's (2024 to 2026).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import ValidationError
from data.models import (
    MAX_PLAN_NAME,
    MAX_PLAN_TEXT,
    MAX_PLAN_TITLE,
    CoFunder,
    PlanAction,
    PlanActionStatus,
    PlanAxis,
    PlanBudgetLine,
    PlanIndicator,
    PlanIndicatorValue,
)
from data.presentation.labels import label
from data.queries.plan_observatory import observatory_indicator_keys
from data.reference import plan_frame

from . import audit
from ._common import load, now_or_utc, require_staff
from .validation import REQUIRED, ErrorCollector, clean_date, clean_int, clean_text

__all__ = [
    "STAFF_ONLY",
    "ACTION_FIELDS",
    "BUDGET_FIELDS",
    "INDICATOR_FIELDS",
    "VALUE_FIELDS",
    "MAX_LINE_CENTS",
    "save_action",
    "set_status",
    "add_budget_line",
    "edit_budget_line",
    "delete_budget_line",
    "add_indicator",
    "add_indicator_value",
    "parse_status",
]

STAFF_ONLY = "Seule l'équipe de coordination tient la feuille de route du plan."
ACTION_FIELDS = (
    "axis",
    "title",
    "description",
    "lead",
    "partners",
    "status",
    "action_start",
    "action_end",
    "source",
)
BUDGET_FIELDS = ("year", "amount_eur", "funder", "funder_name")
INDICATOR_FIELDS = ("observatory_key", "indicator_name", "unit")
VALUE_FIELDS = ("measured_on", "value")

#: The largest budget line (euros, in cents): beyond it a typing slip is more likely.
MAX_LINE_CENTS = 1_000_000_00
_EUROS_RE = re.compile(r"^[0-9]{1,9}(?:[.,][0-9]{1,2})?$")
# An indicator's value: its column keeps 12 digits and 2 decimals.
_NUMBER_RE = re.compile(r"^-?[0-9]{1,12}(?:[.,][0-9]{1,2})?$")
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def _staff(actor: Actor) -> None:
    require_staff(actor, STAFF_ONLY)


def parse_status(value: object, field: str = "status") -> PlanActionStatus:
    """Return the status named by its code or its French label, or raise with the four labels."""
    for status in PlanActionStatus:
        if value in (status, status.value, label(status)):
            return status
    if value is None or value == "":
        raise ValidationError({field: [REQUIRED]})
    names = ", ".join(f"« {label(s)} »" for s in PlanActionStatus)
    raise ValidationError({field: [f"Statut inconnu : choisissez parmi {names}."]})


def _axis(session: Session, errors: ErrorCollector, value: object) -> PlanAxis | None:
    number = errors.run(clean_int, value, "axis", min_value=1, max_value=4)
    if number is None:
        return None
    found = session.scalar(select(PlanAxis).where(PlanAxis.number == number))
    if found is None:
        errors.add("axis", "Cet axe du plan n'est pas chargé.")
    return found


def _action_values(session: Session, values: Mapping[str, Any]) -> tuple[PlanAxis, dict[str, Any]]:
    errors = ErrorCollector()
    axis = _axis(session, errors, values.get("axis"))
    title = errors.run(clean_text, values.get("title"), "title", max_length=MAX_PLAN_TITLE)
    texts = {}
    for name, size in (
        ("description", MAX_PLAN_TEXT),
        ("partners", MAX_PLAN_TEXT),
        ("source", MAX_PLAN_TEXT),
    ):
        texts[name] = errors.run(
            clean_text, values.get(name), name, required=False, max_length=size, multiline=True
        )
    lead = errors.run(
        clean_text, values.get("lead"), "lead", required=False, max_length=MAX_PLAN_NAME
    )
    status = errors.run(parse_status, values.get("status"))
    start = errors.run(clean_date, values.get("action_start"), "action_start")
    end = errors.run(clean_date, values.get("action_end"), "action_end")
    if start and end and end < start:
        errors.add("action_end", "La fin ne peut pas précéder le début.")
    errors.raise_if_any()
    assert axis is not None and title is not None and status is not None
    return axis, {
        "title": title,
        "description": texts["description"] or "",
        "partners": texts["partners"] or "",
        "source": texts["source"] or "",
        "lead": lead or "",
        "status": status,
        "starts_on": start,
        "ends_on": end,
    }


def save_action(
    session: Session,
    actor: Actor,
    values: Mapping[str, Any],
    action: PlanAction | int | None = None,
    *,
    now: datetime | None = None,
) -> PlanAction:
    """Create an action (``action`` None) or edit one; staff only.

    ``values``: the fields of :data:`ACTION_FIELDS` as typed (the axis by its number, the status
    by its code or label, the dates JJ/MM/AAAA or ISO). Title, axis and status are required.
    """
    _staff(actor)
    found = None if action is None else load(session, PlanAction, action, "action du plan")
    axis, fields = _action_values(session, values)
    at = now_or_utc(now)
    if found is None:
        found = PlanAction(axis=axis, created_at=at, created_by_id=actor.user_id, **fields)
        session.add(found)
        verb = "plan_action_create"
    else:
        found.axis = axis
        for name, value in fields.items():
            setattr(found, name, value)
        verb = "plan_action_edit"
    found.updated_at, found.updated_by_id = at, actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        verb,
        "plan_action",
        found.id,
        {"axis": axis.number, "status": fields["status"].value},
        now=now,
    )
    return found


def set_status(
    session: Session,
    actor: Actor,
    action: PlanAction | int,
    status: object,
    *,
    now: datetime | None = None,
) -> PlanAction:
    """Change an action's status (any status to any other: the plan's life is not a line)."""
    _staff(actor)
    found = load(session, PlanAction, action, "action du plan")
    target = parse_status(status)
    if target == found.status:
        raise ValidationError({"status": [f"L'action est déjà « {label(target)} »."]})
    before = found.status
    found.status = target
    found.updated_at, found.updated_by_id = now_or_utc(now), actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        "plan_action_status",
        "plan_action",
        found.id,
        {"from": before.value, "to": target.value},
        now=now,
    )
    return found


def _cents(errors: ErrorCollector, value: object) -> int | None:
    text = value.strip().translate(_SPACES) if isinstance(value, str) else ""
    if not text:
        errors.add("amount_eur", REQUIRED)
        return None
    if not _EUROS_RE.match(text):
        errors.add("amount_eur", "Montant en euros attendu, par exemple 12 500 ou 1250,50.")
        return None
    cents = int(Decimal(text.replace(",", ".")) * 100)
    if not 0 < cents <= MAX_LINE_CENTS:
        limit = f"{MAX_LINE_CENTS // 100:,}".replace(",", "\u202f")
        errors.add("amount_eur", f"Le montant doit être compris entre 0,01 et {limit} euros.")
        return None
    return cents


def _funder(errors: ErrorCollector, value: object) -> CoFunder | None:
    for member in CoFunder:
        if value in (member, member.value, label(member)):
            return member
    if value in (None, ""):
        errors.add("funder", REQUIRED)
    else:
        errors.add("funder", "Cofinanceur inconnu : choisissez-le dans la liste.")
    return None


def _budget_values(values: Mapping[str, Any]) -> dict[str, Any]:
    frame = plan_frame()
    errors = ErrorCollector()
    year = errors.run(clean_int, values.get("year"), "year")
    if year is not None and year not in frame.years:
        errors.add(
            "year",
            f"L'année doit être une de celles du plan : de {frame.first_year} à {frame.last_year}.",
        )
    cents = _cents(errors, values.get("amount_eur"))
    funder = _funder(errors, values.get("funder"))
    name = errors.run(
        clean_text,
        values.get("funder_name"),
        "funder_name",
        required=funder == CoFunder.OTHER,
        max_length=MAX_PLAN_NAME,
    )
    errors.raise_if_any()
    return {
        "year": year,
        "amount_cents": cents,
        "funder": funder,
        # Only another co-funder is named: the plan's own are named by their label.
        "funder_name": (name or "") if funder == CoFunder.OTHER else "",
    }


def _budget_audit(
    session: Session,
    actor: Actor,
    verb: str,
    line: PlanBudgetLine,
    now: datetime | None,
) -> None:
    audit.record(
        session,
        actor,
        verb,
        "plan_action",
        line.action_id,
        {
            "line": line.id,
            "year": line.year,
            "amount_cents": line.amount_cents,
            "funder": line.funder.value,
        },
        now=now,
    )


def add_budget_line(
    session: Session,
    actor: Actor,
    action: PlanAction | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> PlanBudgetLine:
    """Add a budget line to an action: a year of the plan, an amount, its co-funder."""
    _staff(actor)
    found = load(session, PlanAction, action, "action du plan")
    fields = _budget_values(values)
    line = PlanBudgetLine(
        action=found, updated_at=now_or_utc(now), updated_by_id=actor.user_id, **fields
    )
    session.add(line)
    session.flush()
    _budget_audit(session, actor, "plan_budget_add", line, now)
    return line


def edit_budget_line(
    session: Session,
    actor: Actor,
    line: PlanBudgetLine | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> PlanBudgetLine:
    """Change a budget line's year, amount or co-funder."""
    _staff(actor)
    found = load(session, PlanBudgetLine, line, "ligne de budget")
    for name, value in _budget_values(values).items():
        setattr(found, name, value)
    found.updated_at, found.updated_by_id = now_or_utc(now), actor.user_id
    session.flush()
    _budget_audit(session, actor, "plan_budget_edit", found, now)
    return found


def delete_budget_line(
    session: Session, actor: Actor, line: PlanBudgetLine | int, *, now: datetime | None = None
) -> None:
    """Remove a budget line (the audit line keeps what it was)."""
    _staff(actor)
    found = load(session, PlanBudgetLine, line, "ligne de budget")
    _budget_audit(session, actor, "plan_budget_delete", found, now)
    found.action.budget_lines.remove(found)
    session.flush()


def add_indicator(
    session: Session,
    actor: Actor,
    action: PlanAction | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> PlanIndicator:
    """Give an action an indicator: an observatory one by its key, or one kept by hand (a name
    and a unit, its values entered with their date), never both."""
    _staff(actor)
    found = load(session, PlanAction, action, "action du plan")
    errors = ErrorCollector()
    key = values.get("observatory_key") or None
    name = errors.run(
        clean_text,
        values.get("indicator_name"),
        "indicator_name",
        required=False,
        max_length=MAX_PLAN_TITLE,
    )
    unit = errors.run(
        clean_text, values.get("unit"), "unit", required=False, max_length=MAX_PLAN_NAME
    )
    if key is not None and key not in observatory_indicator_keys():
        errors.add("observatory_key", "Indicateur inconnu : choisissez-le dans la liste.")
    elif key is not None and (name or unit):
        errors.add(
            "indicator_name",
            "Un indicateur de l'observatoire a déjà son nom et son unité : "
            "laissez ces champs vides, ou ne choisissez pas d'indicateur de l'observatoire.",
        )
    elif key is None and name is None and not errors.has("indicator_name"):
        errors.add(
            "indicator_name",
            "Choisissez un indicateur de l'observatoire ou nommez un indicateur suivi à la main.",
        )
    if key is not None and any(i.observatory_key == key for i in found.indicators):
        errors.add("observatory_key", "Cette action suit déjà cet indicateur.")
    errors.raise_if_any()
    indicator = PlanIndicator(
        action=found,
        observatory_key=key,
        name=name if key is None else None,
        unit=(unit or "") if key is None else "",
        created_at=now_or_utc(now),
        created_by_id=actor.user_id,
    )
    session.add(indicator)
    session.flush()
    audit.record(
        session,
        actor,
        "plan_indicator_add",
        "plan_action",
        found.id,
        {"indicator": indicator.id, "observatory_key": key},
        now=now,
    )
    return indicator


def _indicator_number(errors: ErrorCollector, value: object) -> Decimal | None:
    text = value.strip().translate(_SPACES) if isinstance(value, str) else ""
    if not text:
        errors.add("value", REQUIRED)
        return None
    if not _NUMBER_RE.match(text):
        errors.add("value", "Nombre attendu, par exemple 12 ou 12,5.")
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        errors.add("value", "Nombre attendu, par exemple 12 ou 12,5.")
        return None


def add_indicator_value(
    session: Session,
    actor: Actor,
    indicator: PlanIndicator | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> PlanIndicatorValue:
    """Enter a dated value of an indicator kept by hand (an observatory one is computed)."""
    _staff(actor)
    found = load(session, PlanIndicator, indicator, "indicateur")
    errors = ErrorCollector()
    if found.observatory_key is not None:
        errors.add(
            "value",
            "Cet indicateur est calculé par l'observatoire : ses valeurs ne se saisissent pas.",
        )
        errors.raise_if_any()
    day = errors.run(clean_date, values.get("measured_on"), "measured_on", required=True)
    number = _indicator_number(errors, values.get("value"))
    errors.raise_if_any()
    assert day is not None and number is not None
    entry = PlanIndicatorValue(
        indicator=found,
        measured_on=day,
        value=number,
        entered_at=now_or_utc(now),
        entered_by_id=actor.user_id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        "plan_indicator_value",
        "plan_action",
        found.action_id,
        {"indicator": found.id, "value": str(number), "measured_on": day.isoformat()},
        now=now,
    )
    return entry
