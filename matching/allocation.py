"""A global, stable allocation of requests to offers, built level by level of score.

Each request gets at most one offer; an offer takes at most ``places`` requests, of which at
most ``housing_beds`` need housing. Both sides rank by the pair's score (requests: ties by offer
id; offers: ties by request id). An offer chooses greedily down its ranking: it takes a
proposer if it has a place left and, for a proposer who needs housing, a bed left. A request
that needs housing is never placed on an offer without a bed.

Candidate-proposing deferred acceptance (Gale-Shapley) is the reference. Because both sides
rank by the same score, with ties broken the same way (score, then request id, then offer id),
the stable allocation is unique: it is what a greedy pass over the pairs in that order gives.
So the pairs need not all be scored up front. The engine works down the scores in *levels*:

* level k takes the pairs scoring at least ``theta_k`` among the requests still free and the
  offers with a place left (with residual places and beds), and runs deferred acceptance on
  them (numpy rounds, all free requests at once). Holders of earlier levels are never displaced:
  every later pair scores less;
* a score threshold bounds the distance: a pair scoring ``theta`` or more has a distance
  penalty ``t <= (top - theta) / w_d`` (``top``: the score of a same-métier pair at distance
  0), so it lies within ``t / (1 - e)`` of the candidate's radius. Each level only meets the
  offers that near each request, through the flat joins of :mod:`matching.pairs` (offers
  grouped by point and by class of constraints, so a join yields valid pairs only). Most
  offers fill at the very top (same métier, same commune), later levels meet the few left;
* candidates who accept to move meet the offers with a bed anywhere once the threshold falls
  to the score a relocation pair has at any distance.

The result is the same as deferred acceptance over complete preference lists (the property tests
compare it with a brute-force greedy, with one level and with many). Then each assignment gets
its choice rank (1 + the compatible offers the candidate ranks higher, counted exactly, with a
join bounded by its own score), and each unassigned request the number of its compatible offers
(counted per ball and class of offers, no pair scored) and the requests that hold its best
ones (``lost_to``: its best offers are found by a join out to the smallest ring of distance
that holds enough offers of its own métier, counted with the compatible ones).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from .engine import _prepare
from .model import (
    DEFAULT_PARAMS,
    Allocation,
    Assignment,
    Match,
    OfferIn,
    Params,
    RequestIn,
    Unassigned,
)
from .pairs import (
    Masks,
    OfferPoints,
    Points,
    TooManyPairs,
    distance,
    group_balls,
    join,
    near_pairs,
    pack,
    pair_terms,
    ranges,
    reduce_or,
)
from .referential import MetierReferential
from .scoring import OfferTable, RequestTable, _weights, pair_results

__all__ = ["allocate", "LEVELS", "MAX_LOST_TO"]

#: The levels, as the distance penalty ``t`` (0 at the candidate's commune, ``1 - e`` at the
#: limit of the radius) a same-métier pair may have at most; ``inf``: every remaining pair.
LEVELS = (0.0, 0.1, 0.25, 0.5, 1.0, float("inf"))
#: At most this many pairs in one join: beyond, a level is split in finer ones, and a
#: search is made for fewer requests at a time (memory stays bounded on dense data).
PAIRS_LIMIT = 1 << 23
#: At most this many request ids in an unassigned request's ``lost_to``.
MAX_LOST_TO = 10
#: Rings of distance (fractions of a request's radius) that first guesses of a search start at.
_RINGS = np.r_[0.0, 2.0 ** -np.arange(6.0, -0.25, -0.25)]
#: Balls whose rings are counted at once.
_BALLS = 4096
#: Relative slack of the join radii (their bounds are computed in floating point).
_SLACK = 1e-9

IntArray = NDArray[np.intp]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]
T = TypeVar("T")


def _empty_pairs() -> tuple[IntArray, IntArray, F64]:
    z = np.zeros(0, dtype=np.intp)
    return z, z, np.zeros(0)


def _concat(parts: list[tuple[IntArray, IntArray, F64]]) -> tuple[IntArray, IntArray, F64]:
    if not parts:
        return _empty_pairs()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


class _Classes:
    """Live offers grouped by what the hard constraints look at (métier, licence, start, bed).

    Two offers of a class are valid for exactly the same requests within reach.
    """

    def __init__(self, OT: OfferTable, cols: IntArray, n_metiers: int) -> None:
        stol_rank = np.unique(OT.start_tol[cols], return_inverse=True)[1].ravel()
        key = ((stol_rank * n_metiers + OT.metier[cols]) * 2 + OT.lic[cols]) * 2 + OT.hasbeds[cols]
        ukey, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        rep = cols[first]
        self.n = len(ukey)
        self.metier = OT.metier[rep]
        self.lic = OT.lic[rep]
        self.start_tol = OT.start_tol[rep]
        self.entry = OT.entry[rep]
        self.hasbeds = OT.hasbeds[rep]
        self.of = np.full(len(OT.ids), -1, dtype=np.intp)
        self.of[cols] = inverse
        order = np.lexsort((cols, inverse))
        self.members = cols[order]  # by class, then offer index (= id order)
        self.size = np.bincount(inverse, minlength=self.n).astype(np.int64)
        self.start = np.cumsum(self.size) - self.size

    def accept(self, RT: RequestTable, rows: IntArray) -> B:
        """(len(rows), n): the class's offers are valid for the row (distance aside)."""
        ok = RT.cm[rows][:, self.metier] > 0
        ok &= RT.level[rows][:, None] >= self.entry[None, :]
        ok &= RT.lic[rows][:, None] | ~self.lic[None, :]
        ok &= RT.avail[rows][:, None] <= self.start_tol[None, :]
        ok &= ~RT.needs[rows][:, None] | self.hasbeds[None, :]
        return ok

    def before(self, cls: IntArray, col: IntArray) -> NDArray[np.int64]:
        """Members of class ``cls`` whose offer index is below ``col`` (elementwise)."""
        key = self.of[self.members] * np.int64(1 << 32) + self.members
        return np.searchsorted(key, cls * np.int64(1 << 32) + col) - self.start[cls]


class _Space:
    """The tables, their points, and the bounds that turn a score threshold into a radius."""

    def __init__(self, RT: RequestTable, OT: OfferTable, params: Params) -> None:
        self.RT, self.OT, self.params = RT, OT, params
        self.rpoints, self.opoints = Points.build(RT.coords), Points.build(OT.coords)
        a_m, a_d, a_h = _weights(params)
        self.a_d = a_d
        self.top = a_m + a_d + a_h  # same métier, same point, housing fine
        self.related_top = a_m * params.related_metier_score + a_d + a_h
        # A related métier scores as the same métier would ``shift`` further (in t).
        self.shift = (self.top - self.related_top) / a_d
        self.e = params.distance_score_at_limit
        self.cap_t = 1.0 - params.relocation_distance_score  # relocation: t never above this
        self.live = np.flatnonzero(OT.live).astype(np.intp)
        self.classes = _Classes(OT, self.live, RT.cm.shape[1])
        self.bed_classes = np.flatnonzero(self.classes.hasbeds)
        everyone = np.arange(len(RT.ids), dtype=np.intp)
        self.accept = self.classes.accept(RT, everyone)  # (requests, classes)
        cm = RT.cm[:, self.classes.metier]  # (requests, classes): the métier's score
        self.same = cm >= 1.0
        self.related = (cm > 0.0) & ~self.same

    def theta(self, tau: float | F64) -> float | F64:
        """The score threshold of a level (pairs above it have t <= tau)."""
        return np.where(np.isfinite(tau), self.top - self.a_d * np.minimum(tau, 1e300), -np.inf)

    def tau(self, score: F64) -> F64:
        """The largest t a same-métier pair scoring at least ``score`` may have."""
        return np.maximum((self.top - score) / self.a_d, 0.0)

    def radius(self, rows: IntArray, tau: float | F64) -> tuple[F64, B]:
        """Join radius per row for pairs with t <= tau, and which rows meet every bed.

        Beyond the radius, a pair has t > tau, except relocation pairs of the rows flagged:
        those all score the relocation floor, whatever the distance.
        """
        RT = self.RT
        tau = np.broadcast_to(np.asarray(tau, dtype=np.float64), rows.shape)
        f = tau / (1.0 - self.e)
        movers = RT.acc[rows]
        reloc_all = movers & (tau >= self.cap_t - _SLACK)
        f_near = np.minimum(f, 1.0)
        f_mover = np.where(reloc_all, np.maximum(f_near, self.cap_t / (1.0 - self.e)), f)
        fr = np.where(movers, f_mover, f_near)
        return RT.max_km[rows] * fr * (1.0 + _SLACK) + _SLACK, reloc_all

    def entries(self, rows: IntArray, tau: float | F64) -> tuple[IntArray, F64, B, B]:
        """What to join for pairs with t <= tau: (rows, radius, wants, reloc_all).

        A pair of a related métier scores as one of the same métier ``shift`` further, so a row
        that meets related classes at this penalty meets them as a second entry, within the
        radius of ``tau - shift`` only: one entry per row, in order, then these.
        """
        tau = np.broadcast_to(np.asarray(tau, dtype=np.float64), rows.shape)
        radius, reloc_all = self.radius(rows, tau)
        wants = self.wants(rows, tau)
        related = self.related[rows]
        split = np.flatnonzero((wants & related).any(axis=1))
        if not len(split):
            return rows, radius, wants, reloc_all
        rel_wants = wants[split] & related[split]
        wants[split] &= ~related[split]
        rel_tau = np.maximum(tau[split] - self.shift, 0.0)
        rel_radius, rel_reloc = self.radius(rows[split], rel_tau)
        return (
            np.concatenate([rows, rows[split]]),
            np.concatenate([radius, rel_radius]),
            np.concatenate([wants, rel_wants]),
            np.concatenate([reloc_all, rel_reloc]),
        )

    def wants(self, rows: IntArray, tau: float | F64) -> B:
        """Offer classes each row meets: valid ones, of a related métier only where such a
        pair can reach the level."""
        related = np.asarray(self.theta(tau)) <= self.related_top + _SLACK
        if related.ndim:
            return self.accept[rows] & (related[:, None] | self.same[rows])
        return self.accept[rows] if related else self.accept[rows] & self.same[rows]

    def within(
        self,
        rows: IntArray,
        cols: IntArray,
        radius: F64,
        wants: B,
        cap: int | None = None,
        limit: int | None = None,
    ) -> tuple[IntArray, IntArray, F64, F64]:
        """Valid pairs of ``rows`` x ``cols`` within ``radius``: (rows, cols, scores, dist).

        Raises :class:`TooManyPairs` if the join would hold more than ``limit`` pairs.
        """
        out: list[tuple[IntArray, IntArray, F64]] = []
        dist: list[F64] = []
        if len(rows) and len(cols):
            offers = OfferPoints.build(cols, self.opoints, self.classes.of)
            for ri, ci, d in join(rows, radius, wants, self.rpoints, offers, cap, limit):
                s, ok = pair_terms(self.RT, ri, self.OT, ci, d, self.params)
                out.append((ri[ok], ci[ok], s[ok]))
                dist.append(d[ok])
        ri, ci, s = _concat(out)
        return ri, ci, s, (np.concatenate(dist) if dist else np.zeros(0))

    def anywhere(
        self, rows: IntArray, cols: IntArray, beyond: F64, wants: B, limit: int | None = None
    ) -> tuple[IntArray, IntArray, F64]:
        """Valid pairs of ``rows`` x ``cols`` farther than ``beyond`` (per row), at any distance."""
        ri, ci, s, d = self.within(rows, cols, np.full(len(rows), np.inf), wants, limit=limit)
        limit = np.zeros(len(self.RT.ids))
        limit[rows] = beyond
        far = d > limit[ri]
        return ri[far], ci[far], s[far]

    def floor_scores(self, rows: IntArray, cls: IntArray) -> F64:
        """The score of a relocation pair at the floor (t = cap_t): pair_terms' arithmetic."""
        _a_m, a_d, a_h = _weights(self.params)
        score = self.RT.cmw[rows, self.classes.metier[cls]]
        tmp = 1.0 - np.full(len(rows), self.cap_t)
        tmp *= a_d
        score += tmp
        score += np.ones(len(rows)) * a_h
        return score


# --- deferred acceptance within a level ----------------------------------------------------------


def _group_rank(flag: B, group_start: IntArray) -> IntArray:
    """Number of True flags before each position within its group (arrays sorted by group)."""
    c = np.cumsum(flag, dtype=np.int64)
    before = c - flag
    return before - (c[group_start] - flag[group_start])


def _worse(s: F64, r: IntArray, cs: F64, cr: IntArray) -> B:
    """Whether (score s, request r) ranks below (cs, cr): lower score, or same and larger id."""
    return (s < cs) | ((s == cs) & (r > cr))


def _defer(
    indptr: NDArray[np.intp],
    cols: IntArray,
    scores: F64,
    places: NDArray[np.int64],
    beds: NDArray[np.int64],
    needs: B,
    window: int = 8,
) -> tuple[IntArray, F64]:
    """Candidate-proposing deferred acceptance over complete lists (CSR, best first).

    Returns each request's offer (-1: none) and its score. An offer's cut-offs (the worst
    request it holds once its places, or beds, are all taken) only rise: a request below them
    is rejected now and forever, so it skips the offer instead of proposing.
    """
    n_req, n_off = len(indptr) - 1, len(places)
    length = np.diff(indptr)
    nxt = np.zeros(n_req, dtype=np.int64)
    held = np.full(n_req, -1, dtype=np.intp)
    held_score = np.zeros(n_req)
    cut = np.full(n_off, -np.inf)
    cut_id = np.zeros(n_off, dtype=np.intp)
    cut_hn = np.full(n_off, -np.inf)
    cut_hn_id = np.zeros(n_off, dtype=np.intp)
    free = np.flatnonzero(length > 0).astype(np.intp)
    steps = np.arange(window)
    while len(free):
        proposing: list[IntArray] = []
        todo = free
        while len(todo):
            todo = todo[nxt[todo] < length[todo]]
            if not len(todo):
                break
            pos = nxt[todo][:, None] + steps[None, :]
            inside = pos < length[todo][:, None]
            flat = indptr[todo][:, None] + np.minimum(pos, length[todo][:, None] - 1)
            o, s = cols[flat], scores[flat]
            r = todo[:, None]
            closed = _worse(s, r, cut[o], cut_id[o]) | (
                needs[todo][:, None] & _worse(s, r, cut_hn[o], cut_hn_id[o])
            )
            open_ = inside & ~closed
            found = open_.any(axis=1)
            first = np.argmax(open_, axis=1)
            nxt[todo[found]] += first[found]
            proposing.append(todo[found])
            rest = todo[~found]
            nxt[rest] = np.minimum(nxt[rest] + window, length[rest])
            todo = rest
        if not proposing or not sum(len(p) for p in proposing):
            break
        proposers = np.concatenate(proposing)
        pos = indptr[proposers] + nxt[proposers]
        p_offer, p_score = cols[pos], scores[pos]
        touched = np.zeros(n_off, dtype=bool)
        touched[p_offer] = True
        holders = np.flatnonzero((held >= 0) & touched[np.maximum(held, 0)]).astype(np.intp)
        cand = np.concatenate([holders, proposers])
        c_offer = np.concatenate([held[holders], p_offer])
        c_score = np.concatenate([held_score[holders], p_score])
        order = np.lexsort((cand, -c_score, c_offer))
        cand, c_offer, c_score = cand[order], c_offer[order], c_score[order]
        first = np.flatnonzero(np.r_[True, c_offer[1:] != c_offer[:-1]])
        group_start = np.repeat(first, np.diff(np.r_[first, len(cand)]))
        hn = needs[cand]
        eligible = ~hn | (_group_rank(hn, group_start) < beds[c_offer])
        accepted = eligible & (_group_rank(eligible, group_start) < places[c_offer])
        won, lost = cand[accepted], cand[~accepted]
        held[won] = c_offer[accepted]
        held_score[won] = c_score[accepted]
        held[lost] = -1
        nxt[lost] += 1
        # New cut-offs of the touched offers, from their holders (sorted best first).
        t = np.flatnonzero(touched)
        cut[t] = -np.inf
        cut_hn[t] = -np.inf
        w_offer, w_score = c_offer[accepted], c_score[accepted]
        for mask, c, cid, cap in (
            (np.ones(len(won), dtype=bool), cut, cut_id, places),
            (needs[won], cut_hn, cut_hn_id, beds),
        ):
            o, s, r = w_offer[mask], w_score[mask], won[mask]
            if not len(o):
                continue
            last = np.flatnonzero(np.r_[o[1:] != o[:-1], True])  # worst holder of each offer
            full = np.diff(np.r_[-1, last]) >= cap[o[last]]
            c[o[last][full]] = s[last][full]
            cid[o[last][full]] = r[last][full]
        free = np.sort(lost)
    return held, held_score


def _best_first(ri: IntArray, ci: IntArray, s: F64) -> IntArray:
    """The order of pairs by row, then score descending, then offer index.

    An LSD radix sort in 16-bit digits (numpy sorts those stably in linear time), several
    times faster than ``lexsort`` on millions of pairs. Scores are >= 0: their IEEE bits,
    read as integers, sort like the numbers.
    """
    order = np.arange(len(ri))
    worse = np.int64(0x7FF0000000000000) - np.asarray(s, dtype=np.float64).view(np.int64)
    for key in (ci, worse, ri):
        if not len(key) or key.min() == key.max():
            continue  # all equal: nothing to order
        k = (key - key.min()).astype(np.uint64)
        top = int(k.max())
        shift = 0
        while True:
            digit = ((k[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
            order = order[np.argsort(digit, kind="stable")]
            shift += 16
            if top >> shift == 0:
                break
    return order


def _csr(n: int, ri: IntArray, ci: IntArray, s: F64) -> tuple[NDArray[np.intp], IntArray, F64]:
    """Pairs as per-row lists, best first (score descending, then offer index)."""
    order = _best_first(ri, ci, s)
    ri, ci, s = ri[order], ci[order], s[order]
    return np.searchsorted(ri, np.arange(n + 1)).astype(np.intp), ci, s


def _level_pairs(
    space: _Space,
    free: IntArray,
    cols: IntArray,
    beds: NDArray[np.int64],
    tau: float,
    limit: int | None,
) -> tuple[IntArray, IntArray, F64]:
    """The pairs of a level: free requests x offers with a place left, scoring at least the
    level's threshold (a request who needs housing only where a bed is left)."""
    RT, OT = space.RT, space.OT
    # The free requests that want a class with a place left, and what they want of them.
    open_ = np.zeros(space.classes.n, dtype=bool)
    open_[space.classes.of[cols]] = True
    rows = free[(space.wants(free, tau) & open_).any(axis=1)]
    rows_, radius, wants, reloc_all = space.entries(rows, tau)
    wants &= open_
    ri, ci, s, _d = space.within(rows_, cols, radius, wants, limit=limit)
    parts = [(ri, ci, s)]
    beds_left = cols[OT.hasbeds[cols]]
    for entry in (slice(0, len(rows)), slice(len(rows), None)):  # each row once in each
        far = reloc_all[entry]
        if far.any():
            movers, beyond, wanted = rows_[entry][far], radius[entry][far], wants[entry][far]
            parts.append(space.anywhere(movers, beds_left, beyond, wanted, limit))
    ri, ci, s = _concat(parts)
    keep = (s >= space.theta(tau)) & ~(RT.needs[ri] & (beds[ci] <= 0))
    return ri[keep], ci[keep], s[keep]


def _finer(space: _Space, done: float | None, tau: float) -> float | None:
    """A level between the last one run and ``tau``, or None if none would hold fewer pairs
    (they are too close, or the last one already held every pair but the relocation ones)."""
    low = 0.0 if done is None else done
    if not np.isfinite(tau):
        every = 1.0 - space.e + space.shift  # the lowest valid score within a radius
        return None if low > every else max(2.0 * low, 0.5)
    return (low + tau) / 2.0 if tau - low > 1e-3 else None


def _levels(space: _Space) -> tuple[IntArray, F64]:
    """The allocation: each request's offer (-1: none) and score, level by level.

    A level whose join would exceed :data:`PAIRS_LIMIT` pairs is preceded by a finer one (the
    result does not depend on the levels).
    """
    RT, OT = space.RT, space.OT
    n_req = len(RT.ids)
    places, beds = OT.places.copy(), OT.beds.copy()
    held = np.full(n_req, -1, dtype=np.intp)
    held_score = np.zeros(n_req)
    free = np.arange(n_req, dtype=np.intp)
    levels, done = list(LEVELS), None
    while levels:
        tau = levels[0]
        cols = np.flatnonzero(places > 0).astype(np.intp)
        if not len(cols) or not len(free):
            break
        finer = _finer(space, done, tau)
        try:
            ri, ci, s = _level_pairs(
                space, free, cols, beds, tau, None if finer is None else PAIRS_LIMIT
            )
        except TooManyPairs:
            levels.insert(0, finer)  # type: ignore[arg-type]
            continue
        levels.pop(0)
        done = tau
        h, hs = _defer(*_csr(n_req, ri, ci, s), places, beds, RT.needs)
        won = np.flatnonzero(h >= 0)
        held[won] = h[won]
        held_score[won] = hs[won]
        places -= np.bincount(h[won], minlength=len(places))
        beds -= np.bincount(h[won[RT.needs[won]]], minlength=len(beds))
        free = free[held[free] < 0]
    return held, held_score


# --- what the result says: ranks, compatible offers, best offers ----------------------------------


def _relocation_counts(
    space: _Space, rows: IntArray, ri: IntArray, ci: IntArray, below: IntArray | None
) -> tuple[IntArray, NDArray[np.int64], NDArray[np.int64]]:
    """Per (row, bed class) it accepts: members beyond the join (all, or before ``below``).

    ``ri``/``ci``: the valid pairs the join found for these rows (within their radius).
    Returns (row position, class, count) for every accepted (row, bed class).
    """
    C = space.classes
    bc = space.bed_classes
    acc = space.accept[rows][:, bc]
    pos, k = np.nonzero(acc)
    cls = bc[k]
    # Members of the class the join already found for the row (with an index below ``below``).
    index = np.full(len(space.RT.ids), -1, dtype=np.intp)
    index[rows] = np.arange(len(rows))
    c_of = C.of[ci]
    found = (index[ri] >= 0) & (c_of >= 0)
    found &= C.hasbeds[np.maximum(c_of, 0)]
    if below is not None:
        found &= ci < below[np.maximum(index[ri], 0)]
    key = index[ri][found] * np.int64(C.n) + c_of[found]
    seen = np.bincount(key, minlength=len(rows) * C.n)
    if below is None:
        total = C.size[cls]
    else:
        total = C.before(cls, below[pos])
    return pos, cls, total - seen[pos * np.int64(C.n) + cls]


def _in_parts(n: int, work: Callable[[slice, int | None], T], step: int | None = None) -> list[T]:
    """``work`` over consecutive parts of ``range(n)``: ``step`` (default: all) at once, or
    halves (and so on) while a part's join would hold more than :data:`PAIRS_LIMIT` pairs."""
    out: list[T] = []
    a, step = 0, max(n if step is None else step, 1)
    while a < n:
        z = min(n, a + step)
        try:
            out.append(work(slice(a, z), PAIRS_LIMIT if z - a > 1 else None))
        except TooManyPairs:
            step = (z - a + 1) // 2
            continue
        a = z
    return out


def _ranks(space: _Space, rows: IntArray, held: IntArray, score: F64) -> NDArray[np.int64]:
    """1 + the number of compatible offers each row ranks above the one it holds."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(
        _in_parts(len(rows), lambda part, limit: _ranks_of(space, rows[part], held, score, limit))
    )


def _ranks_of(
    space: _Space, rows: IntArray, held: IntArray, score: F64, limit: int | None
) -> NDArray[np.int64]:
    n = len(space.RT.ids)
    rows_, radius, wants, reloc_all = space.entries(rows, space.tau(score[rows]))
    ri, ci, s, _d = space.within(rows_, space.live, radius, wants, limit=limit)
    better = (s > score[ri]) | ((s == score[ri]) & (ci < held[ri]))
    count = np.bincount(ri[better], minlength=n)[rows]
    # Relocation pairs beyond the join: a class of a related métier was joined within the
    # radius of its own entry, beyond which its pairs score its floor (or less than the row's
    # score, then they count for nothing).
    reloc_all = reloc_all[: len(rows)]
    if reloc_all.any():
        movers = rows[reloc_all]
        sel = reloc_all[np.searchsorted(rows, ri)]
        pos, cls, beyond_all = _relocation_counts(space, movers, ri[sel], ci[sel], None)
        _, _, beyond_before = _relocation_counts(space, movers, ri[sel], ci[sel], held[movers])
        floor = space.floor_scores(movers[pos], cls)
        mine = score[movers[pos]]
        extra = np.where(floor > mine, beyond_all, np.where(floor == mine, beyond_before, 0))
        add = np.bincount(pos, weights=extra, minlength=len(movers)).astype(np.int64)
        count[np.flatnonzero(reloc_all)] += add
    return 1 + count


def _balls(
    space: _Space, rows: IntArray, radius: F64
) -> tuple[IntArray, F64, F64, IntArray, IntArray, B, Masks]:
    """Rows grouped in balls: (ball of each row, coords and radius per ball, rows in ball
    order, where each ball starts in that order, their accept matrix in that order, and the
    set of classes each ball's rows accept)."""
    ball, coords, ball_radius, order = group_balls(rows, space.rpoints, radius)
    by_ball = np.searchsorted(ball[order], np.arange(len(ball_radius) + 1))
    accept = space.accept[rows[order]]
    return ball, coords, ball_radius, order, by_ball, accept, reduce_or(pack(accept), by_ball)


def _near_groups(
    coords: F64, radius: F64, mask: Masks, groups: OfferPoints, limit: int | None = None
) -> tuple[IntArray, F64, NDArray[np.int64]]:
    """(ball, distance, offer group) for the groups within each ball's radius whose class one
    of the ball's rows accepts (:class:`TooManyPairs` beyond ``limit`` candidates)."""
    points = groups.masks(mask.shape[1])
    u, v, d = near_pairs(coords, radius, groups.coords, mask, points, limit)
    at, g = groups.wanted(u, v, mask)
    return u[at], d[at], g


def _reach(space: _Space, rows: IntArray, k: int) -> tuple[NDArray[np.int64], F64, F64]:
    """Per row: the number of offers it could take (valid pairs), and first guesses of where
    its k best offers lie.

    Offers are counted by ball (point and radius of requests), class and ring of distance, no
    pair scored. ``guess``: the distance penalty of the smallest ring holding k offers of the
    row's own métier (they all score above any pair beyond it), ``inf`` where its radius holds
    fewer. ``related``: for those rows (but candidates who accept to move), the smallest ring
    (a fraction of the radius) of offers of related métiers that, with the offers of its own
    métier scoring as much, makes k; ``inf`` where none does.
    """
    RT, C = space.RT, space.classes
    counts = np.zeros(len(rows), dtype=np.int64)
    guess = np.full(len(rows), np.inf)
    related = np.full(len(rows), np.inf)
    if not len(rows) or not C.n:
        return counts, guess, related
    ball, coords, radius, order, by_ball, accept, mask = _balls(space, rows, RT.max_km[rows])
    groups = OfferPoints.build(space.live, space.opoints, C.of)
    near_t = 1.0 - space.e
    # Own-métier offers as far as a related ring's offers score: the ring just inside.
    as_far = np.minimum(1.0, (space.shift + _RINGS * near_t) / near_t)
    inside = np.searchsorted(_RINGS, as_far, side="right") - 1

    def count(part: slice, limit: int | None) -> None:
        a, z = part.start, part.stop
        u, d, g = _near_groups(coords[:, a:z], radius[a:z], mask[a:z], groups, limit)
        f = np.divide(d, radius[a:z][u], out=np.zeros(len(d)), where=d > 0)
        cell = u * np.int64(C.n) + groups.group_key[g]
        weight = groups.group_count[g]
        total = np.bincount(cell, weights=weight, minlength=(z - a) * C.n).reshape(z - a, C.n)
        sel = order[by_ball[a] : by_ball[z]]
        rr, local = rows[sel], ball[sel] - a
        acc = accept[by_ball[a] : by_ball[z]]
        anywhere = RT.acc[rr][:, None] & C.hasbeds[None, :]
        counts[sel] = (acc * np.where(anywhere, C.size[None, :], total[local])).sum(axis=1)
        cells = (cell, np.searchsorted(_RINGS, f), weight, (z - a) * C.n)
        own = _ring_counts(acc & space.same[rr], local, *cells)
        enough = own >= k
        ring = np.argmax(enough, axis=1)
        guess[sel] = np.where(enough[:, -1], _RINGS[ring] * near_t, np.inf)
        needy = ~enough[:, -1] & ~RT.acc[rr]
        if needy.any():
            rel = _ring_counts(acc & space.related[rr] & needy[:, None], local, *cells)
            enough = own[:, inside] + rel >= k
            enough &= needy[:, None]
            ring = np.argmax(enough, axis=1)
            related[sel] = np.where(enough[:, -1], _RINGS[ring], np.inf)

    _in_parts(len(radius), count, _BALLS)
    return counts, guess, related


def _ring_counts(
    take: B,
    local: IntArray,
    cell: NDArray[np.int64],
    ring: IntArray,
    weight: NDArray[np.int64],
    n_cells: int,
) -> F64:
    """Per row, the offers of the classes ``take`` marks (rows x classes) within each ring,
    cumulated. ``local``: each row's ball; ``cell``, ``ring``, ``weight``: the (ball, class)
    cell, the ring and the number of offers of each group near a ball. Rings are counted for the
    cells some row takes only, numbered compactly."""
    pos, cls = np.nonzero(take)
    rings = len(_RINGS)
    taken = np.zeros(n_cells, dtype=bool)
    taken[local[pos] * take.shape[1] + cls] = True
    number = np.cumsum(taken) - 1
    mine = taken[cell]
    flat = number[cell[mine]] * rings + ring[mine]
    near = np.bincount(flat, weights=weight[mine], minlength=int(taken.sum()) * rings)
    per_ring = np.zeros((len(take), rings))
    if len(pos):
        runs = np.searchsorted(pos, np.arange(len(take)))
        has = np.diff(np.r_[runs, len(pos)]) > 0
        counted = near.reshape(-1, rings)[number[local[pos] * take.shape[1] + cls]]
        per_ring[has] = np.add.reduceat(counted, runs[has], axis=0)
    return np.cumsum(per_ring, axis=1)


def _widening(space: _Space, rows: IntArray) -> dict[int, float | None]:
    """For rows with no compatible offer: the smallest widening step (``Params``) within which
    ``widening_min_results`` offers would be compatible, ``None`` if none does.

    Step by step, offers are counted by point of the requests still without one and class, as
    :func:`_reach` does; steps not beyond a row's own radius hold nothing for it.
    """
    RT, C, params = space.RT, space.classes, space.params
    steps, n_min = params.widening_steps_km, params.widening_min_results
    out: dict[int, float | None] = dict.fromkeys(rows.tolist())
    largest = steps[-1] if steps else 0.0
    if not C.n:
        return out
    pending = rows[(RT.max_km[rows] < largest) & space.accept[rows].any(axis=1)]
    groups = OfferPoints.build(space.live, space.opoints, C.of)

    def reach(todo: IntArray, step: float, limit: int | None) -> IntArray:
        """The rows of ``todo`` with ``n_min`` compatible offers within ``step`` km."""
        radius = np.full(len(todo), float(step))
        ball, coords, ball_radius, order, _, accept, mask = _balls(space, todo, radius)
        u, _d, g = _near_groups(coords, ball_radius, mask, groups, limit)
        near = np.bincount(
            u * np.int64(C.n) + groups.group_key[g],
            weights=groups.group_count[g],
            minlength=len(ball_radius) * C.n,
        )
        count = (accept * near.reshape(len(ball_radius), C.n)[ball[order]]).sum(axis=1)
        return todo[order][count >= n_min]

    for step in steps:
        todo = pending[RT.max_km[pending] < step]
        parts = _in_parts(
            len(todo), lambda part, limit, todo=todo, step=step: reach(todo[part], step, limit)
        )
        reached = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        out.update(dict.fromkeys(reached.tolist(), float(step)))
        pending = np.setdiff1d(pending, reached, assume_unique=True)
    return out


def _best(
    space: _Space, rows: IntArray, k: int, guess: F64, related: F64
) -> tuple[NDArray[np.intp], IntArray, F64]:
    """The k best compatible offers of each row (CSR over ``rows``), best first.

    Each row starts where ``guess`` says and doubles the distance penalty until k offers are
    surely its best (``inf``: every compatible offer at once). A row with too few offers of its
    own métier in reach (``guess`` is ``inf``) but a ring of ``related`` offers to start from
    meets the related offers within that ring only, and the offers of its own métier that score
    as much; it doubles the ring. Within a group of offers at one point and of one class, all
    score the same for a row and rank by index: only the first k of a group can be among its
    k best, so the join takes no more.
    """
    RT = space.RT
    n = len(RT.ids)
    near = 1.0 - space.e  # t at the limit of the radius: beyond it, take every pair at once
    tau_of = np.zeros(n)
    tau_of[rows] = np.where(guess >= near, np.inf, guess)
    ring_of = np.full(n, np.inf)  # the related ring (a fraction of the radius), if split
    split = ~np.isfinite(tau_of[rows]) & np.isfinite(related) & ~RT.acc[rows]
    ring_of[rows[split]] = related[split]
    tau_of[rows[split]] = space.shift + related[split] * near
    found: list[tuple[IntArray, IntArray, F64]] = []
    pending = rows

    def search(
        among: IntArray, part: slice, limit: int | None
    ) -> tuple[IntArray, IntArray, F64, B]:
        """The pairs of the rows ``among[part]`` that are surely among their best, and which
        of these rows have k."""
        rows_ = among[part]
        pos_of = np.zeros(n, dtype=np.intp)
        pos_of[rows_] = np.arange(len(rows_))
        tau = tau_of[rows_]
        theta = np.asarray(space.theta(tau))
        join_rows, join_radius, wants, reloc = space.entries(rows_, tau)
        ri, ci, s, _d = space.within(join_rows, space.live, join_radius, wants, k, limit)
        parts = [(ri, ci, s)]
        reloc_all = reloc[: len(rows_)]
        if reloc_all.any():
            rel_radius, _ = space.radius(rows_, np.maximum(tau - space.shift, 0.0))
            radius = (join_radius[: len(rows_)], rel_radius)
            parts.append(_floor_pairs(space, rows_, reloc_all, radius, ri, ci, k))
        ri, ci, s = _concat(parts)
        at = pos_of[ri]
        certain = s >= theta[at]
        ri, ci, s, at = ri[certain], ci[certain], s[certain], at[certain]
        done = (np.bincount(at, minlength=len(rows_)) >= k) | ~np.isfinite(tau)
        keep = done[at]
        return ri[keep], ci[keep], s[keep], done

    while len(pending):
        results = _in_parts(len(pending), partial(search, pending))
        found += [(ri, ci, s) for ri, ci, s, _ in results]
        done = np.concatenate([r[3] for r in results])
        pending = pending[~done]
        grown = tau_of[pending] * 2.0
        tau_of[pending] = np.where(grown >= near, np.inf, grown)
        ring = ring_of[pending] * 2.0
        wider = np.isfinite(ring)  # a split row: a ring twice as wide, or every offer
        ring_of[pending[wider]] = np.where(ring[wider] >= 1.0, np.inf, ring[wider])
        tau_of[pending[wider]] = np.where(
            ring[wider] >= 1.0, np.inf, space.shift + ring[wider] * near
        )
    ri, ci, s = _concat(found)
    order = _best_first(ri, ci, s)
    ri = ri[order]
    first = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]]) if len(ri) else np.zeros(0, np.intp)
    keep = ranges(first, np.minimum(np.diff(np.r_[first, len(ri)]), k))  # each row's first k
    top = order[keep]
    ri, ci, s = ri[keep], ci[top], s[top]
    indptr = np.searchsorted(np.searchsorted(rows, ri), np.arange(len(rows) + 1))
    return indptr.astype(np.intp), ci, s


def _floor_pairs(
    space: _Space,
    pending: IntArray,
    reloc_all: B,
    radius: tuple[F64, F64],
    ri: IntArray,
    ci: IntArray,
    k: int,
) -> tuple[IntArray, IntArray, F64]:
    """For movers: the offers of each bed class beyond their radius that may be among their
    k best.

    Beyond the radius, every offer of a class scores the relocation floor (within it, at least
    the floor), so they rank by id: those among a row's k best are in the class's first
    k + (members the join found within the radius). A join that kept only the first k offers
    of a group found fewer, but then that group alone holds k offers scoring at least as much.
    ``radius``: the join radii of each row, for the classes of its own métier and for those of
    a related one (see :meth:`_Space.entries`).
    """
    RT, C = space.RT, space.classes
    movers = pending[reloc_all]
    sel = reloc_all[np.searchsorted(pending, ri)]
    pos, cls, beyond_count = _relocation_counts(space, movers, ri[sel], ci[sel], None)
    seen = C.size[cls] - beyond_count  # members the join found within the radius
    take = np.minimum(C.size[cls], k + seen)
    j = ranges(C.start[cls], take)
    at = np.repeat(pos, take)
    r2, c2 = movers[at], C.members[j]
    d2 = distance(RT.coords[:, r2], space.OT.coords[:, c2])
    own, related = radius[0][reloc_all][at], radius[1][reloc_all][at]
    beyond = d2 > np.where(space.same[r2, C.of[c2]], own, related)
    r2, c2, d2 = r2[beyond], c2[beyond], d2[beyond]
    s2, ok = pair_terms(RT, r2, space.OT, c2, d2, space.params)
    return r2[ok], c2[ok], s2[ok]


class _Lazy(Sequence[T]):
    """A read-only list whose items are built in chunks on first access."""

    CHUNK = 512

    def __init__(self, n: int, build: Callable[[int, int], list[T]]) -> None:
        self._n, self._build = n, build
        self._chunks: dict[int, list[T]] = {}

    def _chunk(self, c: int) -> list[T]:
        got = self._chunks.get(c)
        if got is None:
            # The items hold no reference cycles: the collector has nothing to free among them,
            # and pausing it while they are made spares it rescanning a large heap (reading
            # every explanation of the France benchmark: 2.5 times faster).
            paused = gc.isenabled()
            gc.disable()
            try:
                got = self._build(c * self.CHUNK, min(self._n, (c + 1) * self.CHUNK))
            finally:
                if paused:
                    gc.enable()
            self._chunks[c] = got
        return got

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._chunk(i // self.CHUNK)[i % self.CHUNK]

    def __iter__(self) -> Iterator[T]:
        for c in range(0, (self._n + self.CHUNK - 1) // self.CHUNK):
            yield from self._chunk(c)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<{self._n} items, built on access>"


def allocate(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> Allocation:
    """Allocate requests to offers: stable with respect to the scores, capacities and beds kept.

    Returns assignments (with their match and the candidate's choice rank) and unassigned
    requests with a French reason: no compatible offer, or every compatible offer taken by
    better-ranked requests (``lost_to``). Sorted by request id; inputs are not mutated. The
    decisions, ranks, counts and ``lost_to`` are settled here; the objects that carry them (an
    assignment's :class:`Match` with its criteria and French reasons, an unassigned request's
    reason) are built when first read.
    """
    # Candidates who need housing only ever go where there is a bed.
    strict = replace(params, exclude_without_housing=True)
    RT, OT = _prepare(requests, offers, referential, strict)
    space = _Space(RT, OT, strict)
    held, score = _levels(space)
    assigned = np.flatnonzero(held >= 0).astype(np.intp)
    ranks = _ranks(space, assigned, held, score)
    left = np.flatnonzero(held < 0).astype(np.intp)
    compatible, guess, related = _reach(space, left, MAX_LOST_TO)
    some = compatible > 0
    losers = left[some]
    holders, bounds = _lost_to(space, losers, held, score, guess[some], related[some])

    def build(a: int, z: int) -> list[Assignment]:
        rows = assigned[a:z]
        matches = pair_results(RT, rows, OT, held[rows], referential, strict)
        return [
            Assignment(m.request_id, m.offer_id, m.score, m, int(rank))
            for m, rank in zip(matches, ranks[a:z].tolist(), strict=True)
            if isinstance(m, Match)
        ]

    empty = left[compatible == 0]
    widening = _widening(space, empty)
    # lost_to of left[i]: holder ids [bounds[j], bounds[j + 1]), j its place among the losers.
    loser_at = np.cumsum(compatible > 0) - 1
    ids = RT.ids

    def explain(a: int, z: int) -> list[Unassigned]:
        out = []
        rows = zip(
            left[a:z].tolist(), compatible[a:z].tolist(), loser_at[a:z].tolist(), strict=True
        )
        for i, n, j in rows:
            rid = ids[i]
            if n == 0:
                km = widening.get(i)
                reason = (
                    f"Aucune offre compatible à moins de {RT.max_km[i]:g} km "
                    f"(au moins une à moins de {km:g} km)"
                    if km is not None
                    else "Aucune offre compatible"
                )
                out.append(Unassigned(rid, reason, (), 0))
                continue
            offers_ = (
                "Son offre compatible est attribuée"
                if n == 1
                else f"Ses {n} offres compatibles sont attribuées"
            )
            reason = f"{offers_} à des candidatures mieux classées"
            out.append(Unassigned(rid, reason, tuple(holders[bounds[j] : bounds[j + 1]]), n))
        return out

    return Allocation(_Lazy(len(assigned), build), _Lazy(len(left), explain))


def _lost_to(
    space: _Space, rows: IntArray, held: IntArray, score: F64, guess: F64, related: F64
) -> tuple[list[str], list[int]]:
    """For each row: up to MAX_LOST_TO requests holding its best offers and ranked above it.

    Its best offers in its order; each offer's holders best first (score, then id). Returns
    the ids of every row's holders, in row order, and where each row's start (and the end).
    """
    RT = space.RT
    if not len(rows):
        return [], [0]
    indptr, cols, scores = _best(space, rows, MAX_LOST_TO, guess, related)
    # Holders of every offer, best first.
    assigned = np.flatnonzero(held >= 0)
    order = np.lexsort((assigned, -score[assigned], held[assigned]))
    h_req = assigned[order]
    h_off = held[h_req]
    h_start = np.searchsorted(h_off, np.arange(len(space.OT.ids) + 1))
    # (row, its k-th offer, a holder of it), in that order.
    length = np.diff(indptr)
    pos = np.repeat(np.arange(len(rows)), length)
    per = h_start[cols + 1] - h_start[cols]
    j = ranges(h_start[cols], per)
    row_pos = np.repeat(pos, per)
    holder = h_req[j]
    s_row = np.repeat(scores, per)
    r = rows[row_pos]
    above = (score[holder] > s_row) | ((score[holder] == s_row) & (holder < r))
    row_pos, holder = row_pos[above], holder[above]
    # First occurrence of each holder per row, in order; then the first MAX_LOST_TO.
    key = row_pos * np.int64(len(RT.ids)) + holder
    _, first = np.unique(key, return_index=True)
    first.sort()
    row_pos, holder = row_pos[first], holder[first]
    starts = np.searchsorted(row_pos, row_pos)
    keep = np.arange(len(row_pos)) - starts < MAX_LOST_TO
    row_pos, holder = row_pos[keep], holder[keep]
    bounds = np.searchsorted(row_pos, np.arange(len(rows) + 1)).tolist()
    return np.asarray(RT.ids, dtype=object)[holder].tolist(), bounds
