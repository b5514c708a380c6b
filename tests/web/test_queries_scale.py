"""Queries changed after the load benchmark give the same answers as the plain way.

* The offer search by distance asks the database only for offers whose commune lies in a
  latitude/longitude box around the chosen commune, then measures the engine's distance (the
  search loaded every published offer): checked against the engine's distance to every offer.
* Long lists fetch a page's ids first, then those rows with their eager loads
  (``queries.page_rows``): checked against a plain LIMIT/OFFSET on every page.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import queries
from data.models import Commune, Offer, Suggestion
from data.queries import suggestions as suggestion_queries
from matching import distance_km
from tests.data import factories as f

METIERS = ("aide-soignant", "educateur-specialise")


def _spread_offers(session: Session) -> list[Offer]:
    """Offers at 60 communes drawn across the Ain and around (fixed seed), two métiers."""
    communes = list(
        session.scalars(
            select(Commune)
            .where(Commune.departement.in_(("01", "38", "39", "69", "71", "73", "74")))
            .order_by(Commune.insee)
        )
    )
    rng = random.Random(11)
    employer = f.make_employer(session)
    offers = []
    for k, commune in enumerate(rng.sample(communes, 60)):
        site = f.make_site(session, employer, commune_insee=commune.insee)
        offers.append(f.make_offer(session, site, metier_code=METIERS[k % 2]))
    return offers


def test_search_by_distance_finds_exactly_the_offers_within_reach(session: Session) -> None:
    offers = _spread_offers(session)
    origins = [session.get(Commune, code) for code in ("01053", "01173", "74010", "39300")]
    for origin in origins:
        assert origin is not None
        for km in (5, 20, 30, 50, 80, 200):
            expected = sorted((d, o.id) for o in offers if (d := _km(origin, o)) <= km)
            search = queries.OfferSearch(near=origin, max_km=km)
            hits = queries.offer_hits(session, queries.PUBLIC, search)
            assert [(h.distance_km, h.offer.id) for h in hits] == expected, (origin.name, km)
            paged = []
            for number in range(1, max(1, -(-len(expected) // 7)) + 1):
                page = queries.offer_page(session, queries.PUBLIC, number, 7, search)
                assert page.total == len(expected)
                paged += [(h.distance_km, h.offer.id) for h in page.items]
            assert paged == expected, (origin.name, km)


def test_nearest_offer_is_the_nearest_of_its_metiers_wherever_it_is(session: Session) -> None:
    offers = _spread_offers(session)
    for insee in ("01053", "73065", "69123"):
        request = f.make_request(
            session, metiers=["éducateur spécialisé"], commune_insee=insee, max_distance_km=5
        )
        origin = request.commune
        best = min((_km(origin, o), o.id) for o in offers if o.metier_code == METIERS[1])
        hit = queries.nearest_offer_beyond(session, request)
        assert hit is not None and (hit.distance_km, hit.offer.id) == best
        session.delete(request.candidate)
        session.flush()


def _km(origin: Commune, offer: Offer) -> float:
    c = offer.site.commune
    return float(distance_km(origin.latitude, origin.longitude, c.latitude, c.longitude))


def test_page_rows_gives_the_pages_of_a_plain_limit_and_offset(session: Session) -> None:
    offers = _spread_offers(session)
    for k, offer in enumerate(offers[:12]):
        request = f.make_request(session, commune_insee=offer.site.commune_insee)
        for other in offers[k : k + 4]:
            # Scores with ties, so that the order's tie-break (the id) decides too.
            f.make_suggestion(session, request, other, score=round(0.5 + (k % 3) / 10, 1))
    stmt = queries.suggestion_query(session, queries.COORDINATOR).order_by(
        Suggestion.score.desc(), Suggestion.id
    )
    every = list(session.scalars(stmt).unique())
    assert len(every) == 48
    for offset in range(0, 50, 7):
        rows = queries.page_rows(session, stmt, 7, offset)
        assert rows == every[offset : offset + 7]
        assert all(r.offer.site.commune is not None for r in rows)
    assert queries.page_rows(session, stmt, 7, 48) == []
    # Not a whole entity: the plain way.
    ids = select(Suggestion.id).order_by(Suggestion.id)
    assert queries.page_rows(session, ids, 5, 3) == list(session.scalars(ids.limit(5).offset(3)))


def test_review_queue_counted_up_to_its_cap_says_there_are_more(
    session: Session, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Past the cap, the queue is not counted to the end: the page says « plus de N »."""
    offer = f.make_offer(session)
    for _ in range(5):
        f.make_suggestion(session, f.make_request(session), offer, score=0.7)
    whole = queries.review_queue(session, 1, 2)
    assert (whole.total, whole.more, whole.pages) == (5, False, 3)
    monkeypatch.setattr(suggestion_queries, "REVIEW_COUNT_CAP", 3)
    capped = queries.review_queue(session, 1, 2)
    assert (capped.total, capped.more, capped.pages) == (3, True, 2)
    assert [s.id for s in capped.items] == [s.id for s in whole.items]
    monkeypatch.setattr(suggestion_queries, "REVIEW_COUNT_CAP", 5)
    exact = queries.review_queue(session, 1, 2)
    assert (exact.total, exact.more) == (5, False)
