"""Housing resources (issue 17): beds near the offers, graded per pair, shared by the allocation.

Worked examples first (the issue's), then the engine against brute force on random instances:
:func:`matching.suggest` against :func:`matching.score_pair` pair by pair, :func:`matching.allocate`
against its specification :func:`matching.allocation.allocate_reference` (the greedy with shared
beds), and, where beds do not bind, against deferred acceptance (the stable allocation).
"""

from __future__ import annotations

import copy
import dataclasses
import random
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    HOUSING_KIND_LABELS,
    HOUSING_KINDS,
    HousingChoice,
    HousingResource,
    InvalidInput,
    Match,
    MetierReferential,
    OfferIn,
    Params,
    Programme,
    RequestIn,
    TrainingCentre,
    allocate,
    score_pair,
    score_pairs,
    suggest,
)
from matching.allocation import allocate_reference
from matching.allocation.levels import deferred_acceptance, preference_lists
from matching.housing import Housing, cost_factor, housing_grade
from matching.tables import prepare_tables

from .conftest import AIN, assert_brute_force_lists, at, metier_records

REF = MetierReferential.from_records(metier_records())
CODES = list(REF.codes)
PLACES = [(lat, lon) for _, lat, lon in AIN.values()]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BOURG = at("01053")
# About 2 km north-east of Bourg-en-Bresse's centroid.
TILLEULS = (BOURG[0] + 0.012, BOURG[1] + 0.012)


def fjt(ident: str = "h1", beds: int = 1, where: tuple[float, float] = TILLEULS, **kw: object):  # type: ignore[no-untyped-def]
    return HousingResource(
        ident, str(kw.pop("name", "Les Tilleuls")), str(kw.pop("kind", "fjt")), *where, beds, **kw
    )  # type: ignore[arg-type]


def aide(ident: str, where: tuple[float, float], **kw: object) -> RequestIn:
    return RequestIn(ident, ("aide-soignant",), *where, 30, needs_housing=True, **kw)  # type: ignore[arg-type]


def post(ident: str, where: tuple[float, float], places: int = 1, beds: int = 0) -> OfferIn:
    return OfferIn(ident, "aide-soignant", *where, places=places, housing_beds=beds)


# --- the model -----------------------------------------------------------------------------------


def test_kinds_and_their_french_labels() -> None:
    assert HOUSING_KINDS[:2] == ("esms_room", "fjt") and set(HOUSING_KIND_LABELS) == set(
        HOUSING_KINDS
    )
    assert HOUSING_KIND_LABELS["fjt"] == "Foyer de jeunes travailleurs"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "hotel"}, "kind"),
        ({"beds": -1}, "beds"),
        ({"name": ""}, "name"),
        ({"monthly_cost_eur": -5}, "monthly_cost_eur"),
        ({"where": (91.0, 5.0)}, "lat"),
    ],
)
def test_a_bad_resource_names_its_record_and_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        fjt("h9", **kw)  # type: ignore[arg-type]
    assert e.value.record == "housing h9" and e.value.field == field


def test_duplicate_resources_are_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        suggest([aide("r1", BOURG)], [post("o1", BOURG)], REF, housing=[fjt("h1"), fjt("h1")])
    assert e.value.record == "housing h1" and e.value.field == "id"


def test_the_housing_grade() -> None:
    p = Params()
    assert housing_grade("offer", 900, p) == 1.0
    assert housing_grade("none", None, p) == p.no_housing_score
    assert housing_grade("near", 0, p) == p.housing_near_score
    assert housing_grade("near", 10_000, p) == pytest.approx(p.housing_near_score * 0.75)
    assert housing_grade("far", 400, p) < housing_grade("near", 400, p)
    assert cost_factor([-1], p)[0] == pytest.approx(0.875)
    with pytest.raises(InvalidInput) as e:
        Params(housing_near_score=1.5)
    assert e.value.field == "housing_near_score"


# --- worked examples -----------------------------------------------------------------------------


def test_the_issue_s_worked_example_one_bed_for_two() -> None:
    """Two candidates who need housing, two offers without beds, one hostel bed near both."""
    reqs = [aide("r1", BOURG), aide("r2", (BOURG[0] + 0.01, BOURG[1]))]
    offs = [post("o1", BOURG), post("o2", (BOURG[0] + 0.02, BOURG[1] + 0.01))]
    hostel = [fjt("h1", beds=1, monthly_cost_eur=380)]
    a = allocate(reqs, offs, REF, housing=hostel)
    assert [(x.request_id, x.offer_id) for x in a.assignments] == [("r1", "o1")]
    housed = a.assignments[0].match.housing
    assert housed is not None and housed.source == "resource" and housed.resource_id == "h1"
    assert a.assignments[0].match.reasons[2] == (
        "Foyer de jeunes travailleurs Les Tilleuls à 2 km de l'établissement, 380 € par mois"
    )
    (left,) = a.unassigned
    assert left.request_id == "r2" and left.obstacle == "housing"
    assert left.reason == "Aucun logement libre près des offres compatibles"
    assert left.compatible == 2 and left.to_dict()["obstacle"] == "housing"
    # Without the hostel, nobody is housed: nobody is placed, and the reason is another.
    none = allocate(reqs, offs, REF)
    assert list(none.assignments) == [] and all(u.obstacle is None for u in none.unassigned)
    assert "obstacle" not in none.unassigned[0].to_dict()
    # The reference says the same.
    ref = allocate_reference(reqs, offs, REF, housing=hostel)
    assert {r: (m.offer_id, m.housing) for r, m in ref.items()} == {"r1": ("o1", housed)}


def test_on_site_first_then_the_best_resource_near_then_none() -> None:
    r = aide("r1", BOURG)
    cheap = fjt("a-cheap", where=TILLEULS, monthly_cost_eur=200, name="Le Mail")
    dear = fjt("b-dear", where=BOURG, monthly_cost_eur=700, kind="student_residence")
    beyond = fjt("c-far", where=(BOURG[0] + 0.2, BOURG[1]), monthly_cost_eur=0)
    full = fjt("d-full", where=BOURG, beds=0, monthly_cost_eur=0)
    resources = [dear, beyond, full, cheap]
    on_site = score_pair(r, post("o1", BOURG, beds=1), REF, housing=resources)
    assert isinstance(on_site, Match) and on_site.housing == HousingChoice(
        "offer", None, None, None, 0.0, None
    )
    assert on_site.criteria["housing"].score == 1.0
    assert on_site.criteria["housing"].reason == "Logement proposé sur place (1 place)"
    near = score_pair(r, post("o1", BOURG), REF, housing=resources)
    assert isinstance(near, Match) and near.housing is not None
    # The cheaper one, though farther: the grade first, then the distance.
    assert near.housing.resource_id == "a-cheap" and near.housing.distance_km == pytest.approx(
        1.63, abs=0.05
    )
    assert near.criteria["housing"].score == pytest.approx(housing_grade("near", 200, Params()))
    assert near.to_dict()["housing"] == {
        "source": "resource",
        "resource": "a-cheap",
        "name": "Le Mail",
        "kind": "fjt",
        "distance_km": 1.6,
        "monthly_cost_eur": 200,
    }
    alone = score_pair(r, post("o1", BOURG), REF, housing=[beyond, full])
    assert isinstance(alone, Match) and alone.housing is None
    assert alone.criteria["housing"].reason == (
        "Pas de logement sur place ni à moins de 10 km de l'établissement"
    )
    assert alone.to_dict()["housing"] is None
    # A candidate who needs no housing: no source, no "housing" entry.
    calm = score_pair(
        RequestIn("r2", ("aide-soignant",), *BOURG, 30), post("o1", BOURG), REF, housing=[cheap]
    )
    assert isinstance(calm, Match) and calm.housing is None and "housing" not in calm.to_dict()


def test_ties_by_distance_then_id() -> None:
    r = aide("r1", BOURG)
    twins = [fjt("h2", where=TILLEULS), fjt("h1", where=TILLEULS), fjt("h0", where=BOURG)]
    m = score_pair(r, post("o1", BOURG), REF, housing=twins)
    assert isinstance(m, Match) and m.housing is not None and m.housing.resource_id == "h0"
    m = score_pair(r, post("o1", BOURG), REF, housing=twins[:2])
    assert isinstance(m, Match) and m.housing is not None and m.housing.resource_id == "h1"


def test_a_bed_near_the_training_centre_only_is_far() -> None:
    """Beyond the radius of the offer, a resource near the pair's centre (within the
    candidate's own radius of it) still houses the pair, graded lower."""
    oyonnax = at("01283")
    centre = TrainingCentre("ifas", "IFAS", *oyonnax, programmes=(Programme("aide-soignant"),))
    r = aide("r1", BOURG)
    o = OfferIn("o1", "aide-soignant", *BOURG, places=1, training_centre="ifas")
    internat = fjt("h1", where=oyonnax, kind="boarding", name="Internat du lycée")
    m = score_pair(r, o, REF, centres=[centre], housing=[internat])
    assert isinstance(m, Match) and m.housing is not None
    assert m.housing.resource_id == "h1" and not m.housing.near
    assert m.criteria["housing"].score == pytest.approx(housing_grade("far", None, Params()))
    assert "près du centre de formation" in m.criteria["housing"].reason
    # Without the centre, no source.
    m = score_pair(r, o, REF, housing=[internat])
    assert isinstance(m, Match) and m.housing is None
    # The allocation takes that bed too.
    a = allocate([r], [o], REF, centres=[centre], housing=[internat])
    assert [x.match.housing for x in a.assignments] == [
        HousingChoice(
            "resource", "h1", "Internat du lycée", "boarding", m_km(o, internat), None, False
        )
    ]


def m_km(o: OfferIn, h: HousingResource) -> float:
    from matching.geo import distance_km

    return float(distance_km(o.lat, o.lon, h.lat, h.lon))


def test_an_assignment_takes_the_next_bed_when_the_best_is_gone() -> None:
    """Two candidates, one offer of two places, two hostels near it: the second candidate
    gets the other hostel's bed, and her match says so (criterion and score of that bed)."""
    reqs = [aide("r1", BOURG), aide("r2", (BOURG[0] + 0.01, BOURG[1]))]
    offs = [post("o1", BOURG, places=2)]
    best = fjt("h1", where=TILLEULS, monthly_cost_eur=200)
    next_ = fjt("h2", where=TILLEULS, monthly_cost_eur=600, name="Résidence du Parc")
    a = allocate(reqs, offs, REF, housing=[best, next_])
    got = {x.request_id: x.match for x in a.assignments}
    assert got["r1"].housing is not None and got["r1"].housing.resource_id == "h1"
    assert got["r2"].housing is not None and got["r2"].housing.resource_id == "h2"
    assert got["r2"].criteria["housing"].score == pytest.approx(
        housing_grade("near", 600, Params())
    )
    assert "600 € par mois" in got["r2"].reasons[2]
    suggested = suggest(reqs, offs, REF, housing=[best, next_]).by_request["r2"][0]
    assert suggested.housing is not None and suggested.housing.resource_id == "h1"
    assert got["r2"].score < suggested.score
    ref = allocate_reference(reqs, offs, REF, housing=[best, next_])
    assert {r: m.housing for r, m in ref.items()} == {r: m.housing for r, m in got.items()}


def test_without_housing_nothing_changes_and_movers_meet_housed_offers() -> None:
    reqs = [aide("r1", BOURG, accepts_relocation=True)]
    far_off = at("01283")
    offs = [post("o1", far_off)]
    assert suggest(reqs, offs, REF).by_request["r1"] == []
    hostel = fjt("h1", where=far_off)
    (m,) = suggest(reqs, offs, REF, housing=[hostel]).by_request["r1"]
    assert m.housing is not None and m.housing.resource_id == "h1"


# --- against brute force -------------------------------------------------------------------------

place = st.one_of(
    st.sampled_from(PLACES),
    st.tuples(st.floats(45.6, 46.5), st.floats(4.8, 6.1)),
)


@st.composite
def instances(
    draw: st.DrawFn, needs: bool | None = None, movers: bool | None = None
) -> tuple[list[RequestIn], list[OfferIn], list[HousingResource]]:
    reqs = []
    for i in range(draw(st.integers(0, 12))):
        lat, lon = draw(place)
        reqs.append(
            RequestIn(
                f"r{i:02d}",
                tuple(draw(st.lists(st.sampled_from(CODES[:4]), min_size=1, max_size=2))),
                lat,
                lon,
                draw(st.sampled_from([10, 20, 45, 80])),
                needs_housing=draw(st.booleans()) if needs is None else needs,
                accepts_relocation=draw(st.booleans()) if movers is None else movers,
                diploma_level=draw(st.sampled_from([None, 3, 5])),
            )
        )
    offs = []
    for j in range(draw(st.integers(0, 10))):
        lat, lon = draw(place)
        offs.append(
            OfferIn(
                f"o{j:02d}",
                draw(st.sampled_from(CODES[:4])),
                lat,
                lon,
                places=draw(st.integers(0, 3)),
                housing_beds=draw(st.integers(0, 1)),
            )
        )
    resources = []
    for k in range(draw(st.integers(0, 6))):
        lat, lon = draw(place)
        resources.append(
            HousingResource(
                f"h{k:02d}",
                f"Logement {k}",
                draw(st.sampled_from(HOUSING_KINDS)),
                lat,
                lon,
                draw(st.integers(0, 2)),
                draw(st.sampled_from([None, 0, 250, 380, 800, 1200])),
            )
        )
    return reqs, offs, resources


@st.composite
def radius_params(draw: st.DrawFn) -> Params:
    return Params(housing_radius_km=draw(st.sampled_from([0.0, 10.0, 25.0, 60.0])))


@SETTINGS
@given(instances(), radius_params(), st.integers(1, 4))
def test_suggest_equals_brute_force(blocking: str, inst, p: Params, k: int) -> None:  # type: ignore[no-untyped-def]
    reqs, offs, resources = inst
    s = suggest(reqs, offs, REF, p, top_k=k, housing=resources)
    ids = [(r.id, o.id) for r in reqs for o in offs]
    results = score_pairs(reqs, offs, ids, REF, p, housing=resources)
    for r in reqs:
        one = [score_pair(r, o, REF, p, housing=resources) for o in offs]
        assert one == [m for m in results if m.request_id == r.id]
    assert_brute_force_lists(s, results, reqs, offs, k)


def check(reqs, offs, resources, p: Params, centres=None) -> None:  # type: ignore[no-untyped-def]
    """The allocation is the reference greedy's, within every capacity, deterministic."""
    before = copy.deepcopy((reqs, offs, resources))
    a = allocate(reqs, offs, REF, p, centres=centres, housing=resources)
    assert (reqs, offs, resources) == before  # inputs untouched
    got = {x.request_id: (x.offer_id, x.match.housing) for x in a.assignments}
    ref = allocate_reference(reqs, offs, REF, p, centres=centres, housing=resources)
    want = {r: (m.offer_id, m.housing) for r, m in ref.items()}
    assert got == want
    # Capacities: places, on-site beds, resources' beds.
    off = {o.id: o for o in offs}
    taken_places: dict[str, int] = {}
    on_site: dict[str, int] = {}
    beds: dict[str, int] = {}
    need = {r.id: r.needs_housing for r in reqs}
    for rid, (oid, housed) in got.items():
        taken_places[oid] = taken_places.get(oid, 0) + 1
        assert (housed is not None) == need[rid]
        if housed is not None and housed.source == "offer":
            on_site[oid] = on_site.get(oid, 0) + 1
        elif housed is not None:
            assert housed.resource_id is not None
            beds[housed.resource_id] = beds.get(housed.resource_id, 0) + 1
    assert all(n <= off[o].places for o, n in taken_places.items())
    assert all(n <= off[o].housing_beds for o, n in on_site.items())
    free = {h.id: h.beds for h in resources}
    assert all(n <= free[h] for h, n in beds.items())  # no resource over its beds
    # Deterministic, whatever the order of the inputs.
    rnd = random.Random(len(reqs) * 31 + len(offs))
    shuffled = [rnd.sample(x, len(x)) for x in (reqs, offs, resources)]
    again = allocate(*shuffled[:2], REF, p, centres=centres, housing=shuffled[2])
    assert a == again and list(a.unassigned) == list(again.unassigned)
    for u in a.unassigned:
        assert u.reason and (u.obstacle is None or u.compatible > 0)
    # Ranks and counts: among each request's valid offers (housed at the start, for those
    # who need housing), by score then offer id.
    strict = dataclasses.replace(p, exclude_without_housing=True)
    ids = [(r.id, o.id) for r in reqs for o in offs]
    valid = [
        m
        for m in score_pairs(reqs, offs, ids, REF, strict, centres=centres, housing=resources)
        if isinstance(m, Match)
    ]
    ranked = {
        r.id: [
            m.offer_id
            for m in sorted(valid, key=lambda m: (-m.score, m.offer_id))
            if m.request_id == r.id
        ]
        for r in reqs
    }
    assert {x.request_id: x.rank for x in a.assignments} == {
        rid: ranked[rid].index(oid) + 1 for rid, (oid, _h) in got.items()
    }
    assert {u.request_id: u.compatible for u in a.unassigned} == {
        r.id: len(ranked[r.id]) for r in reqs if r.id not in got
    }
    assert blocking_pairs(reqs, offs, resources, strict, centres, valid, got) == []


def blocking_pairs(reqs, offs, resources, p, centres, valid, got):  # type: ignore[no-untyped-def]
    """The pairs that block the allocation as :mod:`matching.allocation.shared` defines it:
    the request prefers the offer, the offer has a place free or held by a worse pair, and
    (housing needed) one of the pair's sources has a bed free or held by a worse pair."""
    from matching.geo import distance_km

    key = {(m.request_id, m.offer_id): (-m.score, m.request_id, m.offer_id) for m in valid}
    held = {rid: key[(rid, oid)] for rid, (oid, _h) in got.items()}
    off = {o.id: o for o in offs}
    req = {r.id: r for r in reqs}
    where = {c.id: (c.lat, c.lon) for c in centres or ()}
    place_holders: dict[str, list[tuple[float, str, str]]] = {}
    bed_holders: dict[str, list[tuple[float, str, str]]] = {}
    for rid, (oid, housed) in got.items():
        place_holders.setdefault(oid, []).append(held[rid])
        if housed is not None:
            spot = f"site {oid}" if housed.source == "offer" else f"res {housed.resource_id}"
            bed_holders.setdefault(spot, []).append(held[rid])
    capacity = {f"site {o.id}": o.housing_beds for o in offs}
    capacity.update({f"res {h.id}": h.beds for h in resources})

    def room(spot: str, holders: dict[str, list[tuple[float, str, str]]], k, n: int) -> bool:  # type: ignore[no-untyped-def]
        taken = holders.get(spot, [])
        return len(taken) < n or any(h > k for h in taken)

    out = []
    for m in valid:
        k = key[(m.request_id, m.offer_id)]
        lot = held.get(m.request_id)
        if lot is not None and lot[::2] <= k[::2]:  # its own offer is at least as good
            continue
        o, r = off[m.offer_id], req[m.request_id]
        if not room(o.id, place_holders, k, o.places):
            continue
        if r.needs_housing:
            spots = [f"site {o.id}"] if o.housing_beds else []
            for h in resources:
                if h.beds and distance_km(o.lat, o.lon, h.lat, h.lon) <= p.housing_radius_km:
                    spots.append(f"res {h.id}")
                elif h.beds and m.training is not None:
                    lat, lon = where[m.training.centre_id]
                    if distance_km(lat, lon, h.lat, h.lon) <= r.max_km:
                        spots.append(f"res {h.id}")
            if not any(room(x, bed_holders, k, capacity[x]) for x in spots):
                continue
        out.append((m.request_id, m.offer_id))
    return out


@SETTINGS
@given(instances(), radius_params())
def test_allocation_equals_the_reference_greedy_with_shared_beds(lists: str, inst, p) -> None:  # type: ignore[no-untyped-def]
    check(*inst, p)


@settings(SETTINGS, max_examples=20)
@given(instances(), radius_params(), st.integers(0, 2**16))
def test_allocation_with_centres_and_far_beds_equals_the_reference(lists, inst, p, seed) -> None:  # type: ignore[no-untyped-def]
    reqs, offs, resources = inst
    rnd = random.Random(seed)
    centres = [
        TrainingCentre(
            f"c{n}",
            f"Centre {n}",
            *rnd.choice(PLACES),
            programmes=tuple(Programme(c) for c in rnd.sample(CODES[:4], 2)),
        )
        for n in range(3)
    ]
    check(reqs, offs, resources, p, centres)
    s = suggest(reqs, offs, REF, p, centres=centres, housing=resources)
    for r in reqs:
        for m in s.by_request[r.id]:
            one = score_pair(
                r,
                next(o for o in offs if o.id == m.offer_id),
                REF,
                p,
                centres=centres,
                housing=resources,
            )
            assert one == m


@SETTINGS
@given(instances(needs=False, movers=False))
def test_where_beds_do_not_bind_the_greedy_is_deferred_acceptance(inst) -> None:  # type: ignore[no-untyped-def]
    """Nobody needs housing (nor meets offers housed near a resource by moving): the greedy
    with resources gives the stable allocation of deferred acceptance (the fast path without
    resources, and the library's rule)."""
    reqs, offs, resources = inst
    with_beds = allocate(reqs, offs, REF, housing=resources)
    without = allocate(reqs, offs, REF)
    assert [(x.request_id, x.offer_id, x.rank) for x in with_beds.assignments] == [
        (x.request_id, x.offer_id, x.rank) for x in without.assignments
    ]
    assert [(u.request_id, u.lost_to) for u in with_beds.unassigned] == [
        (u.request_id, u.lost_to) for u in without.unassigned
    ]


@SETTINGS
@given(instances())
def test_with_beds_for_everyone_the_greedy_is_deferred_acceptance(inst) -> None:  # type: ignore[no-untyped-def]
    """Every offer has a resource with enough beds for every candidate at its door: beds
    never bind, and the greedy equals candidate-proposing deferred acceptance run on the
    engine's scores (places as the only capacity)."""
    reqs, offs, _ = inst
    plenty = [
        HousingResource(f"h-{o.id}", "Foyer", "fjt", o.lat, o.lon, len(reqs) + 1) for o in offs
    ]
    strict = Params(exclude_without_housing=True)
    a = allocate(reqs, offs, REF, housing=plenty)
    ids = [(r.id, o.id) for r in reqs for o in offs]
    scored = [
        m for m in score_pairs(reqs, offs, ids, REF, strict, housing=plenty) if isinstance(m, Match)
    ]
    request_table, offer_table = prepare_tables(reqs, offs, REF, strict)
    row = {rid: i for i, rid in enumerate(request_table.ids)}
    col = {oid: j for j, oid in enumerate(offer_table.ids)}
    rows = np.array([row[m.request_id] for m in scored], dtype=np.intp)
    cols = np.array([col[m.offer_id] for m in scored], dtype=np.intp)
    scores = np.array([m.score for m in scored])
    lists = preference_lists(len(reqs), (rows, cols, scores))
    held, _ = deferred_acceptance(
        lists,
        offer_table.places.copy(),
        offer_table.places.copy(),  # beds never bind
        np.zeros(len(reqs), dtype=bool),
    )
    want = {request_table.ids[i]: offer_table.ids[j] for i, j in enumerate(held.tolist()) if j >= 0}
    assert {x.request_id: x.offer_id for x in a.assignments} == want


def test_the_near_lists_use_the_grid_as_they_use_every_distance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matching.housing as housing_module

    rnd = random.Random(3)
    offs = [post(f"o{j:03d}", rnd.choice(PLACES)) for j in range(60)]
    resources = [
        HousingResource(
            f"h{k:03d}", "F", "fjt", *rnd.choice(PLACES), rnd.randint(0, 2), rnd.choice([None, 300])
        )
        for k in range(80)
    ]
    p = Params(housing_radius_km=15.0)
    _r, table = prepare_tables([], offs, REF, p)
    dense = Housing(resources, table, p)
    monkeypatch.setattr(housing_module, "DENSE_PAIRS", 1)
    grid = Housing(resources, table, p)
    for name in ("grade", "source", "resource", "km"):
        assert np.array_equal(getattr(dense, name), getattr(grid, name)), name
    for j in range(len(offs)):
        assert dense.near(j) == grid.near(j)
        first = dense.near(j)[0][:1]
        assert first == ([] if dense.resource[j] < 0 else [dense.resource[j]])
    assert any(len(dense.near(j)[0]) > 2 for j in range(len(offs)))


def test_the_start_date_rule_still_holds_with_housing() -> None:
    r = aide("r1", BOURG, available_from=date(2027, 3, 1))
    o = OfferIn("o1", "aide-soignant", *BOURG, places=1, start=date(2026, 9, 1))
    m = score_pair(r, o, REF, housing=[fjt()])
    assert not isinstance(m, Match) and m.reasons == ("date",)


def test_far_beds_when_the_offer_s_own_run_out_equal_the_reference() -> None:
    """Many candidates who need housing, three centres, few beds: on-site and near beds run
    out and pairs fall back on beds near their centre (the fast path once missed those)."""
    rnd = random.Random(5)
    kinds = {"offer": 0, "near": 0, "far": 0, "blocked": 0}
    for _ in range(60):
        reqs = [
            RequestIn(
                f"r{i}",
                (rnd.choice(CODES[:4]),),
                *rnd.choice(PLACES),
                rnd.choice([10, 45, 80]),
                needs_housing=rnd.random() < 0.7,
            )
            for i in range(10)
        ]
        offs = [
            OfferIn(
                f"o{j}",
                rnd.choice(CODES[:4]),
                *rnd.choice(PLACES),
                places=rnd.randint(0, 3),
                housing_beds=rnd.randint(0, 1) if rnd.random() < 0.3 else 0,
            )
            for j in range(8)
        ]
        resources = [
            HousingResource(
                f"h{k}", "L", "fjt", *rnd.choice(PLACES), rnd.randint(0, 2), rnd.choice([None, 300])
            )
            for k in range(4)
        ]
        centres = [
            TrainingCentre(
                f"c{n}", "C", *rnd.choice(PLACES), programmes=tuple(Programme(c) for c in CODES[:4])
            )
            for n in range(3)
        ]
        p = Params(housing_radius_km=rnd.choice([0.0, 10.0]))
        check(reqs, offs, resources, p, centres)
        for x in allocate(reqs, offs, REF, p, centres=centres, housing=resources).assignments:
            h = x.match.housing
            if h is not None:
                kinds["offer" if h.source == "offer" else "near" if h.near else "far"] += 1
        a = allocate(reqs, offs, REF, p, centres=centres, housing=resources)
        kinds["blocked"] += sum(u.obstacle == "housing" for u in a.unassigned)
    assert min(kinds.values()) > 10, kinds  # every case met, many times


# --- the command line -----------------------------------------------------------------------------


def _cli(tmp_path, capsys, command: str, resources: object) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    import json

    from matching.cli import main

    files = {}
    for name, data in (
        ("offers", [{"id": "o1", "metier": "aide-soignant", "commune": "01053", "places": 1}]),
        (
            "requests",
            [
                {
                    "id": "r1",
                    "metiers": ["aide-soignant"],
                    "commune": "01053",
                    "max_km": 30,
                    "needs_housing": True,
                }
            ],
        ),
        ("housing", resources),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        files[name] = str(path)
    argv = [command, "--offers", files["offers"], "--requests", files["requests"]]
    code = main([*argv, "--housing", files["housing"]])
    out, err = capsys.readouterr()
    return code, out, err


GOOD = {"id": "h1", "name": "Les Tilleuls", "kind": "fjt", "commune": "01053", "beds": 1}


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([{**GOOD, "kind": "hotel"}], 'housing #1 (id "h1"): field "kind": unknown kind "hotel"'),
        ([{**GOOD, "beds": -1}], 'housing #1 (id "h1"): field "beds": must be >= 0'),
        ([GOOD, GOOD], 'housing #2 (id "h1"): field "id": duplicate id (also housing #1)'),
        ([{**GOOD, "commune": "99999"}], 'housing #1 (id "h1"): field "commune": unknown INSEE'),
        ([{**GOOD, "beds": 1.5}], 'housing #1 (id "h1"): field "beds": must be an integer'),
        (
            [{**GOOD, "monthly_cost_eur": "380"}],
            'housing #1 (id "h1"): field "monthly_cost_eur": must be an integer',
        ),
        ([{k: v for k, v in GOOD.items() if k != "name"}], 'field "name": is required'),
        ({"h1": GOOD}, "a JSON array of records is required"),
    ],
)
def test_bad_housing_input_exits_2_naming_record_and_field(
    tmp_path, capsys, resources: object, message: str
) -> None:  # type: ignore[no-untyped-def]
    for command in ("suggest", "allocate"):
        code, out, err = _cli(tmp_path, capsys, command, resources)
        assert code == 2 and out == "" and message in err, err


def test_the_cli_s_housing_fields(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    code, out, _ = _cli(tmp_path, capsys, "allocate", [{**GOOD, "monthly_cost_eur": 380}])
    (assignment,) = json.loads(out)["assignments"]
    assert code == 0 and assignment["housing"] == {
        "source": "resource",
        "resource": "h1",
        "name": "Les Tilleuls",
        "kind": "fjt",
        "distance_km": 0.0,
        "monthly_cost_eur": 380,
    }
    code, out, _ = _cli(tmp_path, capsys, "suggest", [{**GOOD, "beds": 0}])
    (suggestion,) = json.loads(out)["requests"]["r1"]
    assert code == 0 and suggestion["housing"] is None


def test_an_exclusion_for_want_of_a_bed_names_the_radius() -> None:
    strict = Params(exclude_without_housing=True, housing_radius_km=12.5)
    e = score_pair(aide("r1", BOURG), post("o1", BOURG), REF, strict, housing=[])
    assert not isinstance(e, Match) and e.messages == (
        "Pas de logement sur place ni à moins de 12,5 km",
    )
    e = score_pair(aide("r1", BOURG), post("o1", BOURG), REF, strict)
    assert not isinstance(e, Match) and e.messages == ("Pas de logement proposé",)
