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
"""

from __future__ import annotations

import numpy as np

from ..arrays import I64, IntArray
from ..engine import _Run, _top, widen
from ..model import Params
from ..tables import OfferTable, RequestTable
from ..training import Training
from . import tuning
from .explain import Settled
from .levels import PreferenceLists, deferred_acceptance
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
) -> PreferenceLists:
    """The ``k`` best valid offers of each of ``rows`` (lists over every request)."""
    run = _Run(requests, offers, params, k_rows=k, k_cols=0, training=training)
    run.execute(rows)
    indptr, _rows, cols, scores = _top(run.row_pool, 0, len(requests.ids), k, presorted=True)
    return PreferenceLists(indptr, cols, scores)


def _merge(lists: PreferenceLists, longer: PreferenceLists, rows: IntArray) -> PreferenceLists:
    """``lists`` with the lists of ``rows`` replaced by those of ``longer``."""
    replace = np.zeros(len(lists.start) - 1, dtype=bool)
    replace[rows] = True
    own = np.where(replace, longer.start[1:] - longer.start[:-1], np.diff(lists.start))
    start = np.r_[0, np.cumsum(own)].astype(np.intp)
    offer = np.empty(int(start[-1]), dtype=np.intp)
    score = np.empty(int(start[-1]))
    for source, mask in ((lists, ~replace), (longer, replace)):
        take = np.flatnonzero(mask)
        length = np.diff(source.start)[take]
        src = _ranges(source.start[take], length)
        dst = _ranges(start[take], length)
        offer[dst], score[dst] = source.offer[src], source.score[src]
    return PreferenceLists(start, offer, score)


def _ranges(first: IntArray, length: I64) -> IntArray:
    total = int(length.sum())
    if not total:
        return np.zeros(0, dtype=np.intp)
    at = np.repeat(first - np.r_[0, np.cumsum(length)[:-1]], length)
    return (at + np.arange(total)).astype(np.intp)


def allocate_scored(
    requests: RequestTable, offers: OfferTable, params: Params, training: Training | None
) -> Settled:
    """Allocate with the kernel's scores (see the module); every decision and count settled."""
    n = len(requests.ids)
    everyone = np.arange(n, dtype=np.intp)
    k = LIST_LENGTH
    length_asked = np.full(n, k, dtype=np.int64)
    lists = _lists(requests, offers, params, training, everyone, k)
    while True:
        held_offer, held_score = deferred_acceptance(
            lists, offers.places.copy(), offers.beds.copy(), requests.needs_housing
        )
        length = np.diff(lists.start)
        # Free, and its list was cut: it may have more offers than it was given.
        more = np.flatnonzero((held_offer < 0) & (length >= length_asked)).astype(np.intp)
        if not len(more):
            break
        k *= 2
        length_asked[more] = k
        lists = _merge(lists, _lists(requests, offers, params, training, more, k), more)
    assigned = np.flatnonzero(held_offer >= 0).astype(np.intp)
    left = np.flatnonzero(held_offer < 0).astype(np.intp)
    ranks = _ranks(lists, assigned, held_offer)
    compatible = np.diff(lists.start)[left].astype(np.int64)
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
        widening=widen(requests, offers, none, params, training),
        holders=holders,
        bounds=bounds,
    )


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
