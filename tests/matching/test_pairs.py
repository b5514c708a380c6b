"""The flat pair joins of the allocation, against brute force; the lazy list of assignments."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.pairs as pairs
from matching import MetierReferential, OfferIn, Params, RequestIn, allocate
from matching.allocation.explain import LazyList
from matching.allocation.levels import best_first
from matching.geo import to_ecef
from matching.pairs import (
    OfferPoints,
    Points,
    any_per_run,
    join,
    meet,
    near_groups,
    near_pairs,
    pack,
)
from matching.scoring import kernel, pair_terms
from matching.tables import prepare_tables

from .conftest import metier_records

REF = MetierReferential.from_records(metier_records())
CODES = list(REF.codes)


def _points(rnd: random.Random, n: int, shared: list[tuple[float, float]]) -> np.ndarray:
    pts = [
        rnd.choice(shared) if rnd.random() < 0.4 else (45 + rnd.random() * 2, 4 + rnd.random() * 3)
        for _ in range(n)
    ]
    lat, lon = zip(*pts, strict=True) if pts else ((), ())
    return np.ascontiguousarray(to_ecef(list(lat), list(lon)).reshape(n, 3).T)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 40), st.integers(0, 40), st.integers(1, 3))
def test_near_pairs_finds_exactly_the_pairs_within_each_radius(
    seed: int, nu: int, nv: int, chunk: int
) -> None:
    rnd = random.Random(seed)
    shared = [(46.2, 5.2), (46.0, 5.5), (45.5, 6.0)]
    u, v = _points(rnd, nu, shared), _points(rnd, nv, shared)
    radius = np.array([rnd.choice([0.0, 1e-9, 0.7, 5.0, 33.0, 120.0, np.inf]) for _ in range(nu)])
    old = pairs.CHUNK_PAIRS
    pairs.CHUNK_PAIRS = chunk
    try:
        got_u, got_v, got_d = near_pairs(u, radius, v)
    finally:
        pairs.CHUNK_PAIRS = old
    expected = set()
    for i in range(nu):
        d = pairs.distance(np.repeat(u[:, i : i + 1], nv, axis=1), v)
        expected |= {(i, j, float(d[j])) for j in np.flatnonzero(d <= radius[i]).tolist()}
    got = set(zip(got_u.tolist(), got_v.tolist(), got_d.tolist(), strict=True))
    assert len(got) == len(got_u)  # no pair twice
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 10_000), st.integers(0, 30), st.integers(0, 30), st.sampled_from([3, 64, 130])
)
def test_near_pairs_with_bit_sets_keeps_the_pairs_whose_sets_meet(
    seed: int, nu: int, nv: int, keys: int
) -> None:
    rnd = np.random.default_rng(seed)
    shared = [(46.2, 5.2), (46.0, 5.5)]
    u, v = _points(random.Random(seed), nu, shared), _points(random.Random(seed + 1), nv, shared)
    radius = rnd.choice([0.0, 4.0, 40.0, np.inf], nu)
    uflags, vflags = rnd.random((nu, keys)) < 0.05, rnd.random((nv, keys)) < 0.05
    got_u, got_v, _ = near_pairs(u, radius, v, pack(uflags), pack(vflags))
    all_u, all_v, _ = near_pairs(u, radius, v)
    expected = {
        (a, b)
        for a, b in zip(all_u.tolist(), all_v.tolist(), strict=True)
        if (uflags[a] & vflags[b]).any()
    }
    assert set(zip(got_u.tolist(), got_v.tolist(), strict=True)) == expected
    assert len(got_u) == len(expected)


def test_bit_sets_pack_each_flag_in_its_word() -> None:
    flags = np.zeros((3, 130), dtype=bool)
    flags[0, 0] = flags[1, 63] = flags[1, 64] = flags[2, 129] = True
    m = pack(flags)
    assert m.shape == (3, 3) and m.dtype == np.uint64
    assert m[0].tolist() == [1, 0, 0]
    assert m[1].tolist() == [1 << 63, 1, 0]
    assert m[2].tolist() == [0, 0, 2]
    assert meet(m, m).all() and not meet(m[[0]], m[[1]]).any()


def test_offer_points_give_the_wanted_groups_of_each_pair() -> None:
    rnd = np.random.default_rng(5)
    n_keys = 140
    coords = np.repeat(rnd.random((3, 6)) * 1000, 20, axis=1)
    key = rnd.integers(0, n_keys, 120)
    cols = np.sort(rnd.choice(120, 90, replace=False)).astype(np.intp)
    offers = OfferPoints.build(cols, Points.build(coords), key)
    n_pts = offers.coords.shape[1]
    u = rnd.integers(0, 4, 50)
    v = rnd.integers(0, n_pts, 50)
    flags = rnd.random((4, n_keys)) < 0.3
    at, g = offers.wanted(u, v, pack(flags))
    got = set(zip(at.tolist(), g.tolist(), strict=True))
    expected = {
        (i, grp)
        for i in range(50)
        for grp in range(offers.group_ptr[v[i]], offers.group_ptr[v[i] + 1])
        if flags[u[i], offers.group_key[grp]]
    }
    assert got == expected and len(at) == len(expected)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(0, 30),
    st.integers(0, 60),
    st.sampled_from([3, 64, 130]),
    st.booleans(),
    st.booleans(),
)
def test_near_groups_are_the_wanted_groups_of_the_pairs_within_reach(
    seed: int, nu: int, nv: int, keys: int, overflow: bool, flags: bool
) -> None:
    # The keyed grid against near_pairs then OfferPoints.wanted: the same (ball, group)
    # pairs, each once, at the same distances to the bit; ``overflow`` forces the fallback,
    # ``flags`` gives the balls' keys as flags instead of bit sets.
    rnd = np.random.default_rng(seed)
    shared = [(46.2, 5.2), (46.0, 5.5)]
    u, v = _points(random.Random(seed), nu, shared), _points(random.Random(seed + 1), nv, shared)
    radius = rnd.choice([0.0, 0.3, 4.0, 40.0, np.inf], nu)
    cols = np.arange(nv, dtype=np.intp)
    offers = OfferPoints.build(cols, Points.build(v), rnd.integers(0, keys, nv))
    wanted = rnd.random((nu, keys)) < 0.2
    mask = pack(wanted)
    all_u, all_v, all_d = near_pairs(u, radius, offers.coords, mask, offers.masks(mask.shape[1]))
    at, group = offers.wanted(all_u, all_v, mask)
    expected = set(zip(all_u[at].tolist(), group.tolist(), all_d[at].tolist(), strict=True))
    old = pairs.KEY_BITS
    pairs.KEY_BITS = 8 if overflow else old
    try:
        got_u, got_g, got_d = near_groups(u, radius, wanted if flags else mask, offers)
    finally:
        pairs.KEY_BITS = old
    got = set(zip(got_u.tolist(), got_g.tolist(), got_d.tolist(), strict=True))
    assert got == expected and len(got_u) == len(expected)


def _instance(seed: int) -> tuple[list[RequestIn], list[OfferIn]]:
    rnd = random.Random(seed)
    places = [(46.2, 5.2), (46.25, 5.3), (45.9, 5.6)]

    def place() -> tuple[float, float]:
        return rnd.choice(places) if rnd.random() < 0.5 else (45.8 + rnd.random(), 5 + rnd.random())

    reqs = [
        RequestIn(
            f"r{i:03d}",
            tuple(rnd.sample(CODES, rnd.choice([1, 2]))),
            *place(),
            rnd.choice([5, 20, 60]),
            needs_housing=rnd.random() < 0.3,
            accepts_relocation=rnd.random() < 0.3,
            has_licence=rnd.random() < 0.5,
            available_from=rnd.choice([None, date(2026, 9, 1), date(2026, 11, 1)]),
            diploma_level=rnd.choice([None, 3, 5]),
        )
        for i in range(50)
    ]
    offs = [
        OfferIn(
            f"o{j:03d}",
            rnd.choice(CODES),
            *place(),
            rnd.choice([0, 1, 2]),
            housing_beds=rnd.choice([0, 0, 1]),
            licence_required=rnd.random() < 0.3,
            start=rnd.choice([None, date(2026, 9, 1)]),
        )
        for j in range(40)
    ]
    return reqs, offs


@pytest.mark.parametrize("seed", range(5))
def test_pair_terms_are_the_kernel_bit_for_bit(seed: int) -> None:
    reqs, offs = _instance(seed)
    params = replace(Params(), exclude_without_housing=True)
    requests, offers = prepare_tables(reqs, offs, REF, params)
    ri, ci = np.divmod(np.arange(len(reqs) * len(offs)), len(offs))
    k = kernel(requests, ri, offers, ci, params, block=False)
    score, valid = pair_terms(requests, ri, offers, ci, k.d, params)
    assert score.tobytes() == k.score.tobytes()
    expected = k.within if k.eligible is None else k.within | k.eligible
    for fail in (k.f_diploma, k.f_licence, k.f_date, k.f_housing):
        if fail is not None:
            expected = expected & ~fail
    assert (valid == expected).all()


@pytest.mark.parametrize("cap", [None, 1, 2])
@pytest.mark.parametrize("seed", range(5))
def test_join_yields_the_wanted_pairs_within_reach(seed: int, cap: int | None) -> None:
    reqs, offs = _instance(seed)
    requests, offers = prepare_tables(reqs, offs, REF, Params())
    rnd = np.random.default_rng(seed)
    rows = np.sort(rnd.choice(len(reqs), 30, replace=False)).astype(np.intp)
    cols = np.sort(rnd.choice(len(offs), 25, replace=False)).astype(np.intp)
    radius = rnd.choice([0.0, 3.0, 25.0, np.inf], len(rows))
    wants = requests.metier_score[rows][:, : len(CODES)] > 0
    if cap is not None:  # offers of few métiers, so that points hold several of one
        offers = replace(offers, metier=offers.metier % 2)
    points = OfferPoints.build(cols, Points.build(offers.coords), offers.metier)
    got = set()
    for r, c, d in join(rows, radius, wants, Points.build(requests.coords), points, cap):
        got |= set(zip(r.tolist(), c.tolist(), d.tolist(), strict=True))
    k = kernel(requests, rows, offers, cols, Params(), block=True)
    # With a cap: the first ``cap`` offers (by index) of each point and métier.
    groups: dict[tuple[float, ...], list[int]] = {}
    for b in range(len(cols)):
        key = (*offers.coords[:, cols[b]].tolist(), offers.metier[cols[b]])
        groups.setdefault(key, []).append(b)
    first = {b for g in groups.values() for b in g[:cap]}
    expected = {
        (int(rows[a]), int(cols[b]), float(k.d[a, b]))
        for a in range(len(rows))
        for b in range(len(cols))
        if k.d[a, b] <= radius[a] and wants[a, offers.metier[cols[b]]] and b in first
    }
    assert got == expected
    if cap == 1:
        assert any(len(g) > 1 for g in groups.values())  # the cap had something to cut


def test_best_first_orders_by_row_score_then_offer() -> None:
    rnd = np.random.default_rng(3)
    n = 5000
    ri = rnd.integers(0, 70_000, n)
    ci = rnd.integers(0, 300_000, n)
    s = rnd.choice([0.0, 0.25, 0.5, 0.8250000000000001, 1.0, 0.3333], n)
    assert (best_first(ri, ci, s) == np.lexsort((ci, -s, ri))).all()
    same = np.full(n, 0.8250000000000001)  # one score, one row: the other keys alone
    assert (best_first(ri, ci, same) == np.lexsort((ci, ri))).all()
    assert (best_first(np.full(n, 7), ci, s) == np.lexsort((ci, -s))).all()
    assert len(best_first(ri[:0], ci[:0], s[:0])) == 0


def test_assignments_are_a_list_built_on_access() -> None:
    reqs, offs = _instance(1)
    a = allocate(reqs, offs, REF)
    items = list(a.assignments)
    assert items and len(a.assignments) == len(items)
    assert a.assignments[0] == items[0] and a.assignments[-1] == items[-1]
    assert a.assignments[1:3] == items[1:3]
    assert a.assignments == items
    with pytest.raises(IndexError):
        a.assignments[len(items)]
    assert [x["request"] for x in a.to_dict()["assignments"]] == [x.request_id for x in items]
    left = list(a.unassigned)
    assert isinstance(a.unassigned, LazyList) and left and a.unassigned == left
    assert [u["request"] for u in a.to_dict()["unassigned"]] == [u.request_id for u in left]
    assert sorted(x.request_id for x in items + left) == [r.id for r in reqs]
    built: list[int] = []
    lazy = LazyList(1200, lambda lo, hi: built.append(lo) or list(range(lo, hi)))
    assert lazy[700] == 700 and built == [512]
    assert list(lazy) == list(range(1200)) and built == [512, 0, 1024]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.sampled_from([1, 8, 13, 130]))
def test_any_per_run_is_the_or_of_the_rows_of_each_run(seed: int, n: int, k: int) -> None:
    rnd = np.random.default_rng(seed)
    flags = rnd.random((n, k)) < 0.2
    starts = np.flatnonzero(np.r_[True, rnd.random(n - 1) < 0.5]).astype(np.int64)
    expected = np.logical_or.reduceat(flags, starts, axis=0)
    assert np.array_equal(any_per_run(flags, starts), expected)
