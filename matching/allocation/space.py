"""What every step of the allocation shares: the tables, classes of offers, and the bounds that
turn a score threshold into a join radius.

Two facts make the allocation fast, and both live here:

* **Classes of offers.** The hard constraints look at an offer's métier, licence, start date
  and beds only, so the offers with a place are grouped by those (:class:`OfferClasses`): two
  offers of a class are valid for exactly the same requests within reach. Joins then ask for
  "the offers of the classes this request accepts", never for an offer it must turn down.
* **A score threshold is a radius.** A same-métier pair at distance ``d`` has the distance
  penalty ``t = (1 - e) · d / max_km``, and its score is ``top - w_d · t`` (``top``: the score
  of a same-métier pair at distance 0, housing fine). So the pairs scoring at least
  ``top - w_d · t_max`` lie within ``t_max / (1 - e)`` of the request's radius
  (:meth:`Space.radius`). A related métier scores as the same métier ``related_shift`` further
  (:meth:`Space.entries`). Candidates who accept to move are the exception: every offer scores
  at least the relocation floor (``t <= relocation_penalty``), and one with a bed at any distance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

from ..arrays import F64, I64, Bools, IntArray, Pairs, concat_pairs
from ..model import Params
from ..pairs import OfferPoints, Points, TooManyPairs, join
from ..scoring import pair_terms
from ..tables import OfferTable, RequestTable, score_weights
from . import tuning

__all__ = [
    "OfferClasses",
    "JoinEntries",
    "Space",
    "relocation_counts",
    "in_parts",
]

T = TypeVar("T")


class OfferClasses:
    """Offers with a place, grouped by what the hard constraints look at (métier, licence,
    night work, start, bed): two offers of a class are valid for exactly the same requests
    within reach.

    Per class: its métier, licence, latest start, entry level and beds, its ``size`` and where
    its ``members`` (offer columns, in id order) ``start``; per offer, the class it is ``of``
    (-1 for offers without a place).
    """

    def __init__(self, offers: OfferTable, cols: IntArray, n_metiers: int) -> None:
        start_rank = np.unique(offers.latest_start[cols], return_inverse=True)[1].ravel()
        key = (
            ((start_rank * n_metiers + offers.metier[cols]) * 2 + offers.licence_required[cols]) * 2
            + offers.night_work[cols]
        ) * 2 + offers.has_beds[cols]
        distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        representative = cols[first]
        self.n = len(distinct)
        self.metier = offers.metier[representative]
        self.licence_required = offers.licence_required[representative]
        self.night_work = offers.night_work[representative]
        self.latest_start = offers.latest_start[representative]
        self.entry_level = offers.entry_level[representative]
        self.has_beds = offers.has_beds[representative]
        self.of = np.full(len(offers.ids), -1, dtype=np.intp)
        self.of[cols] = inverse
        order = np.lexsort((cols, inverse))
        self.members = cols[order]  # by class, then offer index (= id order)
        self.size = np.bincount(inverse, minlength=self.n).astype(np.int64)
        self.start = np.cumsum(self.size) - self.size

    def accept(self, requests: RequestTable, rows: IntArray, metier: bool = True) -> Bools:
        """(len(rows), n): the class's offers are valid for the row (distance aside; the
        métier too if not ``metier``)."""
        ok = np.ones((len(rows), self.n), dtype=bool)
        if metier:
            ok &= requests.metier_score[rows][:, self.metier] > 0
        ok &= requests.diploma_level[rows][:, None] >= self.entry_level[None, :]
        ok &= requests.has_licence[rows][:, None] | ~self.licence_required[None, :]
        ok &= ~(requests.minor[rows][:, None] & self.night_work[None, :])
        ok &= requests.available_from[rows][:, None] <= self.latest_start[None, :]
        ok &= ~requests.needs_housing[rows][:, None] | self.has_beds[None, :]
        return ok

    def before(self, cls: IntArray, col: IntArray) -> I64:
        """Members of class ``cls`` whose offer index is below ``col`` (elementwise)."""
        key = self.of[self.members] * np.int64(1 << 32) + self.members
        count: I64 = np.searchsorted(key, cls * np.int64(1 << 32) + col) - self.start[cls]
        return count


class JoinEntries(NamedTuple):
    """What to join for some rows: one entry per row, then a second one for the rows that meet
    offers of a related métier (see :meth:`Space.entries`)."""

    rows: IntArray
    radius: F64
    wants: Bools  # (entries, classes): the classes each entry meets
    every_bed: Bools  # the entry meets every offer with a bed, however far (relocation floor)


class Space:
    """The tables, their points, and the bounds that turn a score threshold into a radius."""

    def __init__(self, requests: RequestTable, offers: OfferTable, params: Params) -> None:
        self.requests, self.offers, self.params = requests, offers, params
        self.request_points = Points.build(requests.coords)
        self.offer_points = Points.build(offers.coords)
        metier_weight, distance_weight, housing_weight = score_weights(params)
        self.distance_weight = distance_weight
        #: The score of a same-métier pair at the very same point, housing fine.
        self.top_score = metier_weight + distance_weight + housing_weight
        #: The same for a related métier.
        self.related_top_score = (
            metier_weight * params.related_metier_score + distance_weight + housing_weight
        )
        #: A related métier scores as the same métier would this much further (in penalty).
        self.related_shift = (self.top_score - self.related_top_score) / distance_weight
        #: The distance score at the limit of a request's radius.
        self.score_at_limit = params.distance_score_at_limit
        #: The distance penalty of a relocation pair is never above this.
        self.relocation_penalty = 1.0 - params.relocation_distance_score
        self.open_offers = np.flatnonzero(offers.has_place).astype(np.intp)
        self.classes = OfferClasses(offers, self.open_offers, requests.metier_score.shape[1])
        self.bed_classes = np.flatnonzero(self.classes.has_beds)
        # (requests, classes), through the few distinct métier rows and constraint sets.
        metier_rows, metier_of = _distinct_rows(requests.metier_score)
        class_metier_score = metier_rows[:, self.classes.metier]
        same_metier = class_metier_score >= 1.0
        self.same_metier = same_metier[metier_of]
        self.related_metier = ((class_metier_score > 0.0) & ~same_metier)[metier_of]
        alike, alike_of = _alike_requests(requests)
        self.accepts = self.classes.accept(requests, alike, metier=False)[alike_of]
        self.accepts &= (class_metier_score > 0)[metier_of]

    @property
    def limit_penalty(self) -> float:
        """The distance penalty at the limit of a request's radius: ``1 - e``."""
        return 1.0 - self.score_at_limit

    def threshold(self, max_penalty: float | F64) -> F64:
        """The score threshold of a level: pairs scoring at least that have t <= max_penalty."""
        finite = np.minimum(max_penalty, 1e300)
        threshold: F64 = np.where(
            np.isfinite(max_penalty), self.top_score - self.distance_weight * finite, -np.inf
        )
        return threshold

    def penalty_for(self, score: F64) -> F64:
        """The largest t a same-métier pair scoring at least ``score`` may have."""
        penalty: F64 = np.maximum((self.top_score - score) / self.distance_weight, 0.0)
        return penalty

    def radius(self, rows: IntArray, max_penalty: float | F64) -> tuple[F64, Bools]:
        """Join radius per row for pairs with t <= max_penalty, and which rows meet every bed.

        Beyond the radius, a pair has t > max_penalty, except relocation pairs of the rows
        flagged: those all score the relocation floor, whatever the distance. A flagged row's
        radius holds its whole reach, since every offer there scores at least the floor.
        """
        penalty = np.broadcast_to(np.asarray(max_penalty, dtype=np.float64), rows.shape)
        fraction = penalty / (1.0 - self.score_at_limit)
        movers = self.requests.accepts_relocation[rows]
        every_bed = movers & (penalty >= self.relocation_penalty - tuning.JOIN_SLACK)
        within_radius = np.minimum(fraction, 1.0)
        floor_fraction = self.relocation_penalty / (1.0 - self.score_at_limit)
        mover_fraction = np.where(every_bed, max(1.0, floor_fraction), fraction)
        fraction = np.where(movers, mover_fraction, within_radius)
        slack = tuning.JOIN_SLACK
        return self.requests.max_km[rows] * fraction * (1.0 + slack) + slack, every_bed

    def entries(self, rows: IntArray, max_penalty: float | F64) -> JoinEntries:
        """What to join for pairs with t <= max_penalty.

        A pair of a related métier scores as one of the same métier ``related_shift`` further,
        so a row that meets related classes at this penalty meets them as a second entry,
        within the radius of ``max_penalty - related_shift`` only: one entry per row, in order,
        then these.
        """
        penalty = np.broadcast_to(np.asarray(max_penalty, dtype=np.float64), rows.shape)
        radius, every_bed = self.radius(rows, penalty)
        wants = self.wants(rows, penalty)
        related = self.related_metier[rows]
        split = np.flatnonzero((wants & related).any(axis=1))
        if not len(split):
            return JoinEntries(rows, radius, wants, every_bed)
        related_wants = wants[split] & related[split]
        wants[split] &= ~related[split]
        related_penalty = np.maximum(penalty[split] - self.related_shift, 0.0)
        related_radius, related_every_bed = self.radius(rows[split], related_penalty)
        return JoinEntries(
            np.concatenate([rows, rows[split]]),
            np.concatenate([radius, related_radius]),
            np.concatenate([wants, related_wants]),
            np.concatenate([every_bed, related_every_bed]),
        )

    def wants(self, rows: IntArray, max_penalty: float | F64) -> Bools:
        """Offer classes each row meets: valid ones, of a related métier only where such a
        pair can reach the level."""
        related = self.threshold(max_penalty) <= self.related_top_score + tuning.JOIN_SLACK
        if related.ndim:
            return self.accepts[rows] & (related[:, None] | self.same_metier[rows])
        return self.accepts[rows] if related else self.accepts[rows] & self.same_metier[rows]

    def within(
        self,
        rows: IntArray,
        cols: IntArray,
        radius: F64,
        wants: Bools,
        cap: int | None = None,
        limit: int | None = None,
    ) -> tuple[IntArray, IntArray, F64, F64]:
        """Valid pairs of ``rows`` x ``cols`` within ``radius``: (rows, cols, scores, dist).

        ``cap``: at most the first ``cap`` offers of a group (one point, one class). Raises
        :class:`~matching.pairs.TooManyPairs` if the join would hold more than ``limit`` pairs.
        """
        found: list[Pairs] = []
        distances: list[F64] = []
        if len(rows) and len(cols):
            points = OfferPoints.build(cols, self.offer_points, self.classes.of)
            for pair_rows, pair_cols, d in join(
                rows, radius, wants, self.request_points, points, cap, limit
            ):
                score, ok = pair_terms(
                    self.requests, pair_rows, self.offers, pair_cols, d, self.params
                )
                found.append((pair_rows[ok], pair_cols[ok], score[ok]))
                distances.append(d[ok])
        pair_rows, pair_cols, score = concat_pairs(found)
        return pair_rows, pair_cols, score, np.concatenate(distances) if distances else np.zeros(0)

    def anywhere(
        self, rows: IntArray, cols: IntArray, beyond: F64, wants: Bools, limit: int | None = None
    ) -> Pairs:
        """Valid pairs of ``rows`` x ``cols`` farther than ``beyond`` (per row), at any distance."""
        everywhere = np.full(len(rows), np.inf)
        pair_rows, pair_cols, score, d = self.within(rows, cols, everywhere, wants, limit=limit)
        nearest = np.zeros(len(self.requests.ids))
        nearest[rows] = beyond
        far = d > nearest[pair_rows]
        return pair_rows[far], pair_cols[far], score[far]

    def floor_scores(self, rows: IntArray, cls: IntArray) -> F64:
        """The score of a relocation pair at the floor (t = relocation_penalty): the
        arithmetic of :func:`~matching.scoring.pair_terms`."""
        _metier_weight, distance_weight, housing_weight = score_weights(self.params)
        score: F64 = self.requests.weighted_metier_score[rows, self.classes.metier[cls]]
        tmp = 1.0 - np.full(len(rows), self.relocation_penalty)
        tmp *= distance_weight
        score += tmp
        score += np.ones(len(rows)) * housing_weight
        return score


def _distinct_rows(x: F64) -> tuple[F64, IntArray]:
    """The distinct rows of ``x`` (by their bits), and the one of each row."""
    flat = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1])))
    _, first, of = np.unique(flat.ravel(), return_index=True, return_inverse=True)
    return x[first], of.ravel().astype(np.intp)


def _alike_requests(requests: RequestTable) -> tuple[IntArray, IntArray]:
    """Requests alike for the hard constraints but the métier (diploma, licence, age, date,
    housing): one row of each kind, and the kind of each request."""
    key = np.zeros(len(requests.ids), dtype=np.int64)
    for column in (
        requests.diploma_level,
        requests.has_licence,
        requests.minor,
        requests.available_from,
        requests.needs_housing,
    ):
        values, rank = np.unique(column, return_inverse=True)
        # Ranked again at each step: the key stays below n * n.
        key = np.unique(key * len(values) + rank.ravel(), return_inverse=True)[1].ravel()
    _, first, of = np.unique(key, return_index=True, return_inverse=True)
    return first.astype(np.intp), of.ravel().astype(np.intp)


def relocation_counts(
    space: Space, rows: IntArray, pair_rows: IntArray, pair_cols: IntArray, below: IntArray | None
) -> tuple[IntArray, IntArray, I64]:
    """Per (row, bed class) it accepts: members beyond the join (all, or before ``below``).

    ``pair_rows``/``pair_cols``: the valid pairs the join found for these rows (within their
    radius). Returns (row position, class, count) for every accepted (row, bed class).
    """
    classes = space.classes
    bed_classes = space.bed_classes
    position, k = np.nonzero(space.accepts[rows][:, bed_classes])
    cls = bed_classes[k]
    # Members of the class the join already found for the row (with an index below ``below``).
    index = np.full(len(space.requests.ids), -1, dtype=np.intp)
    index[rows] = np.arange(len(rows))
    class_of = classes.of[pair_cols]
    found = (index[pair_rows] >= 0) & (class_of >= 0)
    found &= classes.has_beds[np.maximum(class_of, 0)]
    if below is not None:
        found &= pair_cols < below[np.maximum(index[pair_rows], 0)]
    key = index[pair_rows][found] * np.int64(classes.n) + class_of[found]
    seen = np.bincount(key, minlength=len(rows) * classes.n)
    total = classes.size[cls] if below is None else classes.before(cls, below[position])
    return position, cls, total - seen[position * np.int64(classes.n) + cls]


def in_parts(n: int, work: Callable[[slice, int | None], T], step: int | None = None) -> list[T]:
    """``work`` over consecutive parts of ``range(n)``: ``step`` (default: all) at once, or
    halves (and so on) while a part's join would hold more than ``tuning.PAIRS_LIMIT`` pairs."""
    out: list[T] = []
    a, step = 0, max(n if step is None else step, 1)
    while a < n:
        z = min(n, a + step)
        try:
            out.append(work(slice(a, z), tuning.PAIRS_LIMIT if z - a > 1 else None))
        except TooManyPairs:
            step = (z - a + 1) // 2
            continue
        a = z
    return out
