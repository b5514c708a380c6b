"""The allocation with training centres: deferred acceptance over scored preference lists.

The fast path (:mod:`.space`, :mod:`.levels`) relies on offers of one class at one point
scoring the same for a request; with centres they do not (an offer's partner centre, its
employer's centres), and classes split by centre would hold one offer each (a request x class
table per centre: the memory of an earlier attempt). This path instead scores pairs with the
engine's blocked kernel (:class:`matching.engine._Run`, the scores of
:func:`~matching.suggest`, training criterion included) and keeps each request's ``L`` best
offers only, so memory stays in ``L`` pairs per request:

1. each request's ``L`` best valid offers (score, then offer id), ``L = LIST_LENGTH``;
2. candidate-proposing deferred acceptance over these lists
   (:func:`~matching.allocation.levels.deferred_acceptance`);
3. a request that went down its whole list while more offers exist gets a list twice as long,
   and the acceptance runs again, until no such request is left.

The result is the stable allocation of the complete lists (the one
:func:`~matching.allocation.allocate_reference` specifies): deferred acceptance does not depend
on the order of proposals, and no request ever proposed beyond its kept list. Each assigned
request's rank is its position in its list; an unassigned one has gone down its complete list,
so its compatible offers are that list.

With housing resources or binding tutors, capacities are shared between offers and the lists
are allocated by the greedy of :mod:`.shared` instead (which says what stability then means).
"""

from __future__ import annotations

import math

import numpy as np

from ..arrays import F64, I64, IntArray
from ..engine import _Run, _top, widen
from ..housing import Housing
from ..model import Params
from ..tables import OfferTable, RequestTable
from ..training import Training
from ..tutors import Tutors
from . import tuning
from .explain import Settled
from .levels import PreferenceLists, deferred_acceptance
from .shared import Key, Taken, first_key, greedy
from .standings import holders_above

__all__ = ["LIST_LENGTH", "allocate_scored"]

#: Offers kept per request at first (doubled for the requests that need more).
LIST_LENGTH = 32


def _lists(
    requests: RequestTable,
    offers: OfferTable,
    params: Params,
    training: Training | None,
    rows: IntArray,
    k: int,
    cols: IntArray | None = None,
    housing: Housing | None = None,
) -> tuple[PreferenceLists, I64]:
    """The ``k`` best valid offers (of ``cols``, default all) of each of ``rows`` (lists over
    every request), and each request's number of valid offers among them."""
    run = _Run(requests, offers, params, k_rows=k, k_cols=0, training=training, housing=housing)
    run.execute(rows, cols)
    indptr, _rows, found, scores = _top(run.row_pool, 0, len(requests.ids), k, presorted=True)
    return PreferenceLists(indptr, found, scores), run.valid


class _Above(_Run):
    """A scoring pass that counts, per row, the valid offers ranked above a given one."""

    def __init__(
        self,
        requests: RequestTable,
        offers: OfferTable,
        params: Params,
        training: Training | None,
        score: F64,
        col: IntArray,
        housing: Housing | None = None,
    ) -> None:
        super().__init__(
            requests, offers, params, k_rows=1, k_cols=0, training=training, housing=housing
        )
        self.score, self.col = score, col
        self.above = np.zeros(len(requests.ids), dtype=np.int64)

    def _select(self, scores: F64, rows: IntArray, cols: IntArray) -> None:
        mine, held = self.score[rows][:, None], self.col[rows][:, None]
        better = (scores > mine) | ((scores == mine) & (cols[None, :] < held))
        self.above[rows] += np.count_nonzero(better, axis=1)


def _ranges(first: IntArray, length: I64) -> IntArray:
    total = int(length.sum())
    if not total:
        return np.zeros(0, dtype=np.intp)
    at = np.repeat(first - np.r_[0, np.cumsum(length)[:-1]], length)
    return (at + np.arange(total)).astype(np.intp)


def allocate_scored(
    requests: RequestTable,
    offers: OfferTable,
    params: Params,
    training: Training | None,
    housing: Housing | None = None,
    tutors: Tutors | None = None,
) -> Settled:
    """Allocate with the kernel's scores (see the module); every decision and count settled.

    ``housing``: the housing resources (``offers`` is then ``housing.table``); ``tutors``: the
    tutors whose places several offers share (``offers`` is then built on ``tutors.table``).
    Given either, the lists are allocated by the greedy with shared capacities
    (:mod:`.shared`) instead of deferred acceptance.
    """
    n = len(requests.ids)
    everyone = np.arange(n, dtype=np.intp)
    # The first ``head`` offers of each list are its true best (ranks, lost_to read them).
    head = max(LIST_LENGTH, tuning.MAX_LOST_TO)
    lists, compatible_all = _lists(
        requests, offers, params, training, everyone, head, None, housing
    )
    cut = np.diff(lists.start) >= head  # the list may miss offers (it was cut)
    k = head
    taken: Taken | None = None
    resume: tuple[Taken, Key] | None = None
    while True:
        if housing is None and tutors is None:
            held_offer, held_score = deferred_acceptance(
                lists, offers.places.copy(), offers.beds.copy(), requests.needs_housing
            )
        else:
            taken = greedy(lists, requests, offers, housing, training, resume, tutors)
            held_offer, held_score = taken.offer, taken.score
        more = np.flatnonzero((held_offer < 0) & cut).astype(np.intp)
        if not len(more):
            break
        # Only offers that may still take them: with a place left, or whose worst holder
        # scores no more than what is left of their lists (offers only get pickier).
        last = lists.score[lists.start[more + 1] - 1]
        winnable = _winnable(offers, held_offer, held_score, float(last.max()), tutors)
        k *= 2
        extra, _count = _lists(requests, offers, params, training, more, k, winnable, housing)
        if taken is not None:
            # Every pair the lists gain comes at or after extra's first (a superset of them).
            key = first_key(extra)
            resume = (taken, (math.inf, 0, 0) if key is None else key)
        lists = _append(lists, extra, more)
        cut[more] = np.diff(extra.start)[more] >= k
    assigned = np.flatnonzero(held_offer >= 0).astype(np.intp)
    left = np.flatnonzero(held_offer < 0).astype(np.intp)
    ranks = _ranks(lists, assigned, held_offer)
    beyond = assigned[ranks > head]  # held beyond the true head: counted by a scoring pass
    if len(beyond):
        count = _Above(requests, offers, params, training, held_score, held_offer, housing)
        count.execute(beyond)
        ranks[ranks > head] = 1 + count.above[beyond]
    compatible = compatible_all[left].astype(np.int64)
    losers = left[compatible > 0]
    first = np.minimum(np.diff(lists.start)[losers], tuning.MAX_LOST_TO)
    best_start = np.r_[0, np.cumsum(first)].astype(np.intp)
    at = _ranges(lists.start[losers], first)
    best = PreferenceLists(best_start, lists.offer[at], lists.score[at])
    holders, bounds = holders_above(requests, len(offers.ids), losers, best, held_offer, held_score)
    none = left[compatible == 0]
    return Settled(
        requests=requests,
        offers=offers,
        assigned=assigned,
        held_offer=held_offer,
        ranks=ranks,
        left=left,
        compatible=compatible,
        widening=widen(requests, offers, none, params, training, housing),
        holders=holders,
        bounds=bounds,
        housing=housing,
        taken=taken,
    )


def _winnable(
    offers: OfferTable,
    held_offer: IntArray,
    held_score: F64,
    below: float,
    tutors: Tutors | None = None,
) -> IntArray:
    """Offers with a place that still has no holder, or whose worst holder scores ``below``
    at most (the others reject every pair scoring that or less, for good); given tutors, whose
    tutor (if any) likewise has a place without a holder or a worst holder scoring ``below``
    at most, across the tutor's offers."""
    n = len(offers.ids)
    won = np.flatnonzero(held_offer >= 0)
    holders = np.bincount(held_offer[won], minlength=n)
    worst = np.full(n, np.inf)
    np.minimum.at(worst, held_offer[won], held_score[won])
    open_ = (holders < offers.places) | (worst <= below)
    if tutors is not None:
        tutor = tutors.offer_tutor[held_offer[won]]
        some = tutor >= 0
        n_tutors = len(tutors.capacity)
        t_holders = np.bincount(tutor[some], minlength=n_tutors)
        t_worst = np.full(n_tutors, np.inf)
        np.minimum.at(t_worst, tutor[some], held_score[won][some])
        t_open = (t_holders < tutors.capacity) | (t_worst <= below)
        named = tutors.offer_tutor >= 0
        open_[named] &= t_open[tutors.offer_tutor[named]]
    return np.flatnonzero(open_ & offers.has_place).astype(np.intp)


def _append(lists: PreferenceLists, extra: PreferenceLists, rows: IntArray) -> PreferenceLists:
    """``lists`` with, for each of ``rows``, the offers of ``extra`` it does not hold yet
    appended (they rank after its whole list: ``lists`` held its best)."""
    n_offers = int(max(lists.offer.max(initial=0), extra.offer.max(initial=0))) + 1
    owner = np.repeat(np.arange(len(lists.start) - 1), np.diff(lists.start))
    have = np.sort(owner * np.int64(n_offers) + lists.offer)
    extra_owner = np.repeat(np.arange(len(extra.start) - 1), np.diff(extra.start))
    key = extra_owner * np.int64(n_offers) + extra.offer
    at = np.minimum(np.searchsorted(have, key), max(len(have) - 1, 0))
    new = ~((have[at] == key) if len(have) else np.zeros(len(key), dtype=bool))
    added = np.zeros(len(lists.start) - 1, dtype=bool)
    added[rows] = True
    new &= added[extra_owner]
    merged = PreferenceLists(
        start=lists.start,
        offer=lists.offer,
        score=lists.score,
    )
    longer = PreferenceLists(
        start=np.searchsorted(extra_owner[new], np.arange(len(extra.start))).astype(np.intp),
        offer=extra.offer[new],
        score=extra.score[new],
    )
    return _concat(merged, longer)


def _concat(a: PreferenceLists, b: PreferenceLists) -> PreferenceLists:
    """Each request's list of ``a`` followed by its list of ``b``."""
    la, lb = np.diff(a.start), np.diff(b.start)
    start = np.r_[0, np.cumsum(la + lb)].astype(np.intp)
    offer = np.empty(int(start[-1]), dtype=np.intp)
    score = np.empty(int(start[-1]))
    dst_a = _ranges(start[:-1], la)
    dst_b = _ranges(start[:-1] + la, lb)
    offer[dst_a], score[dst_a] = a.offer, a.score
    offer[dst_b], score[dst_b] = b.offer, b.score
    return PreferenceLists(start, offer, score)


def _ranks(lists: PreferenceLists, rows: IntArray, held_offer: IntArray) -> I64:
    """1 + the position of each row's held offer in its list (best first)."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    length = np.diff(lists.start)[rows]
    position = _ranges(lists.start[rows], length)
    owner = np.repeat(np.arange(len(rows)), length)
    hit = lists.offer[position] == held_offer[rows][owner]
    rank: I64 = np.zeros(len(rows), dtype=np.int64)
    rank[owner[hit]] = position[hit] - lists.start[rows][owner[hit]] + 1
    return rank
