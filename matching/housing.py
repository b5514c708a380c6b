"""Housing resources: beds near the offers, chosen and graded per pair on arrays (issue 17).

A candidate who needs housing can sleep on the offer's site (``OfferIn.housing_beds``) or at a
*housing resource* (:class:`~matching.HousingResource`: a hostel, a residence, a host family)
whose free beds every offer near it shares. Given ``housing``, the engine chooses the source of
each pair (request that needs housing, offer):

1. on site, if the offer has a bed (``offer.housing_beds > 0``);
2. else the best resource with a free bed within ``p.housing_radius_km`` (``R``) of the
   offer's site ("near");
3. else, given training centres and when the pair has one, the best resource with a free bed
   within the request's ``max_km`` of the pair's centre ("far": the candidate studies there);
4. else none.

"Best" is the highest grade below, ties by the distance (from the offer's site, or from the
centre for a far one), then by the resource's id: deterministic.

The housing criterion of a request that needs housing, in [0, 1] (``c``: the monthly rent,
``C = p.housing_cost_reference_eur``, ``φ = p.housing_cost_floor``)::

    cost(c)   = 1 − (1 − φ) · min(c, C) / C        a known rent (1 at 0 €, φ from C € up)
              = 1 − (1 − φ) / 2                    an unknown rent (halfway: neither free
                                                   nor dear)
    s_housing = 1                                  on site
              = p.housing_near_score · cost(c)     a resource near the offer
              = p.housing_far_score · cost(c)      a resource near the pair's centre only
              = p.no_housing_score                 no source

A request that needs no housing scores 1, as without resources. The score is the weighted
mean of the criteria as before (:mod:`matching.scoring`), with this ``s_housing``.

>>> p = Params()
>>> cost_factor(np.array([0, 400, 800, 1200, -1]), p).tolist()
[1.0, 0.875, 0.75, 0.75, 0.875]
>>> round(float(housing_grade("near", 380, p)), 4), float(housing_grade("offer", None, p))
(0.705, 1.0)
>>> round(float(housing_grade("far", None, p)), 4)
0.4375

The allocation shares the beds: a resource's beds serve every offer near it, and a housed
assignment takes one bed of the source it uses (on site first, then the best resource near the
offer with a bed left, then the best near the centre): see :mod:`matching.allocation.shared`.

How it is computed: the near sources do not depend on the request, so each offer's source,
resource and grade are settled once (the resources within ``R`` of the offers found through the
engine's grid) and the hot path reads the offer's grade as it read its beds (an
:class:`~matching.tables.OfferTable` whose ``has_beds`` means "housed" and whose
``housing_grade`` holds the grade). Movers (``accepts_relocation``) then meet every housed offer,
as they met every offer with a bed. Far sources depend on the pair's centre: they are looked up
for the pairs that need one only (a request that needs housing, an offer without a near
source), per centre, in the resources sorted by grade with a running minimum of the distance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .arrays import F64, Bools, IntArray
from .errors import InvalidInput
from .geo import chord_to_km, squared_chord, to_ecef
from .grid import cell_blocks
from .model import HousingChoice, HousingResource, Params
from .tables import OfferTable, RequestTable, check_unique
from .training import Training

__all__ = [
    "Housing",
    "FarChoice",
    "cost_factor",
    "housing_grade",
    "NO_SOURCE",
    "ON_SITE",
    "NEAR",
    "FAR",
    "DENSE_PAIRS",
]

#: Source codes of a pair, in preference order.
ON_SITE, NEAR, FAR, NO_SOURCE = 0, 1, 2, -1
#: Below this many (offer, resource) pairs, every distance is measured; beyond, the grid.
DENSE_PAIRS = 1 << 22
_ROWS = 2048  # offers measured at once in the dense case


def cost_factor(cost: F64 | Sequence[int], params: Params) -> F64:
    """Return the cost factor ``1 − (1 − φ)·min(c, C)/C`` of rents (a negative one: unknown,
    halfway ``1 − (1 − φ)/2``); in [φ, 1]."""
    c = np.asarray(cost, dtype=np.float64)
    drop = 1.0 - params.housing_cost_floor
    ref = float(params.housing_cost_reference_eur)
    known = 1.0 - drop * np.minimum(np.maximum(c, 0.0), ref) / ref
    out: F64 = np.where(c < 0, 1.0 - drop / 2.0, known)
    return out


def housing_grade(source: str, cost: int | None, params: Params) -> float:
    """Return ``s_housing`` of a request that needs housing for a source ("offer": on site,
    "near", "far", "none") and a rent (``None``: unknown); see the module's formula."""
    if source == "offer":
        return 1.0
    if source == "none":
        return params.no_housing_score
    base = params.housing_near_score if source == "near" else params.housing_far_score
    factor = cost_factor(np.array([-1 if cost is None else cost]), params)
    return float(base * factor[0])


@dataclass(frozen=True, eq=False)
class FarChoice:
    """The far source of each pair of a list: grade, resource (-1: none), km from the centre."""

    grade: F64
    resource: IntArray
    km: F64


class Housing:
    """The housing resources and each offer's near source, as arrays (internal).

    Built once per call from the offer table; never mutated (the allocation copies ``beds``).
    Raises :class:`~matching.InvalidInput` for an item that is not a
    :class:`~matching.HousingResource` or a duplicate id.
    """

    def __init__(
        self, resources: Sequence[HousingResource], offers: OfferTable, params: Params
    ) -> None:
        for n, h in enumerate(resources):
            if not isinstance(h, HousingResource):
                raise InvalidInput("a HousingResource is required", record=f"housing #{n}")
        items = sorted(resources, key=lambda h: h.id)
        self.ids = [h.id for h in items]
        check_unique("housing", self.ids)
        self.items = items
        self.params = params
        n = len(items)
        self.beds = np.array([h.beds for h in items], dtype=np.int64)
        xyz = to_ecef([h.lat for h in items], [h.lon for h in items]).reshape(n, 3)
        self.xyz = xyz
        self.coords = np.ascontiguousarray(xyz.T)
        costs = np.array(
            [-1 if h.monthly_cost_eur is None else h.monthly_cost_eur for h in items],
            dtype=np.float64,
        )
        factor = cost_factor(costs, params)
        self.near_grade: F64 = params.housing_near_score * factor
        self.far_grade: F64 = params.housing_far_score * factor
        self.offers = offers
        self._near_lists(offers, params)
        n_offers = len(offers.ids)
        on_site = offers.beds > 0
        first, first_km = self._best_near(n_offers)
        has_near = first >= 0
        #: Per offer: its source (ON_SITE, NEAR or NO_SOURCE), resource (-1) and km.
        self.source = np.where(on_site, ON_SITE, np.where(has_near, NEAR, NO_SOURCE))
        self.resource = np.where(on_site, -1, first).astype(np.intp)
        self.km = np.where(on_site, 0.0, first_km)
        near = np.flatnonzero(self.source == NEAR)
        grade = np.full(n_offers, params.no_housing_score)
        grade[near] = self.near_grade[self.resource[near]]
        grade[on_site] = 1.0
        #: Per offer: s_housing of a request that needs housing (before far sources).
        self.grade: F64 = grade
        #: Per offer: housed on site or near.
        self.housed: Bools = self.source != NO_SOURCE
        #: The offers as the kernels read them: ``has_beds`` means housed, with the grade.
        self.table = replace(offers, has_beds=self.housed, housing_grade=grade)
        self._centres: dict[int, tuple[IntArray, F64, F64]] = {}

    # --- near sources -------------------------------------------------------------------------

    def _near_lists(self, offers: OfferTable, params: Params) -> None:
        """Per offer, the resources with a free bed within R (compressed rows:
        ``near_res[near_start[j]:near_start[j + 1]]`` with their ``near_km``), in no order:
        :meth:`near` sorts an offer's when asked (the allocation asks for few), and the best
        of each is found by segment reductions (sorting them all took most of the time)."""
        n_offers = len(offers.ids)
        live = np.flatnonzero(self.beds > 0).astype(np.intp)
        radius = params.housing_radius_km
        found_o: list[IntArray] = []
        found_r: list[IntArray] = []
        found_d: list[F64] = []
        if len(live) and n_offers:
            cols = np.arange(n_offers, dtype=np.intp)
            blocks: Iterator[tuple[IntArray, IntArray]]
            if n_offers * len(live) <= DENSE_PAIRS or radius < 0.5:
                blocks = ((cols[a : a + _ROWS], live) for a in range(0, n_offers, _ROWS))
            else:
                blocks = cell_blocks(offers.xyz, cols, self.xyz, live, radius)
            for rows, res in blocks:
                d = chord_to_km(
                    squared_chord(offers.coords[:, rows, None], self.coords[:, None, res])
                )
                at_r, at_c = np.nonzero(d <= radius)
                found_o.append(rows[at_r])
                found_r.append(res[at_c])
                found_d.append(d[at_r, at_c])
        o = np.concatenate(found_o) if found_o else np.zeros(0, dtype=np.intp)
        r = np.concatenate(found_r) if found_r else np.zeros(0, dtype=np.intp)
        d = np.concatenate(found_d) if found_d else np.zeros(0)
        order = np.argsort(o, kind="stable")  # the blocks' pairs are grouped by offer already
        self.near_res: IntArray = r[order].astype(np.intp)
        self.near_km: F64 = d[order]
        self.near_start: IntArray = np.searchsorted(o[order], np.arange(n_offers + 1)).astype(
            np.intp
        )

    def _best_near(self, n_offers: int) -> tuple[IntArray, F64]:
        """Each offer's best near resource (-1: none) and its km: the highest grade, then the
        nearest, then the smallest id (position), by reductions over each offer's segment."""
        best = np.full(n_offers, -1, dtype=np.intp)
        best_km = np.zeros(n_offers)
        lengths = np.diff(self.near_start)
        some = np.flatnonzero(lengths > 0)
        if not len(some):
            return best, best_km
        starts = self.near_start[some]
        owner = np.repeat(np.arange(len(some)), lengths[some])
        r, d = self.near_res, self.near_km
        g = self.near_grade[r]
        top = np.maximum.reduceat(g, starts)
        tie = g == top[owner]
        nearest = np.minimum.reduceat(np.where(tie, d, np.inf), starts)
        tie &= d == nearest[owner]
        best[some] = np.minimum.reduceat(np.where(tie, r, len(self.ids)), starts)
        best_km[some] = nearest
        return best, best_km

    def near(self, col: int) -> tuple[list[int], list[float]]:
        """The offer's near resources (positions) with their km, best first (grade, km, id;
        ids are sorted, so the position breaks the last ties)."""
        a, z = int(self.near_start[col]), int(self.near_start[col + 1])
        r, d = self.near_res[a:z], self.near_km[a:z]
        order = np.lexsort((r, d, -self.near_grade[r]))
        return r[order].tolist(), d[order].tolist()

    # --- far sources --------------------------------------------------------------------------

    def _centre(self, training: Training, k: int) -> tuple[IntArray, F64, F64]:
        """Centre ``k``'s resources with a free bed, best first (grade, km, id), their km,
        and the running minimum of the km along that order."""
        got = self._centres.get(k)
        if got is None:
            live = np.flatnonzero(self.beds > 0).astype(np.intp)
            d = chord_to_km(squared_chord(training.coords[:, k, None], self.coords[:, live]))
            order = np.lexsort((live, d, -self.far_grade[live]))
            res, km = live[order], d[order]
            running = np.minimum.accumulate(km) if len(km) else km
            got = self._centres[k] = (res, km, running)
        return got

    def far(self, training: Training, centre: IntArray, max_km: F64) -> FarChoice:
        """The best far source of pairs whose centre is ``centre`` (-1: none) for candidates
        of radius ``max_km``: the first resource, in the centre's order, within the radius."""
        n = len(centre)
        out = FarChoice(
            grade=np.full(n, self.params.no_housing_score),
            resource=np.full(n, -1, dtype=np.intp),
            km=np.zeros(n),
        )
        for k in np.unique(centre[centre >= 0]).tolist():
            at = np.flatnonzero(centre == k)
            res, km, running = self._centre(training, k)
            if not len(res):
                continue
            # running is non-increasing: the first position within the radius.
            pos = np.searchsorted(-running, -max_km[at], side="left")
            hit = pos < len(res)
            got, p = at[hit], pos[hit]
            out.resource[got] = res[p]
            out.km[got] = km[p]
            out.grade[got] = self.far_grade[res[p]]
        return out

    def far_order(self, training: Training, centre: int, max_km: float) -> list[tuple[int, float]]:
        """The far resources of a centre within ``max_km``, best first, with their km."""
        res, km, _running = self._centre(training, centre)
        within = km <= max_km
        return list(zip(res[within].tolist(), km[within].tolist(), strict=True))

    def far_pairs(
        self, requests: RequestTable, rows: IntArray, cols: IntArray, training: Training | None
    ) -> tuple[FarChoice, IntArray] | None:
        """The far sources of a list of pairs (row i with column i) that may have one: a
        request that needs housing and an offer not housed near; (choices, their positions
        in the list), or None when there are none (or no centres)."""
        if training is None:
            return None
        some = np.flatnonzero(requests.needs_housing[rows] & ~self.housed[cols]).astype(np.intp)
        if not len(some):
            return None
        picked = training.pairs(rows[some], cols[some])
        return self.far(training, picked.centre, requests.max_km[rows[some]]), some

    def far_block(
        self, requests: RequestTable, rows: IntArray, cols: IntArray, training: Training | None
    ) -> tuple[F64, Bools] | None:
        """(s_housing of the far pairs, whether a far source houses them) for a block, or
        None when no pair of the block may have one."""
        if training is None:
            return None
        need = np.flatnonzero(requests.needs_housing[rows])
        bare = np.flatnonzero(~self.housed[cols])
        if not len(need) or not len(bare):
            return None
        r = np.repeat(rows[need], len(bare))
        c = np.tile(cols[bare], len(need))
        picked = training.pairs(r, c)
        got = self.far(training, picked.centre, requests.max_km[r])
        grade = np.full((len(rows), len(cols)), self.params.no_housing_score)
        ok = np.zeros((len(rows), len(cols)), dtype=bool)
        spot = np.ix_(need, bare)
        grade[spot] = got.grade.reshape(len(need), len(bare))
        ok[spot] = (got.resource >= 0).reshape(len(need), len(bare))
        return grade, ok

    # --- choices ------------------------------------------------------------------------------

    def choice(self, col: int, resource: int = -2, far: bool = False) -> HousingChoice | None:
        """The :class:`HousingChoice` of offer ``col``: its own source by default, else the
        given one (``resource`` -1: on site, >= 0: that resource; ``far``: near the pair's
        centre only). None when there is no source."""
        if resource == -2:
            if int(self.source[col]) == NO_SOURCE:
                return None
            resource = int(self.resource[col])
        if resource < 0:
            return HousingChoice("offer", None, None, None, 0.0, None, True)
        h = self.items[resource]
        return HousingChoice(
            "resource",
            h.id,
            h.name,
            h.kind,
            self.site_km(col, resource),
            h.monthly_cost_eur,
            near=not far,
        )

    def site_km(self, col: int, resource: int) -> float:
        """Distance from offer ``col``'s site to a resource (km)."""
        d = chord_to_km(squared_chord(self.offers.coords[:, col], self.coords[:, resource]))
        return float(d)
