"""The allocation with shared capacities: a deterministic greedy in score order.

Two capacities are shared between offers: the beds of a housing resource (given ``housing``,
:mod:`matching.housing`), which serve every offer near it, and the apprentices a maître
d'apprentissage may still take (given ``tutors``, :mod:`matching.tutors`), which every offer
naming that tutor shares. Neither is a capacity of one offer, so deferred acceptance's offers
no longer decide alone. The allocation is then, by definition, this greedy pass (the one
:func:`~matching.allocation.allocate_reference` states with ``housing`` and ``tutors``): take
the valid pairs from the best score down (ties: request id, then offer id) and place a
request on an offer if

* the request is still free and the offer has a place left, and
* the offer names no tutor, or its tutor has a place left (the assignment takes it), and
* for a request that needs housing, a bed is left at one of the pair's sources, taken in
  this order: on the offer's site; given resources, the best resource near the offer (grade,
  distance, id, as :mod:`matching.housing` ranks them) with a bed left; given centres and
  resources, the best resource near the pair's centre with a bed left. The assignment takes
  one bed there.

No resource ends over its beds, no tutor over their capacity, no offer over its places or
on-site beds.

**What stability means once capacities are shared.** Requests rank offers by score (ties by
offer id) and offers rank requests by score (ties by request id), as before. A request ``r``
and an offer ``o`` *block* the allocation if ``r`` prefers ``o`` to its lot, ``o`` has a place
free or held by a pair ranked below ``(r, o)``, ``o``'s tutor (if it names one) has a place
free or held by a pair ranked below ``(r, o)`` *on any of the tutor's offers*, and, when
``r`` needs housing, *a bed could house them*: one of the pair's sources has a bed free or
held by a pair ranked below ``(r, o)``. The greedy leaves no blocking pair: when it skipped
``(r, o)`` every place of ``o`` (or of its tutor, or every bed of its sources) was held by
better pairs, and holders are never displaced. A tutor's place held by a worse pair on
another offer is a place ``(r, o)`` may claim: the tutor, like an offer, prefers the better
pair. Without shared capacities (no resource nor tutor binds) this is the usual stability,
and the greedy gives the unique stable allocation, the one deferred acceptance gives. The
tests (tests/matching/test_housing.py, tests/matching/test_tutors.py) check the fast path
against the reference pass on random instances, that no pair blocks, and, where the shared
capacities do not bind, that the result is deferred acceptance's.

The fast path runs the greedy over each request's ``L`` best offers (scored by the engine's
kernel, as :mod:`.scored`) and lengthens the lists of the requests that went down a cut list
unassigned, then runs it again: a request assigned within its list never reached the offers
it lacks, so the pass is the greedy over the complete lists. A pass over lengthened lists
resumes the previous one at the first pair the lists gained: the pairs before it and their
decisions are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import F64, Bools, IntArray
from ..housing import Housing
from ..tables import OfferTable, RequestTable
from ..training import Training
from ..tutors import Tutors
from .levels import PreferenceLists

__all__ = ["Key", "Taken", "first_key", "greedy"]

#: ``resource`` of a request without a bed (not assigned, or needs none).
NO_BED = -2
#: ``resource`` of a bed on the offer's site.
ON_SITE_BED = -1


@dataclass(frozen=True, eq=False)
class Taken:
    """The greedy's result per request: offer (-1: none), score, the bed it takes
    (``resource``: a resource's position, ``ON_SITE_BED``, or ``NO_BED``; ``far``: near the
    pair's centre) and whether a pair with a place left was lost for want of a bed (given
    housing resources) or of a place of its tutor."""

    offer: IntArray
    score: F64
    resource: IntArray
    far: Bools
    bed_blocked: Bools
    #: Where each request was first lost for want of a bed: (score, offer) of that pair
    #: (NaN, -1: never), to resume the pass (:func:`greedy`'s ``resume``).
    blocked_score: F64
    blocked_offer: IntArray
    #: Whether a pair with a place left (and a bed, if needed) was lost for want of a place
    #: of the offer's tutor, and where first, as for beds.
    tutor_blocked: Bools
    tutor_blocked_score: F64
    tutor_blocked_offer: IntArray


#: A point of the pass's order: (minus the score, request row, offer column).
Key = tuple[float, int, int]


def greedy(
    lists: PreferenceLists,
    requests: RequestTable,
    offers: OfferTable,
    housing: Housing | None,
    training: Training | None,
    resume: tuple[Taken, Key] | None = None,
    tutors: Tutors | None = None,
) -> Taken:
    """Run the greedy over every pair of ``lists`` (see the module), capacities shared.

    ``housing``: the resources whose beds are shared (``offers`` is then ``housing.table``);
    ``None``: a request that needs housing takes a bed on the offer's site only. ``tutors``:
    the tutors whose places are shared; ``None``: none. ``resume``: the pass over shorter
    lists and a key at or before the first pair the lists gained: the decisions before it are
    the same (every pair before it is the same), so they are kept and the pass goes on from
    there.
    """
    n = len(requests.ids)
    owner = np.repeat(np.arange(n, dtype=np.intp), np.diff(lists.start))
    minus = -lists.score
    if resume is not None:
        k_score, k_row, k_col = resume[1]
        later = (minus > k_score) | (
            (minus == k_score) & ((owner > k_row) | ((owner == k_row) & (lists.offer >= k_col)))
        )
        pick = np.flatnonzero(later)
        owner, offer, minus = owner[pick], lists.offer[pick], minus[pick]
    else:
        offer = lists.offer
    order = np.lexsort((offer, owner, minus))
    rows, cols, scores = owner[order], offer[order], -minus[order]
    needs = requests.needs_housing
    # Far sources (given centres): the pair's centre, for every pair that may need one (a
    # housed offer's beds may all be taken when the pair's turn comes).
    centre_of: dict[tuple[int, int], int] = {}
    if training is not None and housing is not None and len(rows):
        some = np.flatnonzero(needs[rows])
        if len(some):
            picked = training.pairs(rows[some], cols[some])
            keys = zip(rows[some].tolist(), cols[some].tolist(), strict=True)
            centre_of = dict(zip(keys, picked.centre.tolist(), strict=True))
    places = offers.places.tolist()
    on_site = (offers if housing is None else housing.offers).beds.tolist()
    beds = [] if housing is None else housing.beds.tolist()
    # A tutor's places: -1 for an offer that names none (never checked).
    tutor_of = [-1] * len(places) if tutors is None else tutors.offer_tutor.tolist()
    tutor_left = [] if tutors is None else tutors.capacity.tolist()
    max_km = requests.max_km.tolist()
    held = [-1] * n
    held_score = [0.0] * n
    taken = [NO_BED] * n
    taken_far = [False] * n
    blocked = [False] * n
    blocked_score = [float("nan")] * n
    blocked_offer = [-1] * n
    t_blocked = [False] * n
    t_blocked_score = [float("nan")] * n
    t_blocked_offer = [-1] * n
    if resume is not None:
        _restore(resume, places, on_site, beds, held, held_score, taken, taken_far)
        _restore_tutors(resume, tutor_of, tutor_left)
        _restore_blocked(
            resume, resume[0].bed_blocked, blocked, blocked_score, blocked_offer, bed=True
        )
        _restore_blocked(
            resume, resume[0].tutor_blocked, t_blocked, t_blocked_score, t_blocked_offer, bed=False
        )
    needs_l = needs.tolist()
    near_cache: dict[int, list[int]] = {}
    far_cache: dict[tuple[int, float], list[int]] = {}
    for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        if held[i] >= 0 or places[j] == 0:
            continue
        t = tutor_of[j]
        if t >= 0 and tutor_left[t] == 0:
            if not t_blocked[i]:
                t_blocked[i], t_blocked_score[i], t_blocked_offer[i] = True, s, j
            continue
        bed, far = NO_BED, False
        if needs_l[i]:
            if on_site[j] > 0:
                on_site[j] -= 1
                bed = ON_SITE_BED
            elif housing is None:
                continue  # no bed on site, and no resource to look at
            else:
                near = near_cache.get(j)
                if near is None:
                    near = near_cache[j] = housing.near(j)[0]
                bed = next((r for r in near if beds[r] > 0), NO_BED)
                if bed == NO_BED:
                    k = centre_of.get((i, j), -1)
                    if k >= 0 and training is not None:
                        key = (k, max_km[i])
                        order_far = far_cache.get(key)
                        if order_far is None:
                            found = housing.far_order(training, k, max_km[i])
                            order_far = far_cache[key] = [r for r, _km in found]
                        bed = next((r for r in order_far if beds[r] > 0), NO_BED)
                        far = bed != NO_BED
                if bed == NO_BED:
                    if not blocked[i]:
                        blocked[i], blocked_score[i], blocked_offer[i] = True, s, j
                    continue
                beds[bed] -= 1
        if t >= 0:
            tutor_left[t] -= 1
        places[j] -= 1
        held[i], held_score[i], taken[i], taken_far[i] = j, s, bed, far
    return Taken(
        offer=np.array(held, dtype=np.intp),
        score=np.array(held_score),
        resource=np.array(taken, dtype=np.intp),
        far=np.array(taken_far, dtype=bool),
        bed_blocked=np.array(blocked, dtype=bool),
        blocked_score=np.array(blocked_score),
        blocked_offer=np.array(blocked_offer, dtype=np.intp),
        tutor_blocked=np.array(t_blocked, dtype=bool),
        tutor_blocked_score=np.array(t_blocked_score),
        tutor_blocked_offer=np.array(t_blocked_offer, dtype=np.intp),
    )


def _before(score: F64, row: IntArray, col: IntArray, key: Key) -> Bools:
    """Whether pairs (score, row, col) come before ``key`` in the pass's order."""
    k_score, k_row, k_col = key
    minus = -score
    before: Bools = (minus < k_score) | (
        (minus == k_score) & ((row < k_row) | ((row == k_row) & (col < k_col)))
    )
    return before


def _restore(
    resume: tuple[Taken, Key],
    places: list[int],
    on_site: list[int],
    beds: list[int],
    held: list[int],
    held_score: list[float],
    taken: list[int],
    taken_far: list[bool],
) -> None:
    """The assignments made before the key, with their places and beds."""
    prev, key = resume
    rows = np.flatnonzero(prev.offer >= 0).astype(np.intp)
    rows = rows[_before(prev.score[rows], rows, prev.offer[rows], key)]
    for i, j, s, bed, far in zip(
        rows.tolist(),
        prev.offer[rows].tolist(),
        prev.score[rows].tolist(),
        prev.resource[rows].tolist(),
        prev.far[rows].tolist(),
        strict=True,
    ):
        places[j] -= 1
        if bed == ON_SITE_BED:
            on_site[j] -= 1
        elif bed >= 0:
            beds[bed] -= 1
        held[i], held_score[i], taken[i], taken_far[i] = j, s, bed, far


def _restore_tutors(resume: tuple[Taken, Key], tutor_of: list[int], tutor_left: list[int]) -> None:
    """The tutors' places taken by the assignments made before the key."""
    prev, key = resume
    rows = np.flatnonzero(prev.offer >= 0).astype(np.intp)
    rows = rows[_before(prev.score[rows], rows, prev.offer[rows], key)]
    for j in prev.offer[rows].tolist():
        if tutor_of[j] >= 0:
            tutor_left[tutor_of[j]] -= 1


def _restore_blocked(
    resume: tuple[Taken, Key],
    was: Bools,
    blocked: list[bool],
    blocked_score: list[float],
    blocked_offer: list[int],
    *,
    bed: bool,
) -> None:
    """The requests first lost for want of a bed (``bed``) or of a tutor's place before the
    key (``was``: the previous pass's flags of that kind)."""
    prev, key = resume
    at_score = prev.blocked_score if bed else prev.tutor_blocked_score
    at_offer = prev.blocked_offer if bed else prev.tutor_blocked_offer
    rows = np.flatnonzero(was).astype(np.intp)
    rows = rows[_before(at_score[rows], rows, at_offer[rows], key)]
    for i in rows.tolist():
        blocked[i] = True
        blocked_score[i] = float(at_score[i])
        blocked_offer[i] = int(at_offer[i])


def first_key(lists: PreferenceLists) -> Key | None:
    """The first pair of ``lists`` in the pass's order, or None if they are empty."""
    if not len(lists.score):
        return None
    owner = np.repeat(np.arange(len(lists.start) - 1, dtype=np.intp), np.diff(lists.start))
    best = lists.score.max()
    top = np.flatnonzero(lists.score == best)  # then the smallest row, then column
    row = owner[top].min()
    col = lists.offer[top[owner[top] == row]].min()
    return (float(-best), int(row), int(col))
