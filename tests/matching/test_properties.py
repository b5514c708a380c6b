"""Property tests: the engine against brute force on small random instances.

Brute force is :func:`matching.score_pair` on every pair, sorted in Python; the engine must
give exactly the same lists, counts, widening radii and allocation, whatever the order of the
inputs, without touching them, and with its blocking forced on (tiny tiles and grids).
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching.allocation.tuning as tuning
import matching.engine as engine
import matching.pairs as pairs
from matching import (
    EXCLUSION_REASONS,
    Exclusion,
    Match,
    MetierReferential,
    OfferIn,
    Params,
    RequestIn,
    allocate,
    score_pair,
    score_pairs,
    suggest,
)
from matching.allocation import allocate_reference
from matching.allocation.best_offers import FirstRound, best_offers
from matching.allocation.space import Space
from matching.allocation.standings import reach, widening
from matching.tables import prepare_tables

from .conftest import AIN, at, metier_records

REF = MetierReferential.from_records(metier_records())
CODES = list(REF.codes)
PLACES = [(lat, lon) for _, lat, lon in AIN.values()]
DATES = [None, date(2026, 9, 1), date(2026, 10, 15), date(2026, 12, 1)]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

place = st.one_of(
    st.sampled_from(PLACES),  # shared communes: ties
    st.tuples(st.floats(45.6, 46.5), st.floats(4.8, 6.1)),
)


@st.composite
def requests_(draw: st.DrawFn, n: int) -> list[RequestIn]:
    out = []
    for i in range(n):
        lat, lon = draw(place)
        out.append(
            RequestIn(
                id=f"r{i:02d}",
                metiers=tuple(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3))),
                lat=lat,
                lon=lon,
                max_km=draw(st.sampled_from([5, 10, 20, 30, 45, 80])),
                needs_housing=draw(st.booleans()),
                accepts_relocation=draw(st.booleans()),
                has_licence=draw(st.booleans()),
                available_from=draw(st.sampled_from(DATES)),
                diploma_level=draw(st.sampled_from([None, 0, 3, 4, 5])),
                minor=draw(st.booleans()),
            )
        )
    return out


@st.composite
def offers_(draw: st.DrawFn, n: int) -> list[OfferIn]:
    out = []
    for j in range(n):
        lat, lon = draw(place)
        out.append(
            OfferIn(
                id=f"o{j:02d}",
                metier=draw(st.sampled_from(CODES)),
                lat=lat,
                lon=lon,
                places=draw(st.integers(0, 3)),
                housing_beds=draw(st.integers(0, 2)),
                licence_required=draw(st.booleans()),
                start=draw(st.sampled_from(DATES)),
                night_work=draw(st.booleans()),
            )
        )
    return out


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[RequestIn], list[OfferIn]]:
    return draw(requests_(draw(st.integers(0, 14)))), draw(offers_(draw(st.integers(0, 12))))


def brute(reqs: list[RequestIn], offs: list[OfferIn], params: Params | None = None):  # type: ignore[no-untyped-def]
    p = params or Params()
    return {(r.id, o.id): score_pair(r, o, REF, p) for r in reqs for o in offs}


def expected_lists(results, reqs, offs, k):  # type: ignore[no-untyped-def]
    matches = [m for m in results.values() if isinstance(m, Match)]
    by_req = {
        r.id: sorted(
            (m for m in matches if m.request_id == r.id), key=lambda m: (-m.score, m.offer_id)
        )[:k]
        for r in reqs
    }
    by_off = {
        o.id: sorted(
            (m for m in matches if m.offer_id == o.id), key=lambda m: (-m.score, m.request_id)
        )[:k]
        for o in offs
    }
    return by_req, by_off


@SETTINGS
@given(instances(), st.integers(1, 4))
def test_suggest_equals_brute_force(blocking: str, inst, k: int) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    s = suggest(reqs, offs, REF, top_k=k)
    results = brute(reqs, offs)
    by_req, by_off = expected_lists(results, reqs, offs, k)
    assert dict(s.by_request) == by_req
    assert dict(s.by_offer) == by_off
    first = [e.reasons[0] for e in results.values() if isinstance(e, Exclusion)]
    # Without centres, "training" is not reported; without tutors, neither is "tutor";
    # without a minor or an offer with night work, neither is "night".
    night = any(r.minor for r in reqs) or any(o.night_work for o in offs)
    reported = [
        r for r in EXCLUSION_REASONS if r not in ("training", "tutor") and (r != "night" or night)
    ]
    assert dict(s.excluded.counts) == {r: first.count(r) for r in reported}
    for reason, samples in s.excluded.samples.items():
        for pair in samples:
            e = results[pair]
            assert isinstance(e, Exclusion) and e.reasons[0] == reason


@SETTINGS
@given(instances())
def test_scores_and_criteria_in_range(inst) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    for m in brute(reqs, offs).values():
        if isinstance(m, Match):
            assert 0.0 < m.score <= 1.0
            assert all(0.0 <= c.score <= 1.0 for c in m.criteria.values())
            assert sum(c.weight for c in m.criteria.values()) == pytest.approx(1.0)
            assert sum(c.weight * c.score for c in m.criteria.values()) == pytest.approx(m.score)
            assert m.distance_km >= 0.0


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_independent_of_input_order_and_inputs_untouched(
    blocking: str, inst, rnd: random.Random
) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    saved = copy.deepcopy((reqs, offs))
    s1 = suggest(reqs, offs, REF, top_k=3)
    a1 = allocate(reqs, offs, REF)
    assert (reqs, offs) == saved
    r2, o2 = reqs[:], offs[:]
    rnd.shuffle(r2)
    rnd.shuffle(o2)
    s2 = suggest(r2, o2, REF, top_k=3)
    assert dict(s1.by_request) == dict(s2.by_request)
    assert dict(s1.by_offer) == dict(s2.by_offer)
    assert s1.excluded == s2.excluded
    assert s1.widening == s2.widening
    assert allocate(r2, o2, REF) == a1


@SETTINGS
@given(instances())
def test_widening_radius_brings_matches(blocking: str, inst) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    p = Params()
    s = suggest(reqs, offs, REF, p)
    empty = {r.id for r in reqs if not s.by_request[r.id]}
    assert set(s.widening) == empty
    for r in reqs:
        if r.id not in empty:
            continue

        def matches(km: float, r: RequestIn = r) -> int:
            wider = dataclasses.replace(r, max_km=km)
            return sum(isinstance(score_pair(wider, o, REF, p), Match) for o in offs)

        km = s.widening[r.id]
        if km is None:
            assert r.max_km >= p.widening_steps_km[-1] or matches(p.widening_steps_km[-1]) == 0
        else:
            assert km > r.max_km and matches(km) >= 1
            smaller = [x for x in p.widening_steps_km if x < km]
            if smaller:
                assert matches(smaller[-1]) == 0


def greedy(reqs: list[RequestIn], offs: list[OfferIn]) -> dict[str, str]:
    """The unique stable allocation when both sides rank by the same score: the library's
    specification, :func:`matching.allocation.allocate_reference` (a greedy pass by score)."""
    out = {rid: m.offer_id for rid, m in allocate_reference(reqs, offs, REF).items()}
    off = {o.id: o for o in offs}
    assert all(off[o].places >= 0 for o in out.values())
    return out


def blocking_pairs(reqs, offs, assigned: dict[str, str]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (request, offer) pair that would both rather be together: none if stable."""
    strict = Params(exclude_without_housing=True)
    acc = {k: m.score for k, m in brute(reqs, offs, strict).items() if isinstance(m, Match)}
    need = {r.id: r.needs_housing for r in reqs}
    off = {o.id: o for o in offs}
    holders: dict[str, list[str]] = {}
    for r, o in assigned.items():
        holders.setdefault(o, []).append(r)

    def chooses(oid: str, cands: list[str]) -> list[str]:
        o, taken, beds = off[oid], [], 0
        for r in sorted(cands, key=lambda r: (-acc[(r, oid)], r)):
            if len(taken) < o.places and (not need[r] or beds < o.housing_beds):
                taken.append(r)
                beds += need[r]
        return taken

    out = []
    for (rid, oid), s in acc.items():
        cur = assigned.get(rid)
        if cur == oid:
            continue
        if cur is not None:
            cs = acc[(rid, cur)]
            if s < cs or (s == cs and oid > cur):
                continue
        if rid in chooses(oid, holders.get(oid, []) + [rid]):
            out.append((rid, oid))
    return out


def expected_explanations(reqs, offs, assigned: dict[str, str]):  # type: ignore[no-untyped-def]
    """Brute force: each assignment's rank, each unassigned request's count and lost_to."""
    strict = Params(exclude_without_housing=True)
    valid = {k: m.score for k, m in brute(reqs, offs, strict).items() if isinstance(m, Match)}
    ranked = {r.id: sorted(((-s, o) for (rid, o), s in valid.items() if rid == r.id)) for r in reqs}
    holders: dict[str, list[tuple[float, str]]] = {}
    for rid, oid in assigned.items():
        holders.setdefault(oid, []).append((-valid[(rid, oid)], rid))
    ranks = {rid: ranked[rid].index((-valid[(rid, oid)], oid)) + 1 for rid, oid in assigned.items()}
    counts, lost = {}, {}
    for r in reqs:
        if r.id in assigned:
            continue
        counts[r.id] = len(ranked[r.id])
        out: list[str] = []
        for neg, oid in ranked[r.id][: tuning.MAX_LOST_TO]:
            for h in sorted(holders.get(oid, [])):
                if h < (neg, r.id) and h[1] not in out:
                    out.append(h[1])
        lost[r.id] = tuple(out[: tuning.MAX_LOST_TO])
    return ranks, counts, lost


@pytest.fixture(params=["levels", "one level"])
def levels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the allocation with its levels, and with one level (plain deferred acceptance)."""
    if request.param == "one level":
        monkeypatch.setattr(tuning, "LEVELS", (float("inf"),))
    return request.param


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny join chunks, many levels, short ``lost_to`` lists (so that searches for the best
    offers start from guesses and cut groups), balls counted two at a time, and joins of at
    most 4 pairs (levels split in finer ones, searches made a few requests at a time).

    Each instance costs the engine about twenty times its usual work (every step is a join):
    fewer examples than the other runs, on the same instances' strategy.
    """
    monkeypatch.setattr(pairs, "CHUNK_PAIRS", 3)
    monkeypatch.setattr(tuning, "MAX_LOST_TO", 2)
    monkeypatch.setattr(tuning, "BALLS_AT_ONCE", 2)
    monkeypatch.setattr(tuning, "PAIRS_LIMIT", 4)  # finer levels, searches in parts
    steps = tuple(x / 10 for x in range(15)) + (float("inf"),)
    monkeypatch.setattr(tuning, "LEVELS", steps)


@SETTINGS
@given(instances())
def test_allocation_is_stable_and_within_capacities(levels: str, inst) -> None:  # type: ignore[no-untyped-def]
    check_allocation(*inst)


# The same draw every run (its cost ranged 5 to 20 s with Hypothesis's draw): the runs above
# explore new instances each time, this one checks the degenerate tuning on a fixed set.
@settings(SETTINGS, max_examples=15, derandomize=True)
@given(instances())
def test_allocation_in_small_steps_is_stable_and_within_capacities(small_steps: None, inst) -> None:  # type: ignore[no-untyped-def]
    check_allocation(*inst)


def check_allocation(reqs: list[RequestIn], offs: list[OfferIn]) -> None:
    """The allocation of ``reqs`` to ``offs`` is stable, within capacities, and explained."""
    a = allocate(reqs, offs, REF)
    assigned = {x.request_id: x.offer_id for x in a.assignments}
    assert len(assigned) == len(a.assignments)  # one offer per request at most
    off = {o.id: o for o in offs}
    need = {r.id: r.needs_housing for r in reqs}
    for oid, o in off.items():
        takers = [r for r, x in assigned.items() if x == oid]
        assert len(takers) <= o.places
        assert sum(need[r] for r in takers) <= o.housing_beds
    for x in a.assignments:
        m = score_pair(next(r for r in reqs if r.id == x.request_id), off[x.offer_id], REF)
        assert m == x.match and x.rank >= 1
    assert blocking_pairs(reqs, offs, assigned) == []
    assert assigned == greedy(reqs, offs)
    left = {u.request_id for u in a.unassigned}
    assert left | set(assigned) == {r.id for r in reqs} and not left & set(assigned)
    ranks, counts, lost = expected_explanations(reqs, offs, assigned)
    assert {x.request_id: x.rank for x in a.assignments} == ranks
    assert {u.request_id: u.compatible for u in a.unassigned} == counts
    assert {u.request_id: u.lost_to for u in a.unassigned} == lost
    for u in a.unassigned:
        assert u.reason
        assert bool(u.lost_to) == (u.compatible > 0)  # turned down by someone, or by nobody


def test_allocation_of_movers_far_away_ranks_and_counts_exactly() -> None:
    """Candidates who accept to move, beds far away: ties at the relocation floor, by id."""
    rnd = random.Random(11)
    reqs = [
        RequestIn(
            f"r{i:03d}",
            (rnd.choice(CODES[:2]),),
            46.2 + rnd.random() / 5,
            5.2 + rnd.random() / 5,
            rnd.choice([5, 10]),
            needs_housing=rnd.random() < 0.5,
            accepts_relocation=rnd.random() < 0.7,
        )
        for i in range(40)
    ]
    offs = [
        OfferIn(
            f"o{j:02d}",
            rnd.choice(CODES[:2]),
            rnd.choice([46.2, 45.0, 48.8]),
            rnd.choice([5.2, 2.3, 4.8]),
            rnd.choice([1, 2]),
            housing_beds=rnd.choice([0, 1, 1, 2]),
        )
        for j in range(30)
    ]
    a = allocate(reqs, offs, REF)
    assigned = {x.request_id: x.offer_id for x in a.assignments}
    assert assigned == greedy(reqs, offs)
    ranks, counts, lost = expected_explanations(reqs, offs, assigned)
    assert {x.request_id: x.rank for x in a.assignments} == ranks
    assert {u.request_id: u.compatible for u in a.unassigned} == counts
    assert {u.request_id: u.lost_to for u in a.unassigned} == lost
    assert any(x.rank > 1 for x in a.assignments) and any(u.lost_to for u in a.unassigned)


def _space(reqs: list[RequestIn], offs: list[OfferIn], params: Params):  # type: ignore[no-untyped-def]
    """The allocation's tables and bounds for an instance, and every request's row."""
    requests, offers = prepare_tables(reqs, offs, REF, params)
    return Space(requests, offers, params), np.arange(len(reqs), dtype=np.intp)


@contextmanager
def _patched(module: object, name: str, value: object) -> Iterator[None]:
    """``module.name = value`` for the block (hypothesis runs many examples in one test)."""
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


@SETTINGS
@given(instances(), st.integers(1, 3), st.sampled_from([1, 2, 4096]))
def test_first_guesses_of_the_best_offers_are_the_smallest_ring_holding_k(
    inst, k: int, balls: int
) -> None:  # type: ignore[no-untyped-def]
    """The search for an unassigned request's best offers starts at the smallest ring of
    distance holding ``k`` valid offers of its own métier (``inf``: fewer in its radius)."""
    reqs, offs = inst
    strict = Params(exclude_without_housing=True)
    space, rows = _space(reqs, offs, strict)
    with _patched(tuning, "BALLS_AT_ONCE", balls):
        counts, guess, related = reach(space, rows, k)
    valid = [m for m in brute(reqs, offs, strict).values() if isinstance(m, Match)]
    near = 1.0 - strict.distance_score_at_limit
    rings = tuning.RINGS
    shift = (1.0 - strict.related_metier_score) * 0.5 / 0.35  # weights 0.5, 0.35, 0.15
    for i, r in enumerate(reqs):
        mine = [m for m in valid if m.request_id == r.id]
        assert counts[i] == len(mine)
        own = [m.distance_km for m in mine if m.criteria["metier"].score == 1.0]
        own = [d for d in own if d <= r.max_km]

        def within(ring: int, own: list[float] = own, r: RequestIn = r) -> int:
            return sum(d <= rings[ring] * r.max_km * (1 + 1e-9) for d in own)

        if np.isinf(guess[i]):
            assert within(len(rings) - 1) < k
        else:
            ring = int(np.flatnonzero(np.isclose(rings * near, guess[i]))[0])
            assert within(ring) >= k
            assert ring == 0 or within(ring - 1) < k
            assert np.isinf(related[i])
            continue
        # Too few of its own métier: the ring of related offers that, with the offers of its
        # own métier scoring as much, makes k (candidates who accept to move: none).
        rel = [m.distance_km for m in mine if 0 < m.criteria["metier"].score < 1.0]
        rel = [d for d in rel if d <= r.max_km]

        def makes(j: int, rel: list[float] = rel, r: RequestIn = r, within=within) -> bool:  # type: ignore[no-untyped-def]
            as_far = min(1.0, (shift + rings[j] * near) / near)
            own_ring = int(np.searchsorted(rings, as_far, side="right")) - 1
            related_ = sum(d <= rings[j] * r.max_km * (1 + 1e-9) for d in rel)
            return within(own_ring) + related_ >= k

        if r.accepts_relocation or np.isinf(related[i]):
            assert r.accepts_relocation or not makes(len(rings) - 1)
            assert np.isinf(related[i])
        else:
            ring = int(np.flatnonzero(rings == related[i])[0])
            assert makes(ring) and (ring == 0 or not makes(ring - 1))


@SETTINGS
@given(instances(), st.integers(1, 3), st.sampled_from([1, 2, 4096]))
def test_a_first_round_made_from_the_counted_pairs_is_the_searchs_own(
    inst, k: int, balls: int
) -> None:  # type: ignore[no-untyped-def]
    """The best offers found with first rounds made from the pairs that counted the offers
    (:class:`FirstRound`, for whoever does not accept to move) are those the search finds
    alone, round by round."""
    reqs, offs = inst
    strict = Params(exclude_without_housing=True)
    space, rows = _space(reqs, offs, strict)
    first = FirstRound(space, k)
    with _patched(tuning, "BALLS_AT_ONCE", balls):
        counts, guess, related = reach(space, rows, k, first)
    some = counts > 0
    assert np.array_equal(first.tried, some & ~space.requests.accepts_relocation)
    alone = best_offers(space, rows[some], k, guess[some], related[some])
    helped = best_offers(space, rows[some], k, guess[some], related[some], first)
    assert np.array_equal(alone.start, helped.start)
    assert np.array_equal(alone.offer, helped.offer)
    assert np.array_equal(alone.score, helped.score)


def test_best_offers_taken_from_a_group_of_offers_at_one_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search for the best offers takes the first k of a group (one point, one class); for a
    mover, offers with a bed within its radius tie with those far away at the relocation floor."""
    monkeypatch.setattr(tuning, "MAX_LOST_TO", 2)
    here, near_by, paris = (46.2, 5.2), (46.2, 5.3165), (48.8566, 2.3522)  # near_by: ~9 km
    aide = "aide-soignant"

    def offer(oid: str, at: tuple[float, float]) -> OfferIn:
        return OfferIn(oid, aide, *at, 1, housing_beds=1)

    def request(rid: str, at: tuple[float, float], **kw: object) -> RequestIn:
        return RequestIn(rid, (aide,), *at, 10, **kw)  # type: ignore[arg-type]

    # Three offers at one point, four candidates there: the last loses to the first two.
    offs = [offer(f"o{j}", here) for j in range(3)]
    reqs = [request(f"a{i}", here) for i in range(3)] + [request("z", here)]
    a = allocate(reqs, offs, REF)
    assigned = {x.request_id: x.offer_id for x in a.assignments}
    assert [(u.request_id, u.lost_to) for u in a.unassigned] == [("z", ("a0", "a1"))]
    assert expected_explanations(reqs, offs, assigned)[2] == {"z": ("a0", "a1")}
    # A mover: three offers near the edge of its radius, two far away, all of one class and
    # all at the relocation floor for it: its two best are the first two by id.
    offs = [offer(f"o{j}", near_by) for j in range(3)] + [offer(f"o{j}", paris) for j in (3, 4)]
    reqs = [request(f"b{i}", near_by) for i in range(3)]
    reqs += [request(f"p{i}", paris) for i in range(2)]
    reqs += [request("z", here, accepts_relocation=True)]
    a = allocate(reqs, offs, REF)
    assigned = {x.request_id: x.offer_id for x in a.assignments}
    assert assigned == {"b0": "o0", "b1": "o1", "b2": "o2", "p0": "o3", "p1": "o4"}
    assert [(u.request_id, u.lost_to) for u in a.unassigned] == [("z", ("b0", "b1"))]
    assert expected_explanations(reqs, offs, assigned)[2] == {"z": ("b0", "b1")}


@SETTINGS
@given(instances(), st.sampled_from([1, 2]), st.sampled_from([1 << 23, 3]))
def test_allocation_widening_equals_the_engines(inst, n_min: int, limit: int) -> None:  # type: ignore[no-untyped-def]
    """Requests with no compatible offer: the allocation's widening step is the engine's
    (counted for all at once, or a few at a time)."""
    reqs, offs = inst
    strict = Params(exclude_without_housing=True, widening_min_results=n_min)
    space, rows = _space(reqs, offs, strict)
    with _patched(tuning, "PAIRS_LIMIT", limit):
        counts, _, _ = reach(space, rows, 1)
        empty = rows[counts == 0]
        steps = widening(space, empty)
    assert steps == engine.widen(space.requests, space.offers, empty, strict)


@st.composite
def distance_params(draw: st.DrawFn) -> Params:
    """Parameters whose score at the limit may lie above or below the relocation floor."""
    return Params(
        distance_score_at_limit=draw(st.sampled_from([0.0, 0.25, 0.6])),
        relocation_distance_score=draw(st.sampled_from([0.0, 0.3, 0.5, 0.9])),
    )


def _non_increasing(matches: list[Match]) -> None:
    by_distance = sorted(matches, key=lambda m: m.distance_km)
    for near, far in zip(by_distance, by_distance[1:], strict=False):
        if far.distance_km > near.distance_km:
            assert far.criteria["distance"].score <= near.criteria["distance"].score, (near, far)


@SETTINGS
@given(requests_(1), offers_(12), distance_params())
def test_a_farther_offer_never_scores_better_on_distance(blocking: str, reqs, offs, p) -> None:  # type: ignore[no-untyped-def]
    """On one request, the distance criterion never grows with the distance: offers with a
    bed or without, within reach or through relocation, in the engine's lists, the
    allocation's explanations and one pair at a time."""
    result = suggest(reqs, offs, REF, p, top_k=len(offs) or 1)
    _non_increasing(result.by_request[reqs[0].id])
    _non_increasing([m for m in brute(reqs, offs, p).values() if isinstance(m, Match)])
    _non_increasing([a.match for a in allocate(reqs, offs, REF, p).assignments])


@SETTINGS
@given(instances())
def test_chosen_pairs_score_as_one_pair_at_a_time(inst) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    chosen = [(r.id, o.id) for r in reqs for o in offs][::-1]
    one_by_one = brute(reqs, offs)
    assert score_pairs(reqs, offs, chosen, REF) == [one_by_one[pair] for pair in chosen]


def test_a_far_offer_with_a_bed_no_longer_outscores_a_nearer_one() -> None:
    """The case that showed it: a mover whose far offer with a bed scored the relocation
    floor (59 km: 50 %) above a nearer offer without one (32 km: 31 %)."""
    mover = RequestIn("r", (CODES[0],), *at("01053"), max_km=35, accepts_relocation=True)
    near = OfferIn("near", CODES[0], *at("01283"), places=1)  # Oyonnax, 32 km, no bed
    far = OfferIn("far", CODES[0], 45.76, 4.84, places=1, housing_beds=1)  # Lyon, 59 km
    s_near, s_far = (score_pair(mover, o, REF) for o in (near, far))
    assert isinstance(s_near, Match) and isinstance(s_far, Match)
    assert s_near.distance_km < s_far.distance_km
    assert s_far.criteria["distance"].score <= s_near.criteria["distance"].score
    assert s_far.criteria["distance"].score == Params().relocation_distance_score


@SETTINGS
@given(instances())
def test_a_minor_is_never_offered_night_work(inst) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = inst
    minors = {r.id for r in reqs if r.minor}
    night = {o.id for o in offs if o.night_work}
    s = suggest(reqs, offs, REF, top_k=len(offs) or 1)
    for rid, matches in s.by_request.items():
        assert not (rid in minors and {m.offer_id for m in matches} & night)
    for oid, matches in s.by_offer.items():
        assert not (oid in night and {m.request_id for m in matches} & minors)
    a = allocate(reqs, offs, REF)
    assert not [x for x in a.assignments if x.request_id in minors and x.offer_id in night]
    spec = allocate_reference(reqs, offs, REF)
    assert not [rid for rid, m in spec.items() if rid in minors and m.offer_id in night]
    for r in reqs:
        for o in offs:
            result = score_pair(r, o, REF, Params())
            if r.minor and o.night_work:
                assert isinstance(result, Exclusion) and "night" in result.reasons
                i = result.reasons.index("night")
                assert result.messages[i] == "Travail de nuit : interdit aux mineurs"
