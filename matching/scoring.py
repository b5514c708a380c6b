"""Score one pair, or a block of pairs at once, with the same elementwise formulas.

Criteria (each in [0, 1]) and the score of a valid pair::

    s_metier   = 1                      same métier (one of the request's codes)
               = p.related_metier_score a related métier (declared in the referential)
    s_distance = 1 − (1 − e) · d / r    e = p.distance_score_at_limit, r = request.max_km, d ≤ r
               = max(that, p.relocation_distance_score) for every offer of a candidate who
                 accepts to move (then d may exceed r for an offer with a bed)

s_distance is a non-increasing function of d for a given request: a farther offer never scores
better on distance than a nearer one. (The relocation floor once applied to offers with a bed
only, so a far offer with a bed outscored a nearer one without: 50 % at 59 km, 31 % at 32 km.)
    s_housing  = 1                      candidate needs no housing, or the offer has a bed
               = p.no_housing_score     candidate needs housing, the offer has none
    score      = (w_m·s_metier + w_d·s_distance + w_h·s_housing) / (w_m + w_d + w_h)

A pair is excluded (hard constraints, :data:`~matching.model.EXCLUSION_REASONS`) when the métier is
neither the same nor related, the offer has no place left, d > r (unless relocation applies),
the candidate's diploma level is below the training's entry level, a driving licence is required
and not held, the candidate is available more than ``p.start_tolerance_days`` after the start,
or (with ``p.exclude_without_housing``) housing is needed and the offer has no bed.

Every function here works on numpy arrays that broadcast: ``(n, 1)`` rows against ``(1, m)``
columns for a block, ``(n,)`` against ``(n,)`` for a list of pairs. The operations are the same,
elementwise and in the same order, so a pair gets bit-identical numbers either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

from .arrays import F64, Bools, IntArray
from .geo import chord_to_km, squared_chord
from .model import DEFAULT_PARAMS, Params
from .referential import MetierReferential
from .tables import (
    ANY_TIME,
    NO_START,
    UNKNOWN_LEVEL,
    OfferTable,
    RequestTable,
    housing_table,
    score_weights,
)
from .training import PairChoice, Training, combine_training

if TYPE_CHECKING:
    from .housing import Housing

__all__ = [
    "metier_score",
    "distance_score",
    "housing_score",
    "combine",
    "Terms",
    "kernel",
    "pair_terms",
    "BlockKernel",
]

_EMPTY: Bools = np.zeros((0, 0), dtype=bool)
#: Any kind of numpy array item.
Item = TypeVar("Item", bound=np.generic)


# --- the criteria, on scalars or arrays -----------------------------------------------------------


def metier_score(
    request_codes: Sequence[str],
    offer_code: str,
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> float:
    """Return the métier criterion in {0, p.related_metier_score, 1}.

    1 if the offer's métier is one of the request's, ``p.related_metier_score`` if it is related
    to one of them, 0 otherwise (the pair is then excluded).
    """
    if offer_code in request_codes:
        return 1.0
    related = referential.related(offer_code)
    return params.related_metier_score if any(c in related for c in request_codes) else 0.0


def distance_score(
    distance_km: F64 | float,
    max_km: F64 | float,
    params: Params = DEFAULT_PARAMS,
    relocation: Bools | bool = False,
) -> F64:
    """Return the distance criterion ``1 − (1 − e)·d/r``, in [e, 1] for d ≤ r; vectorised.

    With ``relocation`` (the candidate accepts to move) the score is at least
    ``p.relocation_distance_score``, whatever the distance and whatever the offer: the floor
    depends on the request only, so the score never grows with the distance. Beyond ``r``
    without relocation (or without a bed) the pair is excluded and the value (below e,
    possibly negative) is meaningless.

    >>> float(distance_score(0.0, 30.0))
    1.0
    >>> float(distance_score(30.0, 30.0))
    0.25
    >>> float(distance_score(90.0, 30.0, relocation=True))
    0.5
    """
    d = np.asarray(distance_km, dtype=np.float64)
    k = (1.0 - params.distance_score_at_limit) / np.asarray(max_km, dtype=np.float64)
    score: F64 = 1.0 - _penalty(d, k, np.asarray(relocation, dtype=bool), params)
    return score


def _penalty(d: F64, penalty_per_km: F64, relocation: Bools, params: Params) -> F64:
    t = np.array(
        d * penalty_per_km, dtype=np.float64
    )  # an array even for scalars: ``out=`` needs one
    if relocation.any():
        np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=relocation)
    return t


def housing_score(
    needs_housing: Bools | bool, beds: NDArray[np.int64] | int, params: Params = DEFAULT_PARAMS
) -> F64:
    """Return the housing criterion: 1 if not needed or a bed is offered, else p.no_housing_score.

    >>> float(housing_score(True, 0)), float(housing_score(True, 2)), float(housing_score(False, 0))
    (0.1, 1.0, 1.0)
    """
    idx = np.asarray(needs_housing, dtype=np.intp) * 2 + (np.asarray(beds) <= 0)
    score: F64 = housing_table(params)[idx]
    return score


def combine(s_metier: F64, s_distance: F64, s_housing: F64, params: Params = DEFAULT_PARAMS) -> F64:
    """Return the score ``(w_m·s_m + w_d·s_d + w_h·s_h) / (w_m + w_d + w_h)``, in [0, 1].

    >>> round(float(combine(1.0, 0.25, 0.1)), 4)
    0.6025
    """
    w = params.total_weight
    out: F64 = np.asarray(s_metier, dtype=np.float64) * (params.weight_metier / w)
    out = out + np.asarray(s_distance) * (params.weight_distance / w)
    out += np.asarray(s_housing) * (params.weight_housing / w)
    return out


# --- the kernel ----------------------------------------------------------------------------------
#
# Two implementations of the same arithmetic: ``kernel`` for lists of pairs (and blocks in rare
# paths), allocating its arrays; ``BlockKernel`` for the hot path, writing into preallocated
# buffers (fresh multi-megabyte arrays cost page faults: half the time of the naive version).
# ``pair_terms`` is the allocation's short form of ``kernel`` for lists of pairs whose distance
# is known. All run the same elementwise operations in the same order, so the numbers are
# bit-identical (tests check it).


@dataclass(eq=False)
class Terms:
    """Everything the kernel computes for a block or a list of pairs (broadcast shapes)."""

    d: F64
    s_metier: F64
    t: F64  # distance penalty: s_distance = 1 - t
    s_housing: F64
    score: F64
    compat: Bools
    within: Bools
    eligible: Bools | None  # may be beyond reach (accepts to move, offer has a bed)
    f_diploma: Bools | None
    f_licence: Bools | None
    f_night: Bools | None
    f_date: Bools | None
    f_housing: Bools | None
    s_training: F64 | None = None  # given centres
    f_training: Bools | None = None  # given centres and p.require_training


class _Layout:
    """How :func:`kernel` lays rows against columns: a block (rows down, columns across,
    ``block=True``) or a list of pairs (row i with column i)."""

    def __init__(self, rows: IntArray, cols: IntArray, block: bool) -> None:
        self.rows, self.cols, self.block = rows, cols, block

    def row(self, a: NDArray[Item]) -> NDArray[Item]:
        """The rows' values of a request array, laid out to broadcast against columns."""
        return a[self.rows][:, None] if self.block else a[self.rows]

    def col(self, a: NDArray[Item]) -> NDArray[Item]:
        """The columns' values of an offer array, laid out to broadcast against rows."""
        return a[self.cols][None, :] if self.block else a[self.cols]

    def pick(self, by_metier: F64, metier: IntArray) -> F64:
        """Each pair's entry of a (rows, métiers) table, the métier of each column."""
        if self.block:
            block: F64 = by_metier[self.rows][:, metier[self.cols]]
            return block
        pairs: F64 = by_metier[self.rows, metier[self.cols]]
        return pairs

    def coords(self, requests: RequestTable, offers: OfferTable) -> tuple[F64, F64]:
        """The rows' and columns' earth-centred coordinates, laid out for :func:`squared_chord`."""
        if self.block:
            return requests.coords[:, self.rows, None], offers.coords[:, None, self.cols]
        return requests.coords[:, self.rows], offers.coords[:, self.cols]


def kernel(
    requests: RequestTable,
    rows: IntArray,
    offers: OfferTable,
    cols: IntArray,
    params: Params,
    *,
    block: bool,
    radius: F64 | None = None,
    training: Training | None = None,
    picked: PairChoice | None = None,
    housing: Housing | None = None,
    s_housing_given: F64 | None = None,
) -> Terms:
    """Evaluate requests ``rows`` against offers ``cols``: a block (``block=True``) or pairs.

    ``radius`` replaces the requests' ``max_km`` for the within test (widening searches).
    A ``None`` fail mask means "fails nowhere here" (skipped for speed). With ``training``
    the score has the training criterion (see :mod:`matching.training`); ``picked``: the
    training choices of the pairs (not a block), if known already. ``housing``: the housing
    resources (``offers`` is then ``housing.table``); with ``training``, far sources count.
    ``s_housing_given``: per pair (not a block), the housing criterion of the bed the pair
    takes (NaN: its own best source), for an assignment whose best bed was taken already.
    """
    layout = _Layout(rows, cols, block)
    row, col = layout.row, layout.col
    s_metier = layout.pick(requests.metier_score, offers.metier)
    weighted, (_a_m, a_d, a_h) = _weights(requests, params, training)
    score = layout.pick(weighted, offers.metier)
    d = chord_to_km(squared_chord(*layout.coords(requests, offers)))
    compat = score > 0
    within = d <= row(requests.max_km if radius is None else radius)
    eligible = None
    if requests.accepts_relocation[rows].any() and offers.has_beds[cols].any():
        eligible = row(requests.accepts_relocation) & col(offers.has_beds)
    t: F64 = d * row(requests.penalty_per_km)
    if requests.accepts_relocation[rows].any():
        # The floor of movers: the request's alone, never the offer's (monotonic in d).
        movers = np.broadcast_to(row(requests.accepts_relocation), t.shape)
        np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=movers)
    tmp = 1.0 - t
    tmp *= a_d
    score += tmp
    needs = row(requests.needs_housing)
    s_housing = _housing_scores(needs, col(offers.has_beds), offers, col, params)
    far = None if housing is None else _far(housing, requests, rows, cols, block, training)
    if far is not None:
        far_grade, far_ok = far
        s_housing = np.where(far_ok, far_grade, s_housing)
    if s_housing_given is not None:
        s_housing = np.where(np.isnan(s_housing_given), s_housing, s_housing_given)
    score += s_housing * a_h
    s_training = f_training = None
    if training is not None:
        if block:
            s_training, reach = training.block(rows, cols, params.require_training)
        else:
            picked = training.pairs(rows, cols) if picked is None else picked
            s_training, reach = picked.score, picked.reach
        score = combine_training(score, s_training, training)
        if params.require_training and reach is not None:
            f_training = ~reach
    fails = may_fail(requests, rows, offers, cols, params)
    return Terms(
        d,
        s_metier,
        t,
        s_housing,
        score,
        compat,
        within,
        eligible,
        (row(requests.diploma_level) < col(offers.entry_level)) if fails[0] else None,
        (row(~requests.has_licence) & col(offers.licence_required)) if fails[1] else None,
        (row(requests.minor) & col(offers.night_work)) if fails[2] else None,
        (row(requests.available_from) > col(offers.latest_start)) if fails[3] else None,
        _housing_fails(needs & col(~offers.has_beds), far) if fails[4] else None,
        s_training,
        f_training,
    )


def _housing_scores(
    needs: Bools, has_beds: Bools, offers: OfferTable, col: Callable[[F64], F64], params: Params
) -> F64:
    """s_housing from the table (1, or ``no_housing_score`` without a bed), or from the
    offers' grades given housing resources."""
    if offers.housing_grade is None:
        s: F64 = housing_table(params)[needs.astype(np.intp) * 2 + ~has_beds]
        return s
    graded: F64 = np.where(needs, col(offers.housing_grade), 1.0)
    return graded


def _far(
    housing: Housing,
    requests: RequestTable,
    rows: IntArray,
    cols: IntArray,
    block: bool,
    training: Training | None,
) -> tuple[F64, Bools] | None:
    """The far sources' (grade, housed) of a block or list of pairs, or None."""
    if block:
        return housing.far_block(requests, rows, cols, training)
    got = housing.far_pairs(requests, rows, cols, training)
    if got is None:
        return None
    choice, some = got
    grade = np.zeros(len(rows))
    ok = np.zeros(len(rows), dtype=bool)
    grade[some] = choice.grade
    ok[some] = choice.resource >= 0
    return grade, ok


def _housing_fails(fails: Bools, far: tuple[F64, Bools] | None) -> Bools:
    return fails if far is None else fails & ~far[1]


def _weights(
    requests: RequestTable, params: Params, training: Training | None
) -> tuple[F64, tuple[float, float, float]]:
    """The weighted métier scores and the shares (métier, distance, housing): among the three
    weights, or among the four given training centres."""
    if training is None:
        return requests.weighted_metier_score, score_weights(params)
    return training.weighted_metier_score, training.shares


def may_fail(
    requests: RequestTable, rows: IntArray, offers: OfferTable, cols: IntArray, params: Params
) -> tuple[bool, bool, bool, bool, bool]:
    """Which of diploma, licence, night, date, housing may fail somewhere among these rows and
    columns."""
    level, entry = requests.diploma_level[rows], offers.entry_level[cols]
    available, start = requests.available_from[rows], offers.latest_start[cols]
    return (
        bool(level.min(initial=UNKNOWN_LEVEL) < entry.max(initial=0)),
        bool((~requests.has_licence[rows]).any() and offers.licence_required[cols].any()),
        bool(requests.minor[rows].any() and offers.night_work[cols].any()),
        bool(available.max(initial=ANY_TIME) > start.min(initial=NO_START)),
        bool(
            params.exclude_without_housing
            and requests.needs_housing[rows].any()
            and (~offers.has_beds[cols]).any()
        ),
    )


def pair_terms(
    requests: RequestTable,
    pair_rows: IntArray,
    offers: OfferTable,
    pair_cols: IntArray,
    d: F64,
    params: Params,
    training: Training | None = None,
) -> tuple[F64, Bools]:
    """(score, valid) of pairs at distances ``d``: the kernel's arithmetic, bit for bit.

    Valid: every hard constraint holds, housing needed only where there is a bed (the
    allocation's rule), within reach or relocation (and a reachable centre, given ``training``
    and ``p.require_training``). The métier is not checked: a pair of unrelated métiers scores
    below any valid one and must not be passed here.
    """
    weighted, (_a_m, a_d, a_h) = _weights(requests, params, training)
    needs, has_beds = requests.needs_housing[pair_rows], offers.has_beds[pair_cols]
    eligible = requests.accepts_relocation[pair_rows] & has_beds
    valid = (d <= requests.max_km[pair_rows]) | eligible
    valid &= requests.diploma_level[pair_rows] >= offers.entry_level[pair_cols]
    valid &= requests.has_licence[pair_rows] | ~offers.licence_required[pair_cols]
    valid &= ~(requests.minor[pair_rows] & offers.night_work[pair_cols])
    valid &= requests.available_from[pair_rows] <= offers.latest_start[pair_cols]
    valid &= ~needs | has_beds
    score: F64 = weighted[pair_rows, offers.metier[pair_cols]]
    t = d * requests.penalty_per_km[pair_rows]
    movers = requests.accepts_relocation[pair_rows]
    np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=movers)
    tmp = 1.0 - t
    tmp *= a_d
    score += tmp
    s_housing = _housing_scores(needs, has_beds, offers, lambda a: a[pair_cols], params)
    score += s_housing * a_h
    if training is not None:
        picked = training.pairs(pair_rows, pair_cols)
        score = combine_training(score, picked.score, training)
        if params.require_training:
            valid &= picked.reach
    return score, valid


#: The hard constraints that :class:`BlockKernel` checks, in :data:`EXCLUSION_REASONS` order.
BLOCK_FAILS = ("diploma", "licence", "night", "date", "housing")


class BlockKernel:
    """The hot path: score a block of pairs into preallocated buffers, count its exclusions.

    Same arithmetic as :func:`kernel` (block=True), without allocating block-sized arrays.
    With ``metier >= 0`` every column has that métier and every row is compatible with it
    (métier blocking); with ``metier = -1`` columns mix métiers and the kernel looks them up.
    """

    def __init__(
        self,
        requests: RequestTable,
        offers: OfferTable,
        params: Params,
        size: int,
        training: Training | None = None,
        housing: Housing | None = None,
    ) -> None:
        self.requests, self.offers, self.params = requests, offers, params
        self.training = training
        # Far housing sources exist only with centres: pairs then read them per block.
        self.housing = housing if training is not None else None
        self._floats = [np.empty(size) for _ in range(3)]
        self._flags = [np.empty(size, dtype=bool) for _ in range(4)]
        self.weighted, (self.a_m, self.a_d, self.a_h) = _weights(requests, params, training)
        table = housing_table(params)
        # Housing term per (needs, column): row 0 for candidates who need no housing, row 1 else.
        if offers.housing_grade is None:
            self._housing_term = (
                table[np.array([0, 2])[:, None] + ~offers.has_beds[None, :]] * self.a_h
            )
        else:
            self._housing_term = (
                np.stack([np.ones(len(offers.ids)), offers.housing_grade]) * self.a_h
            )
        self._relocation_cap = 1.0 - params.relocation_distance_score
        # The training term in one gather from the weighted table, when there is one and no
        # reachability is needed (else Training.block, then the same two operations).
        self._weighted = (
            training is not None and training.weighted is not None and not params.require_training
        )
        self._index = np.empty(size if self._weighted else 0, dtype=np.intp)
        # What may_fail needs, gathered once: a constraint that fails nowhere in the whole
        # tables fails in no block, and its per-block test is skipped.
        self._no_licence, self._no_beds = ~requests.has_licence, ~offers.has_beds
        self._licence_possible = bool(self._no_licence.any() and offers.licence_required.any())
        self._night_possible = bool(requests.minor.any() and offers.night_work.any())
        self._housing_possible = bool(
            params.exclude_without_housing and requests.needs_housing.any() and self._no_beds.any()
        )

    def _view(self, buffer: NDArray[Item], shape: tuple[int, int]) -> NDArray[Item]:
        return buffer[: shape[0] * shape[1]].reshape(shape)

    def run(
        self,
        rows: IntArray,
        cols: IntArray,
        metier: int,
        relocation_pass: bool,
        on_fail: Callable[[str, Bools, int], None],
        want_beyond: bool = False,
    ) -> tuple[F64, Bools, int, Bools]:
        """Return (masked scores, valid mask, number within reach, compat & beyond mask or empty).

        ``on_fail(reason, mask, count)`` is told of each hard constraint that excludes pairs
        (the mask is only valid during the call).
        """
        requests, offers = self.requests, self.offers
        shape = (len(rows), len(cols))
        d, tmp, score = (self._view(b, shape) for b in self._floats)
        ok = self._view(self._flags[0], shape)
        squared_chord(requests.coords[:, rows, None], offers.coords[:, None, cols], d, tmp)
        chord_to_km(d, d, tmp)
        np.less_equal(d, requests.max_km[rows][:, None], out=ok)
        if relocation_pass:
            np.logical_not(ok, out=ok)
        if metier < 0:  # mixed métiers: métier score by lookup, incompatible pairs out
            compat = self._view(self._flags[2], shape)
            np.take(self.weighted[rows], offers.metier[cols], axis=1, out=score)
            np.greater(score, 0.0, out=compat)
            beyond = (compat & ~ok) if want_beyond and not relocation_pass else _EMPTY
            np.logical_and(ok, compat, out=ok)
        else:
            beyond = ~ok if want_beyond and not relocation_pass else _EMPTY
        reach = int(np.count_nonzero(ok))
        s_training = reachable = None
        if self.training is not None and reach and not self._weighted:
            s_training, reachable = self.training.block(rows, cols, self.params.require_training)
        far = None
        if self.housing is not None and reach:
            far = self.housing.far_block(requests, rows, cols, self.training)
        if self._exclude(rows, cols, ok, reach, on_fail, reachable, far):
            self._score(rows, cols, metier, d, tmp, score, ok, s_training, far)
        return score, ok, reach, beyond

    def _exclude(
        self,
        rows: IntArray,
        cols: IntArray,
        ok: Bools,
        n: int,
        on_fail: Callable[[str, Bools, int], None],
        reachable: Bools | None = None,
        far: tuple[F64, Bools] | None = None,
    ) -> bool:
        """Take out of ``ok`` the pairs each hard constraint excludes; whether any is left.

        ``reachable``: the pairs with a reachable training centre (given centres and
        ``p.require_training``); the others fail last, as ``training``.
        """
        requests, offers = self.requests, self.offers
        failed_here = self._view(self._flags[1], (ok.shape[0], ok.shape[1]))
        flags = self._may_fail(rows, cols)
        for reason, flag in zip(BLOCK_FAILS, flags, strict=True):
            if not flag or n == 0:
                continue
            if reason == "diploma":
                np.less(
                    requests.diploma_level[rows][:, None],
                    offers.entry_level[cols][None, :],
                    out=failed_here,
                )
            elif reason == "licence":
                np.logical_and(
                    self._no_licence[rows][:, None],
                    offers.licence_required[cols][None, :],
                    out=failed_here,
                )
            elif reason == "night":
                np.logical_and(
                    requests.minor[rows][:, None],
                    offers.night_work[cols][None, :],
                    out=failed_here,
                )
            elif reason == "date":
                np.greater(
                    requests.available_from[rows][:, None],
                    offers.latest_start[cols][None, :],
                    out=failed_here,
                )
            else:
                np.logical_and(
                    requests.needs_housing[rows][:, None],
                    self._no_beds[cols][None, :],
                    out=failed_here,
                )
                if far is not None:  # housed near the pair's training centre
                    np.logical_and(failed_here, ~far[1], out=failed_here)
            np.logical_and(failed_here, ok, out=failed_here)
            failed = int(np.count_nonzero(failed_here))
            if failed:
                on_fail(reason, failed_here, failed)
                np.logical_xor(ok, failed_here, out=ok)
                n -= failed
        if reachable is not None and n:
            np.logical_not(reachable, out=failed_here)
            np.logical_and(failed_here, ok, out=failed_here)
            failed = int(np.count_nonzero(failed_here))
            if failed:
                on_fail("training", failed_here, failed)
                np.logical_xor(ok, failed_here, out=ok)
                n -= failed
        return n > 0

    def _may_fail(self, rows: IntArray, cols: IntArray) -> tuple[bool, bool, bool, bool, bool]:
        """:func:`may_fail`, the same flags, with the constraints that fail nowhere skipped."""
        requests, offers = self.requests, self.offers
        level, entry = requests.diploma_level[rows], offers.entry_level[cols]
        available, start = requests.available_from[rows], offers.latest_start[cols]
        return (
            bool(level.min(initial=UNKNOWN_LEVEL) < entry.max(initial=0)),
            self._licence_possible
            and bool(self._no_licence[rows].any() and offers.licence_required[cols].any()),
            self._night_possible
            and bool(requests.minor[rows].any() and offers.night_work[cols].any()),
            bool(available.max(initial=ANY_TIME) > start.min(initial=NO_START)),
            self._housing_possible
            and bool(requests.needs_housing[rows].any() and self._no_beds[cols].any()),
        )

    def _score(
        self,
        rows: IntArray,
        cols: IntArray,
        metier: int,
        d: F64,
        tmp: F64,
        score: F64,
        ok: Bools,
        s_training: F64 | None = None,
        far: tuple[F64, Bools] | None = None,
    ) -> None:
        """Write the scores of the block into ``score`` (0 where not ``ok``)."""
        requests = self.requests
        np.multiply(d, requests.penalty_per_km[rows][:, None], out=tmp)
        movers = requests.accepts_relocation[rows]
        if movers.any():  # the floor of movers, whatever the offer (see distance_score)
            # ``where`` broadcasts as the operands do: no block-sized mask is made.
            np.minimum(tmp, self._relocation_cap, out=tmp, where=movers[:, None])
        np.subtract(1.0, tmp, out=tmp)
        np.multiply(tmp, self.a_d, out=tmp)
        if metier < 0:
            np.add(score, tmp, out=score)
        else:  # every pair here has this métier: same number as the lookup
            np.add(self.weighted[rows, metier][:, None], tmp, out=score)
        needs = requests.needs_housing[rows]
        if needs.any():
            np.take(self._housing_term[:, cols], needs.astype(np.intp), axis=0, out=tmp)
            if far is not None:  # kernel's np.where(far_ok, far_grade, s) · a_h
                np.copyto(tmp, far[0] * self.a_h, where=far[1])
            np.add(score, tmp, out=score)
        else:  # the same number: 1.0 * a_h
            np.add(score, self.a_h * 1.0, out=score)
        if self.training is not None and s_training is not None:
            # combine_training's operations, in place.
            np.multiply(s_training, self.training.a_t, out=s_training)
            np.add(score, s_training, out=score)
        elif self.training is not None and self._weighted:
            index = self._view(self._index, (len(rows), len(cols)))
            self.training.add_weighted(rows, cols, score, index, tmp)
        np.multiply(score, ok, out=score)

    def scratch(self, shape: tuple[int, int]) -> Bools:
        """A bool buffer of ``shape`` free to use between runs."""
        return self._view(self._flags[3], shape)
