"""Explaining: the :class:`Assignment` and :class:`Unassigned` objects people read, built lazily.

Every decision and number is settled before this module is reached (:mod:`.levels`,
:mod:`.standings`); here they only become objects with French reasons, in chunks, when a caller
first reads them (a page reads a few, an export all of them).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, overload

import numpy as np

from ..arrays import I64, IntArray
from ..explanations import max_km_text, pair_results
from ..model import Assignment, Match, Params, Unassigned
from ..referential import MetierReferential
from ..tables import OfferTable, RequestTable
from ..training import Training

if TYPE_CHECKING:
    from ..housing import Housing
    from .shared import Taken

__all__ = [
    "LazyList",
    "NO_BED_LEFT",
    "NO_TUTOR_LEFT",
    "Settled",
    "assignments",
    "unassigned",
    "unassigned_reason",
]

T = TypeVar("T")


class LazyList(Sequence[T]):
    """A read-only list whose items are built in chunks on first access."""

    CHUNK = 512

    def __init__(self, n: int, build: Callable[[int, int], list[T]]) -> None:
        self._n, self._build = n, build
        self._chunks: dict[int, list[T]] = {}

    def _chunk(self, c: int, ahead: int = 1) -> list[T]:
        """Chunk ``c``, built if needed with the next ``ahead - 1`` chunks not built yet."""
        got = self._chunks.get(c)
        if got is None:
            # The items hold no reference cycles: the collector has nothing to free among them,
            # and pausing it while they are made spares it rescanning a large heap (reading
            # every explanation of the France benchmark: 2.5 times faster). Once resumed, it
            # scans what was made since: a few large batches cost it far less than many small
            # ones (each batch lets its older generations grow, and then rescans them).
            paused = gc.isenabled()
            gc.disable()
            try:
                for b in range(c, min(c + ahead, self._n_chunks)):
                    if b not in self._chunks:
                        self._chunks[b] = self._build(
                            b * self.CHUNK, min(self._n, (b + 1) * self.CHUNK)
                        )
            finally:
                if paused:
                    gc.enable()
            got = self._chunks[c]
        return got

    @property
    def _n_chunks(self) -> int:
        return (self._n + self.CHUNK - 1) // self.CHUNK

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
        # A reader of every item gets them built in batches that double: few pauses.
        ahead = 1
        for c in range(self._n_chunks):
            if c not in self._chunks:
                self._chunk(c, ahead)
                ahead *= 2
            yield from self._chunks[c]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<{self._n} items, built on access>"


@dataclass(frozen=True, eq=False)
class Settled:
    """Every decision and number of an allocation, before any object is built.

    ``assigned``: the assigned rows, with their ``held_offer`` (per request) and ``ranks``;
    ``left``: the unassigned rows, with their ``compatible`` counts; ``widening``: the step of
    those with none; ``holders`` and ``bounds``: the ``lost_to`` ids of those with some, the
    j-th of them from ``holders[bounds[j]]`` to ``holders[bounds[j + 1]]``. Given housing
    resources or binding tutors: ``taken``, the bed each request takes and whether it lost an
    offer with a place left for want of a bed or of its tutor's place (:mod:`.shared`), and
    ``housing`` given resources.
    """

    requests: RequestTable
    offers: OfferTable
    assigned: IntArray
    held_offer: IntArray
    ranks: I64
    left: IntArray
    compatible: I64
    widening: dict[int, float | None]
    holders: list[str]
    bounds: list[int]
    housing: Housing | None = None
    taken: Taken | None = None


def assignments(
    settled: Settled,
    referential: MetierReferential,
    params: Params,
    training: Training | None = None,
) -> LazyList[Assignment]:
    """The assignments, each with its :class:`Match` (criteria, French reasons) and rank."""
    assigned, ranks = settled.assigned, settled.ranks

    def build(a: int, z: int) -> list[Assignment]:
        rows = assigned[a:z]
        taken = settled.taken
        matches = pair_results(
            settled.requests,
            rows,
            settled.offers,
            settled.held_offer[rows],
            referential,
            params,
            training,
            housing=settled.housing,
            taken=None if taken is None else (taken.resource[rows], taken.far[rows]),
        )
        return [
            Assignment(m.request_id, m.offer_id, m.score, m, int(rank))
            for m, rank in zip(matches, ranks[a:z].tolist(), strict=True)
            if isinstance(m, Match)
        ]

    return LazyList(len(assigned), build)


def unassigned(settled: Settled) -> LazyList[Unassigned]:
    """The unassigned requests, each with its French reason and ``lost_to``."""
    left, compatible = settled.left, settled.compatible
    # lost_to of left[i]: holder ids [bounds[j], bounds[j + 1]), j its place among the losers.
    loser_at = np.cumsum(compatible > 0) - 1
    ids, max_km = settled.requests.ids, settled.requests.max_km
    holders, bounds = settled.holders, settled.bounds
    blocked = None if settled.taken is None else settled.taken.bed_blocked
    tutor_blocked = None if settled.taken is None else settled.taken.tutor_blocked

    def build(a: int, z: int) -> list[Unassigned]:
        out = []
        rows = zip(
            left[a:z].tolist(), compatible[a:z].tolist(), loser_at[a:z].tolist(), strict=True
        )
        for i, n, j in rows:
            lost = tuple(holders[bounds[j] : bounds[j + 1]]) if n else ()
            if blocked is not None and n and blocked[i]:
                out.append(Unassigned(ids[i], NO_BED_LEFT, lost, n, obstacle="housing"))
                continue
            if tutor_blocked is not None and n and tutor_blocked[i]:
                out.append(Unassigned(ids[i], NO_TUTOR_LEFT, lost, n, obstacle="tutor"))
                continue
            reason = unassigned_reason(n, float(max_km[i]), settled.widening.get(i))
            out.append(Unassigned(ids[i], reason, lost, n))
        return out

    return LazyList(len(left), build)


#: The reason of a request that an offer with a place left would have taken but for a bed.
NO_BED_LEFT = "Aucun logement libre près des offres compatibles"
#: The reason of a request that an offer with a place left would have taken but for a place
#: of its maître d'apprentissage (taken by better-ranked candidates on the tutor's offers).
NO_TUTOR_LEFT = (
    "Maître d'apprentissage sans place : les apprentis qu'il peut encadrer sont attribués "
    "à des candidatures mieux classées"
)


def unassigned_reason(compatible: int, max_km: float, widening_km: float | None) -> str:
    """The French reason a request is left out: no compatible offer (and how far one would be
    found), or every compatible one taken by better-ranked requests."""
    if compatible == 0:
        if widening_km is None:
            return "Aucune offre compatible"
        return (
            f"Aucune offre compatible à moins de {max_km_text(max_km)} km "
            f"(au moins une à moins de {max_km_text(widening_km)} km)"
        )
    offers = (
        "Son offre compatible est attribuée"
        if compatible == 1
        else f"Ses {compatible} offres compatibles sont attribuées"
    )
    return f"{offers} à des candidatures mieux classées"
