"""Flat pair joins: every (request, offer) pair within a distance, as 1-D arrays, no loop per cell.

The allocation never scores all pairs within reach: it asks for the pairs within a radius that
a score threshold implies (see :mod:`matching.allocation`). This module answers such questions:

* requests and offers are first grouped by point (the same coordinates, to the last bit: many
  share a commune's centroid), and requests by *ball*: a point and a radius;
* each ball carries the set of keys its requests want (a key: a métier, or a class of offers
  all valid for them), each offer point the set of keys it holds, as bits (:func:`pack`);
* balls meet offer points in the grid of :mod:`matching.grid` (:data:`~matching.grid.JOINS`),
  one band of radii at a time: the side with fewer cells looks up, with ``searchsorted``, the
  other's cells within two of each of its own, a column of cells at a time; cell pairs, then
  candidate (ball, point)
  pairs, that share no key are dropped, and the rest are expanded with ``repeat``/``cumsum``,
  all at once;
* or, what the allocation uses (:func:`near_groups`), each ball meets each key it wants as an
  item of its own, in cells made per key: a crowded cell's balls meet only the groups of their
  own keys, and no candidate pair that shares no key is ever expanded;
* the distance of each (ball, point) pair is measured once, with the engine's one chord
  (:func:`matching.geo.squared_chord`: the same bits as in :func:`matching.scoring.kernel`),
  and pairs beyond the ball's radius are dropped;
* the surviving (ball, point) pairs are expanded to (request, offer) pairs per key: a ball's
  requests that want key m meet the point's offers of key m, and nothing else.

:func:`matching.scoring.pair_terms` then scores a list of pairs with the same arithmetic as the
kernel, and says which are valid under the hard constraints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from .arrays import F64, Bools, IntArray, Masks, Pairs, concat_pairs, no_pairs
from .geo import chord_to_km, squared_chord
from .grid import JOINS, KEYED, STRIDES, cell_keys, neighbour_cells, occupied_cells, ranges

#: Keys of a keyed grid (:func:`near_groups`) fit in this many bits.
KEY_BITS = 62

__all__ = [
    "Points",
    "near_pairs",
    "near_groups",
    "group_balls",
    "OfferPoints",
    "join",
    "Masks",
    "pack",
    "meet",
    "reduce_or",
    "any_per_run",
    "distance",
    "CHUNK_PAIRS",
    "TooManyPairs",
    "best_first",
]

#: Pairs expanded at once: bounds the memory of one join step.
CHUNK_PAIRS = 1 << 22
#: Bits unpacked at once by :func:`_set_bits` (one byte each).
SET_BITS_AT_ONCE = 1 << 25
#: Up to this radius (km), a join first keeps the balls with some offer point in reach.
NEAR_POINTS_KM = 1.0


class TooManyPairs(Exception):
    """A join would yield more pairs than its ``limit``: nothing was expanded."""


@dataclass(frozen=True, eq=False)
class Points:
    """Distinct points of a table: ``of[i]`` is the point of item i, ``coords`` (3, p)."""

    of: IntArray
    coords: F64

    @classmethod
    def build(cls, coords: F64) -> Points:
        """Group items whose coordinates are the same numbers."""
        n = coords.shape[1]
        if n == 0:
            return cls(np.zeros(0, dtype=np.intp), np.zeros((3, 0)))
        order = np.lexsort(coords[::-1])
        s = coords[:, order]
        new = np.r_[True, (s[:, 1:] != s[:, :-1]).any(axis=0)]
        ids = np.cumsum(new) - 1
        of = np.empty(n, dtype=np.intp)
        of[order] = ids
        return cls(of, np.ascontiguousarray(s[:, new]))


def distance(a: F64, b: F64) -> F64:
    """Distances between (3, k) coordinate columns: the kernel's operations, in its order."""
    return chord_to_km(squared_chord(a, b))


def chord2_at(ucoords: F64, u: IntArray, vcoords: F64, v: IntArray) -> F64:
    """``squared_chord(ucoords[:, u], vcoords[:, v])``, to the bit, gathering one axis at a
    time (about twice as fast on millions of pairs as gathering the (3, k) columns)."""
    total: F64 = ucoords[0].take(u)
    total -= vcoords[0].take(v)
    total *= total
    term = np.empty_like(total)
    for axis in (1, 2):
        np.take(ucoords[axis], u, out=term)
        term -= vcoords[axis].take(v)
        term *= term
        total += term
    return total


def distance_at(ucoords: F64, u: IntArray, vcoords: F64, v: IntArray) -> F64:
    """``distance(ucoords[:, u], vcoords[:, v])``, to the bit (see :func:`chord2_at`)."""
    return chord_to_km(chord2_at(ucoords, u, vcoords, v))


def near_pairs(
    ucoords: F64,
    radius: F64,
    vcoords: F64,
    umask: Masks | None = None,
    vmask: Masks | None = None,
    limit: int | None = None,
) -> Pairs:
    """Every (u, v) with distance(u, v) <= radius[u]: (u, v, distance), in no particular order.

    ``radius`` may be 0 (the same point only) or ``inf`` (every point: no grid). Per band of
    radii (:data:`matching.grid.JOINS`), balls and points go in cells half the band's radius
    wide; the side with fewer occupied cells looks up the other's cells within two of each of
    its own (a chord is never longer than the arc), then the pairs of each pair of cells are
    expanded at once.

    With ``umask`` and ``vmask`` (bit sets, see :func:`pack`), only pairs whose sets meet:
    cell pairs and candidate pairs that share no bit are dropped before any distance.
    ``limit``: raise :class:`TooManyPairs` if there would be more candidate pairs than that.
    """
    if ucoords.shape[1] == 0 or vcoords.shape[1] == 0:
        return no_pairs()
    masks = (umask, vmask) if umask is not None and vmask is not None else None
    budget = _Budget(limit)
    parts: list[Pairs] = []
    everywhere = ~np.isfinite(radius)
    if everywhere.any():
        parts.append(_pairs_everywhere(ucoords, np.flatnonzero(everywhere), vcoords, masks, budget))
    finite = np.flatnonzero(~everywhere)
    band = JOINS.bands(radius[finite])
    for b in np.unique(band).tolist():
        balls = finite[band == b]
        parts += _band_pairs(ucoords, radius, balls, vcoords, JOINS.cell_km(b), masks, budget)
    return concat_pairs(parts)


class _Budget:
    """The candidate pairs made so far by a search, against its ``limit``."""

    def __init__(self, limit: int | None) -> None:
        self.limit, self.used = limit, 0

    def spend(self, count: int) -> None:
        """Count ``count`` more candidates; raise :class:`TooManyPairs` beyond the limit."""
        self.used += count
        if self.limit is not None and self.used > self.limit:
            raise TooManyPairs(self.used)


def _pairs_everywhere(
    ucoords: F64, balls: IntArray, vcoords: F64, masks: tuple[Masks, Masks] | None, budget: _Budget
) -> Pairs:
    """Every point for each of ``balls`` (infinite radius): no grid."""
    nv = vcoords.shape[1]
    budget.spend(len(balls) * nv)
    u = np.repeat(balls, nv)
    v = np.tile(np.arange(nv), len(balls))
    if masks is not None:
        hit = meet(masks[0][u], masks[1][v])
        u, v = u[hit], v[hit]
    return u, v, distance_at(ucoords, u, vcoords, v)


def _band_pairs(
    ucoords: F64,
    radius: F64,
    balls: IntArray,
    vcoords: F64,
    cell: float,
    masks: tuple[Masks, Masks] | None,
    budget: _Budget,
) -> list[Pairs]:
    """The pairs within reach of ``balls`` (one band of radii), through cells ``cell`` km wide."""
    cells_u = occupied_cells(cell_keys(ucoords[:, balls].T, cell))
    cells_v = occupied_cells(cell_keys(vcoords.T, cell))
    cu, cv = _cell_pairs(cells_u[0], cells_v[0], JOINS.cells_per_radius, STRIDES)
    if masks is not None:
        cell_u = reduce_or(masks[0][balls[cells_u[2]]], cells_u[1])
        hit = meet(cell_u[cu], reduce_or(masks[1][cells_v[2]], cells_v[1])[cv])
        cu, cv = cu[hit], cv[hit]
    out = []
    for ui, v in _expand(cells_u, cu, cells_v, cv, budget):
        u = balls[ui]
        if masks is not None:
            hit = meet(masks[0][u], masks[1][v])
            u, v = u[hit], v[hit]
        out.append(_within(ucoords, radius, u, vcoords, v))
    return out


def _cell_pairs(
    ukeys: NDArray[np.int64], vkeys: NDArray[np.int64], reach: int, strides: tuple[int, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Occupied cell pairs within ``reach``, looked up from the side with fewer cells (the
    lookup is symmetric): (u cell, v cell)."""
    if len(ukeys) > len(vkeys):
        cv, cu = neighbour_cells(vkeys, ukeys, reach, strides)
        return cu, cv
    return neighbour_cells(ukeys, vkeys, reach, strides)


Cells = tuple[NDArray[np.int64], NDArray[np.int64], IntArray]


def _expand(
    cells_u: Cells, cu: NDArray[np.int64], cells_v: Cells, cv: NDArray[np.int64], budget: _Budget
) -> Iterator[tuple[IntArray, IntArray]]:
    """Every (u item, v item) of the cell pairs (cu, cv), in chunks. ``cells_u``, ``cells_v``:
    :func:`~matching.grid.occupied_cells` of each side."""
    _, ubounds, uitems = cells_u
    _, vbounds, vitems = cells_v
    a = ubounds[cu + 1] - ubounds[cu]
    bsz = vbounds[cv + 1] - vbounds[cv]
    size = a * bsz
    budget.spend(int(size.sum()))
    for sel in _chunks(size, CHUNK_PAIRS * 4):
        block, i, j = _products(a[sel], bsz[sel])
        if len(block):
            yield uitems[ubounds[cu[sel]][block] + i], vitems[vbounds[cv[sel]][block] + j]


def _within(ucoords: F64, radius: F64, u: IntArray, vcoords: F64, v: IntArray) -> Pairs:
    """The candidate pairs (u, v) within ``radius[u]``, and their distances."""
    # Squared chords first: the chord is never longer than the arc.
    chord2 = chord2_at(ucoords, u, vcoords, v)
    r = radius[u]
    near = chord2 <= r * r * (1.0 + 1e-9)
    u, v, chord2 = u[near], v[near], chord2[near]
    d = chord_to_km(chord2)
    keep = d <= radius[u]
    return u[keep], v[keep], d[keep]


def _chunks(sizes: NDArray[np.int64], limit: int) -> Iterator[IntArray]:
    """Consecutive index ranges of sizes adding up to ``limit`` at most (one item at least)."""
    n = len(sizes)
    if n == 0:
        return
    ends = np.cumsum(sizes)
    a = 0
    while a < n:
        base = int(ends[a - 1]) if a else 0
        z = int(np.searchsorted(ends, base + limit, "right"))
        z = max(z, a + 1)
        yield np.arange(a, z)
        a = z


def _products(a: NDArray[np.int64], b: NDArray[np.int64]) -> tuple[IntArray, IntArray, IntArray]:
    """Every (block, i, j) with i < a[block] and j < b[block], block by block, i then j."""
    n = a * b
    block = np.repeat(np.arange(len(n)), n)
    q = np.arange(int(n.sum())) - (np.cumsum(n) - n)[block]
    i, j = np.divmod(q, b[block])
    return block, i, j


def pack(flags: Bools, words: int | None = None) -> Masks:
    """Rows of flags as bit sets: (n, words) uint64, flag k in bit k % 64 of word k // 64."""
    n, k = flags.shape
    words = (k + 63) // 64 if words is None else words
    bits = np.zeros((n, words * 64), dtype=bool)
    width = min(k, words * 64)
    bits[:, :width] = flags[:, :width]
    return np.packbits(bits, axis=1, bitorder="little").view("<u8").astype(np.uint64)


def meet(a: Masks, b: Masks) -> Bools:
    """Whether each pair of bit sets (rows of ``a`` and ``b``) shares a bit."""
    hit: Bools = (a[:, 0] & b[:, 0]) != 0
    for w in range(1, a.shape[1]):
        hit |= (a[:, w] & b[:, w]) != 0
    return hit


def any_per_run(flags: Bools, starts: NDArray[np.int64]) -> Bools:
    """Whether any row of each run ``[starts[i], starts[i + 1])`` (runs not empty, the last
    to the end) has each flag: an OR of the rows' bytes, eight at a time."""
    n, k = flags.shape
    if len(starts) == n:
        return flags  # one row per run
    width = -(-k // 8) * 8
    padded = np.zeros((n, width), dtype=bool)
    padded[:, :k] = flags
    words = np.bitwise_or.reduceat(padded.view(np.uint64), starts, axis=0)
    out: Bools = words.view(np.bool_)[:, :k]
    return out


def reduce_or(masks: Masks, bounds: NDArray[np.int64]) -> Masks:
    """The union of the bit sets of each run ``[bounds[i], bounds[i + 1])`` (runs not empty)."""
    return np.bitwise_or.reduceat(masks, bounds[:-1], axis=0)


def _set_bits(x: Masks) -> tuple[IntArray, NDArray[np.int64]]:
    """Every set bit of each row of ``x``: (row, bit number), by row, then bit."""
    rows, keys = [], []
    step = max(1, SET_BITS_AT_ONCE // max(1, x.shape[1] * 64))
    for a in range(0, len(x), step):
        # Bit k of word w is bit k % 8 of byte 8w + k // 8 (little-endian words).
        bits = np.unpackbits(
            np.ascontiguousarray(x[a : a + step], dtype="<u8").view(np.uint8),
            axis=1,
            bitorder="little",
        )
        row, key = np.nonzero(bits)
        rows.append(row + a)
        keys.append(key.astype(np.int64))
    if not rows:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows).astype(np.intp), np.concatenate(keys)


def group_balls(rows: IntArray, points: Points, radius: F64) -> tuple[IntArray, F64, F64, IntArray]:
    """Group rows by (point, radius): (ball of each row, coords, radius per ball, sort order)."""
    p = points.of[rows]
    order = np.lexsort((rows, radius, p))
    sp, sr = p[order], radius[order]
    if len(rows):
        new = np.r_[True, (sp[1:] != sp[:-1]) | (sr[1:] != sr[:-1])]
    else:
        new = np.zeros(0, dtype=bool)
    of = np.empty(len(rows), dtype=np.intp)
    of[order] = np.cumsum(new) - 1
    return of, points.coords[:, sp[new]], sr[new], order


@dataclass(frozen=True, eq=False)
class OfferPoints:
    """Offers grouped by (point, key), the key a métier or a class: ``members`` sorted so."""

    points: Points
    coords: F64  # of the points that hold at least one of these offers
    group_ptr: NDArray[np.int64]  # per point here: its groups in [group_ptr[v], group_ptr[v+1])
    group_key: IntArray
    group_start: NDArray[np.int64]
    group_count: NDArray[np.int64]
    members: IntArray
    mask: Masks  # per point here: the set of its groups' keys
    below: NDArray[np.int64]  # per point and word: its keys in the words before

    @classmethod
    def build(cls, cols: IntArray, points: Points, key: IntArray) -> OfferPoints:
        p = points.of[cols]
        m = key[cols]
        order = np.lexsort((cols, m, p))
        sp, sm = p[order], m[order]
        n = len(cols)
        new_group = (
            np.r_[True, (sp[1:] != sp[:-1]) | (sm[1:] != sm[:-1])] if n else np.zeros(0, dtype=bool)
        )
        new_point = np.r_[True, sp[1:] != sp[:-1]] if n else np.zeros(0, dtype=bool)
        g_first = np.flatnonzero(new_group)
        g_count = np.diff(np.append(g_first, n))
        point_of_group = np.cumsum(new_point)[g_first] - 1
        n_points = int(new_point.sum())
        group_ptr = np.searchsorted(point_of_group, np.arange(n_points + 1)).astype(np.int64)
        g_key = sm[g_first]
        words = int(g_key.max()) // 64 + 1 if n else 1
        one_hot = np.zeros((len(g_key), words), dtype=np.uint64)
        one_hot[np.arange(len(g_key)), g_key // 64] = np.uint64(1) << (g_key % 64).astype(np.uint64)
        mask = reduce_or(one_hot, group_ptr) if n else np.zeros((0, words), dtype=np.uint64)
        counts = np.bitwise_count(mask).astype(np.int64)
        return cls(
            points,
            points.coords[:, sp[new_point]],
            group_ptr,
            sm[g_first],
            g_first.astype(np.int64),
            g_count.astype(np.int64),
            cols[order],
            mask,
            np.cumsum(counts, axis=1) - counts,
        )

    def groups(self, v: IntArray) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The key groups of points ``v``, in order, and how many each point has."""
        per = self.group_ptr[v + 1] - self.group_ptr[v]
        return ranges(self.group_ptr[v], per), per

    def masks(self, words: int) -> Masks:
        """The points' key sets on ``words`` words (keys beyond them dropped)."""
        out = np.zeros((len(self.mask), words), dtype=np.uint64)
        w = min(words, self.mask.shape[1])
        out[:, :w] = self.mask[:, :w]
        return out

    def wanted(self, u: IntArray, v: IntArray, umask: Masks) -> tuple[IntArray, IntArray]:
        """For pairs (u, point v): the groups of v whose key is in u's set (``umask[u]``).

        Returns (pair index, group), in no particular order.
        """
        x = umask[u] & self.masks(umask.shape[1])[v]
        at, key = _set_bits(x)
        vv = v[at]
        word, bit = key // 64, (key % 64).astype(np.uint64)
        lower = self.mask[vv, word] & ((np.uint64(1) << bit) - np.uint64(1))
        group = self.group_ptr[vv] + self.below[vv, word] + np.bitwise_count(lower)
        return at, group


class _KeysOverflow(Exception):
    """A keyed grid would need more than :data:`KEY_BITS` bits per cell key."""


def near_groups(
    coords: F64, radius: F64, mask: Masks | Bools, offers: OfferPoints, limit: int | None = None
) -> Pairs:
    """Every (ball, group, distance) with the group's key in the ball's set and its point
    within the ball's radius, in no particular order.

    The pairs (and distances, to the bit) of :func:`near_pairs` on the points' key sets
    followed by :meth:`OfferPoints.wanted`, made without expanding the pairs that share no
    key: a ball meets each of its keys as its own item, in cells of the grid that are made
    per key (the key is the cell key's highest part), so a crowded cell's items meet only
    those of their own keys. ``coords`` (3, balls) and ``radius``: per ball; ``mask``: the
    balls' key sets (:func:`pack`), or the same as flags (balls x keys). ``limit``: raise
    :class:`TooManyPairs` if there would be more candidate pairs than that. Falls back on
    :func:`near_pairs` where the keys would not fit in an int64 (points spread over the whole
    earth at a small radius).
    """
    n_groups = len(offers.group_key)
    if coords.shape[1] == 0 or n_groups == 0:
        return no_pairs()
    if mask.dtype == np.bool_:
        # By key, then ball (balls come by point, points by coordinates): the cell keys made
        # of them below are nearly sorted already, which their stable sort is quick on.
        key, ball = np.nonzero(np.ascontiguousarray(mask.T))
        key = key.astype(np.int64)
    else:
        ball, key = _set_bits(cast(Masks, mask))
    n_keys = int(offers.group_key.max()) + 1
    present = np.zeros(n_keys + 1, dtype=bool)
    present[offers.group_key] = True
    wanted = present[np.minimum(key, n_keys)]  # keys no group holds meet nothing
    ball, key = ball[wanted], key[wanted]
    group_point = np.repeat(np.arange(len(offers.group_ptr) - 1), np.diff(offers.group_ptr)).astype(
        np.intp
    )
    keyed = _KeyedGroups(offers.coords, group_point, offers.group_key, n_keys)
    budget = _Budget(limit)
    parts: list[Pairs] = []
    everywhere = ~np.isfinite(radius[ball])
    if everywhere.any():
        at = np.flatnonzero(everywhere)
        parts.append(keyed.everywhere(coords, ball[at], key[at], budget))
    finite = np.flatnonzero(~everywhere)
    band = KEYED.bands(radius[ball[finite]])
    try:
        for b in np.unique(band).tolist():
            at = finite[band == b]
            parts += keyed.band(coords, radius, ball[at], key[at], KEYED.cell_km(b), budget)
    except _KeysOverflow:
        bits = pack(cast(Bools, mask)) if mask.dtype == np.bool_ else cast(Masks, mask)
        u, v, d = near_pairs(
            coords, radius, offers.coords, bits, offers.masks(bits.shape[1]), limit
        )
        at, group = offers.wanted(u, v, bits)
        return u[at], group, d[at]
    return concat_pairs(parts)


class _KeyedGroups:
    """The groups of :class:`OfferPoints` (one point, one key) as the items of a keyed grid."""

    def __init__(self, coords: F64, point: IntArray, key: IntArray, n_keys: int) -> None:
        self.coords, self.point, self.key, self.n_keys = coords, point, key, n_keys
        self.by_key = np.argsort(key, kind="stable")
        self.key_start = np.searchsorted(key[self.by_key], np.arange(n_keys + 1))

    def everywhere(self, coords: F64, ball: IntArray, key: IntArray, budget: _Budget) -> Pairs:
        """Every group of its key for each (ball, key) of infinite radius: no grid."""
        count = self.key_start[key + 1] - self.key_start[key]
        budget.spend(int(count.sum()))
        u = np.repeat(ball, count)
        group = self.by_key[ranges(self.key_start[key], count)]
        return u, group, distance_at(coords, u, self.coords, self.point[group])

    def band(
        self,
        coords: F64,
        radius: F64,
        ball: IntArray,
        key: IntArray,
        cell: float,
        budget: _Budget,
    ) -> list[Pairs]:
        """The groups within reach of the (ball, key) items of one band of radii, through
        cells ``cell`` km wide, made per key."""
        reach = KEYED.cells_per_radius
        wanted = np.zeros(self.n_keys, dtype=bool)
        wanted[key] = True
        # Only those of a key wanted here, by key (then point, as the items).
        groups = self.by_key[wanted[self.key[self.by_key]]]
        # Cells as (3, n): each axis contiguous (its minimum and maximum are quick to find).
        u_cells = np.floor(coords[:, ball] / cell).astype(np.int64)
        v_cells = np.floor(self.coords[:, self.point[groups]] / cell).astype(np.int64)
        low = np.minimum(u_cells.min(axis=1), v_cells.min(axis=1)) - reach
        span = np.maximum(u_cells.max(axis=1), v_cells.max(axis=1)) - low + reach + 1
        sx, sy, sz = (int(x) for x in span)
        if self.n_keys * sx * sy * sz >= 1 << KEY_BITS:
            raise _KeysOverflow

        def packed(cells: NDArray[np.int64], keys: IntArray) -> NDArray[np.int64]:
            out: NDArray[np.int64] = keys.astype(np.int64) * sx
            out += cells[0] - low[0]
            out *= sy
            out += cells[1] - low[1]
            out *= sz
            out += cells[2] - low[2]
            return out

        cells_u = occupied_cells(packed(u_cells, key))
        cells_v = occupied_cells(packed(v_cells, self.key[groups]))
        cu, cv = _cell_pairs(cells_u[0], cells_v[0], reach, (sy * sz, sz))
        out = []
        for at, near in _expand(cells_u, cu, cells_v, cv, budget):
            u, group = ball[at], groups[near]
            keep, d = _kept(coords, radius, u, self.coords, self.point[group])
            out.append((u[keep], group[keep], d))
        return out


def _kept(
    ucoords: F64, radius: F64, u: IntArray, vcoords: F64, v: IntArray
) -> tuple[IntArray, F64]:
    """Which candidate pairs (u, v) lie within ``radius[u]``, and their distances: the
    operations of :func:`_within`."""
    chord2 = chord2_at(ucoords, u, vcoords, v)
    r = radius[u]
    near = np.flatnonzero(chord2 <= r * r * (1.0 + 1e-9))
    d = chord_to_km(chord2[near])
    keep = d <= r[near]
    return near[keep], d[keep]


def join(
    rows: IntArray,
    radius: F64,
    wants: Bools,
    points: Points,
    offers: OfferPoints,
    cap: int | None = None,
    limit: int | None = None,
) -> Iterator[tuple[IntArray, IntArray, F64]]:
    """Yield (rows, cols, distances): every pair within the rows' radii whose key the row wants.

    ``radius``: per row; ``wants`` (len(rows), n_keys): the offer keys each row meets (a
    métier, or a class of offers all valid for it). In chunks of about :data:`CHUNK_PAIRS`.
    Rows are grouped in balls (point, radius); only balls near some offer go further. ``cap``:
    at most the first ``cap`` offers of a group (one point, one key). ``limit``: raise
    :class:`TooManyPairs`, before any pair is made, if there would be more pairs than that.
    """
    if not len(rows) or not len(offers.members):
        return
    of, coords, ball_radius, order = group_balls(rows, points, radius)
    # Each ball's set of wanted keys: the union of its rows' (rows sorted by ball in ``order``).
    ball_start = np.searchsorted(of[order], np.arange(len(ball_radius)))
    ball_mask = any_per_run(wants[order], ball_start)
    if len(ball_radius) and ball_radius.max() <= NEAR_POINTS_KM:
        # Small radii (the same point, or nearly): most balls have no offer point in reach, and
        # a join of the points alone, with no key, drops them at little cost.
        some = np.unique(near_pairs(coords, ball_radius, offers.coords)[0])
        u, g, d = near_groups(coords[:, some], ball_radius[some], ball_mask[some], offers, limit)
        u = some[u]
    else:
        u, g, d = near_groups(coords, ball_radius, ball_mask, offers, limit)
    if not len(u):
        return
    active = np.zeros(len(ball_radius), dtype=bool)
    active[u] = True
    compact = np.cumsum(active) - 1
    n_active = int(active.sum())
    u = compact[u]
    # The active balls' rows per (key, ball), in (key, ball, row) order without sorting.
    in_order = order[active[of[order]]]
    key_of, at = np.nonzero(np.ascontiguousarray(wants[in_order].T))
    members = rows[in_order][at]
    # Where each (key, ball) run of members starts, and its length: a pair (ball, group)
    # meets the run of its ball and the group's key (one of the ball's keys: never empty).
    run_key = key_of * np.int64(n_active) + compact[of[in_order][at]]
    first = np.flatnonzero(np.r_[True, run_key[1:] != run_key[:-1]])
    run = np.searchsorted(run_key[first], offers.group_key[g] * np.int64(n_active) + u)
    start = first[run]
    a = np.diff(np.append(first, len(run_key)))[run]
    b = offers.group_count[g]
    if cap is not None:
        b = np.minimum(b, cap)
    size = a * b
    if limit is not None and int(size.sum()) > limit:
        raise TooManyPairs(int(size.sum()))
    for sel in _chunks(size, CHUNK_PAIRS):
        block, i, j = _products(a[sel], b[sel])
        yield (
            members[start[sel][block] + i],
            offers.members[offers.group_start[g[sel]][block] + j],
            d[sel][block],
        )


def best_first(pair_rows: IntArray, pair_cols: IntArray, score: F64) -> IntArray:
    """The order of pairs by row, then score descending, then offer index.

    An LSD radix sort in 16-bit digits (numpy sorts those stably in linear time), several
    times faster than ``lexsort`` on millions of pairs. Scores are >= 0: their IEEE bits,
    read as integers, sort like the numbers.
    """
    order = np.arange(len(pair_rows))
    worse = np.int64(0x7FF0000000000000) - np.asarray(score, dtype=np.float64).view(np.int64)
    for key in (pair_cols, worse, pair_rows):
        if not len(key) or key.min() == key.max():
            continue  # all equal: nothing to order
        shifted = (key - key.min()).astype(np.uint64)
        top = int(shifted.max())
        shift = 0
        while True:
            digit = ((shifted[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
            order = order[np.argsort(digit, kind="stable")]
            shift += 16
            if top >> shift == 0:
                break
    return order
