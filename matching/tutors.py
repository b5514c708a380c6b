"""Maîtres d'apprentissage: a capacity that the offers naming the same tutor share (issue 19).

An apprenticeship master (maître d'apprentissage) may supervise at most two apprentices at a
time, plus one repeating apprentice (Code du travail, article R6223-6). Given ``tutors``
(:class:`~matching.Tutor`: an id and the apprentices they may still take), an offer that names
one (``OfferIn.tutor``) is limited by that capacity, which every offer naming the same tutor
shares:

* :func:`~matching.suggest`: an offer (with a place) whose tutor has capacity 0 is excluded,
  reason ``tutor`` (counted right after ``places``: like a full offer, it takes nobody);
* :func:`~matching.allocate`: no tutor gets more apprentices than their capacity, across all
  the offers that name them (:mod:`matching.allocation.shared` allocates such capacities).

Without ``tutors`` an offer's ``tutor`` is ignored and the results are those of before.

How it is computed: :class:`Tutors` settles, once per call, each offer's tutor and an offer
table whose ``places`` are clipped to the tutor's capacity (an offer never takes more
apprentices than its tutor may supervise; 0, so ``has_place`` is False, for an offer whose
tutor is full, and ``tutor_full`` tells those from offers without a place). A tutor *binds*
when the places of its offers, so clipped, exceed its capacity; only then can the capacity
change an allocation, and only then does :func:`~matching.allocate` leave its fast path. A
tutor whose offers together cannot exceed the capacity is only a clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .arrays import I64, Bools, IntArray
from .errors import InvalidInput
from .model import Tutor
from .tables import OfferTable, check_unique

__all__ = ["Tutors", "NO_TUTOR"]

#: ``offer_tutor`` of an offer that names no tutor.
NO_TUTOR = -1


class Tutors:
    """The tutors, each offer's tutor and the offer table they give, as arrays (internal).

    Built once per call from the offer table; never mutated (the allocation copies
    ``capacity``). Raises :class:`~matching.InvalidInput` for an item that is not a
    :class:`~matching.Tutor`, a duplicate id, or an offer naming an unknown tutor (the record
    is the offer, the field ``tutor``).
    """

    def __init__(self, tutors: Sequence[Tutor], offers: OfferTable) -> None:
        for n, t in enumerate(tutors):
            if not isinstance(t, Tutor):
                raise InvalidInput("a Tutor is required", record=f"tutor #{n}")
        items = sorted(tutors, key=lambda t: t.id)
        self.ids = [t.id for t in items]
        check_unique("tutor", self.ids)
        self.items = items
        index = {t: k for k, t in enumerate(self.ids)}
        for o in offers.items:
            if o.tutor is not None and o.tutor not in index:
                raise InvalidInput(
                    f"unknown tutor {o.tutor!r}", record=f"offer {o.id}", field="tutor"
                )
        self.capacity: I64 = np.array([t.capacity for t in items], dtype=np.int64)
        self.offer_tutor: IntArray = np.array(
            [NO_TUTOR if o.tutor is None else index[o.tutor] for o in offers.items],
            dtype=np.intp,
        )
        named = self.offer_tutor >= 0
        cap = np.zeros(len(offers.ids), dtype=np.int64)
        cap[named] = self.capacity[self.offer_tutor[named]]
        #: Offers with a place whose tutor has none left (an offer without a place is
        #: excluded for that first: reason ``places``).
        self.full: Bools = named & (cap == 0) & offers.has_place
        # Each offer's places clipped to its tutor's capacity (0 when the tutor is full: the
        # engine reads ``places > 0`` as ``has_place``).
        places = np.where(named, np.minimum(offers.places, cap), offers.places).astype(np.int64)
        live = named & (places > 0)
        load = np.bincount(self.offer_tutor[live], weights=places[live], minlength=len(items))
        #: Tutors whose offers could take more apprentices than they may supervise.
        self.binding: Bools = load > self.capacity
        self.binds = bool(self.binding.any())
        #: The offer table the engine reads: the same as ``offers`` when no offer names a tutor.
        self.table = (
            replace(offers, places=places, has_place=places > 0, tutor_full=self.full)
            if named.any()
            else offers
        )
