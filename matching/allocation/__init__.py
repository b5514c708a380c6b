"""A global, stable allocation of requests to offers.

Each request gets at most one offer; an offer takes at most ``places`` requests, of which at
most ``housing_beds`` need housing (given housing resources, the others take a bed of a resource
near the offer or its centre, see :mod:`.shared`); a request that needs housing is never placed
on an offer without a bed. Both sides rank by the pair's score (requests: ties by offer id;
offers: ties by request id).

**The specification** is :func:`allocate_reference` (:mod:`.reference`): a greedy pass over
every valid pair, best score first. Because both sides rank by the same score with consistent
tie breaks, the stable allocation is unique and equals that greedy pass, which is also what
candidate-proposing deferred acceptance (Gale-Shapley) gives. :func:`allocate` is the fast path;
the property tests (tests/matching/test_properties.py) check that it gives the same assignments
as :func:`allocate_reference` on random inputs, with its splitting forced every way.

**How the fast path works**, module by module:

1. :mod:`.space`: the tables, offers grouped in classes that the hard constraints cannot tell
   apart, and the bounds that turn a score threshold into a join radius;
2. :mod:`.levels` (allocating): deferred acceptance level by level of score, each level joining
   only the pairs above its threshold (:mod:`matching.pairs` for the joins);
3. :mod:`.standings` and :mod:`.best_offers` (what the result says): each assignment's choice
   rank, each unassigned request's compatible offers, widening step and ``lost_to``;
4. :mod:`.explain` (explaining): the :class:`~matching.Assignment` and
   :class:`~matching.Unassigned` objects, with their French reasons, built on first read.

:mod:`.scored` is the path taken with training centres (deferred acceptance over each
request's best offers, scored by the engine's kernel, lists lengthened when needed), and with
housing resources, whose beds several offers share, and with tutors (maîtres
d'apprentissage) whose places several offers share and bind: :mod:`.shared` then replaces
deferred acceptance by a greedy in score order, and says what stability means with shared
capacities.

:mod:`.tuning` holds the knobs (levels, join sizes); none changes the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..housing import Housing
from ..model import (
    DEFAULT_PARAMS,
    Allocation,
    HousingResource,
    OfferIn,
    Params,
    RequestIn,
    TrainingCentre,
    Tutor,
)
from ..referential import MetierReferential
from ..tables import prepare_tables
from ..training import Training
from ..tutors import Tutors
from . import tuning
from .best_offers import FirstRound
from .explain import Settled, assignments, unassigned
from .levels import allocate_levels
from .reference import allocate_reference
from .scored import allocate_scored
from .space import Space
from .standings import lost_to, ranks, reach, widening
from .tuning import LEVELS, MAX_LOST_TO

__all__ = ["allocate", "allocate_reference", "LEVELS", "MAX_LOST_TO"]


def allocate(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    *,
    centres: Sequence[TrainingCentre] | None = None,
    housing: Sequence[HousingResource] | None = None,
    tutors: Sequence[Tutor] | None = None,
) -> Allocation:
    """Allocate requests to offers: stable with respect to the scores, capacities and beds kept.

    Returns assignments (with their match and the candidate's choice rank) and unassigned
    requests with a French reason: no compatible offer, or every compatible offer taken by
    better-ranked requests (``lost_to``). Sorted by request id; inputs are not mutated. The
    assignments are those of :func:`allocate_reference`. The decisions, ranks, counts and
    ``lost_to`` are settled here; the objects that carry them (an assignment's
    :class:`~matching.Match` with its criteria and French reasons, an unassigned request's
    reason) are built when first read.

    ``centres``: the training centres; the scores are then those of :func:`~matching.suggest`
    with the same centres (training criterion included), and the allocation runs over scored
    preference lists (:mod:`.scored`) instead of the fast path, whose classes of offers
    assume that offers alike score alike.

    ``housing``: the housing resources; the scores are then those of
    :func:`~matching.suggest` with the same resources, the beds are shared between the offers
    near them and the allocation is the greedy of :mod:`.shared` (which says what stability
    means then): each assignment's match carries the bed it takes, and a request that an offer
    with a place left would have taken but for a bed says so (``obstacle="housing"``).

    ``tutors``: the maîtres d'apprentissage and the apprentices each may still take
    (:mod:`matching.tutors`); no tutor then gets more apprentices than their capacity, across
    all the offers that name them, and an offer whose tutor has none left takes nobody. When
    a tutor's offers could together exceed the capacity (the tutor *binds*), the allocation
    is the greedy of :mod:`.shared` (which says what stability means then), and a request that
    an offer with a place left would have taken but for its tutor's place says so
    (``obstacle="tutor"``); when none binds, it is the allocation without tutors, with each
    offer's places clipped to its tutor's capacity. Without ``tutors``, an offer's ``tutor``
    is ignored.
    """
    # Candidates who need housing only ever go where there is a bed.
    strict = replace(params, exclude_without_housing=True)
    request_table, offer_table = prepare_tables(requests, offers, referential, strict)
    shared = None
    if tutors is not None:
        caps = Tutors(tutors, offer_table)
        offer_table = caps.table
        shared = caps if caps.binds else None
    if centres is not None or housing is not None or shared is not None:
        training = (
            None
            if centres is None
            else Training(centres, request_table, offer_table, referential, strict)
        )
        beds = None if housing is None else Housing(housing, offer_table, strict)
        table = offer_table if beds is None else beds.table
        settled = allocate_scored(request_table, table, strict, training, beds, shared)
        return Allocation(assignments(settled, referential, strict, training), unassigned(settled))
    space = Space(request_table, offer_table, strict)
    # Allocating.
    held_offer, held_score = allocate_levels(space)
    # What the result says of each request.
    assigned = np.flatnonzero(held_offer >= 0).astype(np.intp)
    left = np.flatnonzero(held_offer < 0).astype(np.intp)
    first = FirstRound(space, tuning.MAX_LOST_TO)
    compatible, guess, related_ring = reach(space, left, tuning.MAX_LOST_TO, first)
    some = compatible > 0
    holders, bounds = lost_to(
        space, left[some], held_offer, held_score, guess[some], related_ring[some], first
    )
    settled = Settled(
        requests=request_table,
        offers=offer_table,
        assigned=assigned,
        held_offer=held_offer,
        ranks=ranks(space, assigned, held_offer, held_score),
        left=left,
        compatible=compatible,
        widening=widening(space, left[compatible == 0]),
        holders=holders,
        bounds=bounds,
    )
    # Explaining, on first read.
    return Allocation(assignments(settled, referential, strict), unassigned(settled))
