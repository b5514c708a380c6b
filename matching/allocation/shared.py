"""The allocation with housing resources: shared beds, a deterministic greedy in score order.

Given ``housing`` (:mod:`matching.housing`), a resource's beds serve every offer near it, so
the beds are no longer a capacity of one offer and deferred acceptance's offers no longer
decide alone. The allocation is then, by definition, this greedy pass (the one
:func:`~matching.allocation.allocate_reference` states with ``housing``): take the valid pairs
from the best score down (ties: request id, then offer id) and place a request on an offer if

* the request is still free and the offer has a place left, and
* for a request that needs housing, a bed is left at one of the pair's sources, taken in
  this order: on the offer's site; the best resource near the offer (grade, distance, id,
  as :mod:`matching.housing` ranks them) with a bed left; given centres, the best resource
  near the pair's centre with a bed left. The assignment takes one bed there.

No resource ends over its beds, no offer over its places or on-site beds.

**What stability means once beds are shared.** Requests rank offers by score (ties by offer
id) and offers rank requests by score (ties by request id), as before. A request ``r`` and an
offer ``o`` *block* the allocation if ``r`` prefers ``o`` to its lot, ``o`` has a place free
or held by a pair ranked below ``(r, o)``, and, when ``r`` needs housing, *a bed could house
them*: one of the pair's sources has a bed free or held by a pair ranked below ``(r, o)``.
The greedy leaves no blocking pair: when it skipped ``(r, o)`` every place of ``o`` (or every
bed of its sources) was held by better pairs, and holders are never displaced. Without shared
beds (no resource counts) this is the usual stability, and the greedy gives the unique stable
allocation, the one deferred acceptance gives (the tests check it against the ``matching``
library where beds do not bind).

The fast path runs the greedy over each request's ``L`` best offers (scored by the engine's
kernel, as :mod:`.scored`) and lengthens the lists of the requests that went down a cut list
unassigned, then runs it again: a request assigned within its list never reached the offers
it lacks, so the pass is the greedy over the complete lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import F64, Bools, IntArray
from ..housing import Housing
from ..tables import OfferTable, RequestTable
from ..training import Training
from .levels import PreferenceLists

__all__ = ["Taken", "greedy"]

#: ``resource`` of a request without a bed (not assigned, or needs none).
NO_BED = -2
#: ``resource`` of a bed on the offer's site.
ON_SITE_BED = -1


@dataclass(frozen=True, eq=False)
class Taken:
    """The greedy's result per request: offer (-1: none), score, the bed it takes
    (``resource``: a resource's position, ``ON_SITE_BED``, or ``NO_BED``; ``far``: near the
    pair's centre) and whether a pair with a place left was lost for want of a bed."""

    offer: IntArray
    score: F64
    resource: IntArray
    far: Bools
    bed_blocked: Bools


def greedy(
    lists: PreferenceLists,
    requests: RequestTable,
    offers: OfferTable,
    housing: Housing,
    training: Training | None,
) -> Taken:
    """Run the greedy over every pair of ``lists`` (see the module), beds shared."""
    n = len(requests.ids)
    owner = np.repeat(np.arange(n, dtype=np.intp), np.diff(lists.start))
    order = np.lexsort((lists.offer, owner, -lists.score))
    rows, cols, scores = owner[order], lists.offer[order], lists.score[order]
    needs = requests.needs_housing
    # Far sources (given centres): the pair's centre, for every pair that may need one (a
    # housed offer's beds may all be taken when the pair's turn comes).
    centre_of: dict[tuple[int, int], int] = {}
    if training is not None and len(rows):
        some = np.flatnonzero(needs[rows])
        if len(some):
            picked = training.pairs(rows[some], cols[some])
            keys = zip(rows[some].tolist(), cols[some].tolist(), strict=True)
            centre_of = dict(zip(keys, picked.centre.tolist(), strict=True))
    places = offers.places.tolist()
    on_site = housing.offers.beds.tolist()
    beds = housing.beds.tolist()
    max_km = requests.max_km.tolist()
    held = [-1] * n
    held_score = [0.0] * n
    taken = [NO_BED] * n
    taken_far = [False] * n
    blocked = [False] * n
    needs_l = needs.tolist()
    near_cache: dict[int, list[int]] = {}
    far_cache: dict[tuple[int, float], list[int]] = {}
    for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        if held[i] >= 0 or places[j] == 0:
            continue
        bed, far = NO_BED, False
        if needs_l[i]:
            if on_site[j] > 0:
                on_site[j] -= 1
                bed = ON_SITE_BED
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
                    blocked[i] = True
                    continue
                beds[bed] -= 1
        places[j] -= 1
        held[i], held_score[i], taken[i], taken_far[i] = j, s, bed, far
    return Taken(
        offer=np.array(held, dtype=np.intp),
        score=np.array(held_score),
        resource=np.array(taken, dtype=np.intp),
        far=np.array(taken_far, dtype=bool),
        bed_blocked=np.array(blocked, dtype=bool),
    )
