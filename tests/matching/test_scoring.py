"""Criteria, scores and exclusions of one pair, with their French reasons; distances."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from geopy.distance import geodesic

from matching import (
    Exclusion,
    Match,
    MetierReferential,
    Params,
    combine,
    distance_km,
    distance_score,
    housing_score,
    metier_score,
    score_pair,
)

from .conftest import ROOT, at, offer, request

BOURG, OYONNAX, AMBERIEU, GEX = at("01053"), at("01283"), at("01004"), at("01173")


def test_metier_score(ref: MetierReferential) -> None:
    assert metier_score(("aide-soignant",), "aide-soignant", ref) == 1.0
    assert metier_score(("aide-soignant",), "accompagnant-educatif-social", ref) == 0.5
    assert metier_score(("aide-soignant",), "educateur-specialise", ref) == 0.0
    p = Params(related_metier_score=0.7)
    assert metier_score(("moniteur-educateur",), "educateur-specialise", ref, p) == 0.7


def test_distance_score_decays_linearly_to_the_limit() -> None:
    d = np.array([0.0, 15.0, 30.0])
    assert distance_score(d, 30.0).tolist() == [1.0, 0.625, 0.25]
    p = Params(distance_score_at_limit=0.0)
    assert float(distance_score(30.0, 30.0, p)) == 0.0
    # Relocation: never below the relocation score, even far away.
    assert float(distance_score(300.0, 30.0, relocation=True)) == 0.5
    assert float(distance_score(3.0, 30.0, relocation=True)) == pytest.approx(0.925)


def test_housing_score() -> None:
    assert housing_score(np.array([True, True, False]), np.array([0, 1, 0])).tolist() == [
        0.1,
        1.0,
        1.0,
    ]
    assert float(housing_score(True, 0, Params(no_housing_score=0.3))) == 0.3


def test_combine_is_the_weighted_mean() -> None:
    p = Params(weight_metier=2, weight_distance=1, weight_housing=1)
    assert float(combine(1.0, 0.5, 0.0, p)) == pytest.approx((2 + 0.5) / 4)


def test_same_metier_next_door_scores_one(ref: MetierReferential) -> None:
    m = score_pair(request("r", "aide-soignant", *BOURG), offer("o", "aide-soignant", *BOURG), ref)
    assert isinstance(m, Match)
    assert m.score == pytest.approx(1.0)
    assert m.reasons == ("Même métier : aide-soignant", "À moins de 1 km de votre commune")
    assert m.criteria["housing"].reason == "Logement non demandé"
    assert sum(c.weight * c.score for c in m.criteria.values()) == pytest.approx(m.score)


def test_related_metier_and_distance_reasons(ref: MetierReferential) -> None:
    r = request("r", "aide-soignant", *BOURG, max_km=40, needs_housing=True)
    o = offer("o", "accompagnant-educatif-social", *AMBERIEU, housing_beds=1)
    m = score_pair(r, o, ref)
    assert isinstance(m, Match)
    km = geodesic(BOURG, AMBERIEU).km
    assert m.distance_km == pytest.approx(km, rel=1e-4)
    assert m.reasons == (
        "Métier proche : accompagnant éducatif et social",
        f"À {round(km)} km de votre commune",
        "Logement proposé sur place (1 place)",
    )
    s_d = 1 - 0.75 * m.distance_km / 40
    assert m.criteria["distance"].score == pytest.approx(s_d)
    assert m.score == pytest.approx(0.5 * 0.5 + 0.35 * s_d + 0.15 * 1.0)
    two = score_pair(r, offer("o", "aide-soignant", *AMBERIEU, housing_beds=2), ref)
    assert isinstance(two, Match)
    assert two.reasons[-1] == "Logement proposé sur place (2 places)"
    none = score_pair(r, offer("o", "aide-soignant", *AMBERIEU), ref)
    assert isinstance(none, Match)
    assert none.reasons[-1] == "Pas de logement proposé"
    assert none.criteria["housing"].score == 0.1


@pytest.mark.parametrize(
    ("req_kw", "off_kw", "reason", "message"),
    [
        ({}, {"metier": "educateur-specialise"}, "metier", "Métier différent"),
        ({}, {"places": 0}, "places", "Plus de place"),
        ({"max_km": 20}, {"at": OYONNAX}, "distance", "Trop loin (32 km pour 20 km maximum)"),
        ({}, {"licence_required": True}, "licence", "Permis B exigé"),
        (
            {"available_from": date(2026, 11, 2)},
            {"start": date(2026, 9, 1)},
            "date",
            "Disponible trop tard (après le 1er septembre 2026)",
        ),
        (
            {"metiers": ("educateur-specialise",), "diploma_level": 3},
            {"metier": "educateur-specialise"},
            "diploma",
            "Niveau bac requis pour cette formation",
        ),
    ],
)
def test_each_hard_constraint_excludes_with_its_reason(
    ref: MetierReferential, req_kw: dict, off_kw: dict, reason: str, message: str
) -> None:
    metiers = req_kw.pop("metiers", ("aide-soignant",))
    r = request("r", metiers, *BOURG, **{"max_km": 30, **req_kw})
    where = off_kw.pop("at", BOURG)
    o = offer("o", off_kw.pop("metier", "aide-soignant"), *where, **off_kw)
    e = score_pair(r, o, ref)
    assert isinstance(e, Exclusion)
    assert e.reasons == (reason,)
    assert e.messages == (message,)


def test_an_exclusion_lists_every_failing_constraint(ref: MetierReferential) -> None:
    r = request("r", "aide-soignant", *BOURG, max_km=10)
    o = offer("o", "aide-soignant", *GEX, places=0, licence_required=True)
    e = score_pair(r, o, ref)
    assert isinstance(e, Exclusion)
    assert e.reasons == ("places", "distance", "licence")
    assert e.messages[1].startswith("Trop loin (") and e.messages[1].endswith("10 km maximum)")


def test_start_tolerance(ref: MetierReferential) -> None:
    o = offer("o", "aide-soignant", *BOURG, start=date(2026, 9, 1))
    late = request("r", "aide-soignant", *BOURG, available_from=date(2026, 10, 1))
    assert isinstance(score_pair(late, o, ref), Match)  # 30 days: still fine
    later = request("r", "aide-soignant", *BOURG, available_from=date(2026, 10, 2))
    assert isinstance(score_pair(later, o, ref), Exclusion)
    assert isinstance(score_pair(later, o, ref, Params(start_tolerance_days=60)), Match)


def test_relocation_lifts_the_distance_limit(ref: MetierReferential) -> None:
    r = request("r", "aide-soignant", *BOURG, max_km=20, accepts_relocation=True)
    far_housed = offer("o", "aide-soignant", *GEX, housing_beds=1)
    m = score_pair(r, far_housed, ref)
    assert isinstance(m, Match)
    assert m.criteria["distance"].score == 0.5
    assert m.reasons[1].endswith("km de votre commune, logement sur place")
    far_unhoused = offer("o", "aide-soignant", *GEX)
    assert isinstance(score_pair(r, far_unhoused, ref), Exclusion)


def test_housing_may_be_a_hard_constraint(ref: MetierReferential) -> None:
    r = request("r", "aide-soignant", *BOURG, needs_housing=True)
    o = offer("o", "aide-soignant", *BOURG)
    p = Params(exclude_without_housing=True)
    e = score_pair(r, o, ref, p)
    assert isinstance(e, Exclusion) and e.messages == ("Pas de logement proposé",)


def _ain_communes() -> list[tuple[float, float]]:
    path = ROOT / "data" / "reference" / "communes.csv"
    with Path(path).open(encoding="utf-8") as f:
        return [
            (float(r["latitude"]), float(r["longitude"]))
            for r in csv.DictReader(f)
            if r["departement"] == "01"
        ]


def test_vectorised_distance_within_half_a_percent_of_geopy_on_ain_distances() -> None:
    points = _ain_communes()
    assert len(points) > 300
    rng = np.random.default_rng(1)
    a = np.array(points)[rng.integers(0, len(points), 400)]
    b = np.array(points)[rng.integers(0, len(points), 400)]
    ours = distance_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    ref = np.array([geodesic(tuple(p), tuple(q)).km for p, q in zip(a, b, strict=True)])
    far = ref > 0.5
    assert far.sum() > 350
    assert np.max(np.abs(ours[far] - ref[far]) / ref[far]) < 0.005
    assert np.max(np.abs(ours - ref)) < 0.01  # km, also for the nearest pairs


def test_vectorised_distance_stays_close_at_national_range() -> None:
    paris, marseille, brest = (48.8566, 2.3522), (43.2965, 5.3698), (48.3904, -4.4861)
    for p, q in ((paris, marseille), (paris, brest), (marseille, brest)):
        assert float(distance_km(*p, *q)) == pytest.approx(geodesic(p, q).km, rel=1e-4)
