"""The scaled demo: any size, real communes of the Ain and around, valid métiers, deterministic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import demo
from data.demo_scale import DEPARTEMENT_SHARES, EMAIL_DOMAIN, load_scaled_demo, parse_scale
from data.errors import ValidationError
from data.models import (
    Candidate,
    Commune,
    Employer,
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
    User,
)
from data.operations.validation import is_valid_siret
from web import create_app
from web.db import state

TODAY = date(2026, 3, 2)
OFFERS, REQUESTS = 60, 400


def _rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in session.execute(stmt))


def _dump(session: Session) -> dict[str, Any]:
    """What the load made, by natural keys (ids and sequences differ between loads)."""
    employer = select(Employer.name, Employer.siret, Employer.kind, Employer.contact_phone)
    offer = select(
        Site.name,
        Offer.metier_code,
        Offer.status,
        Offer.places,
        Offer.start_date,
        Offer.housing_beds,
        Offer.description,
        Offer.published_at,
    ).join(Site)
    request = select(
        Candidate.email,
        Candidate.phone,
        Request.commune_insee,
        Request.max_distance_km,
        Request.status,
        Request.needs_housing,
    ).join(Request)
    suggestion = (
        select(Candidate.email, Site.name, Suggestion.score, Suggestion.status)
        .join(Request, Suggestion.request_id == Request.id)
        .join(Candidate)
        .join(Offer, Suggestion.offer_id == Offer.id)
        .join(Site)
    )
    return {
        "employers": _rows(session, employer),
        "sites": _rows(session, select(Site.name, Site.commune_insee)),
        "offers": _rows(session, offer),
        "requests": _rows(session, request),
        "suggestions": _rows(session, suggestion),
    }


@pytest.fixture(scope="module")
def scaled(engine: Engine) -> Iterator[tuple[Session, dict[str, int], dict[str, Any]]]:
    """The scaled demo loaded twice with the same seed (the first load rolled back)."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            session.begin_nested()
            first_counts = load_scaled_demo(
                session, offers=OFFERS, requests=REQUESTS, seed=7, today=TODAY
            )
            first = _dump(session)
            session.rollback()
            counts = load_scaled_demo(
                session, offers=OFFERS, requests=REQUESTS, seed=7, today=TODAY
            )
            assert counts == first_counts
            yield session, counts, first
        finally:
            session.close()
            outer.rollback()


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_counts_are_the_scale_asked_for(scaled) -> None:
    session, counts, _ = scaled
    assert set(counts) == set(demo.DEMO_COUNTS_KEYS)
    assert counts["offers"] == _count(session, Offer) == OFFERS
    assert counts["requests"] == counts["candidates"] == _count(session, Request) == REQUESTS
    assert counts["employers"] == _count(session, Employer) == OFFERS // 3
    assert counts["sites"] == _count(session, Site) >= counts["employers"]
    assert counts["users"] == _count(session, User) == 2 + counts["employers"] + REQUESTS
    assert 0.7 * OFFERS < counts["offers_published"] < OFFERS
    assert counts["offers_published"] == session.scalar(
        select(func.count()).select_from(Offer).where(Offer.status == OfferStatus.PUBLISHED)
    )
    # Every employer has an offer and an account; every candidate an account.
    assert (
        session.scalar(select(func.count(func.distinct(Site.employer_id))).join(Offer))
        == (counts["employers"])
    )
    roles = Counter(session.scalars(select(User.role)))
    assert roles[Role.EMPLOYER] == counts["employers"]
    assert roles[Role.CANDIDATE] == REQUESTS
    assert roles[Role.COORDINATOR] == roles[Role.ADMIN] == 1


def test_records_are_at_real_communes_of_the_ain_and_around(scaled) -> None:
    session, _, _ = scaled
    site_deps = Counter(session.scalars(select(Commune.departement).join(Site)))
    request_deps = Counter(session.scalars(select(Commune.departement).join(Request)))
    for deps in (site_deps, request_deps):
        assert set(deps) <= set(DEPARTEMENT_SHARES)
        assert deps["01"] == max(deps.values())  # the Ain first
    assert len(request_deps) == len(DEPARTEMENT_SHARES)  # 400 requests reach every one
    # Site names name their real commune.
    for site in session.scalars(select(Site).limit(20)):
        assert site.name.endswith(f"({site.commune.name})")


def test_metiers_are_of_the_referential_in_sector_proportions(scaled) -> None:
    session, counts, _ = scaled
    codes = set(session.scalars(select(Metier.code)))
    offer_metiers = Counter(session.scalars(select(Offer.metier_code)))
    assert set(offer_metiers) <= codes
    typed = session.execute(select(RequestMetier.text, RequestMetier.metier_code)).all()
    assert {code for _, code in typed if code} <= codes
    wanted = Counter(
        session.scalars(select(RequestMetier.metier_code).where(RequestMetier.position == 0))
    )
    priority = set(session.scalars(select(Metier.code).where(Metier.priority)))
    assert set(wanted) == priority  # 400 requests reach all eight of the plan
    # The shortage métiers lead, as in the sector (and in the hand-written demo).
    top = {code for code, _ in wanted.most_common(3)}
    assert demo.AS in top and demo.AES in top
    assert offer_metiers[demo.AS] == max(offer_metiers.values())
    assert counts["unresolved_metiers"] == sum(1 for _, code in typed if code is None) > 0
    assert {t for t, code in typed if code is None} <= set(demo.UNRESOLVED)
    # Every request has a métier the engine can use.
    unresolved_only = session.scalar(
        select(func.count())
        .select_from(Request)
        .where(
            ~Request.metiers.any(RequestMetier.metier_code.is_not(None)),
        )
    )
    assert unresolved_only == 0


def test_everything_says_it_is_demo_data(scaled) -> None:
    session, _, _ = scaled
    assert all("de démonstration n° " in n for n in session.scalars(select(Employer.name)))
    assert all("de démonstration n° " in n for n in session.scalars(select(Site.name)))
    assert all("démonstration" in d for d in session.scalars(select(Offer.description)))
    people = list(
        session.scalars(select(User.email).where(User.role.in_(("employer", "candidate"))))
    )
    assert people and all(e.endswith("@" + EMAIL_DOMAIN) for e in people)
    assert all(e.endswith("@" + EMAIL_DOMAIN) for e in session.scalars(select(Candidate.email)))
    sirets = list(session.scalars(select(Employer.siret)))
    assert all(is_valid_siret(s) for s in sirets) and len(set(sirets)) == len(sirets)


def test_offers_and_requests_are_plausible(scaled) -> None:
    session, _, _ = scaled
    offers = list(session.scalars(select(Offer)))
    assert all(o.start_date is not None and o.start_date > TODAY for o in offers)
    assert all(o.housing_beds <= o.site.housing_beds for o in offers)
    assert any(o.housing_beds for o in offers)
    assert all(o.places_filled == o.places for o in offers if o.status is OfferStatus.FILLED)
    assert all((o.published_at is None) == (o.status is OfferStatus.DRAFT) for o in offers)
    requests = list(session.scalars(select(Request)))
    assert len({r.max_distance_km for r in requests}) >= 8
    assert 0 < sum(r.needs_housing for r in requests) < len(requests) / 2
    statuses = Counter(r.status for r in requests)
    assert statuses[RequestStatus.ACTIVE] > 0.8 * len(requests)


def test_suggestions_are_computed_and_some_pairs_approved(scaled) -> None:
    session, counts, _ = scaled
    assert counts["suggestions"] == _count(session, Suggestion) > REQUESTS
    approved = session.scalars(
        select(Suggestion).where(Suggestion.status == SuggestionStatus.APPROVED)
    ).all()
    assert counts["pairs"] == len(approved) == REQUESTS // 100
    assert len({s.request_id for s in approved}) == len(approved)
    assert all(s.status_changed_by.role is Role.COORDINATOR for s in approved)


def test_it_is_deterministic(scaled) -> None:
    session, _, first = scaled
    assert _dump(session) == first


def test_it_loads_only_into_a_database_without_employers(scaled) -> None:
    session, _, _ = scaled
    before = _count(session, Candidate)
    assert load_scaled_demo(session, offers=10, requests=10, today=TODAY) == dict.fromkeys(
        demo.DEMO_COUNTS_KEYS, 0
    )
    assert _count(session, Candidate) == before


@pytest.mark.parametrize(
    "text",
    ["", "offers=", "offers=-3", "offres=10", "offers=10;requests=3", "offers=0", "offers=2000000"],
)
def test_parse_scale_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_scale(text)


def test_parse_scale_reads_either_side() -> None:
    assert parse_scale(" requests=50 ") == {"offers": 0, "requests": 50}


def test_demo_command_takes_a_scale(tmp_path: Path) -> None:
    # Its own SQLite file: the module's load above holds the test database's write lock.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
            "MAIL_DIR": str(tmp_path / "mail"),
        }
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    bad = runner.invoke(args=["demo", "--scale", "offres=10"])
    assert bad.exit_code != 0 and "offers=10000,requests=50000" in bad.output
    result = runner.invoke(args=["demo", "--scale", "offers=9,requests=20", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "offres : 9" in result.output and "demandes : 20" in result.output
    again = runner.invoke(args=["demo", "--scale", "offers=9,requests=20"])
    assert again.exit_code == 0 and "rien n'a été ajouté" in again.output
    state(app).engine.dispose()
