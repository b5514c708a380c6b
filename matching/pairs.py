"""Flat pair joins: every (request, offer) pair within a distance, as 1-D arrays, no loop per cell.

The allocation never scores all pairs within reach: it asks for the pairs within a radius that
a score threshold implies (see :mod:`matching.allocation`). This module answers such questions:

* requests and offers are first grouped by point (the same coordinates, to the last bit: many
  share a commune's centroid), and requests by *ball*: a point and a radius;
* each ball carries the set of keys its requests want (a key: a métier, or a class of offers
  all valid for them), each offer point the set of keys it holds, as bits (:func:`pack`);
* balls meet offer points in a 3-D grid of earth-centred cells, one band of radii at a time:
  the side with fewer cells looks up, with ``searchsorted``, the other's cells within two of
  each of its own, a column of cells at a time; cell pairs, then candidate (ball, point)
  pairs, that share no key are dropped, and the rest are expanded with ``repeat``/``cumsum``,
  all at once;
* the distance of each (ball, point) pair is measured once, with the kernel's operations (so a
  pair gets the same bits as in :func:`matching.scoring.kernel`), and pairs beyond the ball's
  radius are dropped;
* the surviving (ball, point) pairs are expanded to (request, offer) pairs per key: a ball's
  requests that want key m meet the point's offers of key m, and nothing else.

:func:`pair_terms` then scores a list of pairs with the same arithmetic as the kernel, and says
which are valid under the hard constraints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .engine import _SHIFT, _cell_keys
from .geo import chord_to_km
from .model import Params
from .scoring import OfferTable, RequestTable, _housing_table, _weights

__all__ = [
    "Points",
    "near_pairs",
    "group_balls",
    "OfferPoints",
    "join",
    "ranges",
    "pair_terms",
    "Masks",
    "pack",
    "meet",
    "reduce_or",
    "distance",
    "CHUNK_PAIRS",
    "TooManyPairs",
]

#: Pairs expanded at once: bounds the memory of one join step.
CHUNK_PAIRS = 1 << 22
#: Grid cells per band radius in :func:`near_pairs`, and the radius of the first band.
_CELLS = 2
_BAND_BASE_KM = 0.5
#: Key offsets of the columns of cells (first two axes) within _CELLS of a cell; along the
#: third axis, keys are consecutive.
_COLUMNS = np.array(
    [
        (dx << (2 * int(_SHIFT))) + (dy << int(_SHIFT))
        for dx in range(-_CELLS, _CELLS + 1)
        for dy in range(-_CELLS, _CELLS + 1)
    ],
    dtype=np.int64,
)

IntArray = NDArray[np.intp]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


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
    dx = a[0] - b[0]
    d = dx * dx
    tmp = a[1] - b[1]
    tmp *= tmp
    d += tmp
    tmp = a[2] - b[2]
    tmp *= tmp
    d += tmp
    return chord_to_km(d)


def _bands(radius: F64) -> NDArray[np.int64]:
    """Band of each radius: band b holds radii up to ``_BAND_BASE_KM * 2**(b / 2)``."""
    ratio = np.maximum(radius, _BAND_BASE_KM) / _BAND_BASE_KM
    band = np.ceil(2.0 * np.log2(ratio)).astype(np.int64)
    band += radius > _BAND_BASE_KM * 2.0 ** (band / 2)  # rounding never shrinks a band
    return band


def _cells(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], IntArray]:
    """Distinct cell keys, and the items of each: (keys, start per key + end, items by key)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    new = np.r_[True, sk[1:] != sk[:-1]] if len(sk) else np.zeros(0, dtype=bool)
    first = np.flatnonzero(new)
    return sk[first], np.r_[first, len(sk)].astype(np.int64), order


def near_pairs(
    ucoords: F64,
    radius: F64,
    vcoords: F64,
    umask: Masks | None = None,
    vmask: Masks | None = None,
    limit: int | None = None,
) -> tuple[IntArray, IntArray, F64]:
    """Every (u, v) with distance(u, v) <= radius[u]: (u, v, distance), in no particular order.

    ``radius`` may be 0 (the same point only) or ``inf`` (every point: no grid). Per band of
    radii, balls and points go in cells half the band's radius wide; the side with fewer
    occupied cells looks up the other's cells within two of each of its own (a chord is never
    longer than the arc), then the pairs of each pair of cells are expanded at once.

    With ``umask`` and ``vmask`` (bit sets, see :func:`pack`), only pairs whose sets meet:
    cell pairs and candidate pairs that share no bit are dropped before any distance.
    ``limit``: raise :class:`TooManyPairs` if there would be more candidate pairs than that.
    """
    nu, nv = ucoords.shape[1], vcoords.shape[1]
    empty = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0))
    if nu == 0 or nv == 0:
        return empty
    masked = umask is not None and vmask is not None
    us, vs, ds = [], [], []
    everywhere = ~np.isfinite(radius)
    candidates = int(everywhere.sum()) * nv
    if everywhere.any():
        if limit is not None and candidates > limit:
            raise TooManyPairs(candidates)
        u = np.repeat(np.flatnonzero(everywhere), nv)
        v = np.tile(np.arange(nv), int(everywhere.sum()))
        if masked:
            hit = meet(umask[u], vmask[v])
            u, v = u[hit], v[hit]
        us.append(u)
        vs.append(v)
        ds.append(distance(ucoords[:, u], vcoords[:, v]))
    finite = np.flatnonzero(~everywhere)
    band = _bands(radius[finite])
    ux, uy, uz = ucoords
    vx, vy, vz = vcoords
    for b in np.unique(band).tolist():
        ub = finite[band == b]
        cell = _BAND_BASE_KM * 2.0 ** (b / 2) / _CELLS
        ukeys, ubounds, uitems = _cells(_cell_keys(ucoords[:, ub].T, cell))
        vkeys, vbounds, vitems = _cells(_cell_keys(vcoords.T, cell))
        # Occupied cell pairs, looked up from the side with fewer cells (the offsets are
        # symmetric).
        swap = len(ukeys) > len(vkeys)
        probe, target = (vkeys, ukeys) if swap else (ukeys, vkeys)
        # Cells along the third axis have consecutive keys: one range per column of cells.
        column = (probe[:, None] + _COLUMNS[None, :]).ravel()
        lo = np.searchsorted(target, column - _CELLS)
        found = np.searchsorted(target, column + _CELLS, side="right") - lo
        pi = np.repeat(np.arange(len(column)) // len(_COLUMNS), found)
        ti = ranges(lo, found)
        cu, cv = (ti, pi) if swap else (pi, ti)
        if masked:
            hit = meet(
                reduce_or(umask[ub[uitems]], ubounds)[cu], reduce_or(vmask[vitems], vbounds)[cv]
            )
            cu, cv = cu[hit], cv[hit]
        a = ubounds[cu + 1] - ubounds[cu]
        bsz = vbounds[cv + 1] - vbounds[cv]
        size = a * bsz
        candidates += int(size.sum())
        if limit is not None and candidates > limit:
            raise TooManyPairs(candidates)
        for sel in _chunks(size, CHUNK_PAIRS * 4):
            block, i, j = _products(a[sel], bsz[sel])
            if not len(block):
                continue
            u = ub[uitems[ubounds[cu[sel]][block] + i]]
            v = vitems[vbounds[cv[sel]][block] + j]
            if masked:
                hit = meet(umask[u], vmask[v])
                u, v = u[hit], v[hit]
            # Squared chords first: the chord is never longer than the arc.
            dx = ux[u] - vx[v]
            c2 = dx * dx
            tmp = uy[u] - vy[v]
            tmp *= tmp
            c2 += tmp
            tmp = uz[u] - vz[v]
            tmp *= tmp
            c2 += tmp
            r = radius[u]
            near = c2 <= r * r * (1.0 + 1e-9)
            u, v, c2 = u[near], v[near], c2[near]
            d = chord_to_km(c2)
            keep = d <= radius[u]
            us.append(u[keep])
            vs.append(v[keep])
            ds.append(d[keep])
    if not us:
        return empty
    return np.concatenate(us), np.concatenate(vs), np.concatenate(ds)


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


def ranges(starts: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[np.int64]:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, without a loop."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total)


def _products(a: NDArray[np.int64], b: NDArray[np.int64]) -> tuple[IntArray, IntArray, IntArray]:
    """Every (block, i, j) with i < a[block] and j < b[block], block by block, i then j."""
    n = a * b
    block = np.repeat(np.arange(len(n)), n)
    q = np.arange(int(n.sum())) - (np.cumsum(n) - n)[block]
    i, j = np.divmod(q, b[block])
    return block, i, j


Masks = NDArray[np.uint64]


def pack(flags: B, words: int | None = None) -> Masks:
    """Rows of flags as bit sets: (n, words) uint64, flag k in bit k % 64 of word k // 64."""
    n, k = flags.shape
    words = (k + 63) // 64 if words is None else words
    bits = np.zeros((n, words * 64), dtype=bool)
    width = min(k, words * 64)
    bits[:, :width] = flags[:, :width]
    return np.packbits(bits, axis=1, bitorder="little").view("<u8").astype(np.uint64)


def meet(a: Masks, b: Masks) -> B:
    """Whether each pair of bit sets (rows of ``a`` and ``b``) shares a bit."""
    hit = (a[:, 0] & b[:, 0]) != 0
    for w in range(1, a.shape[1]):
        hit |= (a[:, w] & b[:, w]) != 0
    return hit


def reduce_or(masks: Masks, bounds: NDArray[np.int64]) -> Masks:
    """The union of the bit sets of each run ``[bounds[i], bounds[i + 1])`` (runs not empty)."""
    return np.bitwise_or.reduceat(masks, bounds[:-1], axis=0)


def _set_bits(x: Masks) -> tuple[IntArray, NDArray[np.int64]]:
    """Every set bit of each row of ``x``: (row, bit number), in no particular order."""
    rows, keys = [], []
    for w in range(x.shape[1]):
        idx = np.flatnonzero(x[:, w])
        xw = x[idx, w]
        while len(idx):
            low = xw & (np.uint64(0) - xw)
            rows.append(idx)
            keys.append(np.frexp(low.astype(np.float64))[1].astype(np.int64) + (64 * w - 1))
            xw = xw ^ low
            left = xw != 0
            idx, xw = idx[left], xw[left]
    if not rows:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(keys)


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
        g_count = np.diff(np.r_[g_first, n])
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


def join(
    rows: IntArray,
    radius: F64,
    wants: B,
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
    ball_mask = reduce_or(
        pack(wants[order]), np.searchsorted(of[order], np.arange(len(ball_radius) + 1))
    )
    u, v, d = near_pairs(
        coords, ball_radius, offers.coords, ball_mask, offers.masks(ball_mask.shape[1]), limit
    )
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
    count = np.bincount(
        key_of * np.int64(n_active) + compact[of[in_order][at]],
        minlength=wants.shape[1] * n_active,
    ).astype(np.int64)
    start = np.cumsum(count) - count
    at, g = offers.wanted(u, v, ball_mask[active])
    u, d = u[at], d[at]
    key = offers.group_key[g] * np.int64(n_active) + u
    a = count[key]
    b = offers.group_count[g]
    if cap is not None:
        b = np.minimum(b, cap)
    size = a * b
    if limit is not None and int(size.sum()) > limit:
        raise TooManyPairs(int(size.sum()))
    for sel in _chunks(size, CHUNK_PAIRS):
        block, i, j = _products(a[sel], b[sel])
        yield (
            members[start[key[sel]][block] + i],
            offers.members[offers.group_start[g[sel]][block] + j],
            d[sel][block],
        )


def pair_terms(
    RT: RequestTable, ri: IntArray, OT: OfferTable, ci: IntArray, d: F64, params: Params
) -> tuple[F64, B]:
    """(score, valid) of pairs at distances ``d``: the kernel's arithmetic, bit for bit.

    Valid: every hard constraint holds, housing needed only where there is a bed (the
    allocation's rule), within reach or relocation. The métier is not checked: a pair of
    unrelated métiers scores below any valid one and must not be passed here.
    """
    a_m, a_d, a_h = _weights(params)
    needs, hasbeds = RT.needs[ri], OT.hasbeds[ci]
    eligible = RT.acc[ri] & hasbeds
    valid = (d <= RT.max_km[ri]) | eligible
    valid &= RT.level[ri] >= OT.entry[ci]
    valid &= RT.lic[ri] | ~OT.lic[ci]
    valid &= RT.avail[ri] <= OT.start_tol[ci]
    valid &= ~needs | hasbeds
    score = RT.cmw[ri, OT.metier[ci]]
    t = d * RT.kfac[ri]
    np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=eligible)
    tmp = 1.0 - t
    tmp *= a_d
    score += tmp
    s_housing = _housing_table(params)[needs.astype(np.intp) * 2 + ~hasbeds]
    score += s_housing * a_h
    return score, valid
