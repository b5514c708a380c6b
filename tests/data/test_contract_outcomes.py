"""How signed contracts last (issue 19): running at 45 days and at 6 months, broken by cause."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from data.models import BreakCause, SuggestionStatus
from data.queries import contract_outcomes
from data.queries.contracts import months_after

from . import factories as f

S = SuggestionStatus
TODAY = date(2026, 12, 4)


def _contract(
    session: Session,
    start: date | None,
    *,
    broken_on: date | None = None,
    cause: BreakCause | None = None,
    after_trial: bool | None = None,
    metier: str = "aide-soignant",
) -> None:
    f.make_suggestion(
        session,
        f.make_request(session),
        f.make_offer(session, metier_code=metier),
        status=S.BROKEN if broken_on else S.CONTRACT_SIGNED,
        contract_signed_on=start,
        contract_start_on=start,
        broken_on=broken_on,
        broken_cause=cause,
        broken_after_trial=after_trial,
    )


def test_a_worked_example_of_contracts_lasting_or_not(session: Session) -> None:
    year_ago = TODAY - timedelta(days=365)
    # Started a year ago: one still running, one broken on day 20, one broken in month 4.
    _contract(session, year_ago)
    _contract(
        session,
        year_ago,
        broken_on=year_ago + timedelta(days=20),
        cause=BreakCause.METIER,
        after_trial=False,
    )
    _contract(
        session,
        year_ago,
        broken_on=months_after(year_ago, 4),
        cause=BreakCause.WORKING_CONDITIONS,
        after_trial=True,
    )
    # Started two months ago, running: past its 45th day, not its sixth month.
    _contract(session, TODAY - timedelta(days=60))
    # Started last week and broken already (no cause recorded): at no milestone yet.
    _contract(session, TODAY - timedelta(days=7), broken_on=TODAY - timedelta(days=1))
    # Signed without its start day: counted as signed only.
    _contract(session, None)
    # A pair not signed counts nowhere.
    f.make_suggestion(session, status=S.INTERVIEW)

    got = contract_outcomes(session, TODAY)
    assert (got.signed, got.broken) == (6, 3)
    assert got.at_45_days == (4, 3)  # the three of a year ago and the one of two months ago
    assert got.at_6_months == (3, 1)  # only the one of a year ago still running lasted
    assert got.broken_by_cause == (
        (BreakCause.METIER, 1),
        (BreakCause.WORKING_CONDITIONS, 1),
        (None, 1),
    )
    assert (got.broken_during_trial, got.broken_after_trial) == (1, 1)


def test_the_plan_s_priority_metiers_only(session: Session) -> None:
    start = TODAY - timedelta(days=100)
    _contract(session, start)
    _contract(session, start, metier="infirmier")
    assert contract_outcomes(session, TODAY).signed == 2
    priority = contract_outcomes(session, TODAY, priority_only=True)
    assert (priority.signed, priority.at_45_days) == (1, (1, 1))


def test_a_broken_contract_on_its_45th_day_counts_as_running_then(session: Session) -> None:
    start = TODAY - timedelta(days=200)
    _contract(session, start, broken_on=start + timedelta(days=45), cause=BreakCause.OTHER)
    _contract(session, start, broken_on=start + timedelta(days=44), cause=BreakCause.OTHER)
    assert contract_outcomes(session, TODAY).at_45_days == (2, 1)
