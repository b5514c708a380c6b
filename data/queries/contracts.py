"""How the signed contracts last (issue 19): still running at 45 days and at 6 months, broken
and why. The figures the coordinators read on their dashboard and the observatory counts.

A contract's milestones count from its start (``contract_start_on``): its 45th day and its sixth
month. A contract is *running* at a milestone unless it broke off before it. Only the contracts
whose milestone has passed (started long enough ago) are counted at that milestone, so that a
contract signed last week neither counts as lasting nor as broken; a contract without its start
day is counted as signed and, if broken, by cause, but at no milestone.

The 45 days of the law (Code du travail, article L6222-18) are days of practical training at the
employer's, which the platform cannot count: the milestone here is the 45th calendar day from the
start, and the ruptures say apart whether they came after the 45 days of practical training, as
the coordinators recorded it (``broken_after_trial``).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import SIGNED_STATUSES, BreakCause, Metier, Offer, Suggestion, SuggestionStatus

__all__ = ["TRIAL_DAYS", "ContractOutcomes", "contract_outcomes", "months_after"]

#: The first days of a contract either side may end it alone (Code du travail, L6222-18).
TRIAL_DAYS = 45
#: The second milestone, in months from the start.
LASTING_MONTHS = 6


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter).

    >>> months_after(date(2026, 8, 31), 6), months_after(date(2026, 1, 15), 6)
    (datetime.date(2027, 2, 28), datetime.date(2026, 7, 15))
    """
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ContractOutcomes:
    """The signed contracts and how they last, on a day.

    ``at_45_days`` and ``at_6_months``: (contracts whose milestone has passed, those of them
    still running at it). ``broken_by_cause``: the broken contracts by cause, ``None`` for those
    recorded without one, in the list's order.
    """

    signed: int
    broken: int
    at_45_days: tuple[int, int]
    at_6_months: tuple[int, int]
    broken_by_cause: tuple[tuple[BreakCause | None, int], ...]
    broken_during_trial: int
    broken_after_trial: int


def contract_outcomes(
    session: Session, today: date, *, priority_only: bool = False
) -> ContractOutcomes:
    """Count the signed contracts and how they last on ``today`` (the plan's priority métiers
    only when ``priority_only``)."""
    stmt = select(
        Suggestion.status,
        Suggestion.contract_start_on,
        Suggestion.broken_on,
        Suggestion.broken_cause,
        Suggestion.broken_after_trial,
    ).where(Suggestion.status.in_(SIGNED_STATUSES))
    if priority_only:
        stmt = (
            stmt.join(Offer, Offer.id == Suggestion.offer_id)
            .join(Metier, Metier.code == Offer.metier_code)
            .where(Metier.priority.is_(True))
        )
    signed = broken = 0
    passed = Counter[str]()
    running = Counter[str]()
    causes = Counter[BreakCause | None]()
    trial = Counter[bool | None]()
    for status, start, broken_on, cause, after_trial in session.execute(stmt):
        signed += 1
        is_broken = status == SuggestionStatus.BROKEN
        if is_broken:
            broken += 1
            causes[cause] += 1
            trial[after_trial] += 1
        if start is None:
            continue
        milestones = {
            "45": start + timedelta(days=TRIAL_DAYS),
            "6m": months_after(start, LASTING_MONTHS),
        }
        for name, day in milestones.items():
            if day > today:
                continue
            passed[name] += 1
            if not is_broken or (broken_on is not None and broken_on >= day):
                running[name] += 1
    order = [*BreakCause, None]
    return ContractOutcomes(
        signed=signed,
        broken=broken,
        at_45_days=(passed["45"], running["45"]),
        at_6_months=(passed["6m"], running["6m"]),
        broken_by_cause=tuple((c, causes[c]) for c in order if causes[c]),
        broken_during_trial=trial[False],
        broken_after_trial=trial[True],
    )
