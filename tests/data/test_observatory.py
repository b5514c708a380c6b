"""The observatory's indicators and monthly snapshots (issue 20), on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import ObservatorySnapshot, Suggestion, SuggestionStatus
from data.observatory.indicators import (
    FLOWS,
    INDICATORS,
    Kind,
    monthly_figures,
    operational_figures,
    stock_figures,
)
from data.observatory.snapshots import (
    MARKER,
    REVISED_MONTHS,
    stored_months,
    stored_stocks,
    take_snapshots,
)
from data.operations import change_suggestion_status
from data.operations.pairs import undo_last_stage
from data.queries import review_count
from tests.data import factories as f

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
AS = "aide-soignant"


def _at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


def _world(session: Session) -> dict[str, object]:
    """Two offers and three requests in Bourg-en-Bresse, one pair signed in November."""
    site = f.make_site(session)
    offers = [f.make_offer(session, site, places=p, now=_at(3)) for p in (2, 1)]
    offers[0].published_at = _at(20, 10)  # October
    requests = [f.make_request(session) for _ in range(3)]
    requests[0].created_at = _at(15, 10)
    requests[1].created_at = _at(2)
    requests[2].created_at = _at(30)  # 30 November 10:00 UTC: still November in Paris
    pair = f.make_suggestion(session, requests[0], offers[0])
    pair.created_at = _at(25, 10)
    other = f.make_suggestion(session, requests[1], offers[1])
    other.created_at = _at(5)
    coordinator = Actor.job("test")
    for stage, day in (("approved", 6), ("contacted", 8), ("interview", 12)):
        change_suggestion_status(session, pair, stage, coordinator, now=_at(day))
    pair.status = SuggestionStatus.CONTRACT_SIGNED
    pair.contract_signed_on = date(2026, 11, 20)
    pair.contract_start_on = date(2026, 9, 1)  # started before: its 45th day is 16 October
    pair.distance_km = 12.5
    session.flush()
    return {"offers": offers, "requests": requests, "pair": pair, "other": other}


def test_every_indicator_has_a_french_title_a_unit_a_definition_and_a_source() -> None:
    for key, indicator in INDICATORS.items():
        assert indicator.key == key
        assert indicator.title and indicator.unit and indicator.definition and indicator.source
        assert indicator.file_key.islower() and " " not in indicator.file_key
    assert len({i.file_key for i in INDICATORS.values()}) == len(INDICATORS)


def test_a_month_counts_each_record_once_in_its_month_metier_and_commune(
    session: Session,
) -> None:
    world = _world(session)
    months = monthly_figures(session, [OCT, NOV])
    bourg = (AS, f.BOURG)
    october, november = months[OCT].flows, months[NOV].flows
    assert october["offers_published"] == Counter({bourg: 1})
    assert october["places_published"] == Counter({bourg: 2})
    assert november["offers_published"] == Counter({bourg: 1})
    assert october["requests_created"][bourg] == 1
    assert november["requests_created"][bourg] == 2
    assert october["suggestions_made"][bourg] == 1 and november["suggestions_made"][bourg] == 1
    for key in ("approvals", "contacts", "interviews", "contracts_signed"):
        assert november[key] == Counter({bourg: 1}), key
        assert not october[key], key
    assert october["running_45_days"] == Counter({bourg: 1})
    assert not november["running_45_days"] and not november["running_6_months"]
    requested = world["requests"][0].created_at  # type: ignore[index]
    assert months[NOV].medians["days_to_contract"] == (
        float((date(2026, 11, 20) - requested.date()).days),
        1,
    )
    assert months[NOV].medians["distance_to_contract"] == (12.5, 1)
    assert months[OCT].medians["days_to_contract"] == (None, 0)


def test_a_stage_undone_then_reached_again_counts_once_when_it_holds(session: Session) -> None:
    world = _world(session)
    other = world["other"]
    assert isinstance(other, Suggestion)
    actor = Actor.user(f.make_user(session))
    for stage, day in (("approved", 7), ("contacted", 8), ("interview", 9)):
        change_suggestion_status(session, other, stage, actor, now=_at(day))
    assert monthly_figures(session, [NOV])[NOV].total("interviews") == 2
    undo_last_stage(session, other, actor, now=_at(9))
    assert monthly_figures(session, [NOV])[NOV].total("interviews") == 1
    change_suggestion_status(session, other, "interview", actor, now=_at(10))
    months = monthly_figures(session, [NOV])
    assert months[NOV].total("interviews") == 2 and months[NOV].total("contacts") == 2


def test_a_broken_contract_counts_as_broken_and_not_running_after_its_rupture(
    session: Session,
) -> None:
    pair = _world(session)["pair"]
    assert isinstance(pair, Suggestion)
    pair.status = SuggestionStatus.BROKEN
    pair.broken_on = date(2026, 10, 10)  # before its 45th day (16 October)
    session.flush()
    months = monthly_figures(session, [OCT, NOV])
    assert months[OCT].total("contracts_broken") == 1
    assert months[OCT].total("running_45_days") == 0
    assert months[NOV].total("contracts_signed") == 1  # signed in November, broken since


def test_stocks_count_open_places_active_requests_and_housing_needs(session: Session) -> None:
    _world(session)
    housed = f.make_request(session, needs_housing=True)
    stocks = stock_figures(session)
    bourg = (AS, f.BOURG)
    assert stocks["open_places"][bourg] == 3
    assert stocks["active_requests"][bourg] == 4
    assert stocks["housing_needed"] == Counter({bourg: 1})
    assert stocks["housing_unmet"] == Counter({bourg: 1})
    assert housed.id


def test_a_request_counts_under_its_first_choice_of_metier(session: Session) -> None:
    request = f.make_request(session, metiers=["éducateur spécialisé", "aide-soignante"])
    request.created_at = _at(3)
    session.flush()
    flows = monthly_figures(session, [NOV])[NOV].flows
    assert flows["requests_created"] == Counter({("educateur-specialise", f.BOURG): 1})
    assert stock_figures(session)["active_requests"] == flows["requests_created"]


def test_snapshots_store_each_closed_month_once_and_outlive_the_records(
    session: Session,
) -> None:
    _world(session)
    live = monthly_figures(session, [OCT, NOV])
    counts = take_snapshots(session, now=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert counts["months"] >= 2
    again = take_snapshots(session, now=datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    assert again == {"months": 0, "figures": 0, "revised": 0}
    markers = session.scalar(select(func.count()).where(ObservatorySnapshot.indicator == MARKER))
    assert markers == counts["months"]
    stocks = stored_stocks(session, NOV)
    assert stocks is not None and stocks["open_places"][(AS, f.BOURG)] == 3
    assert stored_stocks(session, OCT) is None  # caught up later: no stock of the past

    session.execute(delete(Suggestion))
    session.flush()
    stored = stored_months(session, OCT, NOV)
    for month in (OCT, NOV):
        for key in FLOWS:
            assert stored[month].flows[key] == +live[month].flows[key], (month, key)
        assert stored[month].medians == live[month].medians
    assert monthly_figures(session, [NOV])[NOV].total("contracts_signed") == 0


def _marker_counts(session: Session) -> dict[date, int]:
    """What each month's marker says was stored, and what is stored."""
    rows = session.execute(
        select(ObservatorySnapshot.month, ObservatorySnapshot.indicator, ObservatorySnapshot.count)
    ).all()
    said = {m: n for m, k, n in rows if k == MARKER}
    found = Counter(m for m, k, _ in rows if k != MARKER)
    assert said == {m: found[m] for m in said}
    return said


def _signed_after_the_store(session: Session, signed_on: date) -> Suggestion:
    """The world stored on 1 December, then its other pair's contract recorded, signed on
    ``signed_on``."""
    world = _world(session)
    take_snapshots(session, now=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    other = world["other"]
    assert isinstance(other, Suggestion)
    other.status = SuggestionStatus.CONTRACT_SIGNED
    other.contract_signed_on = signed_on
    return other


def test_a_contract_recorded_after_its_month_is_stored_counts_in_that_month(
    session: Session,
) -> None:
    # Recorded in December: signed on 28 November, started on 1 December.
    other = _signed_after_the_store(session, date(2026, 11, 28))
    other.contract_start_on = date(2026, 12, 1)
    other.distance_km = 7.5
    session.flush()
    assert stored_months(session, NOV, NOV)[NOV].total("contracts_signed") == 1
    assert take_snapshots(session, now=datetime(2026, 12, 20, 4, 0, tzinfo=UTC))["revised"] == 0

    counts = take_snapshots(session, now=datetime(2027, 1, 1, 4, 0, tzinfo=UTC))
    assert counts["months"] == 1 and counts["revised"] == 1  # November; October unchanged
    stored = stored_months(session, OCT, NOV)
    live = monthly_figures(session, [OCT, NOV])
    assert stored[NOV].total("contracts_signed") == 2
    assert stored[NOV].medians["distance_to_contract"] == (10.0, 2)
    for month in (OCT, NOV):
        assert stored[month].flows == {k: +v for k, v in live[month].flows.items()}, month
        assert stored[month].medians == live[month].medians
    _marker_counts(session)


def test_a_rupture_recorded_late_takes_back_the_month_it_was_running_in(
    session: Session,
) -> None:
    pair = _world(session)["pair"]
    assert isinstance(pair, Suggestion)
    take_snapshots(session, now=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert stored_months(session, OCT, OCT)[OCT].total("running_45_days") == 1
    pair.status = SuggestionStatus.BROKEN
    pair.broken_on = date(2026, 10, 10)  # before its 45th day, 16 October
    session.flush()
    take_snapshots(session, now=datetime(2027, 1, 1, 4, 0, tzinfo=UTC))
    october = stored_months(session, OCT, OCT)[OCT]
    assert october.total("running_45_days") == 0 and october.total("contracts_broken") == 1
    assert october.total("requests_created") == 1  # the other figures stay as stored
    _marker_counts(session)


def test_a_month_older_than_the_revised_window_is_final(session: Session) -> None:
    _signed_after_the_store(session, date(2026, 10, 28))
    session.flush()
    # On 1 December 2027, November 2027 is stored: its window starts in November 2026.
    late = datetime(2027, 12, 1, 4, 0, tzinfo=UTC)
    assert date(2027, 11, 1).year * 12 + 11 - (NOV.year * 12 + NOV.month) == REVISED_MONTHS
    take_snapshots(session, now=late)
    assert stored_months(session, OCT, OCT)[OCT].total("contracts_signed") == 0


def test_the_current_month_is_not_stored_before_it_ends(session: Session) -> None:
    _world(session)
    take_snapshots(session, now=datetime(2026, 11, 30, 22, 0, tzinfo=UTC))  # 23:00 in Paris
    assert NOV not in stored_months(session, OCT, NOV)
    take_snapshots(session, now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 1 December
    assert NOV in stored_months(session, OCT, NOV)


def test_operational_figures_are_the_review_rule_and_the_pairs_by_status(
    session: Session,
) -> None:
    _world(session)
    figures = operational_figures(session, datetime.now(UTC))
    assert figures.review_queue == review_count(session)
    by_status = dict(figures.pairs_by_status)
    assert by_status[SuggestionStatus.CONTRACT_SIGNED] == 1
    assert figures.contracts_signed == 1 and figures.contracts_broken == 0
    assert all(i.kind in Kind for i in INDICATORS.values())
