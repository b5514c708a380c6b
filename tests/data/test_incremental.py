"""data.incremental: one changed offer or request updates only what it touches, and any sequence
of such updates ends where a full recomputation would (property test), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import SYSTEM
from data.errors import DataError
from data.incremental import rematch_changed
from data.models import (
    Offer,
    OfferStatus,
    RequestMetier,
    RequestStatus,
    Suggestion,
    SuggestionStatus,
    utcnow,
)
from data.recompute import DECIDED_COLUMNS, recompute_suggestions
from tests.data.test_recompute import offer, request

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TOP_K = 2  # short lists: offers and requests push each other out of them
#: Bourg-en-Bresse, Ambérieu, Oyonnax, Gex, Belley, Trévoux, Nantua: 15 to 100 km apart.
COMMUNES = ("01053", "01004", "01283", "01173", "01034", "01427", "01269")
METIERS = (
    "aide-soignant",
    "accompagnant-educatif-social",
    "assistant-de-vie-aux-familles",
    "moniteur-educateur",
)
OFFER_STATUSES = (OfferStatus.PUBLISHED, OfferStatus.PUBLISHED, OfferStatus.CLOSED)
REQUEST_STATUSES = (RequestStatus.ACTIVE, RequestStatus.ACTIVE, RequestStatus.PAUSED)


def state(session: Session) -> dict[tuple[int, int], tuple[Any, ...]]:
    session.expire_all()
    return {
        (s.request_id, s.offer_id): tuple(getattr(s, f) for f in DECIDED_COLUMNS)
        for s in session.scalars(select(Suggestion))
    }


offer_changes = st.one_of(
    st.tuples(st.just("site"), st.sampled_from(COMMUNES)),
    st.tuples(st.just("metier_code"), st.sampled_from(METIERS)),
    st.tuples(st.just("status"), st.sampled_from(OFFER_STATUSES)),
    st.tuples(st.just("places_filled"), st.integers(0, 1)),
    st.tuples(st.just("housing_beds"), st.integers(0, 1)),
    st.tuples(st.just("licence_required"), st.booleans()),
)
request_changes = st.one_of(
    st.tuples(st.just("commune_insee"), st.sampled_from(COMMUNES)),
    st.tuples(st.just("max_distance_km"), st.sampled_from((5, 20, 40, 80))),
    st.tuples(st.just("status"), st.sampled_from(REQUEST_STATUSES)),
    st.tuples(st.just("metiers"), st.lists(st.sampled_from(METIERS), min_size=1, max_size=2)),
    st.tuples(st.just("accepts_relocation"), st.booleans()),
    st.tuples(st.just("needs_housing"), st.booleans()),
    st.tuples(st.just("has_licence"), st.booleans()),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("offer"), st.integers(0, 99), offer_changes),
        st.tuples(st.just("request"), st.integers(0, 99), request_changes),
        st.tuples(st.just("new offer"), st.sampled_from(COMMUNES), st.sampled_from(METIERS)),
        st.tuples(st.just("new request"), st.sampled_from(COMMUNES), st.sampled_from(METIERS)),
        st.tuples(
            st.just("decide"),
            st.integers(0, 999),
            st.sampled_from((SuggestionStatus.APPROVED, SuggestionStatus.REJECTED)),
        ),
    ),
    min_size=1,
    max_size=12,
)


def build_world(session: Session, seed: int) -> tuple[list[Offer], list[Any]]:
    offers = [
        offer(
            session,
            COMMUNES[(seed + i) % len(COMMUNES)],
            METIERS[(seed * 3 + i) % len(METIERS)],
            places=2,
            housing_beds=int(i % 3 == 0),
        )
        for i in range(7)
    ]
    requests = [
        request(
            session,
            COMMUNES[(seed * 5 + 2 * i) % len(COMMUNES)],
            METIERS[(seed + i) % len(METIERS)],
            max_distance_km=(20, 40, 80)[i % 3],
            accepts_relocation=i % 4 == 0,
            needs_housing=i % 5 == 0,
        )
        for i in range(9)
    ]
    session.flush()
    return offers, requests


def apply_step(session: Session, step: tuple[Any, ...], offers: list, requests: list) -> None:
    kind = step[0]
    if kind == "offer":
        o = offers[step[1] % len(offers)]
        field, value = step[2]
        if field == "site":
            o.site.commune_insee = value
            o.updated_at = NOW  # the site's commune moves the offer
        else:
            setattr(o, field, value)
        session.flush()
        rematch_changed(session, offers=[o.id], top_k=TOP_K, now=NOW)
    elif kind == "request":
        r = requests[step[1] % len(requests)]
        field, value = step[2]
        if field == "metiers":
            r.metiers.clear()
            session.flush()
            r.metiers = [
                RequestMetier(position=i, text=code, metier_code=code)
                for i, code in enumerate(dict.fromkeys(value))
            ]
            r.updated_at = utcnow()  # as data.operations.requests does: the métiers moved
        else:
            setattr(r, field, value)
        session.flush()
        rematch_changed(session, requests=[r.id], top_k=TOP_K, now=NOW)
    elif kind == "new offer":
        o = offer(session, step[1], step[2], places=1)
        offers.append(o)
        session.flush()
        rematch_changed(session, offers=[o.id], top_k=TOP_K, now=NOW)
    elif kind == "new request":
        r = request(session, step[1], step[2], max_distance_km=40)
        requests.append(r)
        session.flush()
        rematch_changed(session, requests=[r.id], top_k=TOP_K, now=NOW)
    else:  # the coordination decides on a pair: nothing the engine reads changes
        rows = session.scalars(select(Suggestion).order_by(Suggestion.id)).all()
        if rows:
            pair = rows[step[1] % len(rows)]
            try:
                with session.begin_nested():
                    if step[2] == SuggestionStatus.APPROVED:
                        ops.approve_suggestion(session, pair, SYSTEM, now=NOW)
                    else:
                        ops.reject_suggestion(session, pair, SYSTEM, "Trop loin.", now=NOW)
            except DataError:
                pass  # not a move the coordination may make on this pair now


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 6), sequence=steps)
def test_incremental_updates_end_where_a_full_recomputation_does(
    session: Session, seed: int, sequence: list[tuple[Any, ...]]
) -> None:
    savepoint = session.begin_nested()
    try:
        offers, requests = build_world(session, seed)
        recompute_suggestions(session, now=NOW, top_k=TOP_K)
        for step in sequence:
            apply_step(session, step, offers, requests)
        incremental = state(session)
        recompute_suggestions(session, now=NOW, top_k=TOP_K)
        assert incremental == state(session)
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("top_k", [1, 3])
def test_a_new_offer_enters_the_lists_it_beats_and_pushes_out_the_last(
    session: Session, top_k: int
) -> None:
    offers, requests = build_world(session, 1)
    recompute_suggestions(session, now=NOW, top_k=top_k)
    before = state(session)
    new = offer(session, "01053", "aide-soignant", places=3)
    session.flush()
    report = rematch_changed(session, offers=[new.id], top_k=top_k, now=NOW)
    after = state(session)
    assert report.offers == 1 and report.created >= 1
    assert {k for k in after if k[1] == new.id}  # it has suggestions at once
    recompute_suggestions(session, now=NOW, top_k=top_k)
    assert after == state(session)
    assert before != after
