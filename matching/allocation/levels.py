"""Allocating: deferred acceptance, level by level of score.

:func:`allocate_levels` gives the same result as :func:`~matching.allocation.allocate_reference`
(a greedy pass over every valid pair, best score first), without scoring every pair:

* a *level* is a maximum distance penalty ``t`` (:data:`~matching.allocation.tuning.LEVELS`),
  that is a score threshold; it takes the pairs scoring at least that threshold among the
  requests still free and the offers with a place left (with the places and beds earlier levels
  left), found by a join bounded by the radius the threshold implies (:mod:`.space`);
* on them it runs candidate-proposing deferred acceptance (:func:`deferred_acceptance`: numpy
  rounds, every free request proposing at once). Holders of earlier levels are never displaced:
  every later pair scores less than theirs;
* a level whose join would hold more than ``PAIRS_LIMIT`` pairs is preceded by a finer one.

Why levels do not change the result: both sides rank by the same score with the same tie breaks
(score, then request id, then offer id), so the stable allocation is unique, and deferred
acceptance over any prefix of the pairs in that order settles that prefix as the greedy pass does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..arrays import F64, I64, Bools, IntArray, Pairs, concat_pairs
from ..pairs import TooManyPairs, best_first
from . import tuning
from .space import Space

__all__ = [
    "PreferenceLists",
    "allocate_levels",
    "level_pairs",
    "finer_level",
    "deferred_acceptance",
    "best_first",
    "preference_lists",
]


#: How many entries of its list a request looks at in one step of a proposal round.
LOOKAHEAD = 8


class PreferenceLists(NamedTuple):
    """Each request's offers, best first, as one array (compressed rows): request ``r``'s
    offers are ``offer[start[r]:start[r + 1]]``, with their ``score``."""

    start: IntArray
    offer: IntArray
    score: F64


def allocate_levels(space: Space) -> tuple[IntArray, F64]:
    """Return each request's offer (-1: none) and score, level by level."""
    requests, offers = space.requests, space.offers
    n_requests = len(requests.ids)
    places, beds = offers.places.copy(), offers.beds.copy()
    held_offer = np.full(n_requests, -1, dtype=np.intp)
    held_score = np.zeros(n_requests)
    free = np.arange(n_requests, dtype=np.intp)
    levels: list[float] = list(tuning.LEVELS)
    done: float | None = None
    while levels:
        max_penalty = levels[0]
        cols = np.flatnonzero(places > 0).astype(np.intp)
        if not len(cols) or not len(free):
            break
        finer = finer_level(space, done, max_penalty)
        limit = None if finer is None else tuning.PAIRS_LIMIT
        try:
            pairs = level_pairs(space, free, cols, beds, max_penalty, limit)
        except TooManyPairs:
            assert finer is not None  # without a finer level, the join had no limit
            levels.insert(0, finer)
            continue
        levels.pop(0)
        done = max_penalty
        lists = preference_lists(n_requests, pairs)
        offer, score = deferred_acceptance(lists, places, beds, requests.needs_housing)
        won = np.flatnonzero(offer >= 0)
        held_offer[won] = offer[won]
        held_score[won] = score[won]
        places -= np.bincount(offer[won], minlength=len(places))
        beds -= np.bincount(offer[won[requests.needs_housing[won]]], minlength=len(beds))
        free = free[held_offer[free] < 0]
    return held_offer, held_score


def level_pairs(
    space: Space, free: IntArray, cols: IntArray, beds: I64, max_penalty: float, limit: int | None
) -> Pairs:
    """The pairs of a level: free requests x offers with a place left, scoring at least the
    level's threshold (a request who needs housing only where a bed is left)."""
    requests, offers = space.requests, space.offers
    # The free requests that want a class with a place left, and what they want of them.
    open_class = np.zeros(space.classes.n, dtype=bool)
    open_class[space.classes.of[cols]] = True
    rows = free[(space.wants(free, max_penalty) & open_class).any(axis=1)]
    entries = space.entries(rows, max_penalty)
    wants = entries.wants & open_class
    pair_rows, pair_cols, score, _d = space.within(
        entries.rows, cols, entries.radius, wants, limit=limit
    )
    parts = [(pair_rows, pair_cols, score)]
    beds_left = cols[offers.has_beds[cols]]
    for entry in (slice(0, len(rows)), slice(len(rows), None)):  # each row once in each
        far = entries.every_bed[entry]
        if far.any():
            movers = entries.rows[entry][far]
            beyond, wanted = entries.radius[entry][far], wants[entry][far]
            parts.append(space.anywhere(movers, beds_left, beyond, wanted, limit))
    pair_rows, pair_cols, score = concat_pairs(parts)
    keep = score >= space.threshold(max_penalty)
    keep &= ~(requests.needs_housing[pair_rows] & (beds[pair_cols] <= 0))
    return pair_rows[keep], pair_cols[keep], score[keep]


def finer_level(space: Space, done: float | None, max_penalty: float) -> float | None:
    """A level between the last one run and ``max_penalty``, or None if none would hold fewer
    pairs (they are too close, or the last one already held every pair but the relocation
    ones)."""
    low = 0.0 if done is None else done
    if not np.isfinite(max_penalty):
        # The largest penalty of a valid pair within a radius (a related métier at its limit).
        every = space.limit_penalty + space.related_shift
        return None if low > every else max(2.0 * low, 0.5)
    return (low + max_penalty) / 2.0 if max_penalty - low > 1e-3 else None


# --- deferred acceptance -------------------------------------------------------------------------


class _Cutoffs:
    """Per offer, the worst holder it keeps once full: no request ranking below it can get in.

    An offer is full once all its places are held (``places``), or, for requests who need
    housing, once all its beds are (``beds``). Cut-offs only rise during deferred acceptance,
    so a request below one is rejected now and forever, and skips the offer.
    """

    def __init__(self, n_offers: int) -> None:
        self.score = np.full(n_offers, -np.inf)
        self.request = np.zeros(n_offers, dtype=np.intp)

    def rejects(self, score: F64, request: IntArray, offer: IntArray) -> Bools:
        """Whether (score, request) ranks below the cut-off of ``offer``: lower score, or the
        same score and a larger request index."""
        cutoff_score, cutoff_request = self.score[offer], self.request[offer]
        below: Bools = (score < cutoff_score) | (
            (score == cutoff_score) & (request > cutoff_request)
        )
        return below

    def update(self, offer: IntArray, score: F64, request: IntArray, capacity: I64) -> None:
        """Set the cut-offs of the offers whose holders (sorted by offer, best first) fill
        ``capacity``: their worst holder."""
        if not len(offer):
            return
        last = np.flatnonzero(np.r_[offer[1:] != offer[:-1], True])  # worst holder of each offer
        full = np.diff(np.r_[-1, last]) >= capacity[offer[last]]
        self.score[offer[last][full]] = score[last][full]
        self.request[offer[last][full]] = request[last][full]


def deferred_acceptance(
    lists: PreferenceLists, places: I64, beds: I64, needs_housing: Bools
) -> tuple[IntArray, F64]:
    """Candidate-proposing deferred acceptance over complete lists (best first).

    Each round, every free request proposes to the first offer down its list that has not
    rejected it for good; each offer keeps the best of its holders and proposers (score, then
    request index) within its places, and within its beds for those who need housing; the others
    are free again and move down their lists. Returns each request's offer (-1: none) and its
    score.
    """
    n_requests, n_offers = len(lists.start) - 1, len(places)
    length = np.diff(lists.start)
    next_choice = np.zeros(n_requests, dtype=np.int64)  # position in its list
    held_offer = np.full(n_requests, -1, dtype=np.intp)
    held_score = np.zeros(n_requests)
    place_cutoffs, bed_cutoffs = _Cutoffs(n_offers), _Cutoffs(n_offers)
    free = np.flatnonzero(length > 0).astype(np.intp)
    while len(free):
        proposers = _propose(lists, next_choice, free, place_cutoffs, bed_cutoffs, needs_housing)
        if not len(proposers):
            break
        position = lists.start[proposers] + next_choice[proposers]
        offer, score = lists.offer[position], lists.score[position]
        touched = np.zeros(n_offers, dtype=bool)
        touched[offer] = True
        holders = np.flatnonzero((held_offer >= 0) & touched[np.maximum(held_offer, 0)])
        candidate = np.concatenate([holders.astype(np.intp), proposers])
        candidate_offer = np.concatenate([held_offer[holders], offer])
        candidate_score = np.concatenate([held_score[holders], score])
        order = np.lexsort((candidate, -candidate_score, candidate_offer))
        candidate = candidate[order]
        candidate_offer, candidate_score = candidate_offer[order], candidate_score[order]
        accepted = _choose(candidate, candidate_offer, places, beds, needs_housing)
        won, lost = candidate[accepted], candidate[~accepted]
        held_offer[won] = candidate_offer[accepted]
        held_score[won] = candidate_score[accepted]
        held_offer[lost] = -1
        next_choice[lost] += 1
        # New cut-offs of the touched offers, from their holders (sorted best first).
        touched_offers = np.flatnonzero(touched)
        place_cutoffs.score[touched_offers] = -np.inf
        bed_cutoffs.score[touched_offers] = -np.inf
        won_offer, won_score = candidate_offer[accepted], candidate_score[accepted]
        place_cutoffs.update(won_offer, won_score, won, places)
        housed = needs_housing[won]
        bed_cutoffs.update(won_offer[housed], won_score[housed], won[housed], beds)
        free = np.sort(lost)
    return held_offer, held_score


def _propose(
    lists: PreferenceLists,
    next_choice: I64,
    free: IntArray,
    place_cutoffs: _Cutoffs,
    bed_cutoffs: _Cutoffs,
    needs_housing: Bools,
) -> IntArray:
    """Move each free request to the first offer down its list that would not reject it;
    return those that found one.

    A request looks at :data:`LOOKAHEAD` entries of its list at a time, all requests at once.
    """
    length = np.diff(lists.start)
    steps = np.arange(LOOKAHEAD)
    proposing: list[IntArray] = []
    todo = free
    while len(todo):
        todo = todo[next_choice[todo] < length[todo]]
        if not len(todo):
            break
        position = next_choice[todo][:, None] + steps[None, :]
        inside = position < length[todo][:, None]
        last = length[todo][:, None] - 1
        flat = lists.start[todo][:, None] + np.minimum(position, last)
        offer, score = lists.offer[flat], lists.score[flat]
        request = todo[:, None]
        closed = place_cutoffs.rejects(score, request, offer) | (
            needs_housing[todo][:, None] & bed_cutoffs.rejects(score, request, offer)
        )
        open_ = inside & ~closed
        found = open_.any(axis=1)
        first = np.argmax(open_, axis=1)
        next_choice[todo[found]] += first[found]
        proposing.append(todo[found])
        rest = todo[~found]
        next_choice[rest] = np.minimum(next_choice[rest] + LOOKAHEAD, length[rest])
        todo = rest
    return np.concatenate(proposing) if proposing else np.zeros(0, dtype=np.intp)


def _choose(
    candidate: IntArray, offer: IntArray, places: I64, beds: I64, needs_housing: Bools
) -> Bools:
    """Which candidates each offer keeps: sorted by offer, then best first, it takes them in
    order while a place is left and, for those who need housing, a bed."""
    first = np.flatnonzero(np.r_[True, offer[1:] != offer[:-1]])
    group_start = np.repeat(first, np.diff(np.append(first, len(candidate))))
    needs = needs_housing[candidate]
    eligible = ~needs | (_rank_in_group(needs, group_start) < beds[offer])
    accepted: Bools = eligible & (_rank_in_group(eligible, group_start) < places[offer])
    return accepted


def _rank_in_group(flag: Bools, group_start: IntArray) -> I64:
    """Number of True flags before each position within its group (arrays sorted by group)."""
    count = np.cumsum(flag, dtype=np.int64)
    before = count - flag
    rank: I64 = before - (count[group_start] - flag[group_start])
    return rank


# --- preference lists ----------------------------------------------------------------------------


def preference_lists(n_requests: int, pairs: Pairs) -> PreferenceLists:
    """Pairs as per-request lists, best first (score descending, then offer index)."""
    pair_rows, pair_cols, score = pairs
    order = best_first(pair_rows, pair_cols, score)
    pair_rows = pair_rows[order]
    start = np.searchsorted(pair_rows, np.arange(n_requests + 1)).astype(np.intp)
    return PreferenceLists(start, pair_cols[order], score[order])
