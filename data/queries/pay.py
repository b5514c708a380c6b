"""The apprentice's pay and monthly budget (issue 18), read from the dated reference rows.

:func:`pay_estimate` gives an age band's minimum gross monthly pay for each contract year: the
percent of the grid in force on a day (Code du travail, article D6222-26) times the SMIC in
force that day; the row in force is the latest whose ``valid_from`` is on or before the day.
Without a SMIC in force the percents are given and the amounts are none: a figure is never
made up. :func:`offer_budget` adds, for a candidate and an offer, the monthly cost of the
housing the engine proposes with their suggestion, and what is left after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    CONTRACT_YEARS,
    AgeBand,
    HousingSource,
    LegalRule,
    Offer,
    PayGridRow,
    Request,
    RuleKey,
    SmicValue,
    Suggestion,
)
from data.reference import read_apprentice_aids

__all__ = [
    "PayYear",
    "PayEstimate",
    "Budget",
    "pay_estimate",
    "pay_by_band",
    "smic_in_force",
    "offer_budget",
    "smic_history",
    "pay_grid_history",
    "apprentice_aids",
    "rule_in_force",
    "rule_value",
    "legal_rule_history",
]

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PayYear:
    """One contract year: the percent of the SMIC and the gross monthly amount (none without
    a SMIC), with the grid row's source and the day it holds from."""

    contract_year: int
    percent: Decimal
    monthly_gross: Decimal | None
    source: str
    valid_from: date


@dataclass(frozen=True)
class PayEstimate:
    """An age band's minimum pay on a day, year by year, and the SMIC it is computed from."""

    age_band: AgeBand
    on: date
    years: tuple[PayYear, ...]
    smic: SmicValue | None

    @property
    def smic_monthly(self) -> Decimal | None:
        """The gross monthly SMIC in euros, or None when none is entered."""
        return None if self.smic is None else Decimal(self.smic.monthly_cents) / 100


@dataclass(frozen=True)
class Budget:
    """What a candidate would earn on an offer, the housing proposed with it, and what is left.

    ``housing_cost``: the monthly cost in euros of the housing the engine proposes with the
    candidate's suggestion of this offer (none without housing or without a known cost);
    ``left``: per contract year, the gross pay minus that cost (none when either is unknown).
    """

    estimate: PayEstimate
    housing_source: HousingSource | None
    housing_cost: Decimal | None

    @property
    def left(self) -> tuple[Decimal | None, ...]:
        """Per contract year, the gross monthly pay minus the housing cost."""
        cost = self.housing_cost
        return tuple(
            None if y.monthly_gross is None or cost is None else y.monthly_gross - cost
            for y in self.estimate.years
        )


def smic_in_force(session: Session, on: date) -> SmicValue | None:
    """The SMIC row in force on ``on``: the latest whose ``valid_from`` is on or before it."""
    return session.scalar(
        select(SmicValue)
        .where(SmicValue.valid_from <= on)
        .order_by(SmicValue.valid_from.desc())
        .limit(1)
    )


def _grid_in_force(session: Session, band: AgeBand, on: date) -> dict[int, PayGridRow]:
    rows = session.scalars(
        select(PayGridRow)
        .where(PayGridRow.age_band == band, PayGridRow.valid_from <= on)
        .order_by(PayGridRow.contract_year, PayGridRow.valid_from.desc())
    )
    found: dict[int, PayGridRow] = {}
    for row in rows:
        found.setdefault(row.contract_year, row)
    return found


def pay_estimate(session: Session, age_band: AgeBand, on: date) -> PayEstimate:
    """The minimum gross monthly pay of ``age_band`` in each contract year, on ``on``.

    Amount = SMIC monthly x percent / 100, rounded to the cent (half up); none without a SMIC
    in force. A year without a grid row in force is left out.
    """
    smic = smic_in_force(session, on)
    grid = _grid_in_force(session, age_band, on)
    years = []
    for year in CONTRACT_YEARS:
        row = grid.get(year)
        if row is None:
            continue
        percent = Decimal(row.percent)
        amount = None
        if smic is not None:
            amount = (Decimal(smic.monthly_cents) * percent / 10_000).quantize(
                _CENT, rounding=ROUND_HALF_UP
            )
        years.append(PayYear(year, percent, amount, row.source, row.valid_from))
    return PayEstimate(age_band, on, tuple(years), smic)


def pay_by_band(session: Session, on: date) -> tuple[PayEstimate, ...]:
    """The minimum pay of every age band on ``on``, youngest first (a métier sheet's table:
    the legal minimum is the same for every métier)."""
    return tuple(pay_estimate(session, band, on) for band in AgeBand)


def _housing_cost(
    offer: Offer, pair: Suggestion | None
) -> tuple[HousingSource | None, Decimal | None]:
    if pair is None or pair.housing_source is None:
        return None, None
    if pair.housing_source == HousingSource.RESOURCE:
        resource = pair.proposed_housing
        cost = None if resource is None else resource.monthly_cost_eur
        return pair.housing_source, None if cost is None else Decimal(cost)
    # The offer's own beds: the cheapest of its site's housing with a known cost.
    costs = [h.monthly_cost_eur for h in offer.site.housings if h.monthly_cost_eur is not None]
    return pair.housing_source, Decimal(min(costs)) if costs else None


def offer_budget(session: Session, request: Request, offer: Offer, on: date) -> Budget | None:
    """The candidate's budget on ``offer``: pay by contract year, the housing proposed with
    their suggestion of it, what is left; None when the request states no age band."""
    if request.age_band is None:
        return None
    pair = session.scalar(
        select(Suggestion).where(
            Suggestion.request_id == request.id, Suggestion.offer_id == offer.id
        )
    )
    source, cost = _housing_cost(offer, pair)
    return Budget(pay_estimate(session, request.age_band, on), source, cost)


def smic_history(session: Session) -> list[SmicValue]:
    """Every SMIC row, the latest first."""
    return list(session.scalars(select(SmicValue).order_by(SmicValue.valid_from.desc())))


def pay_grid_history(session: Session) -> list[PayGridRow]:
    """Every row of the pay grid: the latest day first, then by age band and contract year."""
    return list(
        session.scalars(
            select(PayGridRow).order_by(
                PayGridRow.valid_from.desc(), PayGridRow.age_band, PayGridRow.contract_year
            )
        )
    )


def apprentice_aids() -> list[dict[str, str]]:
    """The known aids for apprentices shipped as reference entries (listed, never computed)."""
    return read_apprentice_aids()


def rule_in_force(session: Session, key: RuleKey, on: date) -> LegalRule | None:
    """The row of rule ``key`` in force on ``on``: the latest whose ``valid_from`` is on or
    before it (None before the first)."""
    return session.scalar(
        select(LegalRule)
        .where(LegalRule.key == key, LegalRule.valid_from <= on)
        .order_by(LegalRule.valid_from.desc())
        .limit(1)
    )


def rule_value(session: Session, key: RuleKey, on: date) -> int | None:
    """The whole value of rule ``key`` on ``on`` (a number of days, of apprentices), or None."""
    row = rule_in_force(session, key, on)
    return None if row is None else int(row.value)


def legal_rule_history(session: Session) -> list[LegalRule]:
    """Every row of the rules: by rule (in the order the code names them), the latest first."""
    rows = session.scalars(select(LegalRule).order_by(LegalRule.valid_from.desc()))
    order = {key: n for n, key in enumerate(RuleKey)}
    return sorted(rows, key=lambda r: order[r.key])
