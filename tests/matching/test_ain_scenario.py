"""A small Ain intake, worked by hand: the rankings a coordinator would agree with.

Seven offers and six candidates in real communes of the Ain. The expected lists below were
checked one by one: same métier before related métier, nearer before farther, housing counted
for those who need it, and every exclusion with the reason a candidate would be told.
"""

from __future__ import annotations

from datetime import date

import pytest

from matching import Exclusion, MetierReferential, allocate, score_pair, suggest

from .conftest import at, offer, request

BOURG, OYONNAX, AMBERIEU = at("01053"), at("01283"), at("01004")
BELLEY, GEX, VALSERHONE = at("01034"), at("01173"), at("01033")

OFFERS = [
    offer("ehpad-bourg", "aide-soignant", *BOURG, places=2),
    offer("ime-amberieu", "accompagnant-educatif-social", *AMBERIEU, housing_beds=1),
    offer("ehpad-oyonnax", "aide-soignant", *OYONNAX),
    offer("mecs-gex", "educateur-specialise", *GEX, housing_beds=2, start=date(2026, 9, 1)),
    offer("saad-belley", "assistant-de-vie-aux-familles", *BELLEY, licence_required=True),
    offer("foyer-valserhone", "moniteur-educateur", *VALSERHONE),
    offer("creche-bourg", "educateur-jeunes-enfants", *BOURG, places=0),
]
REQUESTS = [
    request("lea", "aide-soignant", *BOURG, max_km=30),
    request("sam", "accompagnant-educatif-social", *AMBERIEU, max_km=40, needs_housing=True),
    request(
        "ines",
        ("educateur-specialise", "moniteur-educateur"),
        *OYONNAX,
        max_km=50,
        diploma_level=4,
        has_licence=True,
    ),
    request("tom", "assistant-de-vie-aux-familles", *BELLEY, max_km=30),
    request("nina", "educateur-jeunes-enfants", *BOURG, max_km=30, diploma_level=3),
    request(
        "hugo",
        "aide-soignant",
        *OYONNAX,
        max_km=20,
        accepts_relocation=True,
        available_from=date(2026, 9, 15),
    ),
]


@pytest.fixture(scope="module")
def result(ref: MetierReferential):  # type: ignore[no-untyped-def]
    return suggest(REQUESTS, OFFERS, ref, top_k=5)


def ranking(matches) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(m.offer_id, round(m.score, 4)) for m in matches]


def test_offers_of_each_candidate(result) -> None:  # type: ignore[no-untyped-def]
    by = result.by_request
    # Léa, aide-soignante in Bourg: the EHPAD next door, then the related IME 29 km away.
    assert ranking(by["lea"]) == [("ehpad-bourg", 1.0), ("ime-amberieu", 0.4977)]
    assert by["lea"][1].reasons == (
        "Métier proche : accompagnant éducatif et social",
        "À 29 km de votre commune",
    )
    # Sam needs housing: the IME with a bed first; the others have none and say so.
    assert ranking(by["sam"]) == [
        ("ime-amberieu", 1.0),
        ("ehpad-bourg", 0.4258),
        ("foyer-valserhone", 0.3689),
        ("ehpad-oyonnax", 0.354),
    ]
    assert by["sam"][0].reasons[-1] == "Logement proposé sur place (1 place)"
    assert by["sam"][1].reasons[-1] == "Pas de logement proposé"
    # Inès (ES or ME, bac): the nearer ME post before the ES post in Gex, then a related one.
    assert ranking(by["ines"]) == [
        ("foyer-valserhone", 0.901),
        ("mecs-gex", 0.833),
        ("ime-amberieu", 0.5412),
    ]
    assert by["ines"][0].reasons == ("Même métier : moniteur éducateur", "À 19 km de votre commune")
    # Hugo accepts to move: a housed offer beyond his 20 km still counts.
    assert ranking(by["hugo"]) == [("ehpad-oyonnax", 1.0), ("ime-amberieu", 0.575)]
    assert by["hugo"][1].reasons[1] == "À 40 km de votre commune, logement sur place"
    assert by["tom"] == [] and by["nina"] == []


def test_candidates_of_each_offer(result) -> None:  # type: ignore[no-untyped-def]
    by = result.by_offer
    ids = {o: [m.request_id for m in ms] for o, ms in by.items()}
    assert ids == {
        "creche-bourg": [],
        "ehpad-bourg": ["lea", "sam"],
        "ehpad-oyonnax": ["hugo", "sam"],
        "foyer-valserhone": ["ines", "sam"],
        "ime-amberieu": ["sam", "hugo", "ines", "lea"],
        "mecs-gex": ["ines"],
        "saad-belley": [],
    }


def test_exclusions_and_widening(result, ref: MetierReferential) -> None:  # type: ignore[no-untyped-def]
    assert dict(result.excluded.counts) == {
        "metier": 23,
        "places": 2,
        "distance": 4,
        "diploma": 0,
        "licence": 2,
        "date": 0,
        "housing": 0,
    }
    assert result.excluded.total + 11 == len(REQUESTS) * len(OFFERS)  # 11 matches above
    # Tom (no licence) has nothing within 30 km; at 50 km the related IME of Ambérieu.
    # Nina (EJE, CAP level) has nothing anywhere: the crèche is full, ES needs the bac.
    assert dict(result.widening) == {"nina": None, "tom": 50.0}
    tom, belley = REQUESTS[3], OFFERS[4]
    e = score_pair(tom, belley, ref)
    assert isinstance(e, Exclusion) and e.messages == ("Permis B exigé",)
    nina, gex = REQUESTS[4], OFFERS[3]
    e = score_pair(nina, gex, ref)
    assert isinstance(e, Exclusion)
    assert e.messages[-1] == "Niveau bac requis pour cette formation"


def test_allocation_of_the_intake(ref: MetierReferential) -> None:
    # Two more aides-soignantes in Bourg: three candidates for the EHPAD's two places.
    extra = [
        request("emma", "aide-soignant", *BOURG, max_km=30),
        request("lucas", "aide-soignant", *BOURG, max_km=30),
    ]
    a = allocate(REQUESTS + extra, OFFERS, ref)
    placed = {x.request_id: (x.offer_id, x.rank) for x in a.assignments}
    assert placed == {
        "emma": ("ehpad-bourg", 1),
        "hugo": ("ehpad-oyonnax", 1),
        "ines": ("foyer-valserhone", 1),
        "lea": ("ehpad-bourg", 1),
        "sam": ("ime-amberieu", 1),
    }
    left = {u.request_id: u for u in a.unassigned}
    assert set(left) == {"lucas", "nina", "tom"}
    # Same score as Emma and Léa: ties go by id. Then the IME is Sam's.
    assert left["lucas"].lost_to == ("emma", "lea", "sam")
    assert left["lucas"].reason == (
        "Ses 2 offres compatibles sont attribuées à des candidatures mieux classées"
    )
    assert left["nina"].reason == "Aucune offre compatible"
    assert left["tom"].reason.startswith("Aucune offre compatible à moins de 30 km")
    assert a.assignments[0].reasons[-1] == "1er choix parmi les offres compatibles"
