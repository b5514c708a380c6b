"""Admins add the SMIC, the apprentices' pay grid and the rules of the apprenticeship (delays,
limits) from a day: a new row, never an edit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied
from data.models import CONTRACT_YEARS, AgeBand, LegalRule, PayGridRow, Role, RuleKey, SmicValue

from .audit import record
from .validation import REQUIRED, ErrorCollector, clean_date, clean_enum, clean_int, clean_text

__all__ = ["add_smic_value", "add_pay_grid_row", "add_legal_rule", "ADMINS_ONLY"]

ADMINS_ONLY = (
    "Seuls les administrateurs modifient le SMIC, la grille de rémunération et les règles de "
    "l'apprentissage."
)
_EUROS_RE = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")
_PERCENT_RE = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?$")
_VALUE_RE = re.compile(r"^\d{1,4}(?:[.,]\d{1,2})?$")
#: The SMIC and the percents a form may give, beyond which a typing slip is more likely.
MAX_MONTHLY_CENTS = 10_000_00
MAX_HOURLY_CENTS = 100_00
MAX_SOURCE = 500


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied(ADMINS_ONLY)


def _cents(errors: ErrorCollector, value: object, field: str, maximum: int) -> int | None:
    """Euros written ``1823,03`` or ``1823.03`` as cents, within (0, maximum]."""
    text = value.strip().replace("\u202f", "").replace(" ", "") if isinstance(value, str) else ""
    if not text:
        errors.add(field, REQUIRED)
        return None
    if not _EUROS_RE.match(text):
        errors.add(field, "Montant en euros attendu, par exemple 1823,03.")
        return None
    cents = int(Decimal(text.replace(",", ".")) * 100)
    if not 0 < cents <= maximum:
        errors.add(field, f"Le montant doit être compris entre 0,01 et {maximum // 100} euros.")
        return None
    return cents


def _percent(errors: ErrorCollector, value: object, field: str) -> Decimal | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.add(field, REQUIRED)
        return None
    if not _PERCENT_RE.match(text):
        errors.add(field, "Pourcentage attendu, par exemple 27 ou 27,5.")
        return None
    percent = Decimal(text.replace(",", "."))
    if not 0 < percent <= 200:
        errors.add(field, "Le pourcentage doit être compris entre 0,01 et 200.")
        return None
    return percent


def add_smic_value(session: Session, actor: Actor, values: Mapping[str, Any]) -> SmicValue:
    """Add the gross SMIC (monthly for 35 hours a week, hourly) from ``valid_from``; admins only.

    A day that already has a value is refused: history is never rewritten.
    """
    _require_admin(actor)
    errors = ErrorCollector()
    monthly = _cents(errors, values.get("monthly_eur"), "monthly_eur", MAX_MONTHLY_CENTS)
    hourly = _cents(errors, values.get("hourly_eur"), "hourly_eur", MAX_HOURLY_CENTS)
    day = errors.run(clean_date, values.get("valid_from"), "valid_from", required=True)
    source = errors.run(clean_text, values.get("source"), "source", max_length=MAX_SOURCE)
    if day is not None and session.scalar(select(SmicValue.id).where(SmicValue.valid_from == day)):
        errors.add("valid_from", "Un montant du SMIC existe déjà à cette date.")
    errors.raise_if_any()
    assert monthly is not None and hourly is not None and day is not None and source is not None
    row = SmicValue(
        monthly_cents=monthly,
        hourly_cents=hourly,
        valid_from=day,
        source=source,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, "smic_added", "smic_value", row.id, {"valid_from": day.isoformat()})
    return row


def add_pay_grid_row(session: Session, actor: Actor, values: Mapping[str, Any]) -> PayGridRow:
    """Add the percent of the SMIC of an age band in a contract year from ``valid_from``;
    admins only. A row that exists for that band, year and day is refused."""
    _require_admin(actor)
    errors = ErrorCollector()
    band = errors.run(clean_enum, values.get("age_band"), AgeBand, "age_band")
    year = errors.run(
        clean_int,
        values.get("contract_year"),
        "contract_year",
        min_value=CONTRACT_YEARS[0],
        max_value=CONTRACT_YEARS[-1],
    )
    percent = _percent(errors, values.get("percent"), "percent")
    day = errors.run(clean_date, values.get("valid_from"), "valid_from", required=True)
    source = errors.run(clean_text, values.get("source"), "source", max_length=MAX_SOURCE)
    if band is not None and year is not None and day is not None:
        taken = session.scalar(
            select(PayGridRow.id).where(
                PayGridRow.age_band == band,
                PayGridRow.contract_year == year,
                PayGridRow.valid_from == day,
            )
        )
        if taken:
            errors.add(
                "valid_from", "Un taux existe déjà pour cette tranche, cette année et cette date."
            )
    errors.raise_if_any()
    assert band is not None and year is not None and percent is not None
    assert day is not None and source is not None
    row = PayGridRow(
        age_band=band,
        contract_year=year,
        percent=percent,
        valid_from=day,
        source=source,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "pay_grid_added",
        "pay_grid",
        row.id,
        {"age_band": band.value, "contract_year": year, "valid_from": day.isoformat()},
    )
    return row


def add_legal_rule(session: Session, actor: Actor, values: Mapping[str, Any]) -> LegalRule:
    """Add a rule's value (a number of days, of apprentices...) from ``valid_from``; admins
    only. A value that exists for that rule and day is refused: history is never rewritten."""
    _require_admin(actor)
    errors = ErrorCollector()
    key = errors.run(clean_enum, values.get("key"), RuleKey, "key")
    text = values.get("value")
    text = text.strip().replace(" ", "") if isinstance(text, str) else ""
    value = None
    if not text:
        errors.add("value", REQUIRED)
    elif not _VALUE_RE.match(text):
        errors.add("value", "Nombre attendu, par exemple 45 ou 2,5.")
    else:
        value = Decimal(text.replace(",", "."))
    day = errors.run(clean_date, values.get("valid_from"), "valid_from", required=True)
    source = errors.run(clean_text, values.get("source"), "source", max_length=MAX_SOURCE)
    if key is not None and day is not None:
        taken = session.scalar(
            select(LegalRule.id).where(LegalRule.key == key, LegalRule.valid_from == day)
        )
        if taken:
            errors.add("valid_from", "Une valeur de cette règle existe déjà à cette date.")
    errors.raise_if_any()
    assert key is not None and value is not None and day is not None and source is not None
    row = LegalRule(
        key=key, value=value, valid_from=day, source=source, created_by_id=actor.user_id
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "legal_rule_added",
        "legal_rule",
        row.id,
        {"key": key.value, "valid_from": day.isoformat()},
    )
    return row
