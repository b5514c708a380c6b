"""The read layer (``data.queries``): who sees what, one page arithmetic, one distance, one rule."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import operations as ops
from data import queries
from data.actor import Actor
from data.models import Commune, Offer, SuggestionStatus
from data.operations._common import local_today
from data.queries import COORDINATOR, PUBLIC, Audience, OfferSearch
from jobs.summary import weekly_figures
from matching import distance_km
from tests.data import factories as f


def test_each_audience_reads_its_own_offers(session: Session) -> None:
    mine = f.make_employer(session)
    other = f.make_employer(session)
    published = f.make_offer(session, f.make_site(session, mine))
    draft = f.make_offer(session, f.make_site(session, mine), publish=False)
    theirs = f.make_offer(session, f.make_site(session, other))
    employer = Audience.employer(mine.id)
    candidate = Audience.candidate(f.make_candidate(session).id)

    def listed(audience: Audience) -> set[int]:
        page = queries.offer_page(session, audience, 1, 100)
        return {hit.offer.id for hit in page.items}

    assert listed(employer) == {published.id, draft.id}
    assert {published.id, theirs.id} <= listed(PUBLIC) == listed(candidate)
    assert draft.id not in listed(PUBLIC)
    assert {published.id, draft.id, theirs.id} <= listed(COORDINATOR)
    assert queries.find_offer(session, employer, theirs.id) is None
    assert queries.find_offer(session, PUBLIC, draft.id) is None
    assert queries.find_offer(session, COORDINATOR, draft.id) is draft


def test_requests_and_pairs_are_read_by_their_candidate_and_coordinators(
    session: Session,
) -> None:
    request = f.make_request(session)
    other = f.make_request(session)
    offer = f.make_offer(session)
    approved = f.make_suggestion(session, request, offer, status=SuggestionStatus.APPROVED)
    hidden = f.make_suggestion(session, other, offer)
    candidate = Audience.candidate(request.candidate_id)
    employer = Audience.employer(offer.site.employer_id)
    assert queries.find_request(session, candidate, request.id) is request
    assert queries.find_request(session, candidate, other.id) is None
    assert queries.find_request(session, employer, request.id) is None
    assert queries.find_request(session, PUBLIC, request.id) is None
    assert queries.find_request(session, COORDINATOR, other.id) is other
    # The review rule ("approval") shows the parties approved pairs only.
    assert queries.find_suggestion(session, candidate, approved.id) is approved
    assert queries.visible_suggestions(session, employer, offer_id=offer.id) == [approved]
    assert queries.find_suggestion(session, employer, hidden.id) is None
    assert queries.find_suggestion(session, PUBLIC, approved.id) is None
    assert set(queries.visible_suggestions(session, COORDINATOR, offer_id=offer.id)) == {
        approved,
        hidden,
    }


def test_pages_clamp_and_the_api_does_not(session: Session) -> None:
    employer = f.make_employer(session)
    site = f.make_site(session, employer)
    offers = [f.make_offer(session, site) for _ in range(5)]
    audience = Audience.employer(employer.id)
    ids = [o.id for o in offers]
    last = queries.offer_page(session, audience, 9, 2, order=queries.BY_ID)
    assert (last.number, last.total, last.pages) == (3, 5, 3)
    assert [h.offer.id for h in last.items] == ids[4:]
    past = queries.offer_page(session, audience, 9, 2, order=queries.BY_ID, clamp=False)
    assert (past.number, past.total, past.pages, past.items) == (9, 5, 3, [])
    empty: queries.Page[int] = queries.paginate_list([], 4, 10)
    assert (empty.number, empty.total, empty.pages, empty.items) == (1, 0, 0, [])


def test_pages_api_and_manual_pairs_measure_one_distance(session: Session) -> None:
    request = f.make_request(session, commune_insee=f.BOURG)
    offer = f.make_offer(session, f.make_site(session, commune_insee=f.OYONNAX))
    home = request.commune
    place = session.get(Commune, f.OYONNAX)
    assert place is not None
    engine_km = float(distance_km(home.latitude, home.longitude, place.latitude, place.longitude))
    search = OfferSearch(near=home, max_km=engine_km)
    hits = [h for h in queries.offer_hits(session, PUBLIC, search) if h.offer.id == offer.id]
    assert [h.distance_km for h in hits] == [engine_km]
    page = queries.offer_page(session, PUBLIC, 1, 100, search)
    assert [h.distance_km for h in page.items if h.offer.id == offer.id] == [engine_km]
    # Just short of the engine's distance, the offer is out of reach: the radius is that distance.
    shorter = OfferSearch(near=home, max_km=engine_km - 1e-9)
    assert offer.id not in {h.offer.id for h in queries.offer_hits(session, PUBLIC, shorter)}
    pair = ops.create_manual_pair(session, request, offer, Actor.user(f.make_user(session)))
    assert pair.distance_km == round(engine_km, 1)


def test_the_summary_and_the_dashboard_count_one_review_queue(session: Session) -> None:
    """An offer whose places are all filled leaves the queue everywhere (the job counted it)."""
    open_offer = f.make_offer(session)
    full = f.make_offer(session, places=2)
    f.make_suggestion(session, f.make_request(session), open_offer)
    f.make_suggestion(session, f.make_request(session), full)
    # Still published, no place left: what a direct change of the count leaves behind.
    session.execute(
        Offer.__table__.update().where(Offer.id == full.id).values(places_filled=2)  # type: ignore[attr-defined]
    )
    session.expire_all()
    assert session.scalar(select(Offer.status).where(Offer.id == full.id)) == "published"
    queue = queries.review_queue(session, 1, 50)
    assert [s.offer_id for s in queue.items] == [open_offer.id]
    assert queue.total == queries.review_count(session) == 1
    assert queries.dashboard(session).to_review == 1
    assert weekly_figures(session, datetime.now(UTC))["review_queue"] == 1


def test_the_dashboard_counts_every_signed_contract_and_the_broken_ones(session: Session) -> None:
    """Signed, broken since, signed then undone, abandoned: the figures count what holds now,
    one query on both engines; the priority figures leave other métiers out."""
    me = Actor.user(f.make_user(session))
    S = SuggestionStatus

    def signed(**offer: object):
        pair = f.make_suggestion(session, f.make_request(session), f.make_offer(session, **offer))
        pair.status = S.INTERVIEW
        session.flush()
        return ops.mark_contract_signed(session, pair, me)

    signed()
    broken = signed()
    ops.break_contract(session, broken, me, local_today(), "Démission")
    undone = signed()
    ops.undo_last_stage(session, undone, me)
    assert undone.status == S.INTERVIEW
    f.make_suggestion(session, f.make_request(session), f.make_offer(session), status=S.ABANDONED)
    other = signed(metier_code="auxiliaire-de-puericulture")
    ops.break_contract(session, other, me, local_today(), "Démission")

    assert queries.contract_counts(session) == (3, 2)
    every = queries.dashboard(session)
    assert (every.contracts_signed, every.contracts_broken) == (3, 2)
    plan = queries.dashboard(session, priority_only=True)
    assert (plan.contracts_signed, plan.contracts_broken) == (2, 1)
