"""The demo dataset: loads on both engines, sensible, valid, in the Ain, and deterministic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import operations as ops
from data.demo import ADMIN_EMAIL, COORDINATOR_EMAIL, DEMO_COUNTS_KEYS, PIPELINE, load_demo
from data.models import (
    AgeBand,
    Candidate,
    Employer,
    HousingResource,
    LibraryResource,
    Metier,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Role,
    Site,
    Suggestion,
    SuggestionStatus,
    TrainingCentre,
    TrainingSession,
    User,
)
from data.operations.validation import is_valid_siret
from data.queries.library import search_library

TODAY = date(2026, 3, 2)


def _dump(session: Session) -> dict[str, Any]:
    """Everything the demo made, by natural keys (ids and sequences differ between loads)."""
    employers = sorted(
        (e.siret, e.name, e.kind.value, e.contact_email, e.contact_phone)
        for e in session.scalars(select(Employer))
    )
    sites = sorted(
        (s.employer.siret, s.name, s.commune_insee, s.housing_beds)
        for s in session.scalars(select(Site))
    )
    offers = sorted(
        (
            o.site.employer.siret,
            o.site.name,
            o.metier_code,
            o.status.value,
            o.places,
            o.places_filled,
            o.start_date,
            o.duration_months,
            o.housing_beds,
            o.licence_required,
            o.tutor_name,
            o.description,
            o.published_at,
        )
        for o in session.scalars(select(Offer))
    )
    candidates = sorted(
        (
            c.email,
            c.first_name,
            c.phone,
            c.created_at,
            c.request.commune_insee,
            c.request.max_distance_km,
            c.request.status.value,
            tuple((m.text, m.metier_code) for m in c.request.metiers),
        )
        for c in session.scalars(select(Candidate))
    )
    users = sorted((u.email, u.role.value) for u in session.scalars(select(User)))
    return {
        "employers": employers,
        "sites": sites,
        "offers": offers,
        "candidates": candidates,
        "users": users,
    }


@pytest.fixture(scope="module")
def demo(engine: Engine) -> Iterator[tuple[Session, dict[str, int], dict[str, Any]]]:
    """The demo loaded twice with the same seed (the first load rolled back), for the module."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            session.begin_nested()
            first_counts = load_demo(session, seed=1, today=TODAY)
            first = _dump(session)
            session.rollback()
            counts = load_demo(session, seed=1, today=TODAY)
            assert counts == first_counts
            yield session, counts, first
        finally:
            session.close()
            outer.rollback()


def test_counts_are_sensible(demo) -> None:
    session, counts, _ = demo
    assert set(counts) == set(DEMO_COUNTS_KEYS)
    assert 28 <= counts["employers"] <= 40
    assert counts["sites"] > counts["employers"]
    assert 60 <= counts["offers"] <= 90
    assert counts["offers_published"] > 0.75 * counts["offers"]
    assert counts["candidates"] == counts["requests"] >= 100
    assert counts["users"] == 2 + counts["employers"] + counts["candidates"]
    assert 0 < counts["unresolved_metiers"] < 0.1 * counts["requests"]
    for key, model in (
        ("employers", Employer),
        ("sites", Site),
        ("offers", Offer),
        ("candidates", Candidate),
        ("requests", Request),
        ("users", User),
    ):
        assert session.scalar(select(func.count()).select_from(model)) == counts[key], key


def test_every_siret_is_valid_and_unique(demo) -> None:
    session, _, _ = demo
    sirets = list(session.scalars(select(Employer.siret)))
    assert all(is_valid_siret(s) for s in sirets)
    assert len(set(sirets)) == len(sirets)


def test_every_offer_is_in_the_ain_and_the_departement_is_covered(demo) -> None:
    session, _, _ = demo
    offers = list(session.scalars(select(Offer)))
    assert {o.site.commune.departement for o in offers} == {"01"}
    assert len({o.site.commune_insee for o in offers}) >= 25
    for insee in ("01053", "01283", "01004", "01033", "01034", "01173", "01160", "01354"):
        assert any(o.site.commune_insee == insee for o in offers), insee


def test_offers_cover_the_eight_metiers_and_every_status_of_a_live_demo(demo) -> None:
    session, _, _ = demo
    offers = list(session.scalars(select(Offer)))
    by_metier = Counter(o.metier_code for o in offers)
    assert len(by_metier) == 8 and min(by_metier.values()) >= 3
    statuses = Counter(o.status for o in offers)
    assert {
        OfferStatus.PUBLISHED,
        OfferStatus.DRAFT,
        OfferStatus.CLOSED,
        OfferStatus.FILLED,
    } <= set(statuses)
    assert any(o.housing_beds for o in offers if o.status is OfferStatus.PUBLISHED)
    assert all(o.housing_beds <= o.site.housing_beds for o in offers)
    assert all(o.places_filled == o.places for o in offers if o.status is OfferStatus.FILLED)


def test_requests_are_varied_and_typed_like_people_type(demo) -> None:
    session, _, _ = demo
    requests = list(session.scalars(select(Request)))
    texts = [m.text for r in requests for m in r.metiers]
    codes = [m.metier_code for r in requests for m in r.metiers]
    assert len(set(c for c in codes if c)) == 8
    assert all(r.metier_codes for r in requests)  # each has at least one métier resolved
    assert {"AS", "AES", "ADVF"} & set(texts)  # abbreviations
    assert any(t.islower() and " " in t for t in texts)  # free text
    assert len({r.max_distance_km for r in requests}) >= 6
    assert 0 < sum(r.needs_housing for r in requests) < len(requests) / 2
    assert 0 < sum(r.has_licence for r in requests) < len(requests)
    assert any(r.commune.departement != "01" for r in requests)
    unresolved = session.scalar(
        select(func.count()).select_from(RequestMetier).where(RequestMetier.metier_code.is_(None))
    )
    assert unresolved > 0


def test_people_are_fictional_with_accounts(demo) -> None:
    session, _, _ = demo
    emails = list(session.scalars(select(Candidate.email)))
    assert all(e.endswith("@example.org") for e in emails)
    assert all(e.endswith("@example.org") for e in session.scalars(select(Employer.contact_email)))
    admin = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    coordinator = session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
    assert (admin.role, coordinator.role) == (Role.ADMIN, Role.COORDINATOR)
    assert admin.password_hash is None and coordinator.password_hash is None
    roles = Counter(session.scalars(select(User.role)))
    assert roles[Role.EMPLOYER] == session.scalar(select(func.count()).select_from(Employer))
    assert roles[Role.CANDIDATE] == len(emails)


def test_it_is_deterministic(demo) -> None:
    session, _, first = demo
    assert _dump(session) == first


def test_it_loads_only_into_a_database_without_employers(demo) -> None:
    session, _, _ = demo
    before = session.scalar(select(func.count()).select_from(Candidate))
    assert load_demo(session, seed=2, today=TODAY) == dict.fromkeys(DEMO_COUNTS_KEYS, 0)
    assert session.scalar(select(func.count()).select_from(Candidate)) == before


def test_suggestions_are_computed_and_every_stage_of_a_pair_shows(demo) -> None:
    session, counts, _ = demo
    assert counts["suggestions"] == session.scalar(select(func.count()).select_from(Suggestion))
    assert counts["suggestions"] > counts["requests"]
    stages = Counter(session.scalars(select(Suggestion.status)))
    expected_pairs = sum(n for _, n, _ in PIPELINE)
    assert counts["pairs"] == expected_pairs
    for status in SuggestionStatus:
        assert stages[status] > 0, status
    # Every step left its line in the pair's history, by the coordinator.
    signed = session.scalars(
        select(Suggestion).where(Suggestion.status == SuggestionStatus.CONTRACT_SIGNED)
    ).all()
    for pair in signed:
        history = [e.details["to"] for e in ops.pair_history(session, pair.id)]
        assert history == ["approved", "contacted", "interview", "contract_signed"]
        assert pair.request.status is RequestStatus.MATCHED


def test_training_centres_say_they_are_demo_and_cover_the_priority_metiers(demo) -> None:
    session, counts, _ = demo
    centres = list(session.scalars(select(TrainingCentre)))
    assert len(centres) == counts["training_centres"] >= 5
    assert all(c.name.endswith("(démo)") and c.commune.departement == "01" for c in centres)
    taught = {
        p.metier_code for c in centres for p in c.programmes if p.by_apprenticeship and p.sessions
    }
    priority = set(session.scalars(select(Metier.code).where(Metier.priority)))
    assert len(priority) == 8 and priority <= taught
    sessions = list(session.scalars(select(TrainingSession)))
    assert len(sessions) == counts["training_sessions"]
    assert all(s.start_date.year == 2027 for s in sessions)
    assert all(s.applications_open_on < s.application_deadline < s.start_date for s in sessions)


def test_housing_resources_say_they_are_demo_and_some_are_full(demo) -> None:
    session, counts, _ = demo
    shared = list(session.scalars(select(HousingResource).where(HousingResource.site_id.is_(None))))
    assert len(shared) == counts["housing_resources"] >= 5
    assert all(h.published and h.commune.departement == "01" for h in shared)
    # Each name, and each partner's name, says it is demo; a centre's boarding is a demo centre's.
    assert all(h.name.endswith("(démo)") for h in shared)
    assert all(h.partner_name.endswith("(démo)") for h in shared if h.partner_name)
    assert all(h.centre.name.endswith("(démo)") for h in shared if h.centre_id)
    # Some are full, so that beds bind in the engine; the rest have free beds.
    assert {h.beds_free == 0 for h in shared} == {True, False}


def test_requests_state_age_bands_and_no_minor_is_offered_night_work(demo) -> None:
    session, _, _ = demo
    bands = session.scalars(select(Request.age_band)).all()
    assert set(bands) == {None, *AgeBand}
    minors_at_night = session.scalar(
        select(func.count())
        .select_from(Suggestion)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(Request.age_band == AgeBand.UNDER_18, Offer.night_work.is_(True))
    )
    assert minors_at_night == 0


def test_the_mallette_s_sheets_say_they_are_demo_and_name_their_source(demo) -> None:
    session, counts, _ = demo
    sheets = list(session.scalars(select(LibraryResource)))
    assert len(sheets) == counts["library_resources"] >= 3
    assert all(r.title.endswith("(démo)") and r.source and r.published for r in sheets)
    # Readers find them: the search reaches the demo's text on both engines.
    found = [h.resource.title for h in search_library(session, "salaires des apprentis")]
    assert found[0] == "Le salaire minimum d'un apprenti (démo)"


def test_each_of_the_engines_three_centre_cases_shows(demo) -> None:
    """An enrolled candidate trains at their centre, an offer's partner centre comes next, else
    the engine finds one: the demo has pairs of each (issue 16)."""
    session, _, _ = demo
    pairs = session.scalars(select(Suggestion).where(Suggestion.proposed_centre_id.isnot(None)))
    cases: Counter[str] = Counter()
    for pair in pairs:
        if pair.request.training_centre_id is not None:
            assert pair.proposed_centre_id == pair.request.training_centre_id
            cases["enrolled"] += 1
        elif pair.offer.partner_centre_id is not None:
            assert pair.proposed_centre_id == pair.offer.partner_centre_id
            cases["partner"] += 1
        else:
            cases["nearest"] += 1
    assert min(cases["enrolled"], cases["partner"], cases["nearest"]) > 0, cases


def test_every_offer_names_a_master_of_its_structure(demo) -> None:
    """Issue 19: the offers' tutors are declared as their structures' masters, one per name."""
    from data.models import ApprenticeshipMaster
    from data.queries.masters import master_capacities

    session, _counts, _ = demo
    offers = session.scalars(select(Offer)).all()
    assert offers and all(o.master is not None for o in offers)
    assert all(o.master.employer_id == o.site.employer_id for o in offers)
    assert all(o.master.name == o.tutor_name for o in offers)
    masters = session.scalars(select(ApprenticeshipMaster)).all()
    assert len({(m.employer_id, m.name) for m in masters}) == len(masters)
    capacities = master_capacities(session)
    assert capacities is not None and set(capacities.values()) <= {0, 1, 2}
    assert 0 < sum(1 for c in capacities.values() if c > 0) < len(masters) + 1


def test_every_signed_pair_of_the_demo_has_its_welcome_kit(demo) -> None:
    """Issue 19: the demo's contracts were signed through the pairs' life cycle, which builds
    each pair's kit, dated from the contract's start."""
    from data.models import WelcomeKit

    session, _counts, _ = demo
    signed = session.scalars(
        select(Suggestion).where(Suggestion.contract_signed_on.is_not(None))
    ).all()
    assert signed
    kits = {k.suggestion_id: k for k in session.scalars(select(WelcomeKit))}
    assert set(kits) == {s.id for s in signed}
    for pair in signed:
        kit = kits[pair.id]
        assert kit.start_on == pair.contract_start_on and not kit.planned
        assert kit.items and all(i.due_on is not None for i in kit.items)
